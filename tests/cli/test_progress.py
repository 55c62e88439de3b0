"""Long work shows progress (issue 16): a Russian bar on a terminal (a real pty), a line in the
service log every LOG_EVERY seconds of work and one at its end, and nothing for work that ends
quickly."""

from __future__ import annotations

import fcntl
import io
import logging
import os
import pty
import select
import struct
import termios

from bridge import progress as shown
from bridge.progress import ShownProgress


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_service_log_gets_a_line_every_30_seconds_and_one_at_the_end(caplog):
    caplog.set_level(logging.INFO, "otklik.progress")
    clock = Clock()
    with ShownProgress("журнал: строки", total=50000, unit="строк", stream=io.StringIO(), clock=clock) as bar:
        for step in range(50):                 # 50,000 rows in 100 seconds
            clock.now += 2
            bar.advance(1000)
    lines = [record.getMessage() for record in caplog.records]
    assert lines == ["журнал: строки: 15 000 из 50 000 строк (30 %), прошло 30 с",
                     "журнал: строки: 30 000 из 50 000 строк (60 %), прошло 1 мин 0 с",
                     "журнал: строки: 45 000 из 50 000 строк (90 %), прошло 1 мин 30 с",
                     "журнал: строки: завершено — 50 000 строк за 1 мин 40 с"]


def test_work_without_a_count_still_says_it_is_alive(caplog):
    caplog.set_level(logging.INFO, "otklik.progress")
    clock = Clock()
    with ShownProgress("удаление персональных данных", stream=io.StringIO(), clock=clock) as work:
        clock.now += 31
        work.tick()                            # what the ticker thread does every second
    assert [r.getMessage() for r in caplog.records] == [
        "удаление персональных данных: идёт, прошло 31 с", "удаление персональных данных: завершено — за 31 с"]


def test_quick_work_shows_nothing(caplog):
    caplog.set_level(logging.DEBUG, "otklik.progress")
    stream = io.StringIO()
    with ShownProgress("шаг «почта»", stream=stream) as work:
        work.advance(3)
    assert caplog.records == [] and stream.getvalue() == ""


def test_a_terminal_gets_a_russian_bar(monkeypatch):
    monkeypatch.setattr(shown, "BAR_DELAY", 0.0)
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))   # a 100-column terminal
    terminal = os.fdopen(follower, "w", encoding="utf-8")
    try:
        with ShownProgress("журнал: строки", total=200, unit="строк", stream=terminal) as bar:
            for _ in bar.track(range(200)):
                pass
            terminal.flush()
        terminal.flush()
        drawn = b""
        while select.select([leader], [], [], 0.5)[0]:
            drawn += os.read(leader, 65536)
    finally:
        terminal.close()
        os.close(leader)
    text = drawn.decode("utf-8", "replace")
    assert "журнал: строки:" in text and "из 200 строк" in text and "осталось" in text
    assert "it/s" not in text


CHILD = """
import sys
sys.path.insert(0, {root!r})
import bridge.progress
bridge.progress.LOG_EVERY = 0.0          # every piece of work counts as long …
bridge.progress.TICK = 0.005             # … and is looked at every 5 ms
import run
sys.exit(run.main(sys.argv[1:]))
"""


def test_once_writes_progress_lines_to_its_log(tmp_path):
    """`once` from cron (stderr not a terminal): the steps and the ledger's rows say how far they
    got, in Russian, and that they finished."""
    import subprocess
    import sys

    from tests.cli.configs import ROOT, closed_port, example_config
    example_config(tmp_path, closed_port(), closed_port())
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(root=str(ROOT)), encoding="utf-8")
    result = subprocess.run([sys.executable, str(script), "once"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "OTKLIK_IMAP_PASSWORD": "x", "OTKLIK_SMTP_PASSWORD": "x"})
    assert result.returncode == 5, result.stderr       # the servers are not there
    lines = [line.split("otklik.progress: ")[1] for line in result.stderr.splitlines() if "otklik.progress: " in line]
    assert "журнал: запись файла: идёт, прошло 0 с" in lines, result.stderr   # the workbook takes > 5 ms
    assert "журнал: запись файла: завершено — за 0 с" in lines
    assert any(line.startswith("шаг «почта»: ") for line in lines)
