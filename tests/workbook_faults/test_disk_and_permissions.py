"""The disk is full; the ledger file is read-only or immutable (real faults: a tiny tmpfs,
chmod, chattr +i — the suite runs as root in CI; without root those tests are skipped).

What must hold in each: the old ledger stays intact, nothing in the store is lost, the next
cycle after the cause is gone writes everything. What the cycle does today when the write fails:
`run_cycle` raises (the service loop logs it and retries on its timer); the operator gets no
clear message — marked xfail below with the fix.
"""

from __future__ import annotations

import dataclasses
import errno
import gc
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bridge.app import build_app
from bridge.cycle import run_cycle
from tests.ledger.conftest import add_messages, cycle, edit_ledger, make_app, rows_by_id, set_cell

# xlsxwriter's zip file, closed after ENOSPC, complains again when collected: expected noise.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

NOT_REPORTED = ("bridge/cycle.run_cycle calls _write_ledger outside _step: an OSError from the "
                "write (ENOSPC, EPERM) escapes the cycle instead of becoming a problem in the report "
                "and an alert for the operator")


def _mount_tiny(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True)
    return done.returncode == 0


@pytest.fixture
def tiny_disk(tmp_path):
    """An app whose ledger lives on a 1 MB tmpfs (the store and backups on the normal disk)."""
    disk = tmp_path / "disk"
    if not _mount_tiny(disk, "1m"):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    base = make_app(tmp_path)
    base.store.close()
    app = build_app(dataclasses.replace(base.config, ledger=disk / "Журнал обращений.xlsx"), connect=False)
    yield app, disk
    app.store.close()
    subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill(disk: Path) -> Path:
    filler = disk / "filler.bin"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def _run_tolerating_the_failure(app, clock):
    """Today the failed write escapes run_cycle; the invariants below must hold either way."""
    try:
        return cycle(app, clock)
    except Exception as exc:   # noqa: BLE001 - asserted on below, whatever the exception type
        return repr(exc)
    finally:
        gc.collect()           # the half-written zip's finaliser runs here, under the filter


def _disk_full_start(tiny_disk, clock):
    app, disk = tiny_disk
    ids = add_messages(app, ["Яма на дороге"], clock.now)
    cycle(app, clock)
    edit_ledger(app, set_cell(ids[0], "Комментарий оператора", "перед заполнением диска"))
    saved = app.config.ledger.read_bytes()
    filler = _fill(disk)
    more = add_messages(app, ["Сообщение при полном диске"], clock.now)
    return app, ids + more, saved, filler


def test_disk_full_keeps_the_old_ledger_and_the_store_and_the_next_cycle_writes(tiny_disk, clock):
    app, ids, saved, filler = _disk_full_start(tiny_disk, clock)
    outcome = _run_tolerating_the_failure(app, clock)
    assert app.config.ledger.read_bytes() == saved                     # old ledger intact
    assert app.store.get(ids[0]).operator_comment == "перед заполнением диска"   # edit taken
    assert app.store.case_ids() == set(ids)
    outcome = _run_tolerating_the_failure(app, clock)                  # still full: same again
    assert app.config.ledger.read_bytes() == saved
    filler.unlink()
    report = cycle(app, clock)
    assert report.ledger == "записан", (outcome, report)
    rows = rows_by_id(app.config.ledger)
    assert set(rows) == set(ids)
    assert rows[ids[0]]["Комментарий оператора"] == "перед заполнением диска"
    assert not list(app.config.ledger.parent.glob(".*writing*"))       # no half file left behind


def test_disk_full_is_reported_by_the_cycle(tiny_disk, clock):
    app, ids, saved, filler = _disk_full_start(tiny_disk, clock)
    try:
        report = run_cycle(app, clock.tick())
    finally:
        gc.collect()
    assert any("журнал" in p.lower() for p in report.problems), report.problems
    assert any(r["kind"] == "ledger" for r in app.store.unreported_alerts())


@pytest.fixture
def immutable_ledger(app, clock):
    if shutil.which("chattr") is None or os.geteuid() != 0:
        pytest.skip("chattr +i needs root")
    ids = add_messages(app, ["Нет света"], clock.now)
    cycle(app, clock)
    if subprocess.run(["chattr", "+i", str(app.config.ledger)], capture_output=True).returncode:
        pytest.skip("this file system has no immutable flag")
    yield ids
    subprocess.run(["chattr", "-i", str(app.config.ledger)], check=False)


def test_immutable_ledger_keeps_the_edits_and_writes_once_released(app, clock, immutable_ledger):
    ids = immutable_ledger
    saved = app.config.ledger.read_bytes()
    more = add_messages(app, ["Ещё одно"], clock.now)
    outcome = _run_tolerating_the_failure(app, clock)
    assert app.config.ledger.read_bytes() == saved
    subprocess.run(["chattr", "-i", str(app.config.ledger)], check=True)
    report = cycle(app, clock)
    assert report.ledger == "записан", (outcome, report)
    assert set(rows_by_id(app.config.ledger)) == set(ids + more)


def test_immutable_ledger_is_reported_by_the_cycle(app, clock, immutable_ledger):
    add_messages(app, ["Ещё одно"], clock.now)
    report = run_cycle(app, clock.tick())
    assert any("журнал" in p.lower() for p in report.problems), report.problems


def test_read_only_mode_is_no_obstacle_for_the_service_and_no_edit_is_lost(app, clock):
    """chmod 444 (the operator ticked «Только чтение»): the bridge replaces the file through the
    folder, so the write goes on (as root, and as any user owning the folder) — decided: fine,
    the flag protects against the operator's own accidental saves, not against the bridge."""
    ids = add_messages(app, ["Сломана скамейка"], clock.now)
    cycle(app, clock)
    edit_ledger(app, set_cell(ids[0], "Комментарий оператора", "до запрета записи"))
    app.config.ledger.chmod(0o444)
    add_messages(app, ["После запрета"], clock.now)
    report = cycle(app, clock)
    assert report.ledger == "записан" and not report.problems
    rows = rows_by_id(app.config.ledger)
    assert len(rows) == 2 and rows[ids[0]]["Комментарий оператора"] == "до запрета записи"
