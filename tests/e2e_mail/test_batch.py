"""One batch of mail, one transaction (issues 14 and 15): the mails of a batch read what they need
of the store in three queries and are applied in order, each in its own savepoint. What one mail
of a batch does is seen by the next (a second reply to one case, the same mail twice), and a mail
the database refuses is set aside alone while the rest of its batch is taken — on PostgreSQL
too, where the batch's writes go to the server together at the COMMIT."""

from __future__ import annotations

import base64
import email
import email.policy
import os

from standins.department_replies import reply
from tests.e2e_mail.loop import ZHKH
from tests.storage_backend import raw_mail_rows


def _with_message_id(raw: bytes, message_id: str) -> bytes:
    old = email.message_from_bytes(raw, policy=email.policy.compat32)["Message-ID"].strip()
    assert raw.count(old.encode()) == 1
    return raw.replace(old.encode(), message_id.encode())


def test_two_replies_to_one_case_in_one_batch_are_both_in_its_history_and_the_later_one_stands(loop):
    [case_id] = loop.open_cases(["Не горит фонарь у дома 5"])
    loop.route([case_id])
    original = loop.sent_for(case_id)[0]
    loop.deliver(reply(original, ZHKH, "Фонарь заменим в четверг."),
                 reply(original, ZHKH, "Уточнение: фонарь заменим в среду."))
    assert loop.cycle().replies == 2
    answers = [r["new"] for r in loop.history(case_id, "ответ отдела", "dept_answer")]
    assert answers == ["Фонарь заменим в четверг.", "Уточнение: фонарь заменим в среду."]
    assert loop.app.store.get(case_id).dept_answer == "Уточнение: фонарь заменим в среду."
    assert loop.ledger_rows()[case_id]["Ответ отдела"] == "Уточнение: фонарь заменим в среду."


def test_the_same_mail_twice_in_one_batch_is_one_answer(loop):
    [case_id] = loop.open_cases(["Яма на дороге"])
    loop.route([case_id])
    answer = reply(loop.sent_for(case_id)[0], ZHKH, "Яму засыплем завтра.")
    loop.deliver(answer, answer)
    assert loop.cycle().replies == 1
    assert len(loop.history(case_id, "ответ отдела", "dept_answer")) == 1
    assert len(raw_mail_rows(loop.app.store)) == 1 and loop.app.files.raw_mails() == []
    assert loop.cycle().replies == 0


def test_a_mail_the_database_refuses_is_set_aside_alone_and_the_rest_of_its_batch_is_taken(loop):
    """A Message-ID of 8,000 random characters: SQLite keeps any key; PostgreSQL's B-tree holds
    at most ~2.7 KB per entry and refuses it at the batch's COMMIT — the batch is then applied
    mail by mail and only that mail is set aside (its raw bytes kept, the operator told)."""
    ids = loop.open_cases([f"Обращение {n}: не работает лифт" for n in range(4)])
    loop.route(ids)
    sent = loop.sent_by_case()
    huge = "<" + base64.b64encode(os.urandom(6000)).decode() + "@zhkh.adm-okha.ru>"
    replies = [reply(sent[case_id][0], ZHKH, f"Ответ {n}: лифт запустят сегодня.") for n, case_id in enumerate(ids)]
    replies[1] = _with_message_id(replies[1], huge)
    loop.deliver(*replies)
    report = loop.cycle()
    answered = {case_id: loop.app.store.get(case_id).dept_answer for case_id in ids}
    for n, case_id in enumerate(ids):
        if n != 1:
            assert answered[case_id] == f"Ответ {n}: лифт запустят сегодня."
    if loop.app.store.backend == "postgresql":
        assert report.replies == 3 and answered[ids[1]] == ""
        alerts = [a["text"] for a in loop.app.store.unreported_alerts()]
        assert any("база данных его не приняла" in text and "оставлено для ручного разбора" in text
                   for text in alerts), alerts
        assert len(loop.app.files.set_aside_items()) == 1
        assert len(raw_mail_rows(loop.app.store)) == 3, "the refused mail is kept in the set-aside journal only"
    else:
        assert report.replies == 4 and answered[ids[1]] == "Ответ 1: лифт запустят сегодня."
    assert loop.cycle().replies == 0, "nothing is taken twice"
