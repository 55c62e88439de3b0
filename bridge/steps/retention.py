"""Step «хранение»: raw copies that answered nothing are not kept for ever (152-ФЗ: keep only
what answering needs). Once a day:

| what                                                     | kept for (`[retention]`)   |
|----------------------------------------------------------|----------------------------|
| raw mail without a case or from an address not in the list (`no_case`, `unknown_sender`), auto-replies and bounces | `raw_mail_days = 90` |
| set-aside items and mails (`journals/set_aside/`)         | `journal_days = 90`        |
| the personal data of closed cases (steps/purge.py)        | `purge_after_days` (unset: only `run.py purge`) |

Raw mail of answers stays with its case until the purge removes the case's data: by schedule when
`purge_after_days` is set (cases closed before the first day of the month that many days ago, so
the purge, which rewrites the ledger's backups, runs once a month), or by hand.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bridge.config import Config
from bridge.steps.ports import Ports
from bridge.steps.purge import purge
from bridge.storage.store import Store

log = logging.getLogger("otklik.retention")

NOT_ANSWERS = ("no_case", "unknown_sender", "auto_reply", "bounce")
DEFAULT_DAYS = 90


def days(config: Config, key: str, default: int | None = DEFAULT_DAYS) -> int | None:
    section = (config.raw.get("retention") or {}) if isinstance(config.raw, dict) else {}
    value = section.get(key, default)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


def apply_retention(store: Store, config: Config, ports: Ports, now: datetime) -> int:
    """Remove what outlived its period; returns how many files went. Runs once per local day."""
    today = config.calendar.local(now).date().isoformat()
    if store.get_value("retention.done") == today:
        return 0
    removed = 0
    for key, stored in store.raw_mail_before(NOT_ANSWERS, now - timedelta(days=days(config, "raw_mail_days"))):
        if stored:                  # a large mail's file; a small one's copy is in the store
            ports.files.resolve(stored).unlink(missing_ok=True)
        with store.transaction():
            store.forget_raw_mail_of(key)
        removed += 1
    removed += ports.files.remove_set_aside_before(now - timedelta(days=days(config, "journal_days")))
    keep_days = days(config, "purge_after_days", None)
    if keep_days is not None:
        # Whole months at a time: the purge rewrites every ledger backup, so it runs once a month
        # (on the first day the month's last cases are old enough), not every day.
        before = (config.calendar.local(now).date() - timedelta(days=keep_days)).replace(day=1)
        purged = purge(store, config, ports, before, now)
        if purged:
            log.info("retention: personal data of %d cases closed before %s removed", purged, before)
    with store.transaction():
        store.set_value("retention.done", today)
    if removed:
        log.info("retention: %d old files removed", removed)
    return removed
