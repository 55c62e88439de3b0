"""The three deadlines of SPEC §4 and «Контроль срока», through the API and `run.py deadline`."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bridge.core.deadlines import (DONE_LATE, DONE_ON_TIME, EXPIRING, ON_TIME, OVERDUE, control, due)
from bridge.core.worktime import WorkCalendar

ROOT = Path(__file__).resolve().parents[2]
SAKH = ZoneInfo("Asia/Sakhalin")
CAL = WorkCalendar()


def at(text: str) -> datetime:
    """Local Sakhalin wall-clock time."""
    return datetime.fromisoformat(text).replace(tzinfo=SAKH)


def run_deadline(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run.py"), "deadline", *args], input=stdin,
                          capture_output=True, text=True, timeout=60, cwd=cwd or ROOT)


@pytest.mark.parametrize("kind, start, expected", [
    ("answer", "2026-03-13 15:00", "2026-03-16 15:00"),     # Friday → Monday (п. 3.2)
    ("triage", "2026-03-13 17:00", "2026-03-16 11:00"),     # 1 h Friday + 2 h Monday (п. 3.1)
    ("triage", "2026-03-12 13:30", "2026-03-12 17:00"),     # start inside lunch counts from 14:00
    ("explain", "2026-03-12 12:00", "2026-03-13 17:00"),    # 1 + 4 + 4 + 3 working hours (п. 3.7)
    ("triage", "2026-03-14 10:00", "2026-03-16 12:00"),     # posted on Saturday
    ("triage", "2026-03-12 07:00", "2026-03-12 12:00"),     # posted before the working day
    ("triage", "2026-04-30 15:00", "2026-05-04 10:00"),     # short day ends 17:00, May 1–3 off
    ("triage", "2026-06-11 16:30", "2026-06-15 11:30"),     # holiday eve (short), Jun 12–14 off
    ("answer", "2026-06-11 15:00", "2026-06-15 15:00"),     # the eve counts whole for п. 3.2
    ("explain", "2026-11-03 09:00", "2026-11-05 15:00"),    # 7 h on the short day, Nov 4 off
    ("answer", "2026-12-30 15:00", "2027-01-11 15:00"),     # Dec 31 – Jan 10 off
    ("answer", "2026-03-14 12:00", "2026-03-17 00:00"),     # started on a day off: all of Monday
])
def test_due_moments(kind, start, expected):
    assert due(CAL, kind, at(start)) == at(expected)


@pytest.mark.parametrize("given", [
    "2026-03-13T04:00:00+00:00", "2026-03-13T04:00Z",      # UTC
    "2026-03-13T07:00+03:00",                               # Moscow offset
    "2026-03-13T15:00", "2026-03-13T15:00+11:00",           # naive = configured zone
])
def test_cli_reads_other_zones(given):
    done = run_deadline("answer", given)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "2026-03-16T15:00:00+11:00\n"


def test_api_with_a_moscow_datetime_and_local_date_change():
    moscow = datetime(2026, 3, 13, 1, 0, tzinfo=ZoneInfo("Europe/Moscow"))   # = Fri 09:00 in Okha
    assert due(CAL, "triage", moscow) == at("2026-03-13 12:00")
    utc_thursday = datetime(2026, 3, 12, 22, 0, tzinfo=timezone.utc)         # = Fri 09:00 in Okha
    assert due(CAL, "triage", utc_thursday) == at("2026-03-13 12:00")
    assert due(CAL, "triage", utc_thursday).utcoffset() == timedelta(hours=11)


def test_cli_new_year_answer_is_exact():
    done = run_deadline("answer", "2026-12-30T15:00+11:00")
    assert (done.returncode, done.stdout, done.stderr) == (0, "2027-01-11T15:00:00+11:00\n", "")


def test_cli_several_starts_one_line_each():
    done = run_deadline("triage", "2026-03-13T17:00+11:00", "2026-03-12T13:30+11:00")
    assert done.stdout.splitlines() == ["2026-03-16T11:00:00+11:00", "2026-03-12T17:00:00+11:00"]


def test_cli_stdin_mode():
    done = run_deadline("answer", stdin="2026-03-13T15:00+11:00\n\n  2026-12-30T15:00+11:00  \n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["2026-03-16T15:00:00+11:00", "2027-01-11T15:00:00+11:00"]


@pytest.mark.parametrize("args, stdin", [
    (("answer", "вчера"), None),
    (("answer", "2026-13-45T10:00"), None),
    (("weekly", "2026-03-13T15:00"), None),
    (("triage",), "not a date\n"),
])
def test_cli_bad_input_exit_2_one_russian_line(args, stdin):
    done = run_deadline(*args, stdin=stdin)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Ошибка:"), done.stderr
    assert "Traceback" not in done.stderr
    assert any("а" <= ch <= "я" for ch in lines[0].lower())


def test_cli_uses_config_overrides(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        '[general]\ntimezone = "Asia/Sakhalin"\n'
        '[worktime]\nextra_days_off = ["2026-03-16"]\n'
        '[[departments]]\ncode = "zhkh"\nname = "Отдел ЖКХ"\nemails = ["zhkh@example.ru"]\n', encoding="utf-8")
    done = run_deadline("answer", "2026-03-13T15:00+11:00", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "2026-03-17T15:00:00+11:00\n"


def test_cli_other_configured_zone(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[general]\ntimezone = "Europe/Moscow"\n'
                      '[[departments]]\ncode = "zhkh"\nname = "Отдел ЖКХ"\nemails = ["zhkh@example.ru"]\n',
                      encoding="utf-8")
    done = run_deadline("triage", "2026-03-13T17:00+11:00", "--config", str(config))   # = 09:00 Moscow
    assert done.stdout == "2026-03-13T12:00:00+03:00\n", done.stderr


# «Контроль срока» (SPEC §4): triage from Thursday 09:00 is due at 12:00; a quarter is 45 min.
TRIAGE_START = at("2026-03-12 09:00")


@pytest.mark.parametrize("now, done_at, label", [
    ("2026-03-12 09:30", None, ON_TIME),
    ("2026-03-12 11:15", None, ON_TIME),         # exactly a quarter left is not yet «истекает»
    ("2026-03-12 11:16", None, EXPIRING),
    ("2026-03-12 11:59", None, EXPIRING),
    ("2026-03-12 12:00", None, OVERDUE),
    ("2026-03-20 12:00", None, OVERDUE),
    ("2026-03-20 12:00", "2026-03-12 11:59", DONE_ON_TIME),
    ("2026-03-20 12:00", "2026-03-12 12:00", DONE_ON_TIME),
    ("2026-03-20 12:00", "2026-03-12 12:01", DONE_LATE),
])
def test_control_labels_triage(now, done_at, label):
    done = at(done_at) if done_at else None
    assert control(CAL, "triage", TRIAGE_START, at(now), done) == label


@pytest.mark.parametrize("now, label", [
    ("2026-03-13 23:00", ON_TIME),       # 16 h of 24 left
    ("2026-03-14 12:00", ON_TIME),       # the weekend does not count: 15 h left
    ("2026-03-16 09:00", ON_TIME),       # 6 h left = a quarter exactly
    ("2026-03-16 10:00", EXPIRING),
    ("2026-03-16 15:00", OVERDUE),
])
def test_control_labels_answer_over_a_weekend(now, label):
    assert control(CAL, "answer", at("2026-03-13 15:00"), at(now)) == label


def test_control_expiring_across_lunch():
    # explain from Thursday 09:00: due Friday 13:00; a quarter is 3 working hours → from Friday 10:00
    start = at("2026-03-12 09:00")
    assert due(CAL, "explain", start) == at("2026-03-13 13:00")
    assert control(CAL, "explain", start, at("2026-03-12 17:30")) == ON_TIME
    assert control(CAL, "explain", start, at("2026-03-13 09:59")) == ON_TIME
    assert control(CAL, "explain", start, at("2026-03-13 10:01")) == EXPIRING
