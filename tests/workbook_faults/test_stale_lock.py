"""A lock file left behind by a crash (SPEC §2): nothing is written, edits are still read, and
after `ledger_lock_alert_minutes` the operator is told which file to delete (README says how)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ledger.conftest import add_messages, cycle, edit_ledger, rows_by_id, set_cell
from tests.workbook_faults.conftest import EXCEL_LOCK, LEDGER_NAME

README = Path(__file__).resolve().parents[2] / "README.md"


def _lock_alerts(app) -> list[str]:
    return [r["text"] for r in app.store.unreported_alerts() if r["kind"] == "ledger"]


@pytest.mark.parametrize("lock_name", [EXCEL_LOCK, f".~lock.{LEDGER_NAME}#"])
def test_stale_lock_names_the_file_after_the_alert_time_and_nothing_is_written(app, clock, lock_name):
    ids = add_messages(app, ["Не вывезли мусор"], clock.now)
    cycle(app, clock)
    lock = app.config.ledger.with_name(lock_name)
    lock.write_bytes(b"crashed")
    edit_ledger(app, set_cell(ids[0], "Комментарий оператора", "при зависшей блокировке"))
    saved = app.config.ledger.read_bytes()
    add_messages(app, ["Новое сообщение"], clock.now)
    cycle(app, clock)
    assert app.store.get(ids[0]).operator_comment == "при зависшей блокировке"   # read anyway
    limit = app.config.ledger_lock_alert_minutes
    clock.tick(limit - 3)
    cycle(app, clock)
    assert _lock_alerts(app) == []                                  # not before the limit
    for _ in range(3):
        clock.tick(2)
        report = cycle(app, clock)
        assert report.ledger.startswith("занят")
    assert app.config.ledger.read_bytes() == saved                  # never written meanwhile
    alerts = _lock_alerts(app)
    assert len(alerts) == 1, alerts                                 # once, not every cycle
    assert f"«{lock_name}»" in alerts[0] and str(limit) in alerts[0]

    lock.unlink()                                                   # the operator follows it
    assert cycle(app, clock).ledger == "записан"
    rows = rows_by_id(app.config.ledger)
    assert len(rows) == 2 and rows[ids[0]]["Комментарий оператора"] == "при зависшей блокировке"
    assert app.store.get_value("ledger.locked_since") is None


def test_readme_explains_how_to_clear_a_stale_lock():
    text = README.read_text(encoding="utf-8")
    assert f"`{EXCEL_LOCK}`" in text and f"`.~lock.{LEDGER_NAME}#`" in text
    assert "удалите" in text
