"""The operator saves while a cycle runs; the lock file comes and goes mid-cycle (SPEC §2).

The moment that matters is between the cycle's read of the workbook and its write: the cycle
spends it on mail and the social networks, which may take seconds. The tests put the operator's
save exactly there by running it as the mail step.
"""

from __future__ import annotations

import pytest

from bridge.core.model import Decision, Status
from tests.ledger.conftest import add_messages, cycle, edit_ledger, rows_by_id, set_cell
from tests.workbook_faults.conftest import EXCEL_LOCK, with_step, without_step

LOST_EDIT = ("ledger/service.Ledger.write replaces the workbook without checking that the file is "
             "still the one the cycle read: an edit saved after the read (lock gone by then) is "
             "overwritten and never applied")


def _start(app, clock):
    ids = add_messages(app, ["Яма на дороге", "Нет света", "Мусор"], clock.now)
    cycle(app, clock)
    return ids


def test_save_and_close_between_read_and_write_loses_no_edit(app, clock):
    ids = _start(app, clock)
    lock = app.config.ledger.with_name(EXCEL_LOCK)
    lock.write_bytes(b"owner")                                   # the operator opens the workbook
    edit_ledger(app, set_cell(ids[0], "Комментарий оператора", "первая правка"))

    def save_and_close(now):
        edit_ledger(app, set_cell(ids[1], "Комментарий оператора", "вторая правка"))
        lock.unlink()                                            # Excel closed before our write
    with_step(app, "take_mail", save_and_close)
    cycle(app, clock)
    without_step(app, "take_mail")
    for _ in range(2):
        cycle(app, clock)
    assert app.store.get(ids[0]).operator_comment == "первая правка"
    assert app.store.get(ids[1]).operator_comment == "вторая правка"
    assert rows_by_id(app.config.ledger)[ids[1]]["Комментарий оператора"] == "вторая правка"


def test_save_without_a_lock_between_read_and_write_loses_no_decision(app, clock):
    """A script or a viewer that saves without a lock file (openpyxl, a sync client)."""
    ids = _start(app, clock)
    with_step(app, "take_channels", lambda now: edit_ledger(app, lambda s: (
        set_cell(ids[2], "Отдел", "Отдел ЖКХ")(s), set_cell(ids[2], "Решение оператора", "Направить")(s))))
    cycle(app, clock)
    without_step(app, "take_channels")
    cycle(app, clock)
    assert app.store.get(ids[2]).status == Status.ROUTED


def test_lock_appearing_mid_cycle_defers_the_write_and_keeps_the_save(app, clock):
    ids = _start(app, clock)
    lock = app.config.ledger.with_name(EXCEL_LOCK)

    def open_and_save(now):
        edit_ledger(app, set_cell(ids[0], "Комментарий оператора", "пока открыт"))
        lock.write_bytes(b"owner")
    with_step(app, "take_mail", open_and_save)
    report = cycle(app, clock)
    saved = app.config.ledger.read_bytes()
    without_step(app, "take_mail")
    assert report.ledger.startswith("занят")
    report = cycle(app, clock)                       # still open: read, applied, not written
    assert report.ledger.startswith("занят") and app.config.ledger.read_bytes() == saved
    assert app.store.get(ids[0]).operator_comment == "пока открыт"
    lock.unlink()
    assert cycle(app, clock).ledger == "записан"
    assert rows_by_id(app.config.ledger)[ids[0]]["Комментарий оператора"] == "пока открыт"


def test_half_saved_file_under_a_lock_is_neither_set_aside_nor_overwritten(app, clock):
    """Excel writes the file while its lock exists: a read that meets a half-written zip waits."""
    ids = _start(app, clock)
    lock = app.config.ledger.with_name(EXCEL_LOCK)
    lock.write_bytes(b"owner")
    edit_ledger(app, set_cell(ids[0], "Комментарий оператора", "сохранено целиком"))
    whole = app.config.ledger.read_bytes()
    app.config.ledger.write_bytes(whole[: len(whole) // 2])          # the save is half done
    report = cycle(app, clock)
    assert report.ledger.startswith("занят") and not report.problems
    assert app.config.ledger.read_bytes() == whole[: len(whole) // 2]
    assert not list((app.config.data_dir / "backups").glob("*НЕЧИТАЕМЫЙ*"))
    app.config.ledger.write_bytes(whole)                             # the save completes
    lock.unlink()
    cycle(app, clock)
    assert app.store.get(ids[0]).operator_comment == "сохранено целиком"
    assert rows_by_id(app.config.ledger)[ids[0]]["Комментарий оператора"] == "сохранено целиком"
