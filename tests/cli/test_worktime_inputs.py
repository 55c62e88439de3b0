"""[worktime] values that TOML accepts but the calendar cannot use, and start moments at the edges
of the calendar: each is one clear Russian line and exit code 2, never a traceback and never a
silently wrong deadline (issue 10, «Inputs that pass validation but break later»)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.cli.test_commands import run

DEMO = Path(__file__).resolve().parents[2] / "bridge" / "demo_config.toml"


def write_config(folder: Path, worktime: str, extra: str = "", **general: str) -> str:
    """The demo configuration with its [worktime] section (and the [general] keys given) replaced,
    and `extra` sections at the end."""
    text = DEMO.read_text(encoding="utf-8") + "\n" + extra
    text = re.sub(r"\[worktime\].*?(?=\n\[\[departments\]\])", lambda _: "[worktime]\n" + worktime + "\n",
                  text, flags=re.S)
    for key, value in general.items():
        text = re.sub(rf"^{key} = .*$", lambda _: f"{key} = {value}", text, count=1, flags=re.M)
    (folder / "config.toml").write_text(text, encoding="utf-8")
    return "config.toml"


def one_clear_line(result, *fragments: str) -> None:
    """Exit code 2 and «Ошибка: …»: one line for one problem, or a numbered line per problem."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    head, *more = result.stderr.strip().splitlines()
    assert head.startswith("Ошибка: "), result.stderr
    assert not more or (f"найдено ошибок: {len(more)}" in head
                        and all(line.startswith(f"  {n}. ") for n, line in enumerate(more, start=1))), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def ten_years_off() -> str:
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range((date(2037, 1, 1) - date(2026, 1, 1)).days)]
    return "extra_days_off = [" + ", ".join(f'"{d.isoformat()}"' for d in days) + "]"


BAD_WORKTIME = {
    "empty hours": ('hours = []', "worktime.hours"),
    "hours not a list": ('hours = "09:00-18:00"', "worktime.hours"),
    "hours not text": ('hours = [9, 18]', "worktime.hours"),
    "hours backwards": ('hours = ["13:00-09:00"]', "конец раньше начала"),
    "hours overlap": ('hours = ["09:00-13:00", "12:00-18:00"]', "пересекаются"),
    "leap second": ('hours = ["09:00-23:59:60"]', "23:59:60"),
    "days off a number": ('extra_days_off = 5', "worktime.extra_days_off"),
    "days off a text": ('extra_days_off = "2026-12-31"', "worktime.extra_days_off"),
    "days off a date-time": ('extra_days_off = [2026-12-31T00:00:00]', "2026-12-31T00:00:00"),
    "days off with a zone": ('extra_days_off = [2026-12-31T00:00:00+11:00]', "2026-12-31T00:00:00+11:00"),
    "working day a time": ('extra_working_days = [10:00:00]', "worktime.extra_working_days"),
    "short day a number": ('short_days = [20261230]', "worktime.short_days"),
    "no such date": ('short_days = ["2026-02-30"]', "2026-02-30"),
    "ten years off": (ten_years_off(), "больше двух лет"),
    "short days that lose every hour for ten years": (
        'hours = ["09:00-09:30"]\n' + ten_years_off().replace("extra_days_off", "short_days"), "больше двух лет"),
}


@pytest.mark.parametrize("worktime, fragment", BAD_WORKTIME.values(), ids=BAD_WORKTIME.keys())
def test_check_config_names_the_bad_worktime_value(tmp_path, worktime, fragment):
    config = write_config(tmp_path, worktime)
    one_clear_line(run("check-config", "--config", config, cwd=tmp_path), fragment)


@pytest.mark.parametrize("worktime, fragment", [BAD_WORKTIME["empty hours"], BAD_WORKTIME["days off a number"],
                                                BAD_WORKTIME["ten years off"]],
                         ids=["empty hours", "days off a number", "ten years off"])
def test_once_refuses_to_run_a_cycle_on_a_bad_calendar(tmp_path, worktime, fragment):
    config = write_config(tmp_path, worktime)
    one_clear_line(run("once", "--config", config, cwd=tmp_path), fragment)


