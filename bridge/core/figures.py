"""Per-group figures (п. 4.2): the one calculation behind the ledger's «Сводка», the monthly
report and the deputy head's weekly summary.

Pure: cases, the calendar, `now` and the ids of cases ever returned for rework in; figures out.
A case counts in the period it was posted (local time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median
from typing import Callable, Iterable, Sequence

from bridge.core.deadlines import DONE_LATE, DONE_ON_TIME, OVERDUE, control_of, worked_hours
from bridge.core.model import Case
from bridge.core.worktime import WorkCalendar


@dataclass
class Figures:
    received: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    overdue_open: int = 0           # open and already past the deadline
    returned: int = 0               # ever sent back for rework (п. 3.3)
    answer_hours: list[float] = field(default_factory=list)   # routed → answered, working hours

    @property
    def share_on_time(self) -> float | None:
        done = self.on_time + self.late
        return self.on_time / done if done else None

    @property
    def median_hours(self) -> float | None:
        return median(self.answer_hours) if self.answer_hours else None

    def add(self, other: "Figures") -> None:
        self.received += other.received
        self.on_time += other.on_time
        self.late += other.late
        self.open += other.open
        self.overdue_open += other.overdue_open
        self.returned += other.returned
        self.answer_hours += other.answer_hours


def figures_by(cases: Iterable[Case], key: Callable[[Case], str], calendar: WorkCalendar, now: datetime,
               returned: set[str]) -> dict[str, Figures]:
    table: dict[str, Figures] = {}
    for case in cases:
        count(table.setdefault(key(case), Figures()), control_of(case, calendar, now), case.id in returned,
              answer_hours(case, calendar))
    return table


def answer_hours(case: Case, calendar: WorkCalendar) -> float | None:
    """Working hours from sending to the department to its answer, when both happened."""
    return worked_hours(calendar, case.routed_at, case.answered_at) if case.answered_at and case.routed_at else None


def count(figures: Figures, label: str, returned: bool, hours: float | None) -> None:
    """Count one case of the group: its «Контроль срока» code, whether it was ever returned."""
    figures.received += 1
    figures.returned += returned
    if label == DONE_ON_TIME:
        figures.on_time += 1
    elif label == DONE_LATE:
        figures.late += 1
    else:
        figures.open += 1
        figures.overdue_open += label == OVERDUE
    if hours is not None:
        figures.answer_hours.append(hours)


def posted_between(cases: Iterable[Case], calendar: WorkCalendar, first: date, last: date) -> list[Case]:
    """The cases posted from `first` to `last` inclusive, local dates."""
    return [c for c in cases if first <= calendar.local(c.posted_at).date() <= last]


def overdue_by(cases: Sequence[Case], key: Callable[[Case], str], calendar: WorkCalendar,
               now: datetime) -> dict[str, int]:
    """Open cases past their deadline at `now`, per group (whenever they were posted)."""
    counts: dict[str, int] = {}
    for case in cases:
        if not case.closed and control_of(case, calendar, now) == OVERDUE:
            counts[key(case)] = counts.get(key(case), 0) + 1
    return counts
