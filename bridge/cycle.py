"""One cycle of the bridge, the story in order (bridge/steps/, one module per step):

0. «часы» (steps/clock.py) — a server clock that jumped: heal the moments it wrote;
1. «журнал: решения» (steps/decisions.py) — read the operator's work from the ledger, apply it;
2. «напоминания» (steps/reminders.py) — queue what is due by the deadlines (п. 4.1, 4.2);
3. «отправка» (steps/outgoing.py) — send and publish what the outbox holds;
4. «соцсети» (steps/intake.py) — take in new messages from the channels;
5. «почта» (steps/answers.py) — take in the departments' replies;
6. «хранение» (steps/retention.py) — once a day, raw copies past their period go, and with
   `[retention] purge_after_days` the personal data of cases closed that long ago (steps/purge.py);
7. «сайт» (steps/outgoing.py) — rewrite «Информационные сообщения» when needed;
8. «журнал: запись» — write the ledger when anything it shows has changed; then the ledger's
   backups lose what a purge removed (once the ledger itself was rewritten).

Every step works item by item and survives the failure of another: a locked workbook defers the
ledger steps while mail and channels go on; a network that is down delays its own items only.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from xlsxwriter.exceptions import XlsxWriterException

from bridge.app import App, utcnow
from bridge.core.errors import DeliveryError
from bridge.steps import answers, intake, outgoing
from bridge.steps.clock import check_clock
from bridge.steps.decisions import read_decisions
from bridge.steps.reminders import queue_reminders
from bridge.steps.purge import scrub_backups
from bridge.steps.retention import apply_retention
from bridge.storage.store import StoreVanished, is_store_failure, restore_hint
from ledger.render import RenderContext, render_row, summary_from_tallies
from ledger.rowcache import make_piece
from ledger.service import StoredCases

log = logging.getLogger("otklik.cycle")


@dataclass
class CycleReport:
    decisions_read: int = 0
    new_cases: int = 0
    replies: int = 0
    sent: int = 0
    ledger: str = ""                 # 'записан' | 'без изменений' | 'занят' …
    problems: list[str] = field(default_factory=list)     # steps that failed
    # Items held up by an outside system and retried later (a server down): no failure of the
    # cycle, but `once` exits 5 on them too so that cron notices a lasting outage.
    outages: list[str] = field(default_factory=list)

    def attention(self) -> list[str]:
        """What a person should hear about this cycle, each thing once."""
        return self.problems + self.outages


def run_cycle(app: App, now: datetime | None = None) -> CycleReport:
    now = now or utcnow()
    store, config, ports = app.store, app.config, app.ports
    report = CycleReport()
    check_data_folder(app, now)
    ports.troubles.clear()
    _step(report, "часы", lambda: check_clock(store, config, ports, now), ports.progress)
    read = _read_ledger(app, now, report)
    _step(report, "напоминания", lambda: queue_reminders(store, config, ports, now), ports.progress)
    report.sent = _step(report, "отправка", lambda: outgoing.run_outbox(store, config, ports, now), ports.progress)
    report.new_cases += _step(report, "соцсети", lambda: intake.take_channels(store, config, ports, now), ports.progress)
    report.replies = _step(report, "почта", lambda: answers.take_mail(store, config, ports, now), ports.progress)
    _step(report, "хранение", lambda: apply_retention(store, config, ports, now), ports.progress)
    _step(report, "сайт", lambda: outgoing.refresh_site(store, config, now), ports.progress)
    check_data_folder(app, now)     # never rewrite the ledger from a store that is gone
    _write_ledger(app, now, bool(read and read.needs_rewrite), report)
    _step(report, "хранение: копии журнала", lambda: scrub_backups(store, config, ports.files), ports.progress)
    report.outages = summarize(ports.troubles)
    give_back_memory()   # ~0.1 ms when there is little to give back
    return report


def _read_ledger(app: App, now: datetime, report: CycleReport):
    """Only a workbook someone saved needs reading; a case is read when its row is compared."""
    if not app.ports.ledger.has_news():
        return None
    ctx = render_context(app, now)
    with app.ports.progress("журнал: чтение решений"):
        read, counts = read_decisions(app.store, app.config, app.ports, StoredCases(app.store),
                                      lambda case: render_row(case, ctx), now)
    report.decisions_read, report.new_cases = counts["decisions"], counts["new_cases"]
    return read


def refresh_ledger(app: App, now: datetime) -> CycleReport:
    """Read what the operator saved, then rewrite the ledger whatever changed (`purge`: the
    purged data must leave the workbook now, not at the next change)."""
    report = CycleReport()
    _read_ledger(app, now, report)
    _write_ledger(app, now, True, report)
    return report


def summarize(troubles: list[str]) -> list[str]:
    """Each distinct trouble once, with how many items it held up (50 mails to a server that is
    down are one line, not fifty)."""
    counts: dict[str, int] = {}
    for line in troubles:
        counts[line] = counts.get(line, 0) + 1
    return [line if count == 1 else f"{line} (×{count})" for line, count in counts.items()]


def check_data_folder(app: App, now: datetime) -> None:
    """Stop before working on a store file that is no longer the one opened, or in a folder whose
    lock file was taken away (issue 10): carrying on would start a new, empty store."""
    if app.instance is not None:
        app.instance.check_held()
    try:
        app.store.check_file()
    except StoreVanished as exc:
        raise StoreVanished(f"{exc}; {_rescue(app, now, exc)}") from None


def _rescue(app: App, now: datetime, vanished: StoreVanished) -> str:
    """A deleted or replaced file is still readable through the open connection: save it."""
    if vanished.rescuable:
        target = app.files.backups / f"otklik-спасено-{app.config.calendar.local(now):%Y-%m-%d-%H%M%S}.sqlite3"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            cases = app.store.rescue_to(target)
        except Exception as exc:   # the rescue is a bonus; the stop and the way back come regardless
            log.error("rescue copy of the store failed: %s", type(exc).__name__)
        else:
            return (f"копия того, что служба ещё видела (обращений: {cases}), сохранена в «{target}»: "
                    f"остановите все запуски и положите её на место «{app.store.path}»")
    return restore_hint(app.store.path)


def _step(report: CycleReport, name: str, action, progress) -> int:
    try:
        with progress(f"шаг «{name}»"):   # alive on a terminal and in the log when it lasts minutes
            return action() or 0
    except DeliveryError as exc:   # reported once by the caller (`once` prints it, `serve` logs it)
        report.problems.append(f"{name}: {exc}")
    except Exception as exc:
        report.problems.append(f"{name}: внутренняя ошибка (см. журнал работы)")
        if is_store_failure(exc):   # the store file went away mid-step: check_data_folder says so next
            log.error("step %s failed: the store answered %s", name, type(exc).__name__,
                      exc_info=log.isEnabledFor(logging.DEBUG))
        else:
            log.exception("step %s failed", name)
    return 0


def render_context(app: App, now: datetime) -> RenderContext:
    names = {d.code: d.name for d in app.config.departments}
    return RenderContext(app.config.calendar, now, lambda code: names.get(code, code))


def _write_ledger(app: App, now: datetime, force: bool, report: CycleReport) -> None:
    store, config, ledger = app.store, app.config, app.ports.ledger
    month = f"{config.calendar.local(now):%Y-%m}"
    if not ledger.needs_write(now, force, extra=month):
        report.ledger = "без изменений"
        _clear_lock_alarm(app)
        return
    try:
        with app.ports.progress("журнал: строки"):
            rows = refresh_rows(app, now)
        summary = summary_from_tallies(rows.tallies(), [(d.code, d.name) for d in config.departments], month,
                                       store.returned_case_ids())
        with app.ports.progress("журнал: запись файла"):
            outcome = ledger.write(summary, now, force, extra=month)
    except (OSError, XlsxWriterException) as exc:   # disk full, read-only folder, file held open
        _write_failed(app, now, report, exc)
        return
    report.ledger = _LEDGER_OUTCOMES[outcome]
    if outcome == "locked":
        _lock_alarm(app, now)
    else:
        _clear_lock_alarm(app)


def start(app: App, now: datetime | None = None) -> None:
    """What a service does once at start: render every ledger row (so the first reply costs one
    row, not 50,000), then move what start-up made out of the collector's way (`gc.freeze`: the
    kept rows are never traversed by a full collection; bench/ledger.py measures it)."""
    try:
        refresh_rows(app, now or utcnow())
    except Exception:   # the first cycle renders them instead, and says what went wrong
        log.exception("the ledger rows could not be prepared at start")
    gc.collect()
    gc.freeze()
    give_back_memory()


def give_back_memory() -> None:
    """Hand the C allocator's free pages back to the system. What start-up rendered and what a
    cycle's workbook read (its pieces, ~40 MB at 50,000 rows: ledger/pieces.py) freed otherwise stays
    in the process as free heap, and the next cycle's peak starts from it (issue 14: 254 MB →
    see bench/results.md). glibc only; elsewhere, and if it fails, nothing happens."""
    try:
        _libc().malloc_trim(0)
    except (OSError, AttributeError):
        pass


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


def refresh_rows(app: App, now: datetime):
    """«Журнал»'s kept rows brought up to date (ledger/rowcache.py); at a service's start this
    renders every case once, later only what changed."""
    ctx = render_context(app, now)
    return app.ports.ledger.refresh(lambda case, layouts: make_piece(case, ctx, layouts), now)


_LEDGER_OUTCOMES = {
    "written": "записан",
    "unchanged": "без изменений",
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
            app.store.delete_value("ledger.locked_since")
