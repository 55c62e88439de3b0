"""One cycle of the bridge (issue 2): read the operator's decisions from the ledger → apply them →
run the outbox → take in new messages and replies → write the ledger.

Every step works item by item and survives the failure of another: a locked workbook defers the
ledger steps while mail and channels go on; a network that is down delays its own items only.
"""

from __future__ import annotations

import logging

from xlsxwriter.exceptions import XlsxWriterException
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bridge.app import App
from bridge.errors import DeliveryError
from bridge.intake import case_from_row, open_case, take_items
from bridge.operator import apply_changes, manual_key
from bridge.reminders import queue_reminders
from bridge.store import utcnow
from bridge import effects
from ledger.render import RenderContext, next_flip, render_row
from ledger.columns import OPERATOR_KEYS
from ledger.render import normalize
from ledger.service import render_all
from ledger.sync import Edit, Reconciliation

log = logging.getLogger("otklik.cycle")


@dataclass
class CycleReport:
    decisions_read: int = 0
    new_cases: int = 0
    replies: int = 0
    sent: int = 0
    ledger: str = ""                 # 'записан' | 'без изменений' | 'занят' …
    problems: list[str] = field(default_factory=list)


def run_cycle(app: App, now: datetime | None = None) -> CycleReport:
    now = now or utcnow()
    report = CycleReport()
    read, cases = None, None
    app.store.touched.clear()
    if app.ledger.path.exists() and not app.ledger.untouched_since_write():
        # Only a workbook someone saved needs reading, and only then the cases for comparing.
        cases = {c.id: c for c in app.store.all_cases()}
        read = _read_ledger(app, cases, render_context(app, now), now, report)
    _step(report, "напоминания", lambda: queue_reminders(app, now))   # п. 4.1, 4.2
    report.sent = _step(report, "отправка", lambda: app.outbox.run(now))
    report.new_cases += _step(report, "соцсети", lambda: app.take_channels(now))
    report.replies = _step(report, "почта", lambda: app.take_mail(now))
    _step(report, "сайт", lambda: app.refresh_site(now))
    _write_ledger(app, now, bool(read and read.needs_rewrite), report, cases)
    return report


def _step(report: CycleReport, name: str, action) -> int:
    try:
        return action() or 0
    except DeliveryError as exc:
        report.problems.append(f"{name}: {exc}")
        log.warning("%s: %s", name, exc)
    except Exception:
        report.problems.append(f"{name}: внутренняя ошибка (см. журнал работы)")
        log.exception("step %s failed", name)
    return 0


def render_context(app: App, now: datetime) -> RenderContext:
    names = {d.code: d.name for d in app.config.departments}
    return RenderContext(app.config.calendar, now, lambda code: names.get(code, code))


def _read_ledger(app: App, cases, ctx, now, report):
    """The operator's work applied; returns what the read found (its `needs_rewrite`)."""
    result = app.ledger.read(cases, lambda case: render_row(case, ctx), now)
    changes = result.changes
    if changes is None:
        return result
    report.decisions_read = sum(1 for e in changes.edits if e.key == "decision")

    def emit(case, effect):
        effects.emit(app.store, app.config, case, effect, now)

    def new_case(row, actor):
        case = case_from_row(row, app.config.tz, now, manual_key(row))
        made = open_case(app.store, app.config.case_prefix, case, actor, app.hint_text, now)
        if made is None:
            return
        report.new_cases += 1
        # The operator may have filled «Отдел», a decision, a comment on the new row already.
        typed = [Edit(made.id, key, normalize(row.get(key))) for key in OPERATOR_KEYS if normalize(row.get(key))]
        if typed:
            apply_changes(app.store, app.config, Reconciliation(edits=typed), result.modified_by, now,
                          app.decision_context(now), emit, new_case)

    apply_changes(app.store, app.config, changes, result.modified_by, now, app.decision_context(now),
                  emit, new_case)
    return result


def _write_ledger(app: App, now: datetime, force: bool, report: CycleReport, known: dict | None) -> None:
    month = f"{app.config.calendar.local(now):%Y-%m}"
    if not app.ledger.needs_write(now, force, extra=month):
        report.ledger = "без изменений"
        _clear_lock_alarm(app)
        return
    cases = _current_cases(app, known)
    ctx = render_context(app, now)
    rows = render_all(cases, ctx)
    flips = [f for f in (next_flip(c, app.config.calendar, now) for c in cases) if f]
    try:
        outcome = app.ledger.write(rows, app.summary(cases, now), now, min(flips, default=None), extra=month)
    except (OSError, XlsxWriterException) as exc:   # disk full, read-only folder, file held open
        _write_failed(app, now, report, exc)
        return
    report.ledger = _LEDGER_OUTCOMES[outcome]
    if outcome == "locked":
        _lock_alarm(app, now)
    else:
        _clear_lock_alarm(app)


_LEDGER_OUTCOMES = {
    "written": "записан",
    "locked": "занят (открыт в Excel или LibreOffice): запись отложена",
    "changed": "сохранён оператором во время цикла: будет прочитан и записан в следующем цикле",
}


def _write_failed(app: App, now: datetime, report: CycleReport, exc: Exception) -> None:
    """The old ledger stays as it was and the store loses nothing; a person must free the disk."""
    why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    report.ledger = f"не записан: {why}"
    report.problems.append(f"журнал: не записан ({why})")
    log.error("ledger write failed: %s", why)
    with app.store.transaction():
        app.store.alert("ledger", f"Журнал не удаётся записать ({why}): проверьте место на диске и права "
                        f"на папку «{app.config.ledger.parent}». Данные в базе сохранены.",
                        key=f"write-failed:{now:%Y-%m-%d %H}", at=now)


def _current_cases(app: App, known: dict | None) -> list:
    """All cases: those read at the start of the cycle, refreshed where this cycle changed them."""
    if known is None:
        return app.store.all_cases()
    for case_id in app.store.touched:
        known[case_id] = app.store.get(case_id)
    return list(known.values())   # new cases have higher numbers: the store's order is kept


def _lock_alarm(app: App, now: datetime) -> None:
    """SPEC §2: tell the operator when the ledger stays locked too long."""
    with app.store.transaction():
        since = app.store.get_value("ledger.locked_since")
        if since is None:
            app.store.set_value("ledger.locked_since", now.isoformat())
            return
        minutes = app.config.ledger_lock_alert_minutes
        if now - datetime.fromisoformat(since) >= timedelta(minutes=minutes):
            lock = app.ledger.is_locked()
            app.store.alert("ledger", f"Журнал открыт и не обновляется уже более {minutes} мин. "
                            "Закройте его в Excel/LibreOffice. Если программа закрыта, а файл "
                            f"блокировки остался после сбоя, удалите «{lock.name if lock else ''}».",
                            key=f"locked:{since}", at=now)


def _clear_lock_alarm(app: App) -> None:
    if app.store.get_value("ledger.locked_since") is not None:
        with app.store.transaction():
            app.store.db.execute("DELETE FROM kv WHERE key = 'ledger.locked_since'")
