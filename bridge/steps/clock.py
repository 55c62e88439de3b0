"""«часы»: the first step of a cycle — notice a server clock that jumped, heal what it wrote.

A clock set a year ahead for one cycle writes that year into the store. The outbox treats a
`next_at` beyond the longest back-off as due (bridge/storage/outbox.py); here, the moments of a
case that lie in the future (its deadline start, routing, handling) are set to the cycle's `now`,
with a history row per field and one alert, so «Срок» comes back from next year; and a cycle that
runs earlier than the previous one tells the operator, once per jump.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from bridge.config import Config
from bridge.core.deadlines import CLOCK_TOLERANCE, clock_went_back, moments_ahead
from bridge.steps.ports import Ports
from bridge.storage.store import Store

log = logging.getLogger("otklik.clock")

ACTOR = "система"
ACTION = "дата из будущего заменена текущим временем (часы сервера были переведены?)"
LAST_CYCLE = "clock.last_cycle"             # the previous cycle's `now`
LOCKED_SINCE = "ledger.locked_since"        # bridge/cycle.py: since when the workbook is locked
SHOWN = 5                                   # case numbers named in the alert
RECORD_EVERY = timedelta(minutes=1)         # LAST_CYCLE is rewritten when the clock moved this much


def check_clock(store: Store, config: Config, ports: Ports, now: datetime) -> int:
    """Returns how many cases had moments from the future corrected. Writes nothing (no
    transaction, no fsync) in the usual cycle: a clock that moved on by less than a minute."""
    text = store.get_value(LAST_CYCLE)
    last = _moment(text)
    cases = store.cases_with_moments_after(now + CLOCK_TOLERANCE)
    locked_since = _moment(store.get_value(LOCKED_SINCE))
    stale_lock = locked_since is not None and locked_since > now + CLOCK_TOLERANCE
    if last is not None and abs(now - last) < RECORD_EVERY and not cases and not stale_lock:
        return 0
    with store.transaction():
        store.set_value(LAST_CYCLE, now.isoformat())
        if clock_went_back(last, now):
            _tell_clock_back(store, config, text, last, now)
        healed = _heal_cases(store, config, cases, now)
        if stale_lock:    # a «locked since» from the future would silence the lock alarm for a year
            store.set_value(LOCKED_SINCE, now.isoformat())
    return healed


def _tell_clock_back(store: Store, config: Config, text: str, last: datetime, now: datetime) -> None:
    local = config.calendar.local
    store.alert("clock", f"Часы сервера были переведены назад: предыдущий цикл прошёл "
                f"{local(last):%d.%m.%Y %H:%M}, а сейчас на часах {local(now):%d.%m.%Y %H:%M}. "
                "Проверьте синхронизацию времени на сервере (NTP).",
                key=f"clock-back:{text}:{now.isoformat()}", at=now)
    log.warning("the clock went back: last cycle %s, now %s", text, now.isoformat())


def _heal_cases(store: Store, config: Config, cases: list, now: datetime) -> int:
    healed = []
    for case in cases:
        names = moments_ahead(case, now)
        if not names:
            continue
        latest = max(getattr(case, name) for name in names)
        store.save(replace(case, **{name: now for name in names}), ACTOR, ACTION, at=now)
        healed.append((case.id, latest))
    if healed:
        local = config.calendar.local
        ids = ", ".join(case_id for case_id, _ in healed[:SHOWN]) + (" …" if len(healed) > SHOWN else "")
        latest = max(moment for _, moment in healed)
        store.alert("clock", f"Даты из будущего: у обращений ({len(healed)}: {ids}) были даты позже текущего "
                    f"времени (до {local(latest):%d.%m.%Y %H:%M}) — часы сервера были переведены или дата "
                    f"введена с ошибкой. Они заменены текущим временем {local(now):%d.%m.%Y %H:%M}, сроки "
                    "пересчитаны. Проверьте время на сервере.",
                    key=f"clock-ahead:{now.isoformat()}", at=now)
        log.warning("moments from the future corrected in %d cases", len(healed))
    return len(healed)


def _moment(text) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None
