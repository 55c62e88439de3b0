"""Reminders, escalations, the operator's digest and the deputy head's summary (п. 4.1, 4.2).

Everything is derived from the store at `now` and queued in the outbox under a deterministic key,
so a restart or a missed tick neither loses nor repeats a mail:

| mail     | to                | when (working day, working hours, local time)            | key                             |
|----------|-------------------|----------------------------------------------------------|---------------------------------|
| reminder | department        | less than a quarter of the time left (SPEC §4)           | {case}:reminder:{epoch}         |
| overdue  | department        | past the deadline; again each working day                | {case}:overdue:{epoch}:{date}   |
| overdue  | department head   | `escalate_after_days` working days past the deadline     | {case}:escalation:{epoch}       |
| digest   | operator          | once a working day, after `digest_time`                  | digest:{date}                   |
| summary  | deputy head       | first working day of the ISO week, after `digest_time`   | summary:{iso week}              |

Settings (optional, `[reminders]` in the config): `escalate_after_days = 2`, `digest_time = "09:30"`.
Outbox payloads are JSON: moments in a mail's context travel as ISO text (bridge/storage/outbox.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, Iterator

from bridge.config import Config
from bridge.core.deadlines import EXPIRING, OVERDUE, answer_control, control, deadline_of, due, rule_for
from bridge.core.figures import Figures, figures_by, overdue_by, posted_between
from bridge.core.model import Case, Status
from bridge.core.workflow import holder
from bridge.core.vocabulary import channel_label, control_label
from bridge.core.worktime import WorkCalendar, counted_between, working_days_meter
from bridge.steps.outgoing import queue_case_email
from bridge.steps.ports import Ports
from bridge.storage.outbox import encode_times, enqueue
from bridge.storage.store import Store
from mailer.compose import format_duration, general_message_id

ACTOR = "система"
UNASSIGNED = "Отдел не выбран"

# Alert kind (store.alert) → digest section; what is not listed goes to «publication_errors»,
# the digest's section for failures.
DIGEST_SECTIONS = {"bounce": "bounces", "unknown_sender": "unknown_senders"}


@dataclass(frozen=True)
class Settings:
    escalate_after_days: int = 2
    digest_time: time = time(9, 30)


def settings_of(config: Config) -> Settings:
    section = config.raw.get("reminders", {}) if isinstance(config.raw, dict) else {}
    days = section.get("escalate_after_days", 2)
    try:
        digest_time = time.fromisoformat(str(section.get("digest_time", "09:30")))
    except ValueError:
        digest_time = time(9, 30)
    return Settings(escalate_after_days=days if isinstance(days, int) and days > 0 else 2,
                    digest_time=digest_time)


# ---------------------------------------------------------------------------------- pure rules

def in_working_hours(calendar: WorkCalendar, now: datetime) -> bool:
    local = calendar.local(now)
    return any(start <= local.time() < end for start, end in calendar.working_intervals(local.date()))


@dataclass(frozen=True)
class CaseMail:
    template: str        # 'reminder' | 'overdue'
    key: str
    to_head: bool = False
    time_left: str = ""


def case_mails(case: Case, calendar: WorkCalendar, now: datetime, escalate_after_days: int) -> list[CaseMail]:
    """The mails a case with a department needs at `now` (п. 3.2, 4.1); pure."""
    if case.closed or case.handled_at is not None or case.status not in Status.WITH_DEPARTMENT:
        return []
    start = case.deadline_start or case.posted_at
    label = control(calendar, case.deadline_kind, start, now)
    due_at = due(calendar, case.deadline_kind, start)
    if label == EXPIRING:
        left = counted_between(calendar, rule_for(case.deadline_kind).meter, now, due_at)
        return [CaseMail("reminder", f"{case.id}:reminder:{case.epoch}", time_left=format_duration(left))]
    if label != OVERDUE:
        return []
    today = calendar.local(now).date().isoformat()
    mails = [CaseMail("overdue", f"{case.id}:overdue:{case.epoch}:{today}")]
    # «N working days overdue»: whole working days counted from the due moment (п. 4.1).
    if counted_between(calendar, working_days_meter, due_at, now) >= timedelta(days=escalate_after_days):
        mails.append(CaseMail("overdue", f"{case.id}:escalation:{case.epoch}", to_head=True))
    return mails


def first_reminder_moment(case: Case, calendar: WorkCalendar, since: datetime,
                          step: timedelta = timedelta(minutes=15)) -> datetime | None:
    """The first moment from `since` (in `step`s) at which the case gets its reminder before the
    term (п. 4.1); None when the term's last quarter falls outside working hours."""
    due_at, moment = deadline_of(case, calendar), since
    while moment < due_at:
        if in_working_hours(calendar, moment) and any(m.template == "reminder" for m in case_mails(case, calendar, moment, 1)):
            return moment
        moment += step
    return None


