"""The mail loop end to end (SPEC §1 steps 4–6, §3): a routed case is mailed to the department
through a real SMTP server, the department's reply lands in a real Dovecot, and after the next
cycle the exact answer is in the workbook the operator reads.
"""

from __future__ import annotations

import re

from standins.department_replies import auto_reply, reply
from tests.e2e_mail.dsn import bounce_for
from tests.e2e_mail.loop import BRIDGE_ADDRESS, DOROGI, ZHKH, parse

ANSWER = ("Подача тепла в дом № 5 по ул. Ленина восстановлена 28.11 в 14:00.\n\n"
          "Причина — авария на теплотрассе, её устранил МУП «Тепло».")
MESSAGE_ID = re.compile(r"^<(OKH-\d{4}-\d{5})\.[A-Za-z0-9_-]{8,}@adm-okha\.ru>$")


def routed(loop, texts: list[str]) -> list[str]:
    ids = loop.open_cases(texts)
    loop.route(ids)
    return ids


def test_routed_case_is_mailed_to_the_department_with_the_fixed_headers(loop):
    [case_id] = routed(loop, ["Третий день нет отопления в доме по ул. Ленина, 5"])

    [(mail_from, rcpt_tos, raw)] = loop.case_messages()
    message = parse(raw)
    assert (mail_from, rcpt_tos) == (BRIDGE_ADDRESS, [ZHKH])
    assert str(message["Subject"]).startswith(f"[{case_id}] ВКонтакте: Третий день нет отопления")
    assert MESSAGE_ID.match(message["Message-ID"]).group(1) == case_id
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Reply-To"] == BRIDGE_ADDRESS
    assert "ответьте на это письмо" in message.get_body(("plain",)).get_content().lower()
    row = loop.ledger_rows()[case_id]
    assert (row["Статус"], row["Отдел"], row["Решение оператора"]) == \
        ("Направлено в отдел", "Отдел ЖКХ", None)
    assert loop.app.store.get(case_id).thread_ids == [message["Message-ID"]]


def test_replies_from_each_mail_client_style_become_the_exact_answer(loop):
    styles = ("outlook", "gmail", "iphone", "thebat")
    ids = routed(loop, [f"Вопрос номер {n} про отопление" for n in range(len(styles))])
    answers = {case_id: f"Ответ для стиля {style}.\n\n{ANSWER}" for case_id, style in zip(ids, styles)}
    loop.deliver(*(reply(loop.sent_for(case_id)[0], ZHKH, answers[case_id], style)
                   for case_id, style in zip(ids, styles)))

    report = loop.cycle()

    assert report.replies == len(styles)
    rows = loop.ledger_rows()
    for case_id in ids:
        assert rows[case_id]["Ответ отдела"] == answers[case_id]
        assert rows[case_id]["Текст для публикации"] == answers[case_id]
        assert rows[case_id]["Статус"] == "Ответ получен"
        assert rows[case_id]["Примечание системы"] == "Получен ответ отдела."


def test_an_answer_with_an_attachment_lists_the_file_and_keeps_it(loop):
    [case_id] = routed(loop, ["Где акт обследования крыши?"])
    loop.deliver(reply(loop.sent_for(case_id)[0], ZHKH, "Акт во вложении.", "gmail",
                       attachment=("Акт обследования.pdf", b"%PDF-1.4 act")))
    loop.cycle()

    row = loop.ledger_rows()[case_id]
    assert row["Ответ отдела"] == "Акт во вложении."
    [name] = row["Вложения"].split("; ")
    assert (loop.config.data_dir / "attachments" / case_id / "answer" / name).read_bytes() == b"%PDF-1.4 act"


def test_an_auto_reply_is_history_only_and_the_real_answer_still_counts(loop):
    [case_id] = routed(loop, ["Яма на дороге у школы"])
    original = loop.sent_for(case_id)[0]
    loop.deliver(auto_reply(original, ZHKH))
    loop.cycle()

    row = loop.ledger_rows()[case_id]
    assert (row["Статус"], row["Ответ отдела"]) == ("Направлено в отдел", None)
    assert len(loop.history(case_id, "автоответ")) == 1
    assert loop.app.store.unreported_alerts() == []
    assert len(loop.sent()) == 1, "an auto-reply is never answered"

    loop.deliver(reply(original, ZHKH, "Яму засыплем до пятницы.", "outlook"))
    loop.cycle()
    row = loop.ledger_rows()[case_id]
    assert (row["Статус"], row["Ответ отдела"]) == ("Ответ получен", "Яму засыплем до пятницы.")


def test_a_bounce_reaches_the_operator_in_the_row_and_the_alerts(loop):
    [case_id] = routed(loop, ["Не вывозят мусор"])
    loop.deliver(bounce_for(loop.sent_for(case_id)[0], ZHKH))
    loop.cycle()

    row = loop.ledger_rows()[case_id]
    assert row["Статус"] == "Направлено в отдел"
    assert row["Ответ отдела"] is None
    assert "не доставлено" in row["Примечание системы"] and ZHKH in row["Примечание системы"]
    [alert] = loop.app.store.unreported_alerts()
    assert (alert["kind"], alert["case_id"]) == ("bounce", case_id)
    assert ZHKH in alert["text"]


