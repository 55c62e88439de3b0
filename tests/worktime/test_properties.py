"""Properties of counted time (hypothesis): monotonic, never lands in non-working time, additive."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st

from bridge.core.deadlines import RULES, due
from bridge.core.worktime import (WorkCalendar, add_counted, counted_between, working_days_meter,
                             working_hours_meter)

CAL = WorkCalendar()
MOSCOW = WorkCalendar(tz=ZoneInfo("Europe/Moscow"))

# Any minute of 2025–2027 (the calendar years the holidays package knows well), as UTC.
moments = st.integers(min_value=0, max_value=3 * 366 * 24 * 60).map(
    lambda minutes: datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=minutes))
kinds = st.sampled_from(sorted(RULES))
meters = st.sampled_from([working_hours_meter, working_days_meter])
# Positive lengths: every rule has one. (A zero length from the very end of a working interval gives
# the next interval's start rather than that end, so 0 is no identity element; no deadline uses 0.)
lengths = st.integers(min_value=1, max_value=60 * 60).map(lambda minutes: timedelta(minutes=minutes))
calendars = st.sampled_from([CAL, MOSCOW])

SETTINGS = settings(max_examples=150, deadline=None, database=None)


@SETTINGS
@given(kinds, moments, moments, calendars)
def test_due_is_monotonic_in_start(kind, a, b, cal):
    early, late = min(a, b), max(a, b)
    assert due(cal, kind, early) <= due(cal, kind, late)


def _inside_counted_time(cal: WorkCalendar, kind: str, moment: datetime) -> bool:
    """The due moment is inside a counted stretch or exactly at its end (never before its start)."""
    local = cal.local(moment)
    if RULES[kind].meter is working_days_meter:
        # the instant just before it belongs to a working day (midnight ends the previous day)
        return cal.is_working_day((local - timedelta(microseconds=1)).date())
    return any(start < local.time() <= end for start, end in cal.working_intervals(local.date()))


@SETTINGS
@given(kinds, moments, calendars)
def test_due_never_falls_in_non_working_time(kind, start, cal):
    found = due(cal, kind, start)
    assert found > start
    assert found.tzinfo is not None and found.utcoffset() == cal.local(found).utcoffset()
    assert _inside_counted_time(cal, kind, found)


@SETTINGS
@given(kinds, moments, calendars)
def test_counted_time_up_to_due_is_exactly_the_length(kind, start, cal):
    rule = RULES[kind]
    found = due(cal, kind, start)
    assert counted_between(cal, rule.meter, start, found) == rule.length
    # and it is the earliest such instant: a minute earlier is not enough
    assert counted_between(cal, rule.meter, start, found - timedelta(minutes=1)) < rule.length


@SETTINGS
@given(meters, moments, lengths, lengths, calendars)
def test_adding_a_then_b_equals_adding_a_plus_b(meter, start, a, b, cal):
    stepwise = add_counted(cal, meter, add_counted(cal, meter, start, a), b)
    assert stepwise == add_counted(cal, meter, start, a + b)


@SETTINGS
@given(meters, moments, lengths, calendars)
def test_adding_is_monotonic_in_length(meter, start, a, cal):
    assert add_counted(cal, meter, start, a) <= add_counted(cal, meter, start, a + timedelta(minutes=1))
