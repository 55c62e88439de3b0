"""Who may answer (SPEC §3, §8): only an allow-listed address, read from the From header as sent.

Decided: we trust an allow-listed From, as SPEC says — the administration's mail server checks
SPF/DKIM/DMARC; Return-Path and Received are not ours to judge (a forwarder rewrites them). What
must never pass is a From whose real address is a stranger's while it *looks* like a department:
a look-alike domain, a homoglyph, a department name or address in the display name or inside an
encoded word (which a DMARC check would attribute to the stranger's domain).
"""

from __future__ import annotations

import base64

import pytest

from bridge.core.model import Status
from tests.hostile.conftest import ZHKH, mail, routed_case, take


def _encoded(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


STRANGERS = {
    "longer domain": "zhkh@adm-okha.ru.evil.com",
    "digit zero": "zhkh@adm-0kha.ru",
    "cyrillic а in the domain": "zhkh@\u0430dm-okha.ru",
    "cyrillic к in the user": "zh\u043ah@adm-okha.ru",
    "zero-width space": "zhkh@adm-okha.ru\u200b",
    "department name shown": "Отдел ЖКХ <evil@x.ru>",
    "quoted address shown": '"zhkh@adm-okha.ru" <evil@x.ru>',
    "bare address shown": "zhkh@adm-okha.ru <evil@x.ru>",
    "address in a comment": "evil@x.ru (zhkh@adm-okha.ru)",
    "two authors": "evil@x.ru, zhkh@adm-okha.ru",
    "encoded name with address": _encoded("Отдел ЖКХ <zhkh@adm-okha.ru>") + " <evil@x.ru>",
    "encoded bare address": _encoded("zhkh@adm-okha.ru"),
    "encoded q address": "=?utf-8?q?zhkh=40adm-okha=2Eru?= <evil@x.ru>",
    "double at": "zhkh@adm-okha.ru@evil.com",
}


@pytest.mark.parametrize("sender", STRANGERS.values(), ids=STRANGERS.keys())
def test_look_alike_senders_are_never_answers(app, clock, sender):
    case_id = routed_case(app, clock)
    outcome, parsed = take(app, mail(case_id, "Подменный ответ", sender), clock.tick())
    assert outcome != "answer" and parsed.kind == "unknown_sender"
    case = app.store.get(case_id)
    assert (case.status, case.dept_answer, case.publish_text) == (Status.ROUTED, "", "")
    assert "не принято как ответ" in case.system_note
    assert any(r["kind"] == "unknown_sender" and r["case_id"] == case_id
               for r in app.store.unreported_alerts())


@pytest.mark.parametrize("sender", ["ZHKH@ADM-OKHA.RU", "<zhkh@adm-okha.ru>",
                                    _encoded("Отдел ЖКХ") + " <zhkh@adm-okha.ru>",
                                    '"Иванов, ЖКХ" <zhkh@adm-okha.ru>',
                                    "evil@x.ru <zhkh@adm-okha.ru>"])
def test_the_department_in_any_spelling_is_an_answer(app, clock, sender):
    case_id = routed_case(app, clock)
    outcome, parsed = take(app, mail(case_id, "Отремонтируем.", sender), clock.tick())
    assert (outcome, parsed.sender) == ("answer", ZHKH)
    assert app.store.get(case_id).dept_answer == "Отремонтируем."


def test_spoofed_department_from_with_foreign_return_path_is_trusted_as_spec_says(app, clock):
    case_id = routed_case(app, clock)
    extra = ("Return-Path: <bounce@evil.example>\r\nReceived: from evil.example (evil.example "
             "[203.0.113.9]) by mx.adm-okha.ru\r\n")
    outcome, _ = take(app, mail(case_id, "Ответ", ZHKH, extra=extra), clock.tick())
    assert outcome == "answer"


def test_another_department_answering_is_accepted_and_named_in_the_note(app, clock):
    """Decided by the code: the allow-list is per configuration, not per case, so «дороги»
    answering a case routed to ЖКХ is an answer (departments forward cases to each other); the
    note tells the operator so the review (п. 3.3) catches a mix-up."""
    case_id = routed_case(app, clock)
    outcome, parsed = take(app, mail(case_id, "Это наш участок, сделаем.", "dorogi@adm-okha.ru"), clock.tick())
    assert (outcome, parsed.department) == ("answer", "dorogi")
    case = app.store.get(case_id)
    assert case.status == Status.ANSWERED and case.department == "zhkh"
    assert "другой отдел (dorogi, dorogi@adm-okha.ru)" in case.system_note
    own = routed_case(app, clock, "Ещё вопрос")
    take(app, mail(own, "Сделаем.", msgid="<m2@adm-okha.ru>"), clock.tick())
    assert app.store.get(own).system_note == "Получен ответ отдела."


def test_forged_case_id_is_kept_for_the_operator(app, clock):
    case_id = routed_case(app, clock)
    year = case_id.split("-")[1]
    forged = f"OKH-{year}-99999"
    outcome, parsed = take(app, mail(forged, "Ответ на чужое"), clock.tick())
    assert (outcome, parsed.case_id) == ("no_case", forged)
    assert app.store.get(forged) is None and app.store.get(case_id).dept_answer == ""
    seen = app.store.db.execute("SELECT case_id, raw_path FROM mail_seen").fetchall()
    assert [r["case_id"] for r in seen] == [forged]
    assert any(r["kind"] == "no_case" for r in app.store.unreported_alerts())
    assert (app.config.data_dir / "mail").rglob("*.eml")


def test_the_same_mail_twice_is_taken_once(app, clock):
    case_id = routed_case(app, clock)
    raw = mail(case_id, "Ответ один")
    assert take(app, raw, clock.tick())[0] == "answer"
    assert take(app, raw, clock.tick())[0] == "duplicate"
    assert len([r for r in app.store.history(case_id) if r["field"] == "dept_answer"]) == 1
