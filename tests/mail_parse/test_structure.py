"""Signatures by structure, disclaimers by vocabulary, "sent from" footers as a table and
HTML rendered for visibility (issue 17), on small bodies."""

from __future__ import annotations

import pytest

from mailer.body import is_placeholder
from mailer.footers import FOOTERS, footer_client
from mailer.html_text import html_to_text, render_html
from mailer.quotes import extract_answer

SIGNED = [
    # a table: cells by themselves, labels in their own cells
    ("<p>Ответ дан.</p><table><tr><td>Иванов И.И.</td><td>Начальник отдела</td></tr><tr><td>"
     "Телефон:</td><td>8 (42437) 2-22-22</td></tr><tr><td>E-mail:</td><td>zhkh@adm-okha.ru</td>"
     "</tr></table>", True),
    ("<div>Ответ дан.</div><div><br></div><table><tr><td><img src='cid:x'></td><td><b>ИВАНОВ Иван "
     "Иванович</b><br>начальник отдела ЖКХ<br>тел.: +7 (42437) 2-22-22<br>каб. 5</td></tr></table>",
     True),
    # Outlook's plain text of a table: cells apart by tabs
    ("Ответ дан.\n\nИванов Иван Иванович\tНачальник отдела ЖКХ\nТел.: 8 (42437) 2-22-22\t"
     "zhkh@adm-okha.ru\tкаб. 12", False),
    ("Ответ дан.\n\nГлавный специалист отдела ЖКХ\nадминистрации МО ГО «Охинский»\nПетрова А.С.\n"
     "8 (42437) 2-22-22", False),
    ("Ответ дан.\n\nИ.о. начальника отдела ЖКХ И.И. Иванов\nКонтактный телефон: 8 (42437) 2-22-22",
     False),
    ("Ответ дан.\n\nОтдел ЖКХ\nтел. 2-22-22", False),
    ("Ответ дан.\n\n694490, Сахалинская область, г. Оха, ул. Ленина, 13\nтел. 8 (42437) 2-22-22, "
     "факс 2-22-23\ne-mail: zhkh@adm-okha.ru", False),
    ("Ответ дан.\n\nИсп. Кузнецова О.Н.\n2-33-44", False),
    ("Ответ дан.\n\nИванов И.И.\nНачальник отдела жилищно-коммунального\nхозяйства администрации\n"
     "Тел. 8 (42437) 2-22-22 | факс 2-22-23\nSkype: ivanov.okha\nЧасы приёма: пн–пт 9:00–17:00", False),
    ("Ответ дан.\n\nИван Иванов\nтел. 2-22-22 | факс 2-22-23", False),
    ("Ответ дан.\n\nИванов И.И.\n+7 (42437) 2-22-22 (доб. 123)", False),
]


@pytest.mark.parametrize("body, is_html", SIGNED)
def test_trailing_signature_block_is_cut(body, is_html):
    assert extract_answer(html_to_text(body) if is_html else body) == "Ответ дан."


@pytest.mark.parametrize("body", [
    "Ответ дан.\nСправки по телефону 8 (42437) 2-22-22",
    "Ответ дан.\n\nТелефон:\n8 (42437) 2-22-22",
    "Ответ дан. Обращайтесь в отдел ЖКХ:\nтел. 8 (42437) 2-22-22\nкаб. 12",
    "Ответ дан.\nДиспетчерская служба: 8 (42437) 5-01-02",
    "Ответ дан.\nДиспетчерская МУП «Охасервис»\n8 (42437) 5-01-02",
    "Ответ дан.\n\nКонтактный телефон: 8 (42437) 2-22-22",
    "Ответ дан.\n\n+7 (42437) 2-22-22",
    "Ответ дан.\n\nГлавное управление МЧС\nтел. 01",
    "Работы запланированы по адресам:\nул. Ленина, 5\nул. Мира, 3",
    "Ответ дан.\nОтветственный — Иванов И.И., тел. 2-22-22.",
    "Ответ дан.\n\nСайт: https://adm-okha.ru",
    "Ответ дан.\nПриём ведёт Отдел Культуры",
    "Ответ дан.\n\nОтдел Культуры\nАдминистрации",
    "Приём ведётся в каб. 5.\nЧасы приёма: пн–пт 9:00–17:00",
    "Ответ дан.\n\nкаб. 305, тел. 8 (42437) 2-46-80",
    "Ответственный за работы:\nПетров Пётр Петрович\nтел. 8 (42437) 2-22-22",
])
def test_contacts_that_are_the_answer_stay(body):
    assert extract_answer(body) == body


