"""A message that cannot be stored on a full disk is not skipped (issue 10): the channel's cursor
stays where it was until the item is stored or set aside, and the message becomes a case once
the disk has room again. The disk is a real tiny tmpfs (root only; skipped otherwise), the
message a real long poll from the Telegram stand-in."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bridge.app import build_app
from bridge.config import load
from bridge.cycle import run_cycle
from standins.telegram_api import FakeTelegram

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def tiny(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def fill(disk: Path, leave: int) -> Path:
    filler = disk / "filler"
    stat = os.statvfs(disk)
    free = stat.f_bavail * stat.f_frsize
    with open(filler, "ab") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


def test_a_long_message_on_a_full_disk_waits_and_is_not_lost(tiny, monkeypatch):
    with FakeTelegram() as tg:
        monkeypatch.setenv("OTKLIK_TG_TOKEN", tg.token)
        base = load(None)
        config = dataclasses.replace(base, data_dir=tiny / "data", ledger=tiny / "data" / "Журнал.xlsx",
                                     site_dir=tiny / "site", mail={},
                                     channels={"telegram": {"token_env": "OTKLIK_TG_TOKEN", "api_url": tg.api_url}})
        app = build_app(config)
        now = datetime(2026, 12, 2, 1, 0, tzinfo=timezone.utc)
        run_cycle(app, now)
        filler = fill(tiny, leave=64 * 1024)
        text = "Прошу разобраться. " + "Подробности жалобы. " * 30_000          # ~600 KB
        tg.send_dm(tg.user(9, "Олег"), text)
        report = run_cycle(app, now + timedelta(minutes=1))
        assert app.store.all_cases() == [] and report.new_cases == 0
        filler.unlink()
        report = run_cycle(app, now + timedelta(minutes=2))
        [case] = app.store.all_cases()
        assert case.text == text.strip() or case.text == text
        app.store.close()
