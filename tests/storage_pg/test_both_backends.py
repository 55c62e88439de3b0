"""The same store, the same queries, on SQLite and on PostgreSQL (issue 15): every public method
of `Store` answers alike on both, hostile text included."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bridge.core.model import Case, Status
from bridge.storage import outbox
from bridge.storage.pg import translate
from bridge.storage.store import storable

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=timezone(timedelta(hours=11)))


def new_case(store, n: int = 0, **fields) -> Case:
    case = Case(id=store.next_case_id("OKH", 2026), channel="vk", external_id=f"x{n}", posted_at=T0, **fields)
    with store.transaction():
        store.add(case, "тест", at=T0)
        store.remember_item("vk", f"x{n}", case.id)
    return case


def test_cases_history_and_numbers(store):
    first = new_case(store, 1, text="Не горит фонарь", author_key="vk:1")
    second = new_case(store, 2, text="Яма", author_key="vk:1", informational=True)
    assert (first.id, second.id) == ("OKH-2026-00001", "OKH-2026-00002")
    assert store.get(first.id) == first and store.get("нет") is None
    assert [c.id for c in store.all_cases()] == [first.id, second.id]
    assert store.case_ids() == {first.id, second.id}
    assert store.case_for_item("vk", "x2") == second.id and store.case_for_item("vk", "x9") is None

    second.status, second.closed_at, second.department = Status.PUBLISHED, T0 + timedelta(days=1), "zhkh"
    assert store.save(second, "оператор", "правка", at=T0 + timedelta(days=1))
    assert not store.save(second, "оператор", "правка", at=T0 + timedelta(days=1))
    assert [c.id for c in store.cases_with_status(Status.PUBLISHED)] == [second.id]
    assert [c.id for c in store.cases_with_status(Status.NEW, open_only=True)] == [first.id]
    assert [c.id for c in store.published_informational()] == [second.id]
    assert [c.id for c in store.published_by_author("vk:1")] == [second.id]
    assert store.published_by_author("vk:2") == []
    rows = store.history(second.id)
    assert [(r["field"], r["old"], r["new"]) for r in rows][1:] == [
        ("status", Status.NEW, Status.PUBLISHED), ("department", "", "zhkh"),
        ("closed_at", None, (T0 + timedelta(days=1)).isoformat())]
    assert rows[0][0] < rows[1]["id"] and tuple(rows[0].keys())[:3] == ("id", "case_id", "at")
    assert store.history_count() == 5 and store.last_history_id() == rows[-1]["id"]

    second.status = Status.REWORK
    store.save(second, "оператор", "правка", at=T0)
    assert store.returned_case_ids() == {second.id}
    assert store.blank_history(second.id, ["department", "status"])
    assert not store.blank_history(second.id, ["department", "status"])


def test_moments_compare_as_instants(store):
    case = new_case(store, 1)
    case.routed_at = T0 + timedelta(hours=1)              # +11:00
    store.save(case, "тест", "правка", at=T0)
    utc_between = (T0 + timedelta(minutes=30)).astimezone(timezone.utc)
    assert [c.id for c in store.cases_with_moments_after(utc_between)] == [case.id]
    assert store.cases_with_moments_after(T0 + timedelta(hours=2)) == []


def test_outbox_dedup_due_and_states(store):
    assert outbox.enqueue(store, "k1", "email", {"now": T0, "to": "a@b.ru"}, "C1", T0)
    assert not outbox.enqueue(store, "k1", "email", {"to": "other"}, "C1", T0)
    assert outbox.enqueue(store, "k2", "publish", {}, "C1", T0 + timedelta(hours=1))
    assert store.is_queued("k2") and not store.is_queued("k3")
    due = outbox.due_items(store, T0 + timedelta(minutes=1))
    assert [(i.key, i.payload) for i in due] == [("k1", {"now": T0.isoformat(), "to": "a@b.ru"})]
    store.outbox_in_flight(due[0].id, '{"in_flight": "x"}')
    assert outbox.due_items(store, T0)[0].in_flight
    store.outbox_retry(due[0].id, 1, T0 + timedelta(seconds=30), "нет связи")
    assert outbox.due_items(store, T0) == []
    # A clock that ran a year ahead scheduled k2: it is due now, not next year.
    store.outbox_retry(store.outbox_items("C1")[1]["id"], 1, T0 + timedelta(days=365), "x")
    assert [i.key for i in outbox.due_items(store, T0)] == ["k2"]
    store.outbox_done(due[0].id, {"message_id": "<m@x>"}, T0)
    store.outbox_stop(store.outbox_items("C1")[1]["id"], "failed", "отказ", T0)
    assert [(r["key"], r["state"]) for r in store.outbox_items("C1", sent_only=True)] == [("k1", "done"),
                                                                                       ("k2", "failed")]
    store.replace_payload(due[0].id, {"to": "c@d.ru"})
    assert store.outbox_items("C1")[0]["payload"] == '{"to": "c@d.ru"}'


def test_unreadable_moment_counts_as_due(store):
    outbox.enqueue(store, "k", "email", {}, "", T0)
    store.db.execute("UPDATE outbox SET next_at = 'не дата'")   # as an old version or a hand edit left it
    assert [i.key for i in outbox.due_items(store, T0)] == ["k"]


def test_mail_alerts_snapshots_and_values(store):
    store.remember_mail("<a@x>", "C1", "reply", T0, "raw/a.eml", "")
    store.remember_mail("<b@x>", None, "unmatched", T0 - timedelta(days=40), "raw/b.eml", "примечание")
    assert store.known_mail_keys(["<a@x>", "<c@x>"]) == {"<a@x>"}
    assert store.raw_mail_paths("C1") == ["raw/a.eml"]
    assert store.raw_mail_before(["unmatched"], T0 - timedelta(days=30)) == [("<b@x>", "raw/b.eml")]
    store.forget_raw_mail("C1")
    store.forget_raw_mail_of("<b@x>")
    assert store.raw_mail_paths("C1") == [] and store.raw_mail_before(["unmatched"], T0) == []

    store.alert("outage", "Нет связи", "C1", key="o:1", at=T0)
    store.alert("outage", "Нет связи (повтор)", "C1", key="o:1", at=T0)
    store.alert("ledger", "Журнал открыт", at=T0)
    store.alert("ledger", "Журнал открыт", at=T0)           # no key: both kept
    assert [r["text"] for r in store.unreported_alerts()] == ["Нет связи", "Журнал открыт", "Журнал открыт"]
    store.mark_alerts_reported([store.unreported_alerts()[0]["id"]], T0)
    left = store.unreported_alerts()     # ids grow; PostgreSQL's may skip one an ignored repeat took
    assert len(left) == 2 and store.last_alert_id() == left[-1]["id"] > left[0]["id"]
    assert [r["id"] for r in store.recent_alerts(T0 + timedelta(days=1))] == [left[1]["id"], left[0]["id"]]

    store.keep_ledger_snapshot(1, T0, b"\x00first", kept=2)
    store.keep_ledger_snapshot(1, T0, b"\x00again", kept=2)
    store.keep_ledger_snapshot(2, T0, b"two", kept=2)
    store.keep_ledger_snapshot(3, T0, b"three", kept=2)
    assert store.ledger_snapshot(1) is None and bytes(store.ledger_snapshot(2)) == b"two"

    with store.transaction():
        store.set_value("cursor.vk", {"ts": 17, "слово": "да"})
        store.set_value("cursor.vk", {"ts": 18})
    assert store.get_value("cursor.vk") == {"ts": 18} and store.get_value("нет", 5) == 5
    store.delete_value("cursor.vk")
    assert store.get_value("cursor.vk") is None


def test_a_failed_transaction_leaves_nothing(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.set_value("a", 1)
            with store.transaction():
                store.set_value("b", 2)
            raise RuntimeError
    assert store.get_value("a") is None and store.get_value("b") is None


@pytest.mark.parametrize("hostile", ["\x00NUL в тексте", "\ud800 одиночный суррогат", "\\u0000 в JSON",
                                     "кавычка ' и %s и :name и ?"])
def test_hostile_text_is_stored_alike(store, hostile):
    case = new_case(store, 1, text=hostile, author_key=hostile)
    back = store.get(case.id)
    assert back.text == storable(hostile)   # a lone surrogate is «�» on both engines; JSON escapes NUL
    assert [c.id for c in store.cases_with_status(Status.NEW)] == [case.id]
    store.alert("intake", hostile, key=hostile, at=T0)
    stored = store.unreported_alerts()[0]["text"]
    kept = storable(hostile)    # PostgreSQL text holds no NUL: it becomes «\ufffd» there, and only there
    assert stored == (kept if store.backend == "sqlite" else kept.replace("\x00", "\ufffd"))
    store.remember_mail(hostile, None, "unmatched", T0, "", hostile)
    assert store.known_mail_keys([hostile]) == {hostile}


def test_parameter_marks_are_translated_outside_literals():
    assert translate("SELECT a FROM t WHERE b = ? AND c LIKE '%?%' AND d = :moment AND e::text = ?") == \
        "SELECT a FROM t WHERE b = %s AND c LIKE '%%?%%' AND d = %(moment)s AND e::text = %s"
    assert translate("UPDATE t SET x = 'it''s ? :no' WHERE y % 2 = ?") == \
        "UPDATE t SET x = 'it''s ? :no' WHERE y %% 2 = %s"


def test_a_large_store_is_read_with_the_sqlite_functions(store):
    """Enough rows for PostgreSQL to plan a parallel scan: the functions must be allowed in it."""
    cases = []
    with store.transaction():
        for n in range(3000):
            case = Case(id=f"OKH-2026-{n + 1:05d}", channel="vk", external_id=str(n), posted_at=T0,
                        closed_at=T0 if n % 2 else None, author_key=f"vk:{n % 7}", text="ж" * 400)
            store.add(case, "тест", at=T0)
            cases.append(case)
    if store.backend == "postgresql":
        store.db.execute("ANALYZE cases")
        store.db.execute("SET parallel_setup_cost = 0")
        store.db.execute("SET parallel_tuple_cost = 0")
        store.db.execute("SET min_parallel_table_scan_size = 0")
    assert store.cases_with_moments_after(T0 + timedelta(days=1)) == []
    assert len(store.cases_with_moments_after(T0 - timedelta(days=1))) == 3000
    assert store.published_by_author("vk:3") == []


def test_a_long_answer_is_kept_in_the_history(store):
    """PostgreSQL indexes at most ~2.7 KB per entry: a department's long answer must still go in."""
    case = new_case(store, 1)
    case.dept_answer, case.status = "Ответ. " * 3000, Status.REWORK
    assert store.save(case, "отдел", "ответ отдела", at=T0)
    assert store.get(case.id).dept_answer == case.dept_answer and store.returned_case_ids() == {case.id}