@pytest.mark.parametrize("line", [
    "Отправлено с iPhone", "Sent from my iPhone", "Отправлено с моего Galaxy",
    "Отправлено с устройства Galaxy", "Отправлено из приложения Почта для Windows",
    "Отправлено из Почты для Windows 10", "Sent from Mail for Windows",
    "Отправлено из Почты<https://go.microsoft.com/fwlink/?LinkId=550986> для Windows 10",
    "Отправлено из мобильной Яндекс Почты", "Отправлено из мобильной Яндекс.Почты",
    "Отправлено из приложения Яндекс Почта", "Отправлено из Яндекс Почты для Android",
    "Отправлено из мобильной Почты Mail.ru", "Отправлено из Mail.ru для Android",
    "Получить Outlook для Android", "Get Outlook for iOS<https://aka.ms/o0ukef>",
    "Отправлено из Битрикс24", "Отправлено из приложения МойОфис Почта", "Отправлено с iPad",
    "Sent from my Samsung Galaxy smartphone.", "Отправлено с моего Huawei Mate 40",
    "Sent with Proton Mail secure email.", "-- Отправлено из мобильной Яндекс Почты",
    'Отправлено из приложения "Почта" для Windows 10', "Отправлено из приложения «Почта» для Windows",
    "Отправлено из Почты Mail", "Отправлено из Почты Mail для Android",
])
def test_sent_from_footers(line):
    assert footer_client(line)
    assert extract_answer(f"Ответ дан.\n\n{line}\n\n> цитата") == "Ответ дан."


@pytest.mark.parametrize("line", [
    "Отправлено с курьером 26 ноября, получено 27-го.", "Отправлено письмом 25 ноября",
    "Отправлено в отдел ЖКХ для исполнения.", "Получить справку можно в МФЦ.",
    "Отправлено через Почту России заказным письмом", "Отправлено почтой 25 ноября.",
    "Отправлено с нарочным в прокуратуру", "Получить ответ можно по телефону",
])
def test_sentences_that_are_not_footers(line):
    assert footer_client(line) is None


def test_footer_table_is_data():
    assert all(isinstance(client, str) and isinstance(pattern, str) for client, pattern in FOOTERS)
    assert "Windows Mail" in {client for client, _ in FOOTERS}


@pytest.mark.parametrize("body", [
    "Ответ дан.\n\nНастоящее сообщение и приложения к нему могут содержать конфиденциальную "
    "информацию.",
    "Ответ дан.\n\nThe information contained in this communication is intended solely for the use "
    "of the individual or entity to whom it is addressed and may contain privileged information. "
    "If you have received this communication in error, please notify the sender.",
    "CAUTION: This email originated from outside of the organization. Do not click links or open "
    "attachments unless you recognize the sender.\n\nОтвет дан.",
    "ВНИМАНИЕ: Это письмо пришло от внешнего отправителя. Не переходите по ссылкам и не открывайте "
    "вложения.\nОтвет дан.",
    "Ответ дан.\nИнформация в этом письме конфиденциальна и предназначена только для адресата; "
    "получив его по ошибке, удалите его.",
    "ВНЕШНЕЕ ПИСЬМО: будьте осторожны со ссылками и вложениями.\n\nОтвет дан.",
    "CAUTION: External email. Be careful with links.\nОтвет дан.",
])
def test_disclaimers_and_banners_wherever_they_sit(body):
    assert extract_answer(body) == "Ответ дан."


@pytest.mark.parametrize("body", [
    "Ответ дан.\n\nСообщение предназначено только для адресата и может содержать "
    "конфиденциальную информацию.",
    "Ответ дан.\n\nThis email is confidential and intended only for the named recipient.",
    "Ответ дан.\n\nИванов И.И.\nтел. 2-22-22\n\nСообщение предназначено только для адресата и "
    "может содержать конфиденциальную информацию.",
])
def test_short_disclaimer_at_the_very_end(body):
    assert extract_answer(body) == "Ответ дан."


@pytest.mark.parametrize("rule", ["-----", "=====", "* * *", "___ ___"])
def test_a_rule_left_above_a_removed_disclaimer_goes_too(rule):
    body = (f"Ответ дан.\n\n{rule}\nСообщение предназначено только для адресата и может содержать "
            "конфиденциальную информацию.")
    assert extract_answer(body) == "Ответ дан."


