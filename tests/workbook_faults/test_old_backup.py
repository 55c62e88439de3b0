"""An old backup copied over the ledger (the operator restores data/backups/… by hand).

Every write is stamped with an id (ledger/service.py). A restored old copy carries the id of an
older write, so nothing in it is taken as an edit; the ledger is written back from the store and
the operator is told. Found by these tests before the stamp existed: the copy's older operator
cells reverted newer edits, and a decision typed into it was applied a second time.
- rows newer than the backup come back, with their bridge-owned cells;
- a newer operator edit is not reverted by the copy's older value;
- a decision in the copy is not applied again (no second email to the department).
"""

from __future__ import annotations

import shutil

import pytest

from bridge.core.model import Decision, Status
from tests.ledger.conftest import add_messages, cycle, edit_ledger, outbox_items, rows_by_id, set_cell
from tests.workbook_faults.conftest import department_answer

STALE_BASE = ("ledger/service.Ledger.read compares a restored old copy with the snapshot of the last "
              "write; the copy's older operator cells and typed decisions count as new edits")


def _backups(app):
    return sorted((app.config.data_dir / "backups").glob("Журнал обращений ????-??-?? ??-??-??.xlsx"))


def _history_with_a_backup(app, clock):
    """Two cases; the operator comments, routes one, comments again; the department answers;
    a third case arrives. Returns ids and the backup holding the first comment and «Направить»."""
    ids = add_messages(app, ["Яма на дороге", "Нет света"], clock.now)
    cycle(app, clock)
    edit_ledger(app, lambda s: (set_cell(ids[0], "Комментарий оператора", "старый комментарий")(s),
                                set_cell(ids[1], "Отдел", "Отдел ЖКХ")(s),
                                set_cell(ids[1], "Решение оператора", "Направить")(s)))
    cycle(app, clock)
    old = _backups(app)[-1]               # the operator's saved file, taken before our write
    edit_ledger(app, set_cell(ids[0], "Комментарий оператора", "новый комментарий"))
    cycle(app, clock)
    cycle(app, clock)                      # the outbox sends (no sender here: it stays queued)
    assert department_answer(app, ids[1], "Яму засыплем завтра.", clock.tick()) == "answer"
    newer = add_messages(app, ["Сообщение после копии"], clock.now)
    cycle(app, clock)
    assert app.store.get(ids[1]).status == Status.ANSWERED
    return ids + newer, old


def test_restored_backup_brings_back_newer_rows_and_bridge_cells(app, clock):
    ids, old = _history_with_a_backup(app, clock)
    shutil.copy(old, app.config.ledger)
    cycle(app, clock)
    rows = rows_by_id(app.config.ledger)
    assert set(rows) == set(ids)                                        # the newer row is back
    assert rows[ids[1]]["Ответ отдела"] == "Яму засыплем завтра."
    assert app.store.get(ids[1]).dept_answer == "Яму засыплем завтра."


def test_restored_backup_does_not_revert_a_newer_operator_edit(app, clock):
    ids, old = _history_with_a_backup(app, clock)
    shutil.copy(old, app.config.ledger)
    cycle(app, clock)
    assert app.store.get(ids[0]).operator_comment == "новый комментарий"


def test_restored_backup_does_not_apply_an_old_decision_again(app, clock):
    ids, old = _history_with_a_backup(app, clock)
    assert len(outbox_items(app, ids[1])) == 1
    shutil.copy(old, app.config.ledger)
    cycle(app, clock)
    assert len(outbox_items(app, ids[1])) == 1
    assert app.store.get(ids[1]).status == Status.ANSWERED
