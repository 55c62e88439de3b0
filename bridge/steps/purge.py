"""Removing the personal data of old closed cases (152-ФЗ; SPEC §6 `purge --before DATE`).

For each case closed before the date (local time): the fields below are blanked in the case and in
its history, the case's files (`attachments/<case>/`, both the citizen's and the department's) and
the raw mails kept for it are deleted, and mail payloads in the outbox lose their texts. What reports need stays: ids, dates,
statuses, department, channel, deadlines. A case that is already clean is left alone, so running
the purge twice changes nothing the second time.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import date, datetime

from bridge.config import Config
from bridge.core.model import Case
from bridge.steps.ports import Ports
from bridge.steps.intake import dialogue_of
from bridge.storage.files import DataFiles
from bridge.storage.store import Store

log = logging.getLogger("otklik.purge")

ACTOR = "система"
ACTION = "персональные данные удалены"

# The fields that identify a citizen or carry what they (or an answer about them) wrote.
PERSONAL_FIELDS: dict[str, object] = {
    "author_name": "", "author_link": "", "author_key": "", "link": "", "text": "",
    "dept_answer": "", "publish_text": "", "operator_comment": "", "attachments": [], "reply_target": {},
    "citizen_details": "", "private_target": {}, "conversation": [],     # п. 3.8: name, address, replies
}


def purge(store: Store, config: Config, ports: Ports, before: date, now: datetime) -> int:
    """Purge cases closed before `before`; returns how many cases had anything to remove."""
    purged = 0
    for case in closed_before(store, config, before):
        purged += purge_case(store, ports.files, case, now)
    log.info("purge before %s: %d cases", before.isoformat(), purged)
    return purged


def closed_before(store: Store, config: Config, before: date) -> list[Case]:
    return [c for c in store.all_cases() if c.closed_at is not None
            and config.calendar.local(c.closed_at).date() < before]


def blanked(case: Case) -> Case:
    """The case without its personal data (pure)."""
    return replace(case, **{name: type(value)() for name, value in PERSONAL_FIELDS.items()})


def purge_case(store: Store, files: DataFiles, case: Case, now: datetime) -> bool:
    """Remove one case's personal data; False when there was nothing left to remove."""
    clean = blanked(case)
    raw_mails = [files.resolve(p) for p in store.raw_mail_paths(case.id)]
    # Files first: a crash after this leaves the store to a second run, never a file.
    removed = files.remove_case(case.id)
    for path in raw_mails:
        if path.exists():
            path.unlink(missing_ok=True)
            removed = True
    with store.transaction():
        changed = clean != case
        if changed:   # not through Store.save: its history rows would keep the old values
            store.overwrite(clean)
        changed |= store.blank_history(case.id, PERSONAL_FIELDS)
        changed |= _blank_outbox(store, case.id)
        changed |= removed
        for target in (case.reply_target, case.private_target):   # a new message there starts afresh
            dialogue = dialogue_of(case.channel, target)
            if dialogue and store.get_value(dialogue) == case.id:
                store.delete_value(dialogue)
                changed = True
        store.forget_raw_mail(case.id)
        if changed:
            store.record(case.id, ACTOR, ACTION, at=now)
    return changed


def _blank_outbox(store: Store, case_id: str) -> bool:
    """Sent or failed mail keeps its Message-ID and addresses; its context (drafts, comments) goes,
    and so do the approved text and file names a publication carried."""
    changed = False
    for row in store.outbox_items(case_id, sent_only=True):
        payload = json.loads(row["payload"])
        if payload.get("context") or payload.get("text") or payload.get("files"):
            payload.update({key: type(payload[key])() for key in ("context", "text", "files") if key in payload})
            store.replace_payload(row["id"], payload)
            changed = True
    return changed
