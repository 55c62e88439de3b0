"""A lock file left behind by a crash (SPEC §2): nothing is written, edits are still read, and
after `ledger_lock_alert_minutes` the operator is told which file to delete (README says how);
a lock hours old is looked at (issue 16): who took it, whether that program is gone, what to do."""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from ledger.locks import STALE_LOCK_HOURS, LockOwner, lock_owner, owner_gone
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


# -- a lock left by a crash, hours old, naming its owner (issue 16) ---------------------------------

def _excel_owner_file(user: str) -> bytes:
    """Excel's `~$` owner file: length, ANSI name padded to 54 bytes, length, zero, UTF-16LE name."""
    ansi = user.encode("cp1251").ljust(53, b" ")
    wide = (user + " " * (54 - len(user))).encode("utf-16-le")
    return bytes([len(user)]) + ansi + bytes([len(user), 0]) + wide


def _crashed_lock(app, clock, name: str, content: bytes, hours: float) -> Path:
    lock = app.config.ledger.with_name(name)
    lock.write_bytes(content)
    taken = (clock.now - timedelta(hours=hours)).timestamp()
    os.utime(lock, (taken, taken))                  # the lock's age is its file's age
    return lock


def _stale_alerts(app) -> list[str]:
    return [t for t in _lock_alerts(app) if "блокир" in t and "ч" in t and str(STALE_LOCK_HOURS) in t]


def test_a_libreoffice_lock_whose_program_is_gone_is_named_with_what_to_do(app, clock, caplog):
    add_messages(app, ["Не вывезли мусор"], clock.now)
    cycle(app, clock)
    line = f",ivanova,{socket.gethostname()},12.03.2026 06:40,file:///home/ivanova/.config/libreoffice/4;"
    lock = _crashed_lock(app, clock, f".~lock.{LEDGER_NAME}#", line.encode(), hours=STALE_LOCK_HOURS + 1)
    assert lock_owner(lock) == LockOwner("LibreOffice", "ivanova", socket.gethostname(), "12.03.2026 06:40")
    add_messages(app, ["Новое"], clock.now)
    with caplog.at_level(logging.WARNING, logger="otklik.ledger"):
        assert cycle(app, clock).ledger.startswith("занят")
        cycle(app, clock)
    alerts = _stale_alerts(app)
    assert len(alerts) == 1, alerts                                 # once, in the digest and «Оповещения»
    assert "остался после сбоя" in alerts[0] and "«ivanova»" in alerts[0] and socket.gethostname() in alerts[0]
    assert f"удалите файл «{lock}»" in alerts[0]
    logged = [r.getMessage() for r in caplog.records if "older than" in r.getMessage()]
    assert len(logged) == 1 and str(lock) in logged[0] and "delete the lock file" in logged[0]
    assert "ivanova" not in logged[0]                               # a person's login stays out of the log
    lock.unlink()
    assert cycle(app, clock).ledger == "записан"
    assert any("остался после сбоя" in str(row[3]) for row in
               openpyxl.load_workbook(app.config.ledger)["Оповещения"].iter_rows(min_row=3, values_only=True))


def test_an_excel_lock_hours_old_names_its_user_and_what_to_do(app, clock):
    add_messages(app, ["Не вывезли мусор"], clock.now)
    cycle(app, clock)
    lock = _crashed_lock(app, clock, EXCEL_LOCK, _excel_owner_file("Иванова"), hours=STALE_LOCK_HOURS + 2)
    assert lock_owner(lock) == LockOwner("Excel", "Иванова")
    add_messages(app, ["Новое"], clock.now)
    cycle(app, clock)
    alerts = _stale_alerts(app)
    assert len(alerts) == 1 and "Excel пользователя «Иванова»" in alerts[0] and f"удалите файл «{lock}»" in alerts[0]


def test_a_young_lock_or_one_whose_program_still_runs_is_not_called_stale(app, clock, tmp_path):
    add_messages(app, ["Не вывезли мусор"], clock.now)
    cycle(app, clock)
    user = pwd.getpwuid(os.getuid()).pw_name
    line = f",{user},{socket.gethostname()},12.03.2026 10:00,file:///tmp/profile;".encode()
    lock = _crashed_lock(app, clock, f".~lock.{LEDGER_NAME}#", line, hours=STALE_LOCK_HOURS - 1)
    add_messages(app, ["Новое"], clock.now)
    cycle(app, clock)
    assert _stale_alerts(app) == []                                 # not old enough
    os.utime(lock, ((clock.now - timedelta(hours=STALE_LOCK_HOURS + 1)).timestamp(),) * 2)
    office = subprocess.Popen([shutil.which("soffice"), "--headless", "--norestore",
                               f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 90                           # the operator's LibreOffice runs;
        while owner_gone(lock_owner(lock)) is not False:            # on a loaded machine it takes
            assert time.monotonic() < deadline, "soffice did not start"  # more than 10 s to start
            time.sleep(0.1)
        assert cycle(app, clock).ledger.startswith("занят")
        assert _stale_alerts(app) == []                             # open, not stale: nothing to delete
    finally:
        os.killpg(office.pid, signal.SIGTERM)
        office.wait(timeout=30)
