"""Which reminder, overdue, digest and summary mails `queue_reminders` puts in the outbox, and when."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
from datetime import time

from bridge.steps.outgoing import compose_email
from bridge.core.model import Case, Status
from bridge.steps.reminders import case_mails, queue_reminders, settings_of
from bridge.storage.outbox import revive_times
from tests.control.conftest import add_case, add_routed, local, outbox_keys


def case_keys(store, case_id: str) -> list[str]:
    return [k for k in outbox_keys(store) if k.startswith(case_id)]


def payload(store, key: str) -> dict:
    row = store.db.execute("SELECT payload FROM outbox WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0])


# Monday 13.04.2026 10:00 → the answer is due Tuesday 14.04 10:00 (24 h of working days).

def test_reminder_once_when_a_quarter_is_left(app):
    case = add_routed(app.store, local(2026, 4, 13, 10))
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 13, 15))
    assert case_keys(app.store, case.id) == []
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 14, 9, 5))      # 55 min left (less than 6 h since 04:00)
    assert case_keys(app.store, case.id) == [f"{case.id}:reminder:0"]
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 14, 9, 10))
    assert case_keys(app.store, case.id) == [f"{case.id}:reminder:0"]


def test_reminder_continues_the_case_thread(app):
    case = add_routed(app.store, local(2026, 4, 13, 10))
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 14, 9, 5))
    sent = payload(app.store, f"{case.id}:reminder:0")
    assert sent["to"] == ["zhkh@adm-okha.ru"]
    assert sent["in_reply_to"] == "<first-zhkh@adm-okha.ru>"
    assert sent["references"] == ["<first-zhkh@adm-okha.ru>"]
    assert sent["msgid"].startswith(f"<{case.id}.")
    assert sent["context"]["time_left"] == "55 минут"
    stored = app.store.get(case.id)
    assert stored.thread_ids == ["<first-zhkh@adm-okha.ru>", sent["msgid"]]
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 14, 10, 30))
    overdue = payload(app.store, f"{case.id}:overdue:0:2026-04-14")
    assert overdue["in_reply_to"] == sent["msgid"]
    assert overdue["references"] == stored.thread_ids


def test_overdue_then_again_each_working_morning(app):
    case = add_routed(app.store, local(2026, 4, 13, 10))
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 14, 10, 30))
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 14, 16))
    assert case_keys(app.store, case.id) == [f"{case.id}:overdue:0:2026-04-14"]
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 15, 9, 1))
    assert case_keys(app.store, case.id)[-1] == f"{case.id}:overdue:0:2026-04-15"
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 18, 10))           # Saturday
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 19, 10))           # Sunday
    assert len(case_keys(app.store, case.id)) == 2
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 20, 9, 1))          # Monday
    assert case_keys(app.store, case.id)[-1] == f"{case.id}:overdue:0:2026-04-20"


def test_nothing_outside_working_hours(app):
    add_routed(app.store, local(2026, 4, 13, 10))
    for moment in (local(2026, 4, 14, 8, 59), local(2026, 4, 14, 13, 30), local(2026, 4, 14, 18),
                   local(2026, 4, 18, 11), local(2026, 5, 1, 11)):
        assert queue_reminders(app.store, app.config, app.ports, moment) == 0
    assert outbox_keys(app.store) == []


def test_answered_or_closed_cases_get_nothing(app):
    answered = add_routed(app.store, local(2026, 4, 13, 10))
    answered.status, answered.answered_at, answered.handled_at = (Status.ANSWERED, local(2026, 4, 13, 12),
                                                                  local(2026, 4, 13, 12))
    app.store.save(answered, "тест", "ответ", at=local(2026, 4, 13, 12))
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 15, 10))
    assert case_keys(app.store, answered.id) == []


def test_rework_after_an_answer_is_a_new_epoch(app):
    case = add_routed(app.store, local(2026, 4, 13, 10))
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 14, 9, 5))
    case = app.store.get(case.id)
    case.status, case.epoch = Status.REWORK, 1          # answered, then returned (term not restarted)
    app.store.save(case, "тест", "на доработку", at=local(2026, 4, 14, 9, 10))
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 14, 9, 30))
    assert case_keys(app.store, case.id) == [f"{case.id}:reminder:0", f"{case.id}:reminder:1"]


def test_escalation_to_the_head_after_two_working_days(app, config):
    departments = tuple(dataclasses.replace(d, head_emails=("nach-zhkh@adm-okha.ru",)) if d.code == "zhkh" else d
                        for d in config.departments)
    app.config = dataclasses.replace(config, departments=departments)
    case = add_routed(app.store, local(2026, 4, 13, 10))          # due Tue 10:00
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 16, 9, 30))               # 1 day 23.5 h overdue
    assert f"{case.id}:escalation:0" not in outbox_keys(app.store)
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 16, 10, 0))               # two working days
    assert payload(app.store, f"{case.id}:escalation:0")["to"] == ["nach-zhkh@adm-okha.ru"]
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 17, 10, 0))
    assert case_keys(app.store, case.id).count(f"{case.id}:escalation:0") == 1


def test_case_mails_pure_rule_counts_from_the_deadline_start(config):
    plain = Case(id="OKH-2026-00009", channel="vk", external_id="9", posted_at=local(2026, 4, 10, 9),
                 status=Status.ROUTED, department="zhkh", deadline_kind="answer",
                 deadline_start=local(2026, 4, 10, 15))           # Friday 15:00 → due Monday 15:00
    assert case_mails(plain, config.calendar, local(2026, 4, 13, 8), 2) == []     # 7 h left
    assert [m.template for m in case_mails(plain, config.calendar, local(2026, 4, 13, 9, 30), 2)] == ["reminder"]
    assert [m.key for m in case_mails(plain, config.calendar, local(2026, 4, 13, 15), 2)] == [
        "OKH-2026-00009:overdue:0:2026-04-13"]


def test_digest_once_per_working_day_with_alerts_reported(app):
    new = add_case(app.store, local(2026, 4, 13, 8))                       # triage due 11:00
    answered = add_routed(app.store, local(2026, 4, 10, 10), status=Status.ANSWERED,
                          answered_at=local(2026, 4, 10, 12), handled_at=local(2026, 4, 10, 12))
    with app.store.transaction():
        app.store.alert("bounce", "Письмо не доставлено: zhkh@adm-okha.ru.", answered.id, at=local(2026, 4, 13, 8))
        app.store.alert("failure", "Публикация ответа: комментарий удалён", new.id, at=local(2026, 4, 13, 8))
    assert queue_reminders(app.store, app.config, app.ports, local(2026, 4, 13, 9, 0)) == 0
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 13, 9, 45))
    digest = payload(app.store, "digest:2026-04-13")
    context = digest["context"]
    assert digest["to"] == ["oso@adm-okha.ru"] and digest["case_id"] == ""
    assert [i["case_id"] for i in context["near_triage"]] == [new.id]
    assert [(i["case_id"], i["department"]) for i in context["awaiting_review"]] == [(answered.id, "Отдел ЖКХ")]
    assert [i["case_id"] for i in context["bounces"]] == [answered.id]
    assert [i["label"] for i in context["publication_errors"]] == ["Публикация ответа: комментарий удалён"]
    assert app.store.unreported_alerts() == []
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 13, 15))
    assert [k for k in outbox_keys(app.store) if k.startswith("digest")] == ["digest:2026-04-13"]
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 14, 10))
    tuesday = payload(app.store, "digest:2026-04-14")["context"]
    assert tuesday["bounces"] == [] and tuesday["publication_errors"] == []
    assert tuesday["near_triage"] == [{"case_id": new.id, "due": "2026-04-13T12:00:00+11:00",
                                       "label": "ВКонтакте, просрочено"}]


def test_weekly_summary_on_the_first_working_day(app):
    add_routed(app.store, local(2026, 4, 8, 10), status=Status.ANSWERED,
                         answered_at=local(2026, 4, 8, 16), handled_at=local(2026, 4, 8, 16))
    add_routed(app.store, local(2026, 4, 9, 10), department="dorogi")    # still open, overdue now
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 14, 10))            # Tuesday: no summary
    assert not [k for k in outbox_keys(app.store) if k.startswith("summary")]
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 20, 9, 40))          # Monday of week 17
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 20, 11))
    assert [k for k in outbox_keys(app.store) if k.startswith("summary")] == ["summary:2026-W17"]
    context = payload(app.store, "summary:2026-W17")["context"]
    assert (context["period_start"], context["period_end"]) == ("2026-04-13", "2026-04-19")
    assert context["rows"] == [{"department": "Отдел транспорта, дорог и благоустройства", "received": 0,
                                "in_time": 0, "late": 0, "triage_in_time": 0, "triage_late": 0, "returned": 0,
                                "overdue_now": 1}]
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 13, 9, 40))          # Monday of week 16 covers 6–12 April
    rows = payload(app.store, "summary:2026-W16")["context"]["rows"]
    assert {r["department"]: (r["received"], r["in_time"], r["overdue_now"]) for r in rows} == {
        "Отдел ЖКХ": (1, 1, 0), "Отдел транспорта, дорог и благоустройства": (1, 0, 1)}


def test_settings_from_config(config):
    assert settings_of(config).digest_time == time(9, 30)
    custom = dataclasses.replace(config, raw={**config.raw, "reminders": {"escalate_after_days": 3,
                                                                          "digest_time": "10:15"}})
    assert (settings_of(custom).escalate_after_days, settings_of(custom).digest_time) == (3, time(10, 15))


def test_queued_mails_render_with_their_templates(app):
    case = add_routed(app.store, local(2026, 4, 13, 10), text="Во дворе не вывозят мусор")
    add_case(app.store, local(2026, 4, 13, 8))
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 14, 9, 45))
    queue_reminders(app.store, app.config, app.ports, local(2026, 4, 14, 10, 30))
    expected = {f"{case.id}:reminder:0": "Осталось 15 минут.",
                f"{case.id}:overdue:0:2026-04-14": "Просрочено на 30 минут.",
                "digest:2026-04-14": "Скоро истекает срок распределения (п. 3.1) — 1:"}
    for key, line in expected.items():
        item = payload(app.store, key)
        item["context"] = revive_times(item["context"])
        raw = compose_email(app.store, app.config, app.files, app.store.get(item["case_id"]) if item["case_id"] else None, item, local(2026, 4, 14, 10))
        mail = email.message_from_bytes(raw, policy=email.policy.default)
        assert mail["Message-ID"] == item["msgid"]
        assert line in mail.get_body(("plain",)).get_content()
    reminder = payload(app.store, f"{case.id}:reminder:0")
    assert reminder["context"]["time_left"] == "15 минут"