def is_first_working_day_of_week(calendar: WorkCalendar, day: date) -> bool:
    monday = day - timedelta(days=day.weekday())
    earlier = (monday + timedelta(days=n) for n in range(day.weekday()))
    return calendar.is_working_day(day) and not any(calendar.is_working_day(d) for d in earlier)


# ---------------------------------------------------------------------------------- queueing

def queue_reminders(store: Store, config: Config, ports: Ports, now: datetime) -> int:
    """Queue every reminder, digest and summary due at `now`; returns how many were queued."""
    calendar = config.calendar
    if not in_working_hours(calendar, now):
        return 0
    settings = settings_of(config)
    queued = 0
    for case in open_with_department(store):
        queued += _queue_case_mails(store, config, case, now, settings)
    local = calendar.local(now)
    if local.time() >= settings.digest_time:
        queued += _queue_digest(store, config, now)
        if is_first_working_day_of_week(calendar, local.date()):
            queued += _queue_summary(store, config, now)
    return queued


def open_with_department(store: Store) -> Iterator[Case]:
    """The open cases with a department, decoded a batch at a time: at 50,000 cases about 33,000
    are open with a department, and holding them all decoded cost ~100 MB a working-hours cycle
    (issue 14). Each batch is read whole before it is handed out, so the loop may write."""
    for batch in store.case_batches(store.ids_with_status(*Status.WITH_DEPARTMENT, open_only=True)):
        yield from batch


def _queue_case_mails(store: Store, config: Config, case: Case, now: datetime, settings: Settings) -> int:
    department = config.department(holder(case))   # the one that got the case, not a changed «Отдел»
    if department is None:
        return 0
    mails = [m for m in case_mails(case, config.calendar, now, settings.escalate_after_days)
             if not store.is_queued(m.key)]
    if not mails:
        return 0
    queued = 0
    with store.transaction():
        for mail in mails:
            to = list(department.head_emails if mail.to_head else department.emails)
            if not to:
                continue   # no head address configured: the department's own mails still go
            context = {"now": now, "escalation": mail.to_head}
            if mail.time_left:
                context["time_left"] = mail.time_left
            queued += queue_case_email(store, config, case, mail.key, mail.template, to,
                                       encode_times(context), now)
        if queued:
            store.save(case, ACTOR, "напоминание о сроке", at=now)
    return queued


def _general_payload(config: Config, template: str, to: Iterable[str], context: dict) -> dict:
    return {"template": template, "case_id": "", "to": list(to), "msgid": general_message_id(config.host),
            "in_reply_to": None, "references": [], "context": encode_times(context)}


def _queue_digest(store: Store, config: Config, now: datetime) -> int:
    key = f"digest:{config.calendar.local(now).date().isoformat()}"
    if not config.operator_emails or store.is_queued(key):
        return 0
    with store.transaction():
        alerts = store.unreported_alerts()
        context = digest_context(store, config, now, alerts)
        if not enqueue(store, key, "email", _general_payload(config, "digest", config.operator_emails, context),
                       "", now):
            return 0
        store.mark_alerts_reported([a["id"] for a in alerts], at=now)
    return 1


def digest_context(store: Store, config: Config, now: datetime, alerts: Iterable) -> dict:
    """What the operator's digest shows (templates/mail/digest.txt.j2)."""
    calendar = config.calendar
    context: dict[str, Any] = {"now": now, "near_triage": near_triage(store, calendar, now),
                               "overdue_departments": overdue_departments(store, config, now),
                               "awaiting_review": [], "bounces": [], "unknown_senders": [],
                               "publication_errors": [], "month": month_compliance(store, config, now)}
    for case in store.cases_with_status(Status.ANSWERED):
        department = config.department(case.department)
        when = f"{calendar.local(case.answered_at):%d.%m.%Y %H:%M}" if case.answered_at else ""
        context["awaiting_review"].append({"case_id": case.id, "label": f"ответ получен {when}".strip(),
                                           "department": department.name if department else UNASSIGNED})
    for alert in alerts:
        section = DIGEST_SECTIONS.get(alert["kind"], "publication_errors")
        context[section].append({"case_id": alert["case_id"], "label": alert["text"]})
    locked = store.get_value("ledger.locked_since")
    context["ledger_locked_since"] = locked or None
    return context