def test_a_sentence_about_this_letter_stays():
    body = "Ответ дан.\nДанное письмо является ответом на Ваше обращение, приложение — акт обследования."
    assert extract_answer(body) == body


def test_a_sentence_about_confidentiality_stays():
    for body in ("Ответ дан. Персональные данные заявителя конфиденциальны и передаче не подлежат.",
                 "Ответ дан.\n\nСведения о собственнике конфиденциальны и выдаются только по "
                 "запросу суда."):
        assert extract_answer(body) == body


@pytest.mark.parametrize("html", [
    "<div style='DISPLAY: NONE !important'>пре</div><p>Ответ дан.</p>",
    "<p>Ответ <span style='font-size:0.0pt'>zz</span>дан.</p><p style='opacity:0'>o</p>",
    "<p style='color:transparent'>t</p><p>Ответ дан.</p><div hidden>h</div>",
    "<p>Ответ дан.<span style=\"mso-hide:all\">метка</span></p><p style='visibility:hidden'>v</p>",
    "<style>span.preheader{display:none!important}</style><span class='preheader'>Скрыто</span>"
    "<p>Ответ дан.</p>",
    "<div style='max-height:0;overflow:hidden'>скрыто</div><p>Ответ дан.</p>",
    "<p>Ответ дан.</p><input type=hidden value=x><template><p>t</p></template>",
])
def test_hidden_html_is_not_the_answer(html):
    assert extract_answer(html_to_text(html)) == "Ответ дан."


@pytest.mark.parametrize("html", [
    # the layout trick of e-mail templates: a zero-size cell, the real size on the text inside
    "<table><tr><td style='font-size:0px;padding:20px 0'><div style='font-size:13px'>Ответ дан."
    "</div></td></tr></table>",
    "<div style='visibility:hidden'><p style='visibility:visible'>Ответ дан.</p>скрыто</div>",
    "<div style='color:transparent'>скрыто<p style='color:#333'>Ответ дан.</p></div>",
    "<style>.wrap{font-size:0}.col{font-size:14px}</style><div class=wrap>x<div class=col>Ответ "
    "дан.</div></div>",
])
def test_inherited_css_can_be_undone_by_a_descendant(html):
    assert extract_answer(html_to_text(html)) == "Ответ дан."


def test_media_query_rules_do_not_hide_on_the_desktop():
    html = "<style>@media (max-width:600px){.m{display:none}}</style><p class='m'>Ответ дан.</p>"
    assert extract_answer(html_to_text(html)) == "Ответ дан."


def test_hidden_text_is_reported_for_the_plain_alternative():
    assert render_html("<p>Да.</p><div style='display:none'>Прехедер</div>").hidden == ["Прехедер"]


@pytest.mark.parametrize("text, placeholder", [
    ("Для просмотра сообщения используйте почтовую программу с поддержкой HTML.", True),
    ("This is an HTML message. Please use an HTML capable mail program to read it.", True),
    ("Если письмо отображается некорректно, откройте его веб-версию в браузере.", True),
    ("Ответ на ваше обращение во вложении (файл HTML можно открыть в браузере).", False),
    ("Фонарь заменят до 1 декабря.", False),
])
def test_placeholder_plain_parts(text, placeholder):
    visible = "" if placeholder else text.casefold()
    assert is_placeholder(text, visible) is placeholder


@pytest.mark.parametrize("container", [
    '<p class=MsoNormal><a name="_MailAutoSig">Петров</a></p><p class=MsoNormal>Отдел</p>',
    '<div id="Signature"><p>Петров, отдел ЖКХ</p></div>',
    '<div id="AppleMailSignature" dir="ltr">Отправлено с моего дачного iPad</div>',
    '<div id="ms-outlook-mobile-signature">Без подписи</div>',
    '<div data-signatureblock="true"><div>Петров</div></div>',
    '<pre class="moz-signature" cols="72">Петров\nОтдел ЖКХ</pre>',
    '<div data-signature-widget="container"><div>Петров</div></div>',
])
def test_signature_containers_of_clients_end_the_answer(container):
    html = f"<div>Ответ дан.</div>{container}<div>Ещё подпись</div>"
    assert extract_answer(html_to_text(html)) == "Ответ дан."


def test_plain_part_that_is_markup_loses_to_the_html():
    from mailer.body import answer_text
    from mailer.mime import MailParts
    parts = MailParts(plain=["<div>Ответ&nbsp;дан.</div><br>p.MsoNormal {margin:0}"],
                      html=["<div>Ответ дан.</div>"])
    assert answer_text(parts) == "Ответ дан."
