"""One instance per data folder (issue 10, «One instance»): two `once`, or `serve` beside a cron
`once`, started together on 40 routed cases, give exactly 40 case mails; the instance that finds
the folder taken says who holds it in one Russian line and exits with 4; a lock left by a
process killed with SIGKILL is taken over by the next start.
"""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from tests.e2e.folder import Folder, with_routed_cases
from tests.servers.dovecot import dovecot  # noqa: F401
from tests.servers.smtp import smtp_sink  # noqa: F401

BUSY = 4
CASES = 40


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    _, errors = process.communicate(timeout=timeout)
    return process.returncode, errors


def assert_said_who_holds_it(errors: str, holder_pid: int, command: str) -> None:
    lines = errors.strip().splitlines()
    assert len(lines) == 1, errors
    assert lines[0].startswith("Ошибка: папку данных «"), lines[0]
    assert f"PID {holder_pid}," in lines[0] and f"команда {command}" in lines[0], lines[0]
    assert "Traceback" not in errors


@pytest.fixture
def folder(tmp_path, dovecot, smtp_sink):  # noqa: F811
    return Folder(tmp_path, dovecot, smtp_sink)


def test_two_once_started_together_send_each_case_mail_once(folder):
    ids = with_routed_cases(folder, CASES)
    first, second = folder.start("once"), folder.start("once")   # within milliseconds
    outcomes = {first.pid: finish(first), second.pid: finish(second)}
    assert folder.run("once").returncode == 0      # the next cron run finds nothing left to send
    mails = folder.case_mails()
    assert sum(mails.values()) == CASES, f"{sum(mails.values())} case mails for {CASES} cases"
    assert set(mails) == set(ids) and set(mails.values()) == {1}

    codes = sorted(code for code, _ in outcomes.values())
    assert codes == [0, BUSY], outcomes
    winner = next(pid for pid, (code, _) in outcomes.items() if code == 0)
    loser_errors = next(errors for code, errors in outcomes.values() if code == BUSY)
    assert_said_who_holds_it(loser_errors, winner, "once")
    assert {row["Статус"] for row in folder.rows().values()} == {"Направлено в отдел"}
    assert not (folder.data / "otklik.lock.info").exists(), "a clean exit leaves no holder behind"


def test_serve_and_a_cron_once_send_each_case_mail_once(folder):
    ids = with_routed_cases(folder, CASES)
    service = folder.start("serve", fast=True)
    cron = folder.start("once")                    # started together: either may take the folder
    cron_code, cron_errors = finish(cron)
    if cron_code == BUSY:
        assert_said_who_holds_it(cron_errors, service.pid, "serve")
    else:                                          # the cron run won: the service waits its turn
        assert cron_code == 0, cron_errors
        code, errors = finish(service)
        assert code == BUSY, errors
        assert_said_who_holds_it(errors, cron.pid, "once")
        service = folder.start("serve", fast=True)
    folder.wait_for_holder(service)
    again = folder.run("once")                     # the cron's next run, while the service works
    assert again.returncode == BUSY and f"PID {service.pid}," in again.stderr, again.stderr
    _wait_for_mails(folder, len(ids))
    time.sleep(1.0)                                # a few more cycles: nothing may follow
    service.send_signal(signal.SIGTERM)
    code, errors = finish(service)
    assert code == 0, errors[-2000:]
    mails = folder.case_mails()
    assert sum(mails.values()) == CASES, f"{sum(mails.values())} case mails for {CASES} cases"
    assert set(mails) == set(ids)


def _wait_for_mails(folder: Folder, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while sum(folder.case_mails().values()) < count:
        assert time.monotonic() < deadline, f"only {sum(folder.case_mails().values())} of {count} mails sent"
        time.sleep(0.1)


def test_a_lock_left_by_a_killed_service_is_taken_over(folder):
    assert folder.run("once").returncode == 0
    service = folder.start("serve", fast=True)
    folder.wait_for_holder(service)
    service.send_signal(signal.SIGKILL)
    service.communicate(timeout=30)
    assert (folder.data / "otklik.lock.info").exists(), "the dead holder's note is still there"

    after = folder.run("once")
    assert after.returncode == 0, after.stderr[-2000:]
    assert f"предыдущий запуск (PID {service.pid}, serve) завершился, не сняв блокировку" in after.stderr
    assert folder.run("once").returncode == 0
    assert "не сняв блокировку" not in folder.run("once").stderr


def test_report_and_backup_work_beside_a_running_service(folder, tmp_path):
    assert folder.run("once").returncode == 0
    service = folder.start("serve", fast=True)
    try:
        folder.wait_for_holder(service)
        report = folder.run("report", "--month", "2026-11")
        assert report.returncode == 0, report.stderr
        backup = folder.run("backup", str(tmp_path / "copies"))
        assert backup.returncode == 0, backup.stderr
        purge = folder.run("purge", "--before", "2020-01-01")
        assert purge.returncode == BUSY and f"PID {service.pid}," in purge.stderr, purge.stderr
    finally:
        service.send_signal(signal.SIGTERM)
        assert finish(service)[0] == 0