def test_a_reply_from_an_unknown_address_is_kept_for_the_operator_not_written_as_answer(loop):
    [case_id] = routed(loop, ["Когда починят светофор?"])
    loop.deliver(reply(loop.sent_for(case_id)[0], "ivanov.private@gmail.com", "Починим завтра.", "gmail"))
    loop.cycle()

    row = loop.ledger_rows()[case_id]
    assert (row["Статус"], row["Ответ отдела"], row["Текст для публикации"]) == \
        ("Направлено в отдел", None, None)
    assert "ivanov.private@gmail.com" in row["Примечание системы"]
    [alert] = loop.app.store.unreported_alerts()
    assert (alert["kind"], alert["case_id"]) == ("unknown_sender", case_id)


def test_an_allow_listed_address_of_another_department_in_any_case_answers(loop):
    """SPEC §3: the allow-list is every configured department address, compared case-insensitively."""
    [case_id] = routed(loop, ["Сломана скамейка во дворе"])
    loop.deliver(reply(loop.sent_for(case_id)[0], DOROGI.upper(), "Скамейку заменим.", "iphone"))
    loop.cycle()
    assert loop.ledger_rows()[case_id]["Ответ отдела"] == "Скамейку заменим."


def test_a_reply_to_a_closed_case_keeps_the_published_answer_and_the_late_text(loop):
    [case_id] = routed(loop, ["Подскажите часы работы библиотеки"])
    original = loop.sent_for(case_id)[0]
    loop.deliver(reply(original, ZHKH, "С 10 до 18.", "outlook"))
    loop.cycle()
    loop.operator({case_id: {"Решение оператора": "Опубликовать"}})
    loop.cycle()
    assert loop.ledger_rows()[case_id]["Статус"] == "Опубликовано"

    loop.deliver(reply(original, ZHKH, "Уточнение: в субботу до 16.", "gmail"))
    loop.cycle()

    row = loop.ledger_rows()[case_id]
    assert (row["Статус"], row["Ответ отдела"]) == ("Опубликовано", "С 10 до 18.")
    assert "закрытому" in row["Примечание системы"]
    late = [r for r in loop.app.store.history(case_id) if r["new"] and "в субботу до 16" in r["new"]]
    assert late, "the note says the late answer is kept in the history: its text must be there"


def test_the_same_message_delivered_twice_is_one_answer(loop):
    [case_id] = routed(loop, ["Протекает крыша в подъезде"])
    answer = reply(loop.sent_for(case_id)[0], ZHKH, "Крышу починим.", "outlook")
    loop.deliver(answer, answer)            # twice in one batch …
    assert loop.cycle().replies == 1
    loop.deliver(answer)                    # … and once more after it was processed
    assert loop.cycle().replies == 0

    assert loop.ledger_rows()[case_id]["Ответ отдела"] == "Крышу починим."
    assert len(loop.history(case_id, "ответ отдела", "dept_answer")) == 1
    assert loop.app.store.db.execute("SELECT count(*) FROM mail_seen").fetchone()[0] == 1
    assert loop.app.store.unreported_alerts() == []


def test_rework_goes_in_the_same_thread_and_the_second_answer_replaces_the_first(loop):
    [case_id] = routed(loop, ["На Дзержинского огромная яма"])
    first = loop.sent_for(case_id)[0]
    loop.deliver(reply(first, ZHKH, "Яма будет засыпана.", "iphone"))
    loop.cycle()
    loop.operator({case_id: {"Решение оператора": "На доработку",
                             "Комментарий оператора": "Укажите срок и исполнителя."}})
    loop.cycle()

    assert loop.ledger_rows()[case_id]["Статус"] == "На доработке"
    [_, rework] = loop.sent_for(case_id)
    message, first_id = parse(rework), parse(first)["Message-ID"]
    assert message["In-Reply-To"] == first_id
    assert first_id in message["References"].split()
    assert MESSAGE_ID.match(message["Message-ID"]) and message["Message-ID"] != first_id
    assert "Укажите срок и исполнителя." in message.get_body(("plain",)).get_content()

    loop.deliver(reply(rework, ZHKH, "Засыплет МУП «Дороги» до 5 декабря.", "thebat"))
    loop.cycle()
    row = loop.ledger_rows()[case_id]
    assert (row["Статус"], row["Ответ отдела"], row["Текст для публикации"]) == \
        ("Ответ получен", "Засыплет МУП «Дороги» до 5 декабря.", "Засыплет МУП «Дороги» до 5 декабря.")
    assert "заменил предыдущий" in row["Примечание системы"]
    assert len(loop.history(case_id, "ответ отдела", "dept_answer")) == 2
