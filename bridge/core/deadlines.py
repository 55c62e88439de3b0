"""The regulation's three deadlines and the «Контроль срока» of a case (SPEC §4); pure.

| kind      | point  | starts at                   | length                                   |
|-----------|--------|-----------------------------|------------------------------------------|
| `triage`  | п. 3.1 | posting time                | 3 working hours                          |
| `answer`  | п. 3.2 | sending to the department   | 24 hours of working days (whole days)    |
| `explain` | п. 3.7 | posting time                | 12 working hours                         |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from typing import TYPE_CHECKING

from bridge.core.worktime import Meter, WorkCalendar, add_counted, counted_between
from bridge.core.worktime import working_days_meter, working_hours_meter

if TYPE_CHECKING:
    from bridge.core.model import Case


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

# «Контроль срока» (SPEC §4) as codes; the ledger's words are in vocabulary.CONTROL_LABELS.
ON_TIME = "on_time"
EXPIRING = "expiring"
OVERDUE = "overdue"
DONE_ON_TIME = "done_on_time"
DONE_LATE = "done_late"
CONTROLS = (ON_TIME, EXPIRING, OVERDUE, DONE_ON_TIME, DONE_LATE)


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


# -- a case's deadline ------------------------------------------------------------------------

def deadline_of(case: "Case", calendar: WorkCalendar) -> datetime:
    """«Срок»: when the case's current deadline (triage, answer or explanation) is due."""
    return due(calendar, case.deadline_kind, case.deadline_start or case.posted_at)


def control_of(case: "Case", calendar: WorkCalendar, now: datetime) -> str:
    """«Контроль срока» of a case at `now` (a code of CONTROLS)."""
    start = case.deadline_start or case.posted_at
    return control(calendar, case.deadline_kind, start, now, case.handled_at)


# -- the two compliances of a case (п. 3.1 and п. 3.2 are kept apart) --------------------------

# A case moved to an official appeal (п. 3.8) leaves this regulation for 59-ФЗ's own terms: the
# department's answer term no longer applies to it, so it is counted neither in time nor late.
APPEAL_STATUSES = ("awaiting_consent", "appeal")


def triage_done_at(case: "Case") -> datetime | None:
    """When the operator met п. 3.1: the first decision on the case. Cases stored before
    `triaged_at` existed fall back to the first routing, or to the triage term met as such."""
    if case.triaged_at is not None:
        return case.triaged_at
    if case.routed_at is not None:
        return case.routed_at
    return case.handled_at if case.deadline_kind == "triage" else None


def triage_control(case: "Case", calendar: WorkCalendar, now: datetime) -> str:
    """The operator's compliance with п. 3.1 (3 working hours from posting): never overwritten by
    the routing that ended it."""
    done_at = triage_done_at(case)
    if done_at is None and case.closed:
        done_at = case.closed_at
    return control(calendar, "triage", case.posted_at, now, done_at)


def answer_control(case: "Case", calendar: WorkCalendar, now: datetime) -> str | None:
    """The department's compliance with its term (п. 3.2, or п. 3.7 for an explanation it was
    asked for); None when no department term applies: never routed, closed by the operator
    alone, or moved to an official appeal (п. 3.8) before the department answered."""
    if case.deadline_kind not in ("answer", "explain") or case.routed_at is None:
        return None
    if case.status in APPEAL_STATUSES and case.answered_at is None:
        return None
    if case.closed and case.handled_at is None:   # closed by the operator with no answer to count
        return None
    return control_of(case, calendar, now)


def next_flip(case: "Case", calendar: WorkCalendar, now: datetime) -> datetime | None:
    """When this case's «Контроль срока» changes next without anything happening."""
    if case.handled_at is not None or case.closed:
        return None
    rule = rule_for(case.deadline_kind)
    start = case.deadline_start or case.posted_at
    expiring_at = add_counted(calendar, rule.meter, start, rule.length * 3 / 4)
    due_at = add_counted(calendar, rule.meter, start, rule.length)
    return next((moment for moment in (expiring_at, due_at) if moment > now), None)


# -- a server clock that jumped ---------------------------------------------------------------

# Clocks of our server and of the networks may disagree by seconds; more than this is a clock
# that was set wrong (a year ahead, say) and wrote its moments into the store.
CLOCK_TOLERANCE = timedelta(minutes=10)
CASE_MOMENTS = ("posted_at", "deadline_start", "triaged_at", "routed_at", "answered_at", "handled_at",
                "closed_at")


def moments_ahead(case: "Case", now: datetime, tolerance: timedelta = CLOCK_TOLERANCE) -> tuple[str, ...]:
    """The case's moments that lie after `now` by more than `tolerance`. None of them can be in
    the future; left as they are, «Срок» and «Контроль срока» would stay a year ahead for good."""
    return tuple(name for name in CASE_MOMENTS
                 if (value := getattr(case, name)) is not None and value.tzinfo is not None
                 and value > now + tolerance)


def clock_went_back(last_cycle: datetime | None, now: datetime, tolerance: timedelta = CLOCK_TOLERANCE) -> bool:
    """This cycle runs earlier than the previous one did: the server clock was set back."""
    return last_cycle is not None and now < last_cycle - tolerance