def test_every_calendar_problem_is_reported_in_one_pass(tmp_path):
    config = write_config(tmp_path, 'hours = []\nextra_days_off = 5\nshort_days = [2026-12-30T00:00:00]',
                          attachment_limit_mb="inf", ledger_lock_alert_minutes="nan")
    result = run("check-config", "--config", config, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    head, *lines = result.stderr.strip().splitlines()     # one numbered line per problem (issue 16)
    assert head.startswith("Ошибка: ") and "найдено ошибок: 5" in head, head
    for fragment in ("worktime.hours", "worktime.extra_days_off", "worktime.short_days",
                     "attachment_limit_mb", "ledger_lock_alert_minutes"):
        assert len([line for line in lines if fragment in line]) == 1, (fragment, lines)


def test_a_date_time_among_the_days_off_is_not_silently_ignored(tmp_path):
    # A decree makes Tuesday 29.12.2026 a day off. Typed as a TOML date-time it never matched a
    # day: the answer to a case routed on Monday 15:00 was due on 29.12 instead of 30.12.
    config = write_config(tmp_path, 'extra_days_off = [2026-12-29T00:00:00]')
    one_clear_line(run("deadline", "answer", "2026-12-28T15:00+11:00", "--config", config, cwd=tmp_path),
                   "дата со временем")
    fixed = write_config(tmp_path, 'extra_days_off = [2026-12-29]')
    result = run("deadline", "answer", "2026-12-28T15:00+11:00", "--config", fixed, cwd=tmp_path)
    assert result.stdout == "2026-12-30T15:00:00+11:00\n", result.stderr


def test_a_whole_year_of_days_off_is_counted_past_it(tmp_path):
    days = [date(2027, 1, 1) + timedelta(days=n) for n in range(365)]
    config = write_config(tmp_path, "extra_days_off = [" + ", ".join(f'"{d}"' for d in days) + "]")
    result = run("deadline", "triage", "2026-12-30T17:00+11:00", "--config", config, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # 30.12 17:00–18:00 counts one hour; 31.12.2026 and all of 2027 are off, then the New Year
    # holidays of 2028: the remaining two hours are on Monday 10.01.2028.
    assert result.stdout == "2028-01-10T11:00:00+11:00\n"


@pytest.mark.parametrize("start", ["9999-12-31T10:00+11:00", "9999-12-31", "9999-12-31T23:59:59.999999-12:00",
                                   "0001-01-01T00:00+11:00"])
def test_a_start_at_the_edge_of_the_calendar_is_a_clear_error(tmp_path, start):
    one_clear_line(run("deadline", "answer", start, cwd=tmp_path), start, "за пределы календаря")


def test_the_last_days_of_the_calendar_still_count(tmp_path):
    result = run("deadline", "answer", "9999-12-30T10:00+11:00", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "9999-12-31T10:00:00+11:00\n"), result.stderr


def test_a_leap_second_start_is_refused(tmp_path):
    one_clear_line(run("deadline", "triage", "2026-12-31T23:59:60+11:00", cwd=tmp_path), "23:59:60")


BAD_SCHEDULE = {
    "escalation overflows": ("[reminders]\nescalate_after_days = 100000000000", "reminders.escalate_after_days"),
    "escalation zero": ("[reminders]\nescalate_after_days = 0", "reminders.escalate_after_days"),
    "digest time a number": ("[reminders]\ndigest_time = 930", "reminders.digest_time"),
    "digest time 25:00": ('[reminders]\ndigest_time = "25:00"', "reminders.digest_time"),
    "report minimum text": ('[report]\nmin_messages = "пять"', "report.min_messages"),
}


@pytest.mark.parametrize("extra, fragment", BAD_SCHEDULE.values(), ids=BAD_SCHEDULE.keys())
def test_reminder_and_report_numbers_are_checked_not_quietly_replaced(tmp_path, extra, fragment):
    config = write_config(tmp_path, 'hours = ["09:00-13:00", "14:00-18:00"]', extra=extra)
    one_clear_line(run("check-config", "--config", config, cwd=tmp_path), fragment)


def test_huge_limits_are_refused(tmp_path):
    config = write_config(tmp_path, 'hours = ["09:00-18:00"]', ledger_lock_alert_minutes="1e300",
                          attachment_limit_mb="99999999999999999")
    one_clear_line(run("check-config", "--config", config, cwd=tmp_path), "ledger_lock_alert_minutes",
                   "attachment_limit_mb")


@pytest.mark.parametrize("text, fragment", [
    ('departments = [1]\n', "departments №1"),
    ('external_bodies = ["x"]\n[[departments]]\ncode = "zhkh"\nemails = ["zhkh@adm-okha.ru"]\n', "external_bodies"),
    ('[general]\noperator_emails = 5\n[[departments]]\ncode = "zhkh"\nemails = ["zhkh@adm-okha.ru"]\n',
     "operator_emails"),
], ids=["department not a table", "body not a table", "addresses a number"])
def test_lists_of_the_wrong_shape_are_one_clear_line(tmp_path, text, fragment):
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    one_clear_line(run("check-config", "--config", "config.toml", cwd=tmp_path), fragment)
