"""The 2026 Russian production calendar and the config overrides (SPEC §4)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

import bridge.config
from bridge.core.errors import ConfigError
from bridge.core.worktime import WorkCalendar

CAL = WorkCalendar()

# Days off of 2026 that fall Monday–Sunday beyond the ordinary weekends, as ranges (inclusive).
OFF_2026 = [
    (date(2026, 1, 1), date(2026, 1, 11)), (date(2026, 2, 21), date(2026, 2, 23)),
    (date(2026, 3, 7), date(2026, 3, 9)), (date(2026, 5, 1), date(2026, 5, 3)),
    (date(2026, 5, 9), date(2026, 5, 11)), (date(2026, 6, 12), date(2026, 6, 14)),
    (date(2026, 11, 4), date(2026, 11, 4)), (date(2026, 12, 31), date(2026, 12, 31)),
]
SHORT_2026 = {date(2026, 4, 30), date(2026, 5, 8), date(2026, 6, 11), date(2026, 11, 3)}
FULL_DAY = ((time(9), time(13)), (time(14), time(18)))
SHORT_DAY = ((time(9), time(13)), (time(14), time(17)))


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _expected_working(day: date) -> bool:
    if any(first <= day <= last for first, last in OFF_2026):
        return False
    return day.weekday() < 5


def test_2026_has_247_working_days():
    assert len(CAL.working_days(2026)) == 247


def test_2026_every_day_matches_the_production_calendar():
    wrong = [d for d in _days(date(2026, 1, 1), date(2026, 12, 31))
             if CAL.is_working_day(d) != _expected_working(d)]
    assert wrong == []


def test_2026_short_days_are_exactly_the_pre_holiday_days():
    short = {d for d in _days(date(2026, 1, 1), date(2026, 12, 31)) if CAL.is_short_day(d)}
    assert short == SHORT_2026


@pytest.mark.parametrize("day", sorted(SHORT_2026))
def test_short_day_ends_at_17(day):
    assert CAL.working_intervals(day) == SHORT_DAY


def test_ordinary_and_off_days_intervals():
    assert CAL.working_intervals(date(2026, 3, 12)) == FULL_DAY
    assert CAL.working_intervals(date(2026, 3, 14)) == ()      # Saturday
    assert CAL.working_intervals(date(2026, 1, 5)) == ()       # New Year holidays


def test_2025_11_01_working_saturday_inherits_the_short_day():
    assert CAL.is_working_day(date(2025, 11, 1))
    assert CAL.is_short_day(date(2025, 11, 1))
    assert CAL.working_intervals(date(2025, 11, 1)) == SHORT_DAY
    assert not CAL.is_working_day(date(2025, 11, 3))
    assert not CAL.is_working_day(date(2025, 11, 4))


CONFIG_TEMPLATE = """
[general]
timezone = "Asia/Sakhalin"
[worktime]
hours = ["09:00-13:00", "14:00-18:00"]
{worktime}
[[departments]]
code = "zhkh"
name = "Отдел ЖКХ"
emails = ["zhkh@example.ru"]
"""


def _calendar(worktime: str) -> WorkCalendar:
    text = CONFIG_TEMPLATE.format(worktime=worktime)
    return bridge.config.parse(text, source=None, base_dir=bridge.config.DEMO_CONFIG.parent).calendar


def test_config_overrides_change_the_calendar():
    cal = _calendar('extra_days_off = ["2026-03-12"]\n'
                    'extra_working_days = ["2026-03-14"]\n'
                    'short_days = ["2026-03-16"]')
    assert not cal.is_working_day(date(2026, 3, 12))        # a Thursday made a day off
    assert cal.is_working_day(date(2026, 3, 14))            # a Saturday made working
    assert cal.working_intervals(date(2026, 3, 14)) == FULL_DAY
    assert cal.is_short_day(date(2026, 3, 16))
    assert cal.working_intervals(date(2026, 3, 16)) == SHORT_DAY
    assert cal.working_intervals(date(2026, 3, 13)) == FULL_DAY   # neighbours untouched
    assert len(cal.working_days(2026)) == 247


def test_an_extra_day_off_on_a_short_day_is_off_not_short():
    cal = _calendar('extra_days_off = ["2026-04-30"]')
    assert not cal.is_working_day(date(2026, 4, 30))
    assert cal.working_intervals(date(2026, 4, 30)) == ()


def test_other_working_hours_from_config():
    cal = _calendar("")
    assert cal.hours == FULL_DAY
    text = CONFIG_TEMPLATE.format(worktime="").replace('"09:00-13:00", "14:00-18:00"', '"08:30-12:30", "13:30-17:30"')
    cal = bridge.config.parse(text, source=None, base_dir=bridge.config.DEMO_CONFIG.parent).calendar
    assert cal.working_intervals(date(2026, 4, 30)) == ((time(8, 30), time(12, 30)), (time(13, 30), time(16, 30)))


@pytest.mark.parametrize("worktime", ['extra_days_off = ["31.12.2026"]', 'hours = ["18:00-09:00"]'])
def test_bad_worktime_config_is_a_clear_error(worktime):
    text = CONFIG_TEMPLATE.format(worktime="").replace('hours = ["09:00-13:00", "14:00-18:00"]', worktime)
    with pytest.raises(ConfigError) as caught:
        bridge.config.parse(text, source=None, base_dir=bridge.config.DEMO_CONFIG.parent)
    assert "worktime" in str(caught.value)
