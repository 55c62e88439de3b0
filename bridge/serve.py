"""`python run.py serve`: the long-running service.

One cycle on each change (IMAP IDLE push, channel events) and on a timer; reminders and digests
ticked by `schedule` (a ticker only: what is due is derived from the store, so a restart or a
missed tick neither loses nor repeats one). Stops cleanly on SIGTERM / Ctrl+C after the current
step; logs carry case ids, never message text. A problem that repeats (a server down for hours)
is logged with the outbox's back-off, not on every attempt (`Repeats`).
"""

from __future__ import annotations

import logging
import re
import signal
import threading
import time

import schedule

from bridge.app import build_app, utcnow
from bridge.config import Config
from bridge.cycle import check_data_folder, run_cycle, start
from bridge.progress import duration
from bridge.steps.outgoing import run_outbox
from bridge.steps.reminders import queue_reminders
from bridge.storage.instance import DataFolderLock, InstanceLost
from bridge.storage.outbox import backoff
from bridge.storage.store import StoreError, is_store_failure

log = logging.getLogger("otklik.service")

PROBLEM_KEY = "problem:"            # `Repeats` keys: a cycle's problem, by its text …
MAIL_KEY = PROBLEM_KEY + "почта: "  # … and the mail step's, which the wait for mail shares
CYCLE_EVERY = 60          # seconds: the timer cycle (ledger edits, deadlines, channel polling)
IDLE_SLICE = 20           # seconds: IMAP IDLE is renewed this often, so a stop is prompt


class Repeats:
    """The log of problems that repeat: the first occurrence is logged at once, the next ones
    after the outbox's growing pauses (30 s, 1 min, 2 min … 1 h) as one line with how often it
    came meanwhile, and the end of the problem as one line. A person reading the service log
    during a night-long outage sees a dozen lines, not one every five seconds."""

    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self.open: dict[str, dict] = {}     # key → {"logged": n, "since": count, "next": t, "first": t}

    def problem(self, key: str, text: str) -> None:
        now, entry = self.clock(), self.open.get(key)
        if entry is None:
            self.open[key] = {"logged": 1, "since": 0, "next": now + backoff(1).total_seconds(), "first": now}
            log.warning("%s", text)
            return
        entry["since"] += 1
        if now >= entry["next"]:
            log.warning("%s (повторяется уже %s, с прошлой записи — %d раз)", text, duration(now - entry["first"]),
                        entry["since"])
            entry["logged"] += 1
            entry["since"] = 0
            entry["next"] = now + backoff(entry["logged"]).total_seconds()

    def settled(self, key: str, what: str) -> None:
        entry = self.open.pop(key, None)
        if entry is not None:
            log.info("%s: снова в порядке (проблема длилась %s)", what, duration(self.clock() - entry["first"]))

    def keys(self, prefix: str) -> list[str]:
        return [key for key in self.open if key.startswith(prefix)]


def serve(config: Config, instance: DataFolderLock | None = None) -> int:
    app = build_app(config, instance=instance)
    start(app)
    repeats = Repeats()
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    if not app.store.leading:   # PostgreSQL: the standby waits for the leadership (bridge/storage/pg.py)
        if not app.store.lead(wait=True, stopping=stopping.is_set):
            app.store.close()
            return 0
        # What the adapters and the ledger remember is the state when this one started waiting:
        # wire them again from the store, which the leader before it kept up to date.
        app = build_app(config, instance=instance, store=app.store)
    ticker = schedule.Scheduler()   # a ticker only: reminders are derived from the store
    ticker.every(1).minutes.do(_tick_reminders, app)
    log.info("Отклик запущен: журнал %s", config.ledger)
    last_cycle = 0.0
    try:
        while not stopping.is_set():
            if time.monotonic() - last_cycle >= CYCLE_EVERY or _mail_arrived(app, repeats):
                _safe_cycle(app, repeats)
                last_cycle = time.monotonic()
            ticker.run_pending()
            if not _waits(app):
                stopping.wait(5)   # nothing to block on: sleep, never spin
    except (StoreError, InstanceLost) as exc:   # a person must act: run.py prints it, exit code 3 / 4
        log.critical("Отклик остановлен: %s", exc)
        raise
    finally:
        app.store.close()
    log.info("Отклик остановлен")
    return 0


def _waits(app) -> bool:
    """Does the mailbox block in `wait_for_change` (IMAP IDLE, Exchange polling)?"""
    return app.mailbox is not None and hasattr(app.mailbox, "wait_for_change")


def _mail_arrived(app, repeats: Repeats) -> bool:
    """Wait a slice for an IMAP push (IDLE) or poll; a broken connection is not fatal."""
    if not _waits(app):
        return False
    try:
        changed = app.mailbox.wait_for_change(IDLE_SLICE)
    except Exception as exc:   # the cycle reports mail outages; here we only wait and retry
        # The same outage as the cycle's «почта» step sees: one key, so it is logged once.
        repeats.problem(f"{MAIL_KEY}{exc}", f"почта: {exc}")
        time.sleep(5)
        return False
    for key in repeats.keys(MAIL_KEY):
        repeats.settled(key, "почта")
    return changed


def _safe_cycle(app, repeats: Repeats) -> None:
    try:
        report = run_cycle(app)
        current = {f"{PROBLEM_KEY}{_problem_key(problem)}": problem for problem in report.attention()}
        for key, problem in current.items():
            repeats.problem(key, problem)
        for key in repeats.keys(PROBLEM_KEY):
            if key not in current:
                repeats.settled(key, key.removeprefix(PROBLEM_KEY).partition(":")[0])
    except (StoreError, InstanceLost):
        raise
    except Exception as exc:
        if is_store_failure(exc):
            check_data_folder(app, utcnow())   # a store gone mid-cycle stops here, no traceback
        log.exception("цикл завершился с ошибкой; следующий — по таймеру")


def _problem_key(problem: str) -> str:
    """The same problem in the next cycle: without the count of items it held up."""
    return re.sub(r" \(×\d+\)$", "", problem)


def _tick_reminders(app) -> None:
    try:
        now = utcnow()
        if queue_reminders(app.store, app.config, app.ports, now):
            run_outbox(app.store, app.config, app.ports, now)
    except Exception:
        log.exception("напоминания: ошибка")
