"""The Russian production calendar in the administration's time zone (SPEC §4).

Working and non-working days come from the `holidays` package (public holidays, transferred
days off, working weekend days) plus the config overrides for decrees the package does not know
yet. Short pre-holiday days are derived, not typed in: the working day right before a public
holiday ends one hour earlier (ТК РФ ст. 95), and a working Saturday that stands in for such a day
inherits the short day (as 2025-11-01 did for 2025-11-03).

Time is counted through `Meter`s: a meter lists the counted stretches of one local day. Working
hours (п. 3.1, 3.7) count the day's working intervals; working-day hours (п. 3.2, "выходные и
праздничные дни не учитываются") count a whole working calendar day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Callable, Iterable, Sequence
from zoneinfo import ZoneInfo

import holidays

from bridge.core.errors import OtklikError

# The holidays package marks transferred days off in their names («перенесено с 04.01.2025»)
# and observed holidays with «(observed)» / «выходной»; neither is a public holiday proper, so
# neither makes the day before it short.
_TRANSFER_SOURCE = re.compile(r"перенесено с (\d{2})\.(\d{2})\.(\d{4})")
_NOT_A_HOLIDAY_PROPER = ("перенесено", "выходной", "observed")

Interval = tuple[time, time]
DAY_END = time(23, 59, 59, 999999)

# The longest stretch without any working time a configuration may describe. The regulation's
# clock never stands still for years: more than this is a typo in [worktime] (a range of dates
# pasted twice, a year mistyped), and every deadline would silently land years ahead.
MAX_IDLE_DAYS = 731
# How far `add_counted` looks for working time before it gives up (a safety net: a valid
# configuration reaches any due moment long before).
_MAX_DAYS_AHEAD = 3660


class OutOfCalendar(OtklikError, ValueError):
    """A deadline cannot be counted: it runs past year 9999 (or before year 1), or the
    calendar has no working time for years. The message is for people (Russian); run.py prints
    it as one line wherever it surfaces (`deadline` names the start that caused it)."""


def parse_hours(spans: Sequence[str]) -> tuple[Interval, ...]:
    """Parse ["09:00-13:00", "14:00-18:00"] into ordered (start, end) pairs."""
    intervals = []
    for span in spans:
        try:
            start_text, end_text = span.split("-")
            start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
        except ValueError as exc:
            raise ValueError(f"неверный интервал рабочего времени «{span}» (нужно ЧЧ:ММ-ЧЧ:ММ)") from exc
        if end <= start:
            raise ValueError(f"интервал «{span}»: конец раньше начала")
        intervals.append((start, end))
    intervals.sort()
    for (_, end), (start, _) in zip(intervals, intervals[1:]):
        if start < end:
            raise ValueError("интервалы рабочего времени пересекаются")
    return tuple(intervals)


@dataclass(frozen=True)
class WorkCalendar:
    """Which local days are working days, which are short, and their working intervals."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Sakhalin"))
    hours: tuple[Interval, ...] = ((time(9), time(13)), (time(14), time(18)))
    extra_days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    short_days: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_days_off:
            return False
        if day in self.extra_working_days:
            return True
        return _official_working_day(day)

    def is_short_day(self, day: date) -> bool:
        if not self.is_working_day(day):
            return False
        return day in self.short_days or day in _derived_short_days(day.year)

    def working_intervals(self, day: date) -> tuple[Interval, ...]:
        """The day's working intervals; a short day ends one hour earlier."""
        if not self.is_working_day(day):
            return ()
        if not self.is_short_day(day):
            return self.hours
        return _shorten_by_an_hour(self.hours)

    def local(self, moment: datetime) -> datetime:
        """The moment in the configured zone (the holidays package reads dates naively)."""
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.tz)
        return moment.astimezone(self.tz)

    def working_days(self, year: int) -> list[date]:
        return [day for day in _days_of(year) if self.is_working_day(day)]


def _shorten_by_an_hour(hours: tuple[Interval, ...]) -> tuple[Interval, ...]:
    if not hours:
        return ()
    *head, (start, end) = hours
    # On an ordinary day: an interval ending before 01:00 would wrap past date.min.
    shortened = datetime.combine(date(2000, 1, 2), end) - timedelta(hours=1)
    if shortened.date() < date(2000, 1, 2) or shortened.time() <= start:
        return tuple(head)
    return (*head, (start, shortened.time()))


