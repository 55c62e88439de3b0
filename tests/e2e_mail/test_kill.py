"""kill -9 between reading a reply and writing the ledger (issue «Done when», SPEC §8).

The cycle runs in its own process, `python run.py once --config …` or the same cycle paused at a
named point (child_cycle.py), and is killed with SIGKILL there; after a restart cycle every answer
is in the ledger exactly once, with exactly one «ответ отдела» in its history, and nothing was
mailed twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from standins.department_replies import reply
from tests.e2e_mail.child_cycle import SIGNAL
from tests.e2e_mail.loop import ZHKH, read_ledger_rows, write_config_file
from tests.storage_backend import open_test_store, query, raw_mail_rows

REPO = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("child_cycle.py")
STYLES = ("outlook", "gmail", "iphone", "thebat")
PAUSE_POINTS = (("raw_saved", 3), ("stored", 1), ("marked", 1), ("ledger", 1))
TIMEOUT = 30.0


def kill_when(command: list[str], ready: Callable[[], bool]) -> int:
    """Start `command`; SIGKILL it as soon as `ready()`; returns its exit code (-9 when killed)."""
    process = subprocess.Popen(command, cwd=REPO, env=dict(os.environ), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + TIMEOUT
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if ready():
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
        else:
            if process.returncode is None:
                raise AssertionError("the cycle neither finished nor reached the kill point")
    finally:
        if process.poll() is None and time.monotonic() >= deadline:
            process.kill()
        _, errors = process.communicate()
    assert process.returncode in (0, -signal.SIGKILL), errors.decode(errors="replace")[-2000:]
    return process.returncode


def seen_count(data_dir: Path) -> int:
    rows = query(data_dir, "SELECT count(*) FROM mail_seen")
    assert rows is not None, "the store cannot be read"
    return rows[0][0]


def kill_at_point(config: Path, data_dir: Path, point: str, count: int) -> None:
    signal_file = data_dir / SIGNAL
    signal_file.unlink(missing_ok=True)
    code = kill_when([sys.executable, str(CHILD), str(config), point, str(count)], signal_file.exists)
    assert code == -signal.SIGKILL and signal_file.read_text() == point


def kill_after_new_replies(config: Path, data_dir: Path, more: int) -> int:
    start = seen_count(data_dir)
    return kill_when([sys.executable, "run.py", "once", "--config", str(config)],
                     lambda: seen_count(data_dir) >= start + more)


def test_kill_9_anywhere_between_reading_and_the_ledger_loses_and_doubles_nothing(fast_loop):
    loop = fast_loop
    ids = loop.open_cases([f"Житель {n}: во дворе не убран снег" for n in range(60)])
    loop.route(ids)
    sent = loop.sent_by_case()
    loop.close()                                   # from now on only other processes run the bridge
    config, data_dir = write_config_file(loop.root, loop.dovecot, loop.sink.port), loop.config.data_dir
    answers = {case_id: f"Ответ {n}: снег уберут сегодня до 18:00." for n, case_id in enumerate(ids)}

    def deliver(case_ids):
        loop.deliver(*(reply(sent[c][0], ZHKH, answers[c], STYLES[n % 4]) for n, c in enumerate(case_ids)))

    deliver(ids[:6])
    for point, count in PAUSE_POINTS:              # exact points, one after another
        kill_at_point(config, data_dir, point, count)
    assert not read_ledger_rows(loop.config.ledger)[ids[0]]["Ответ отдела"], "killed before the ledger"

    deliver(ids[6:])
    codes = [kill_after_new_replies(config, data_dir, more) for more in (1, 10, 25)]
    assert -signal.SIGKILL in codes, "at least one plain `run.py once` must die mid-way"

    finished = subprocess.run([sys.executable, "run.py", "once", "--config", str(config)], cwd=REPO,
                              capture_output=True, text=True, timeout=TIMEOUT)
    assert finished.returncode == 0 and "Внимание" not in finished.stderr, finished.stderr[-2000:]

    rows = read_ledger_rows(loop.config.ledger)
    assert {c: rows[c]["Ответ отдела"] for c in ids} == answers
    assert {rows[c]["Статус"] for c in ids} == {"Ответ получен"}
    assert len(rows) == len(ids)
    store = open_test_store(data_dir)
    try:
        for case_id in ids:
            answered = [r for r in store.history(case_id) if r["action"] == "ответ отдела"
                        and r["field"] == "dept_answer"]
            assert [r["new"] for r in answered] == [answers[case_id]], case_id
        assert store.db.execute("SELECT count(*) FROM mail_seen").fetchone()[0] == len(ids)
        assert len(raw_mail_rows(store)) == len(ids), "each reply's raw copy once, with the reply"
    finally:
        store.close()
    assert not list((data_dir / "mail").rglob("*")), "no raw copy outside the store (no orphan after a kill)"
    assert len(loop.sent()) == len(ids), "no case mail was sent twice"
