"""The regulation's three deadlines and the «Контроль срока» of a case (SPEC §4).

| kind      | point  | starts at                   | length                                   |
|-----------|--------|-----------------------------|------------------------------------------|
| `triage`  | п. 3.1 | posting time                | 3 working hours                          |
| `answer`  | п. 3.2 | sending to the department   | 24 hours of working days (whole days)    |
| `explain` | п. 3.7 | posting time                | 12 working hours                         |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bridge.worktime import Meter, WorkCalendar, add_counted, counted_between
from bridge.worktime import working_days_meter, working_hours_meter


@dataclass(frozen=True)
class DeadlineRule:
    kind: str
    point: str
    length: timedelta
    meter: Meter


RULES = {
    rule.kind: rule
    for rule in (
        DeadlineRule("triage", "3.1", timedelta(hours=3), working_hours_meter),
        DeadlineRule("answer", "3.2", timedelta(hours=24), working_days_meter),
        DeadlineRule("explain", "3.7", timedelta(hours=12), working_hours_meter),
    )
}

# «Контроль срока» labels (SPEC §4), kept in one place.
ON_TIME = "в срок"
EXPIRING = "истекает"
OVERDUE = "просрочено"
DONE_ON_TIME = "выполнено в срок"
DONE_LATE = "выполнено с нарушением срока"
CONTROL_LABELS = (ON_TIME, EXPIRING, OVERDUE, DONE_ON_TIME, DONE_LATE)


def rule_for(kind: str) -> DeadlineRule:
    try:
        return RULES[kind]
    except KeyError:
        raise ValueError(f"неизвестный вид срока «{kind}»; возможны: {', '.join(RULES)}") from None


def due(calendar: WorkCalendar, kind: str, start: datetime) -> datetime:
    """The due moment of a deadline of `kind` started at `start`, in the calendar's zone."""
    rule = rule_for(kind)
    return add_counted(calendar, rule.meter, start, rule.length)


def control(calendar: WorkCalendar, kind: str, start: datetime, now: datetime,
            done_at: datetime | None = None) -> str:
    """«Контроль срока»: «истекает» when less than a quarter of the allowed time is left."""
    rule = rule_for(kind)
    due_at = add_counted(calendar, rule.meter, start, rule.length)
    if done_at is not None:
        return DONE_ON_TIME if done_at <= due_at else DONE_LATE
    if now >= due_at:
        return OVERDUE
    left = counted_between(calendar, rule.meter, now, due_at)
    return EXPIRING if left < rule.length / 4 else ON_TIME


def worked_hours(calendar: WorkCalendar, start: datetime, end: datetime) -> float:
    """Working hours between two moments (for reports: answer times in working hours)."""
    return counted_between(calendar, working_hours_meter, start, end).total_seconds() / 3600
