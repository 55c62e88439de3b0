"""The durable outbox: every email, publication and reminder goes through it (SPEC §8).

An item is written in the same transaction as the case change that caused it, under a unique
`key` (so applying a decision twice cannot queue two sends). The runner takes due items one by
one: a handler does the work and returns a result; `TransientError` schedules a retry with
back-off (or the server's `retry_after`); `PermanentError` marks the item failed and tells the
operator; any other exception sets the item aside (state `set_aside`, payload kept, the operator
told, the error class in the log) — one failing item never stops the others.

| state       | meaning                                              | tried again             |
|-------------|------------------------------------------------------|-------------------------|
| `pending`   | waiting for its turn (`next_at`)                     | yes                     |
| `done`      | the server accepted it                               | no                      |
| `failed`    | refused for good (PermanentError): a person must act | no                      |
| `set_aside` | failed in a way nobody foresaw: kept for a person    | no                      |
| `unknown`   | the service died during a call that has no idempotency key (Telegram, OK): it may have gone out | no: the operator checks and decides |
| `cancelled` | no longer wanted before it went out (a case re-routed while its mail waited) | no |

Payloads are JSON: moments travel as ISO text (`encode_times`) and come back with `revive_times`.

Doubles after a kill -9: an item whose API honours an idempotency key (VK `random_id`/`guid`,
an email's Message-ID) is simply sent again — the server or the reader recognises the repeat.
An item without one (a Telegram or OK publication) is marked "in flight" in its own committed
transaction before the call; found still in flight after a restart, its outcome is unknown, so it
is never resent blindly: it becomes `unknown`, and the operator is told (`on_unknown`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Mapping

from bridge.core.errors import PermanentError, TransientError
from bridge.storage.store import Store

log = logging.getLogger("otklik.outbox")

Handler = Callable[[dict], dict]
Completion = Callable[["OutboxItem", dict], None]
Failure = Callable[["OutboxItem", str], None]

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
OUTAGE_ALERT_AFTER = 5          # failed attempts in a row before the operator hears of it
SET_ASIDE = "set_aside"
CANCELLED = "cancelled"

# Context keys of the mail templates that hold a moment (digest, summary, reminder).
TIME_KEYS = ("now", "due", "period_start", "period_end", "ledger_locked_since")

KIND_LABELS = {
    "email": "Письмо",
    "publish": "Публикация ответа",
    "post_info": "Информационное сообщение",
    "site": "Раздел сайта «Информационные сообщения»",
    "channel_message": "Сообщение пользователю",
}


@dataclass(frozen=True)
class OutboxItem:
    id: int
    key: str
    case_id: str
    kind: str
    payload: dict
    attempts: int
    in_flight: bool = False         # a call began and its end was never recorded (a crash)
    mark: str = ""                  # the item's `result` column as read (a worker's claim compares it)


def enqueue(store: Store, key: str, kind: str, payload: Mapping[str, Any], case_id: str, now: datetime) -> bool:
    """Queue an item once per `key`; returns False when it was already queued."""
    return store.enqueue(key, kind, encode_times(dict(payload)), case_id, now)


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """The wait before the next attempt; never longer than LONGEST_RETRY, not even when a
    server asks for more (so a `next_at` beyond it can only come from a clock that ran ahead)."""
    if retry_after:
        return timedelta(seconds=min(max(1.0, retry_after), LONGEST_RETRY.total_seconds()))
    return min(FIRST_RETRY * 2 ** (min(max(attempts, 1), 32) - 1), LONGEST_RETRY)


def due_items(store: Store, now: datetime, limit: int = 500) -> list[OutboxItem]:
    """Items due at `now`. One whose `next_at` is further ahead than the longest back-off was
    scheduled while the server clock ran ahead (a year, say): it is due now, not next year."""
    return [OutboxItem(r["id"], r["key"], r["case_id"], r["kind"], json.loads(r["payload"]), r["attempts"],
                       r["result"].startswith(IN_FLIGHT), r["result"])
            for r in store.due_or_stranded_items(now, now + LONGEST_RETRY, limit)]


IN_FLIGHT = '{"in_flight"'
UNKNOWN = "unknown"


class OutboxRunner:
    """Runs due items through the handler registered for their kind."""

    def __init__(self, store: Store, handlers: Mapping[str, Handler],
                 completions: Mapping[str, Completion] | None = None,
                 on_failure: Failure | None = None, *, on_unknown: Failure | None = None,
                 idempotent: Callable[["OutboxItem"], bool] = lambda item: True,
                 on_retry: Failure | None = None) -> None:
        self.store = store
        self.handlers = dict(handlers)
        self.completions = dict(completions or {})
        self.on_failure = on_failure
        self.on_unknown = on_unknown
        self.idempotent = idempotent
        self.on_retry = on_retry      # told of every attempt that failed and will be retried

    def run(self, now: datetime, limit: int = 500) -> int:
        """Process due items; returns how many were completed."""
        done = 0
        for item in due_items(self.store, now, limit):
            handler = self.handlers.get(item.kind)
            if handler is None:
                continue   # its adapter is not configured: the item waits, nothing is lost
            if not self.store.claim_outbox_item(item.id, item.attempts, item.mark):
                continue   # another worker has it, or had it since this list was read (issue 15)
            try:
                if item.in_flight:
                    self._stop(item, UNKNOWN, "исход неизвестен: служба прервалась во время отправки", now,
                               self.on_unknown)
                    continue
                done += self._run_one(item, handler, now)
            finally:
                self.store.release_outbox_item(item.id)
        return done

    def _run_one(self, item: OutboxItem, handler: Handler, now: datetime) -> int:
        if not self.idempotent(item):
            with self.store.transaction():   # committed before the call: a crash leaves this mark
                self.store.outbox_in_flight(item.id, json.dumps({"in_flight": now.isoformat()}))
        try:
            result = handler(item.payload) or {}
        except TransientError as exc:
            self._retry(item, str(exc), exc.retry_after, now)
            return 0
        except PermanentError as exc:
            self._stop(item, "failed", str(exc), now)
            return 0
        except Exception as exc:   # noqa: BLE001 - one item's surprise never stops the others
            log.error("outbox %s %s: unexpected %s; set aside", item.kind, item.case_id or item.id,
                      type(exc).__name__)
            self._stop(item, SET_ASIDE, f"непредвиденная ошибка ({type(exc).__name__}); "
                                        "элемент отложен, подробности в журнале работы", now)
            return 0
        with self.store.transaction():
            self.store.outbox_done(item.id, result, now)
            completion = self.completions.get(item.kind)
            if completion:
                completion(item, result)
        log.info("outbox %s %s: done", item.kind, item.case_id or item.key)
        return 1

    def _retry(self, item: OutboxItem, error: str, retry_after: float | None, now: datetime) -> None:
        attempts = item.attempts + 1
        with self.store.transaction():
            self.store.outbox_retry(item.id, attempts, now + backoff(attempts, retry_after), error)
            if attempts == OUTAGE_ALERT_AFTER:
                self.store.alert("outage", f"{KIND_LABELS.get(item.kind, item.kind)}: не удаётся "
                                 f"отправить уже {attempts} раз подряд ({error}); повторяем.",
                                 item.case_id, key=f"outage:{item.id}", at=now)
        log.warning("outbox %s %s: attempt %d failed, will retry", item.kind, item.case_id or item.key, attempts)
        if self.on_retry:
            self.on_retry(item, error)

    def _stop(self, item: OutboxItem, state: str, error: str, now: datetime,
              tell: Failure | None = None) -> None:
        tell = tell or self.on_failure
        with self.store.transaction():
            self.store.outbox_stop(item.id, state, error, now)
            self.store.alert("failure", f"{KIND_LABELS.get(item.kind, item.kind)}: {error}",
                             item.case_id, key=f"failed:{item.id}", at=now)
            if tell:
                tell(item, error)
        log.error("outbox %s %s: %s", item.kind, item.case_id or item.key, state)


# -- the payload codec ------------------------------------------------------------------------

def encode_times(value: Any) -> Any:
    """Moments and dates as ISO text, so a mail's context fits a JSON payload."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: encode_times(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_times(v) for v in value]
    return value


def revive_times(context: dict) -> dict:
    """The inverse of `encode_times` for TIME_KEYS, at the top and in list items (for the sender)."""
    def revive(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: (_moment(v) if k in TIME_KEYS else revive(v)) for k, v in item.items()}
        if isinstance(item, list):
            return [revive(v) for v in item]
        return item
    return revive(dict(context))


def _moment(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        return value
