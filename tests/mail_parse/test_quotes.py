"""The text rules of quotes.py on small bodies: what is the department's and what is not."""

from __future__ import annotations

import pytest

from mailer.html_text import CELL, html_to_text
from mailer.quotes import extract_answer


@pytest.mark.parametrize("body, expected", [
    # signature blocks
    ("Ответ.\n\nС уважением, Иванов И.И.\nНачальник", "Ответ."),
    ("Ответ.\nС уважением\nИванов", "Ответ."),
    ("Ответ.\n\nСпасибо,\nИванов", "Ответ."),
    ("Ответ.\n\nBest regards,\nJohn", "Ответ."),
    ("Ответ.\n-- \nИванов", "Ответ."),
    ("Ответ.\n\nНачальник отдела ЖКХ\nИванов И.И.\nтел. 8 (42437) 2-22-22", "Ответ."),
    ("Ответ.\n\nГлавный специалист\nПетров Пётр Петрович", "Ответ."),
    ("Ответ.\n\nИванов И.И.\n+7 (42437) 2-22-22", "Ответ."),
    # a phone that closes the answer is the answer's (issue 17), unless a person signs with it
    ("Ответ.\n\n+7 (42437) 2-22-22", "Ответ.\n\n+7 (42437) 2-22-22"),
    # … but the department's own sentences stay
    ("С уважением относимся к каждому обращению.\nСпасибо!", "С уважением относимся к каждому "
     "обращению.\nСпасибо!"),
    ("Отправлено с курьером 26 ноября, получено 27-го.", "Отправлено с курьером 26 ноября, "
     "получено 27-го."),
    ("Управление благоустройства выполнит работы до 1 декабря.",
     "Управление благоустройства выполнит работы до 1 декабря."),
    ("Работы запланированы на 28.11.2026 с 10:00 по адресам:\nул. Ленина, 5\nул. Мира, 3",
     "Работы запланированы на 28.11.2026 с 10:00 по адресам:\nул. Ленина, 5\nул. Мира, 3"),
    # footers and disclaimers
    ("Ответ.\nSent from my iPhone", "Ответ."),
    ("Ответ.\n\nОтправлено из мобильной Почты Mail.ru", "Ответ."),
    ("Ответ.\nПолучить Outlook для Android", "Ответ."),
    ("Ответ.\n\nКонфиденциальность: сообщение только для адресата.", "Ответ."),
    ("Ответ.\n\nЭто сообщение и все приложения к нему конфиденциальны.", "Ответ."),
    # quote headers of each family
    ("Ответ.\n\n-----Original Message-----\nFrom: a\nSent: b\nTo: c\nSubject: d\n\nold", "Ответ."),
    ("Ответ.\n\nFrom: Otklik <o@a.ru>\nSent: Thursday\nTo: z@a.ru\nSubject: x\n\nold", "Ответ."),
    ("Ответ.\n________________________________\nОт: Отклик\nОтправлено: 26\n\nold", "Ответ."),
    ("Ответ.\n\n---------- Forwarded message ---------\nFrom: x", "Ответ."),
    ("Ответ.\n\nOn Thu, Nov 26, 2026 at 10:15 AM Otklik <o@a.ru> wrote:\n> old", "Ответ."),
    ("Ответ.\n\n26.11.2026 10:15, Отклик пишет:\nold unquoted original", "Ответ."),
    ("Ответ.\n\nЧетверг, 26 ноября 2026, 10:15 +11:00 от Отклик <o@a.ru>:\n> old", "Ответ."),
    ("Hello\n02.04.2012 14:20 пользователь \"b@x.org\" <\nb@x.org> написал:\n\n> Hi", "Hello"),
    ("Работы выполнены 28.11.2026\n26.11.2026 10:15, Отклик пишет:\n> Hi",
     "Работы выполнены 28.11.2026"),
    # layout
    ("\n\n  Первый абзац.\n\n\n\nВторой   абзац.\r\n\r\n", "Первый абзац.\n\nВторой абзац."),
    ("", ""),
])
def test_extract_answer(body, expected):
    assert extract_answer(body) == expected


def test_html_paragraphs_quotes_and_hidden_parts():
    html = ("<html><head><title>t</title><style>p{color:red}</style></head><body>"
            "<p>Первый&nbsp;абзац.</p><p>Второй<br>абзац.</p><script>alert(1)</script>"
            "<blockquote type=\"cite\">цитата</blockquote><table><tr><td>a</td><td>b</td></tr>"
            "</table></body></html>")
    assert html_to_text(html).replace(CELL, " ").rstrip() == (
        "Первый абзац.\n\nВторой\nабзац.\n\n> цитата\na b")
    assert extract_answer(html_to_text(html)) == "Первый абзац.\n\nВторой\nабзац.\n\na b"


def test_html_inline_reply_between_blockquotes():
    html = ("<div>26.11.2026 10:15, Отклик пишет:</div><blockquote>Вопрос 1</blockquote>"
            "<div>Ответ 1</div><blockquote>Вопрос 2</blockquote><div>Ответ 2</div>")
    assert extract_answer(html_to_text(html)) == "Ответ 1\n\nОтвет 2"
