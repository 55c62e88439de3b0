"""Step «хранение»: raw copies that answered nothing are not kept for ever (152-ФЗ: keep only
what answering needs). Once a day:

| what                                                     | kept for (`[retention]`)   |
|----------------------------------------------------------|----------------------------|
| raw mail without a case or from an address not in the list (`no_case`, `unknown_sender`), auto-replies and bounces | `raw_mail_days = 90` |
| set-aside items and mails (`journals/set_aside/`)         | `journal_days = 90`        |

Raw mail of answers stays with its case until `purge` (steps/purge.py) removes the case's data.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bridge.config import Config
from bridge.steps.ports import Ports
from bridge.storage.store import Store

log = logging.getLogger("otklik.retention")

NOT_ANSWERS = ("no_case", "unknown_sender", "auto_reply", "bounce")
DEFAULT_DAYS = 90


def days(config: Config, key: str) -> int:
    value = (config.raw.get("retention") or {}).get(key, DEFAULT_DAYS) if isinstance(config.raw, dict) else DEFAULT_DAYS
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else DEFAULT_DAYS


def apply_retention(store: Store, config: Config, ports: Ports, now: datetime) -> int:
    """Remove what outlived its period; returns how many files went. Runs once per local day."""
    today = config.calendar.local(now).date().isoformat()
    if store.get_value("retention.done") == today:
        return 0
    removed = 0
    for key, stored in store.raw_mail_before(NOT_ANSWERS, now - timedelta(days=days(config, "raw_mail_days"))):
        ports.files.resolve(stored).unlink(missing_ok=True)
        with store.transaction():
            store.forget_raw_mail_of(key)
        removed += 1
    removed += ports.files.remove_set_aside_before(now - timedelta(days=days(config, "journal_days")))
    with store.transaction():
        store.set_value("retention.done", today)
    if removed:
        log.info("retention: %d old files removed", removed)
    return removed
