"""Per-group figures (п. 4.2): the one calculation behind the ledger's «Сводка», the monthly
report and the deputy head's weekly summary.

Pure: cases, the calendar, `now` and the ids of cases ever returned for rework in; figures out.
A case counts in the period it was posted (local time).

Two compliances are kept apart (bridge/core/deadlines.py): the operator's triage (п. 3.1, three
working hours from posting to the first decision) and the department's answer (п. 3.2, or п. 3.7
for an explanation it was asked for). A case moved to an official appeal (п. 3.8) is counted in
`appeals` and in neither «в срок» nor «с нарушением»: 59-ФЗ's terms are not the department's 24 hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median
from typing import Callable, Iterable, Iterator

from bridge.core.deadlines import (APPEAL_STATUSES, DONE_LATE, DONE_ON_TIME, OVERDUE, answer_control,
                                   triage_control, worked_hours)
from bridge.core.model import Case
from bridge.core.worktime import WorkCalendar


@dataclass
class Figures:
    received: int = 0
    on_time: int = 0                # the department answered in time (п. 3.2 / 3.7)
    late: int = 0                   # … after its term
    open: int = 0                   # not finished: awaiting triage, or the department's answer
    overdue_open: int = 0           # the department's answer is past its term and still missing
    triage_on_time: int = 0         # the operator's first decision within п. 3.1's term
    triage_late: int = 0            # … after it
    appeals: int = 0                # moved to an official appeal (п. 3.8)
    returned: int = 0               # ever sent back for rework (п. 3.3)
    answer_hours: list[float] = field(default_factory=list)   # routed → answered, working hours

    @property
    def share_on_time(self) -> float | None:
        done = self.on_time + self.late
        return self.on_time / done if done else None

    @property
    def triage_share_on_time(self) -> float | None:
        done = self.triage_on_time + self.triage_late
        return self.triage_on_time / done if done else None

    @property
    def median_hours(self) -> float | None:
        return median(self.answer_hours) if self.answer_hours else None

    def add(self, other: "Figures") -> None:
        self.received += other.received
        self.on_time += other.on_time
        self.late += other.late
        self.open += other.open
        self.overdue_open += other.overdue_open
        self.triage_on_time += other.triage_on_time
        self.triage_late += other.triage_late
        self.appeals += other.appeals
        self.returned += other.returned
        self.answer_hours += other.answer_hours


def figures_by(cases: Iterable[Case], key: Callable[[Case], str], calendar: WorkCalendar, now: datetime,
               returned: set[str]) -> dict[str, Figures]:
    table: dict[str, Figures] = {}
    for case in cases:
        count(table.setdefault(key(case), Figures()), case_tally(case, calendar, now), case.id in returned)
    return table


def case_tally(case: Case, calendar: WorkCalendar, now: datetime, control_now: str | None = None) -> tuple:
    """What a case adds to its group's figures: its triage and answer compliance codes, whether
    it went to an official appeal, whether it is closed, the working hours to its answer.
    `control_now`: its «Контроль срока» code when already computed (the ledger's rows)."""
    hours = worked_hours(calendar, case.routed_at, case.answered_at) if case.answered_at and case.routed_at else None
    return (triage_control(case, calendar, now), answer_control(case, calendar, now, control_now),
            case.status in APPEAL_STATUSES, case.closed, hours)


def count(figures: Figures, tally: tuple, returned: bool) -> None:
    """Count one case (its `case_tally`) in its group."""
    triage, answer, appeal, closed, hours = tally
    figures.received += 1
    figures.returned += returned
    _count_triage(figures, triage)
    _count_answer(figures, answer, appeal, closed)
    if hours is not None:
        figures.answer_hours.append(hours)


def _count_triage(figures: Figures, label: str) -> None:
    figures.triage_on_time += label == DONE_ON_TIME
    figures.triage_late += label == DONE_LATE


def _count_answer(figures: Figures, label: str | None, appeal: bool, closed: bool) -> None:
    if label == DONE_ON_TIME:
        figures.on_time += 1
    elif label == DONE_LATE:
        figures.late += 1
    elif label is not None:
        figures.open += 1
        figures.overdue_open += label == OVERDUE
    elif appeal:
        figures.appeals += 1
    elif not closed:
        figures.open += 1        # with the operator: awaiting triage or review of a template


def posted_between(cases: Iterable[Case], calendar: WorkCalendar, first: date, last: date) -> Iterator[Case]:
    """The cases posted from `first` to `last` inclusive, local dates; lazy, so cases streamed
    from the store are never all in memory at once."""
    return (c for c in cases if first <= calendar.local(c.posted_at).date() <= last)


def overdue_by(cases: Iterable[Case], key: Callable[[Case], str], calendar: WorkCalendar,
               now: datetime) -> dict[str, int]:
    """Cases whose department's answer is past its term at `now` and still missing, per group
    (whenever they were posted)."""
    counts: dict[str, int] = {}
    for case in cases:
        if answer_control(case, calendar, now) == OVERDUE:
            counts[key(case)] = counts.get(key(case), 0) + 1
    return counts