@lru_cache(maxsize=64)
def _ru_year(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("RU", years=year, language="ru")


def _official_working_day(day: date) -> bool:
    calendar = _ru_year(day.year)
    if day in calendar:
        return False
    if day in getattr(calendar, "weekend_workdays", ()):
        return True
    return day.weekday() < 5


def _is_public_holiday(day: date) -> bool:
    """A holiday proper (ТК РФ ст. 112), not a transferred or observed day off."""
    name = _ru_year(day.year).get(day)
    if not name:
        return False
    return not any(marker in name.lower() for marker in _NOT_A_HOLIDAY_PROPER)


@lru_cache(maxsize=64)
def _derived_short_days(year: int) -> frozenset[date]:
    short = set()
    for day in _days_of(year):
        if day < date.max and _official_working_day(day) and _is_public_holiday(day + timedelta(days=1)):
            short.add(day)
    # A working Saturday standing in for a day off that would have been short inherits it.
    for source, target in _transfers(year):
        if source in getattr(_ru_year(source.year), "weekend_workdays", ()):
            if _is_public_holiday(target + timedelta(days=1)):
                short.add(source)
    return frozenset(short)


def _days_of(year: int) -> Iterable[date]:
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        if day == date.max:
            return
        day += timedelta(days=1)


def _transfers(year: int) -> list[tuple[date, date]]:
    """(working weekend day, the day off it was moved to) pairs named in the calendar."""
    pairs = []
    for target, name in _ru_year(year).items():
        for found in _TRANSFER_SOURCE.finditer(name):
            dd, mm, yyyy = map(int, found.groups())
            pairs.append((date(yyyy, mm, dd), target))
    return pairs


# ---------------------------------------------------------------------------------------------
# Meters: what counts on a given local day.

Meter = Callable[[WorkCalendar, date], Sequence[Interval]]


def working_hours_meter(calendar: WorkCalendar, day: date) -> Sequence[Interval]:
    """п. 3.1, 3.7: «рабочие часы» — the day's working intervals."""
    return calendar.working_intervals(day)


def working_days_meter(calendar: WorkCalendar, day: date) -> Sequence[Interval]:
    """п. 3.2: 24 hours in which «выходные и праздничные дни не учитываются» — whole working days."""
    return ((time(0), DAY_END),) if calendar.is_working_day(day) else ()


def _stretches(calendar: WorkCalendar, meter: Meter, day: date) -> list[tuple[datetime, datetime]]:
    """The counted stretches of a local day as aware datetimes; 24:00 is the next midnight."""
    result = []
    for start, end in meter(calendar, day):
        start_dt = datetime.combine(day, start, calendar.tz)
        if end == DAY_END and day < date.max:
            end_dt = datetime.combine(day + timedelta(days=1), time(0), calendar.tz)
        elif end == DAY_END:    # 31.12.9999 has no next midnight; its last microsecond is lost
            end_dt = datetime.combine(day, DAY_END, calendar.tz)
        else:
            end_dt = datetime.combine(day, end, calendar.tz)
        result.append((start_dt, end_dt))
    return result


_BEYOND_CALENDAR = "срок выходит за пределы календаря (годы 0001–9999)"


@lru_cache(maxsize=8192)   # a ledger row asks for the same due moment several times
def add_counted(calendar: WorkCalendar, meter: Meter, start: datetime, length: timedelta) -> datetime:
    """The earliest instant at which the time counted from `start` reaches `length`.

    Raises OutOfCalendar when the due moment lies past 31.12.9999 or when no working time turns
    up within `_MAX_DAYS_AHEAD` days (a configuration that `bridge/config.py` refuses)."""
    try:
        return _add_counted(calendar, meter, start, length)
    except OverflowError:
        raise OutOfCalendar(_BEYOND_CALENDAR) from None


def _add_counted(calendar: WorkCalendar, meter: Meter, start: datetime, length: timedelta) -> datetime:
    moment = calendar.local(start)
    left = length
    day = moment.date()
    for _ in range(_MAX_DAYS_AHEAD):
        for span_start, span_end in _stretches(calendar, meter, day):
            begin = max(span_start, moment)
            if begin >= span_end:
                continue
            available = span_end - begin
            if left <= available:
                return (begin + left).astimezone(calendar.tz)
            left -= available
        day += timedelta(days=1)
    raise OutOfCalendar(f"за {_MAX_DAYS_AHEAD // 366} лет после {moment:%d.%m.%Y} не нашлось рабочего "
                        "времени: проверьте [worktime] в настройках")


def counted_between(calendar: WorkCalendar, meter: Meter, start: datetime, end: datetime) -> timedelta:
    """Counted time in [start, end); negative when end is before start."""
    try:
        start, end = calendar.local(start), calendar.local(end)
    except OverflowError:
        raise OutOfCalendar(_BEYOND_CALENDAR) from None
    if end < start:
        return -counted_between(calendar, meter, end, start)
    total = timedelta()
    day = start.date()
    while day <= end.date():
        for span_start, span_end in _stretches(calendar, meter, day):
            begin, finish = max(span_start, start), min(span_end, end)
            if finish > begin:
                total += finish - begin
        if day == date.max:
            break
        day += timedelta(days=1)
    return total


def longest_idle_run(calendar: WorkCalendar) -> tuple[date, date] | None:
    """The longest run of days without any working time that the config overrides take part in
    (`extra_days_off`, `short_days` that lose all their hours); None when there is none. The
    official calendar alone has no run longer than the New Year holidays."""
    longest, covered = None, None
    for day in sorted(calendar.extra_days_off | calendar.short_days):
        if (covered is not None and day <= covered) or calendar.working_intervals(day):
            continue
        first, last = day, day
        while first > date.min and not calendar.working_intervals(first - timedelta(days=1)):
            first -= timedelta(days=1)
        while last < date.max and not calendar.working_intervals(last + timedelta(days=1)):
            last += timedelta(days=1)
        covered = last
        if longest is None or (last - first) > (longest[1] - longest[0]):
            longest = (first, last)
    return longest
