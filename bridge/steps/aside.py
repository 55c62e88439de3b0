"""Setting an outside item aside (SPEC §8: one bad item never stops the rest): its raw form goes to
`journals/set_aside/` (bridge/storage/files.py) and the operator hears of it in one alert.

Used by intake (a channel event that failed, or one the channel already marked unreadable) and
by answers (a mail that failed). False means even that failed (a full disk, a store that refuses):
the caller must not move its cursor past the item.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bridge.storage.files import DataFiles
from bridge.storage.store import Store

log = logging.getLogger("otklik.aside")


def set_aside(store: Store, files: DataFiles | None, kind: str, data: bytes, alert_kind: str, why: str,
              now: datetime, key: str | None = None) -> bool:
    """Keep `data` and tell the operator `why`, naming where it was kept."""
    try:
        where = files.relative(files.set_aside(kind, data, now)) if files is not None and data else ""
        with store.transaction():
            store.alert(alert_kind, why + (f" Исходные данные сохранены: «{where}»." if where else ""),
                        key=key, at=now)
    except Exception:   # noqa: BLE001 - not kept: the caller keeps its cursor
        log.exception("could not set a %s aside", kind)
        return False
    return True