def overdue_departments(store: Store, config: Config, now: datetime) -> list[dict]:
    """Cases whose department's answer is past its term (п. 3.2, 4.1), oldest term first: the
    departments get their own reminders, the operator sees who is late (п. 4.2)."""
    calendar = config.calendar
    items = []
    for case in open_with_department(store):
        if answer_control(case, calendar, now) != OVERDUE:
            continue
        department = config.department(case.department)
        due_at = deadline_of(case, calendar)
        late = counted_between(calendar, rule_for(case.deadline_kind).meter, due_at, now)
        items.append({"case_id": case.id, "due": due_at,
                      "department": department.name if department else (case.department or UNASSIGNED),
                      "label": f"просрочено на {format_duration(late)}"})
    return sorted(items, key=lambda item: item["due"])


def month_compliance(store: Store, config: Config, now: datetime) -> dict:
    """This month's two compliances, kept apart: triage by the operator (п. 3.1) and answers by the
    departments (п. 3.2), as in «Сводка» and the monthly report (bridge/core/figures.py)."""
    calendar = config.calendar
    local = calendar.local(now).date()
    cases = posted_between(store.each_case(), calendar, local.replace(day=1), local)   # streamed: the month only in memory
    total = Figures()
    for figures in figures_by(cases, lambda c: "", calendar, now, store.returned_case_ids()).values():
        total.add(figures)
    return {"received": total.received, "triage_on_time": total.triage_on_time,
            "triage_done": total.triage_on_time + total.triage_late, "answer_on_time": total.on_time,
            "answer_done": total.on_time + total.late, "answer_overdue": total.overdue_open,
            "appeals": total.appeals}


def near_triage(store: Store, calendar: WorkCalendar, now: datetime) -> list[dict]:
    """New cases whose triage term (п. 3.1) ends before today's working day does, overdue included."""
    local = calendar.local(now)
    intervals = calendar.working_intervals(local.date())
    day_end = datetime.combine(local.date(), intervals[-1][1] if intervals else time(23, 59), calendar.tz)
    items = []
    for case in store.cases_with_status(Status.NEW, open_only=True):
        if case.handled_at is not None:
            continue
        start = case.deadline_start or case.posted_at
        due_at = due(calendar, case.deadline_kind, start)
        if due_at <= day_end:
            label = control_label(control(calendar, case.deadline_kind, start, now))
            items.append({"case_id": case.id, "due": due_at, "label": f"{channel_label(case.channel)}, {label}"})
    return items


def _queue_summary(store: Store, config: Config, now: datetime) -> int:
    local = config.calendar.local(now).date()
    year, week, _ = local.isocalendar()
    key = f"summary:{year}-W{week:02d}"
    if not config.deputy_head_emails or store.is_queued(key):
        return 0
    monday = local - timedelta(days=local.weekday())
    context = summary_context(store, config, now, monday - timedelta(days=7), monday - timedelta(days=1))
    with store.transaction():
        queued = enqueue(store, key, "email", _general_payload(config, "summary", config.deputy_head_emails,
                                                                 context), "", now)
    return int(queued)


def summary_context(store: Store, config: Config, now: datetime, first: date, last: date) -> dict:
    """Per-department figures for cases posted from `first` to `last` (п. 4.2; summary.txt.j2)."""
    calendar = config.calendar
    # Two streamed passes over the store, not every case decoded and held (issue 14).
    table = figures_by(posted_between(store.each_case(), calendar, first, last), lambda c: c.department, calendar,
                       now, store.returned_case_ids())
    overdue = overdue_by(store.each_case(), lambda c: c.department, calendar, now)
    configured = [d.code for d in config.departments]
    codes = configured + sorted((set(table) | set(overdue)) - set(configured))
    rows = []
    for code in codes:
        figures, late_now = table.get(code), overdue.get(code, 0)
        if figures is None and not late_now:
            continue
        department = config.department(code)
        rows.append({"department": department.name if department else (code or UNASSIGNED),
                     "received": figures.received if figures else 0,
                     "in_time": figures.on_time if figures else 0,
                     "late": figures.late if figures else 0,
                     "triage_in_time": figures.triage_on_time if figures else 0,    # п. 3.1, kept apart
                     "triage_late": figures.triage_late if figures else 0,
                     "returned": figures.returned if figures else 0,
                     "overdue_now": late_now})
    return {"now": now, "period_start": first, "period_end": last, "rows": rows}
