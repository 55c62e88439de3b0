"""The durable outbox: every email, publication and reminder goes through it (SPEC §8).

An item is written in the same transaction as the case change that caused it, under a unique
`key` (so applying a decision twice cannot queue two sends). The runner takes due items one by
one: a handler does the work and returns a result; `TransientError` schedules a retry with
back-off (or the server's `retry_after`); `PermanentError` marks the item failed and tells the
operator. One failing item never stops the others.

Worst case for doubles: a process killed after the server accepted an item and before the item
is marked done sends it once more on restart. Publications carry an idempotency key the networks
honour (VK `random_id`), and emails keep their Message-ID, so a double is recognisable.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from bridge.errors import PermanentError, TransientError
from bridge.store import Store, utcnow

log = logging.getLogger("otklik.outbox")

Handler = Callable[[dict], dict]
Completion = Callable[["OutboxItem", dict], None]
Failure = Callable[["OutboxItem", str], None]

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
OUTAGE_ALERT_AFTER = 5          # failed attempts in a row before the operator hears of it


@dataclass(frozen=True)
class OutboxItem:
    id: int
    key: str
    case_id: str
    kind: str
    payload: dict
    attempts: int


def enqueue(store: Store, key: str, kind: str, payload: Mapping[str, Any], case_id: str = "",
            now: datetime | None = None) -> bool:
    """Queue an item once per `key`; returns False when it was already queued."""
    now = now or utcnow()
    cursor = store.db.execute(
        "INSERT OR IGNORE INTO outbox (key, case_id, kind, payload, next_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (key, case_id, kind, json.dumps(payload, ensure_ascii=False), now.isoformat(), now.isoformat()))
    return cursor.rowcount == 1


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    if retry_after:
        return timedelta(seconds=max(1.0, retry_after))
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_RETRY)


def due_items(store: Store, now: datetime, limit: int = 500) -> list[OutboxItem]:
    rows = store.db.execute(
        "SELECT id, key, case_id, kind, payload, attempts FROM outbox "
        "WHERE state = 'pending' AND next_at <= ? ORDER BY id LIMIT ?", (now.isoformat(), limit))
    return [OutboxItem(r["id"], r["key"], r["case_id"], r["kind"], json.loads(r["payload"]), r["attempts"])
            for r in rows]


def pending_count(store: Store) -> int:
    return store.db.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0]


class OutboxRunner:
    """Runs due items through the handler registered for their kind."""

    def __init__(self, store: Store, handlers: Mapping[str, Handler],
                 completions: Mapping[str, Completion] | None = None,
                 on_failure: Failure | None = None) -> None:
        self.store = store
        self.handlers = dict(handlers)
        self.completions = dict(completions or {})
        self.on_failure = on_failure

    def run(self, now: datetime | None = None, limit: int = 500) -> int:
        """Process due items; returns how many were completed."""
        now = now or utcnow()
        done = 0
        for item in due_items(self.store, now, limit):
            handler = self.handlers.get(item.kind)
            if handler is None:
                continue   # its adapter is not configured: the item waits, nothing is lost
            done += self._run_one(item, handler, now)
        return done

    def _run_one(self, item: OutboxItem, handler: Handler, now: datetime) -> int:
        try:
            result = handler(item.payload) or {}
        except TransientError as exc:
            self._retry(item, str(exc), exc.retry_after, now)
            return 0
        except PermanentError as exc:
            self._fail(item, str(exc), now)
            return 0
        with self.store.transaction():
            self.store.db.execute(
                "UPDATE outbox SET state = 'done', done_at = ?, attempts = attempts + 1, result = ? "
                "WHERE id = ?", (now.isoformat(), json.dumps(result, ensure_ascii=False), item.id))
            completion = self.completions.get(item.kind)
            if completion:
                completion(item, result)
        log.info("outbox %s %s: done", item.kind, item.case_id or item.key)
        return 1

    def _retry(self, item: OutboxItem, error: str, retry_after: float | None, now: datetime) -> None:
        attempts = item.attempts + 1
        with self.store.transaction():
            self.store.db.execute(
                "UPDATE outbox SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?",
                (attempts, (now + backoff(attempts, retry_after)).isoformat(), error, item.id))
            if attempts == OUTAGE_ALERT_AFTER:
                self.store.alert("outage", f"{_KIND_LABELS.get(item.kind, item.kind)}: не удаётся "
                                 f"отправить уже {attempts} раз подряд ({error}); повторяем.",
                                 item.case_id, key=f"outage:{item.id}", at=now)
        log.warning("outbox %s %s: attempt %d failed, will retry: %s",
                    item.kind, item.case_id or item.key, attempts, error)

    def _fail(self, item: OutboxItem, error: str, now: datetime) -> None:
        with self.store.transaction():
            self.store.db.execute(
                "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, done_at = ? "
                "WHERE id = ?", (error, now.isoformat(), item.id))
            self.store.alert("failure", f"{_KIND_LABELS.get(item.kind, item.kind)}: {error}",
                             item.case_id, key=f"failed:{item.id}", at=now)
            if self.on_failure:
                self.on_failure(item, error)
        log.error("outbox %s %s: failed permanently: %s", item.kind, item.case_id or item.key, error)


def retry_failed(store: Store, case_id: str, now: datetime | None = None) -> int:
    """Put a case's failed items back in the queue (after the operator fixed the cause)."""
    now = now or utcnow()
    return store.db.execute(
        "UPDATE outbox SET state = 'pending', next_at = ?, attempts = 0 WHERE case_id = ? AND state = 'failed'",
        (now.isoformat(), case_id)).rowcount


_KIND_LABELS = {
    "email": "Письмо",
    "publish": "Публикация ответа",
    "post_info": "Информационное сообщение",
    "channel_message": "Сообщение пользователю",
}
