"""SPEC §2: an open workbook is never written; decisions in it are still read, and applied once."""

from __future__ import annotations

from datetime import datetime

import pytest

from bridge.core.vocabulary import STATUS_LABELS
from bridge.core.model import Decision, Status
from tests.ledger.conftest import (add_messages, col, cycle, edit_ledger, history, outbox_items, read_rows,
                                   rows_by_id, set_cell)

LOCKS = ["~$Журнал обращений.xlsx", ".~lock.Журнал обращений.xlsx#"]


@pytest.fixture(params=LOCKS, ids=["excel", "libreoffice"])
def lock(request, app):
    return app.config.ledger.with_name(request.param)


def _locked_start(app, clock, lock):
    ids = add_messages(app, ["Яма на дороге", "Нет света"], clock.now)
    cycle(app, clock)
    lock.write_bytes(b"owner")
    return ids


def test_locked_workbook_is_not_written_but_the_decision_is_applied_once(app, clock, lock):
    ids = _locked_start(app, clock, lock)
    edit_ledger(app, lambda s: (set_cell(ids[0], "Отдел", "Отдел ЖКХ")(s),
                                set_cell(ids[0], "Решение оператора", "Направить")(s)))
    saved = app.config.ledger.read_bytes()
    for n in range(3):
        report = cycle(app, clock)
        assert report.ledger.startswith("занят"), report.ledger
        assert app.config.ledger.read_bytes() == saved
        if n == 1:   # the operator saves again, decision still in the cell, plus another edit
            edit_ledger(app, set_cell(ids[1], "Комментарий оператора", "проверить"))
            saved = app.config.ledger.read_bytes()
    assert app.store.get(ids[0]).status == Status.ROUTED
    assert len(history(app, ids[0], action="решение")) == 1
    assert len(outbox_items(app, ids[0])) == 1
    assert app.store.get(ids[1]).operator_comment == "проверить"

    lock.unlink()
    assert cycle(app, clock).ledger == "записан"
    row = rows_by_id(app.config.ledger)[ids[0]]
    assert row["Решение оператора"] is None and row["Статус"] == STATUS_LABELS[Status.ROUTED]
    cycle(app, clock)
    assert len(history(app, ids[0], action="решение")) == 1
    assert len(outbox_items(app, ids[0])) == 1


def test_hand_made_row_read_twice_while_locked_is_one_case(app, clock, lock):
    ids = _locked_start(app, clock, lock)

    def add_row(sheet):
        r = sheet.max_row + 1
        sheet.cell(r, col("Поступило")).value = datetime(2026, 3, 12, 9, 15)
        sheet.cell(r, col("Канал")).value = "Медиалогия"
        sheet.cell(r, col("Текст сообщения")).value = "Инцидент: мусор во дворе"
    edit_ledger(app, add_row)
    cycle(app, clock)
    cycle(app, clock)
    assert len(app.store.case_ids()) == len(ids) + 1
    lock.unlink()
    cycle(app, clock)
    made = [r for r in read_rows(app.config.ledger) if r["Текст сообщения"] == "Инцидент: мусор во дворе"]
    assert len(made) == 1 and made[0]["№"] and made[0]["Канал"] == "Медиалогия"
    assert len(app.store.case_ids()) == len(ids) + 1


def test_channels_go_on_while_locked_and_rows_appear_after(app, clock, lock):
    ids = _locked_start(app, clock, lock)
    stamp = app.config.ledger.stat().st_mtime_ns
    more = add_messages(app, ["Новое сообщение во время блокировки"], clock.now)
    cycle(app, clock)
    assert app.config.ledger.stat().st_mtime_ns == stamp
    lock.unlink()
    cycle(app, clock)
    assert sorted(rows_by_id(app.config.ledger)) == sorted(ids + more)


def test_operator_is_told_when_locked_too_long(app, clock, lock):
    _locked_start(app, clock, lock)
    add_messages(app, ["Сообщение, которое ждёт записи в журнал"], clock.now)
    assert cycle(app, clock).ledger.startswith("занят")
    assert not [a for a in app.store.unreported_alerts() if a["kind"] == "ledger"]
    clock.tick(app.config.ledger_lock_alert_minutes + 1)
    cycle(app, clock)
    cycle(app, clock)
    alerts = [a for a in app.store.unreported_alerts() if a["kind"] == "ledger"]
    assert len(alerts) == 1 and lock.name in alerts[0]["text"]
    lock.unlink()
    assert cycle(app, clock).ledger == "записан"
    assert app.store.get_value("ledger.locked_since") is None
