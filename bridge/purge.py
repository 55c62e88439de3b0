"""Removing the personal data of old closed cases (152-ФЗ; SPEC §6 `purge --before DATE`).

For each case closed before the date (local time): the fields below are blanked in the case and in
its history, the citizen's files (data_dir/attachments/<case>/) and the raw mails kept for it are
deleted, and mail payloads in the outbox lose their texts. What reports need stays: ids, dates,
statuses, department, channel, deadlines. A case that is already clean is left alone, so running
the purge twice changes nothing the second time.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from bridge.config import Config
from bridge.model import Case
from bridge.store import Store, case_to_json, utcnow

log = logging.getLogger("otklik.purge")

ACTOR = "система"
ACTION = "персональные данные удалены"

# The fields that identify a citizen or carry what they (or an answer about them) wrote.
PERSONAL_FIELDS: dict[str, object] = {
    "author_name": "", "author_link": "", "author_key": "", "link": "", "text": "",
    "dept_answer": "", "publish_text": "", "operator_comment": "", "attachments": [], "reply_target": {},
}


def purge(config: Config, before: date, now: datetime | None = None) -> int:
    """Purge cases closed before `before`; returns how many cases had anything to remove."""
    now = now or utcnow()
    store = Store(config.data_dir / "otklik.sqlite3")
    try:
        purged = 0
        for case in closed_before(store, config, before):
            purged += purge_case(store, config.data_dir, case, now)
    finally:
        store.close()
    log.info("purge before %s: %d cases", before.isoformat(), purged)
    return purged


def closed_before(store: Store, config: Config, before: date) -> list[Case]:
    return [c for c in store.all_cases() if c.closed_at is not None
            and config.calendar.local(c.closed_at).date() < before]


def blanked(case: Case) -> Case:
    """The case without its personal data (pure)."""
    return replace(case, **{name: type(value)() for name, value in PERSONAL_FIELDS.items()})


def purge_case(store: Store, data_dir: Path, case: Case, now: datetime) -> bool:
    """Remove one case's personal data; False when there was nothing left to remove."""
    clean = blanked(case)
    files = _files_of(store, data_dir, case.id)
    for path in files:   # first: a crash after this leaves the store to a second run, never a file
        _remove(path)
    with store.transaction():
        changed = clean != case
        if changed:
            # Written directly, not through Store.save: its history rows would keep the old values.
            store.db.execute("UPDATE cases SET data = ? WHERE id = ?", (case_to_json(clean), case.id))
        changed |= _blank_history(store, case.id)
        changed |= _blank_outbox(store, case.id)
        changed |= bool(files)
        store.db.execute("UPDATE mail_seen SET raw_path = '' WHERE case_id = ?", (case.id,))
        if changed:
            store.record(case.id, ACTOR, ACTION, at=now)
    return changed


def _blank_history(store: Store, case_id: str) -> bool:
    marks = ", ".join("?" for _ in PERSONAL_FIELDS)
    cursor = store.db.execute(
        f"UPDATE history SET old = NULL, new = NULL WHERE case_id = ? AND field IN ({marks}) "
        "AND (old IS NOT NULL OR new IS NOT NULL)", (case_id, *PERSONAL_FIELDS))
    return cursor.rowcount > 0


def _blank_outbox(store: Store, case_id: str) -> bool:
    """Sent or failed mail keeps its Message-ID and addresses; its context (drafts, comments) goes."""
    changed = False
    rows = store.db.execute("SELECT id, payload FROM outbox WHERE case_id = ? AND state != 'pending'",
                            (case_id,)).fetchall()
    for row in rows:
        payload = json.loads(row["payload"])
        if payload.get("context"):
            payload["context"] = {}
            store.db.execute("UPDATE outbox SET payload = ? WHERE id = ?",
                             (json.dumps(payload, ensure_ascii=False), row["id"]))
            changed = True
    return changed


def _files_of(store: Store, data_dir: Path, case_id: str) -> list[Path]:
    """The case's attachment folder and the raw mails kept for it, those that still exist."""
    paths = [data_dir / "attachments" / case_id]
    rows = store.db.execute("SELECT raw_path FROM mail_seen WHERE case_id = ? AND raw_path != ''", (case_id,))
    paths += [Path(r["raw_path"]) for r in rows]
    return [p for p in paths if p.exists()]


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
