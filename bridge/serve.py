"""`python run.py serve`: the long-running service.

One cycle on each change (IMAP IDLE push, channel events) and on a timer; reminders and digests
ticked by `schedule` (a ticker only: what is due is derived from the store, so a restart or a
missed tick neither loses nor repeats one). Stops cleanly on SIGTERM / Ctrl+C after the current
step; logs carry case ids, never message text.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

import schedule

from bridge.app import build_app, utcnow
from bridge.config import Config
from bridge.cycle import check_data_folder, run_cycle, start
from bridge.steps.outgoing import run_outbox
from bridge.steps.reminders import queue_reminders
from bridge.storage.instance import DataFolderLock, InstanceLost
from bridge.storage.store import StoreError, is_store_failure

log = logging.getLogger("otklik.service")

CYCLE_EVERY = 60          # seconds: the timer cycle (ledger edits, deadlines, channel polling)
IDLE_SLICE = 20           # seconds: IMAP IDLE is renewed this often, so a stop is prompt


def serve(config: Config, instance: DataFolderLock | None = None) -> int:
    app = build_app(config, instance=instance)
    start(app)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    ticker = schedule.Scheduler()   # a ticker only: reminders are derived from the store
    ticker.every(1).minutes.do(_tick_reminders, app)
    log.info("Отклик запущен: журнал %s", config.ledger)
    last_cycle = 0.0
    try:
        while not stopping.is_set():
            if time.monotonic() - last_cycle >= CYCLE_EVERY or _mail_arrived(app):
                _safe_cycle(app)
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


def _mail_arrived(app) -> bool:
    """Wait a slice for an IMAP push (IDLE) or poll; a broken connection is not fatal."""
    if not _waits(app):
        return False
    try:
        return app.mailbox.wait_for_change(IDLE_SLICE)
    except Exception as exc:   # the cycle reports mail outages; here we only wait and retry
        log.warning("ожидание почты: %s", exc)
        time.sleep(5)
        return False


def _safe_cycle(app) -> None:
    try:
        report = run_cycle(app)
        for problem in report.problems:
            log.warning("цикл: %s", problem)
    except (StoreError, InstanceLost):
        raise
    except Exception as exc:
        if is_store_failure(exc):
            check_data_folder(app, utcnow())   # a store gone mid-cycle stops here, no traceback
        log.exception("цикл завершился с ошибкой; следующий — по таймеру")


def _tick_reminders(app) -> None:
    try:
        now = utcnow()
        if queue_reminders(app.store, app.config, app.ports, now):
            run_outbox(app.store, app.config, app.ports, now)
    except Exception:
        log.exception("напоминания: ошибка")
