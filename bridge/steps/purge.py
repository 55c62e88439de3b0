"""Removing the personal data of old closed cases (152-ФЗ, п. 1.4; SPEC §6 `purge --before DATE`).

For each case closed before the date (local time), from every file of the data folder:

| where                                   | what happens                                              |
|-----------------------------------------|-----------------------------------------------------------|
| the store: case, history, outbox, notes | personal fields blanked (PERSONAL_FIELDS); mail notes and |
|                                         | alerts of the case too; then the WAL is checkpointed and  |
|                                         | the file vacuumed with secure_delete (no old pages left)  |
| `attachments/<case>/`                   | removed (the citizen's and the department's files)        |
| raw mail: `mail_raw` in the store and   | every raw copy the store links to the case (file paths    |
| `mail/…eml` (large mails)               | written relative to another working directory too) and    |
|                                         | every one whose bytes name the case (an auto-reply)       |
| the VK callback journals                | the case's event lines become a stub with the event_id    |
|                                         | (the cursor counts lines; VK's repeats stay recognised)   |
| `journals/set_aside/`                   | items carrying the case's name or text are removed        |
| `backups/*.xlsx`                        | the case's rows blanked (ledger/scrub.py) once the ledger |
|                                         | itself has been rewritten (`purge.pending`)               |
| `backups/*.sqlite3` (rescued stores)    | the same blanking as the store                            |
| the ledger and the site section         | rewritten from the store right after (commands.py, and    |
|                                         | the cycle for the scheduled purge): a purged informational|
|                                         | answer and its files leave «Информационные сообщения»     |

What reports need stays: ids, dates, statuses, department, channel, deadlines. A case that is
already clean is left alone, so running the purge twice changes nothing the second time. A
reply that comes later for a purged case is refused by the mail step (steps/answers.py).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from bridge.channels import callback_journal_path, network_of
from bridge.config import Config
from bridge.core.model import Case
from bridge.steps.ports import Ports
from bridge.steps.conversation import dialogue_of
from bridge.storage.files import DataFiles
from bridge.storage.store import Store
from ledger.scrub import REMOVED, REWRITTEN, scrub_workbook
from ledger.workbook import signature

log = logging.getLogger("otklik.purge")

ACTOR = "система"
ACTION = "персональные данные удалены"
PENDING = "purge.pending"          # {"ids": [...], "ledger": signature}: backups still to scrub
FOLDER_PENDING = "purge.folder"    # ids whose files outside the store are still to clean (a crash)
STUB_TYPE = "otklik_purged"        # a journal line whose event belonged to a purged case

# The fields that identify a citizen or carry what they (or an answer about them) wrote.
PERSONAL_FIELDS: dict[str, object] = {
    "author_name": "", "author_link": "", "author_key": "", "link": "", "text": "",
    "dept_answer": "", "publish_text": "", "operator_comment": "", "attachments": [], "reply_target": {},
    "hint": "", "system_note": "", "published": "",
    "citizen_details": "", "private_target": {}, "conversation": [],     # п. 3.8: name, address, replies
}
# What a journal line or a set-aside item of the case would carry; names and profile links are
# left out: the same person's other, unpurged cases carry them too.
NEEDLE_FIELDS = ("text", "dept_answer", "publish_text", "operator_comment", "citizen_details")
SHORTEST_NEEDLE = 4                # shorter values would match unrelated bytes
BATCH = 200                        # cases per store transaction


def purge(store: Store, config: Config, ports: Ports, before: date, now: datetime) -> int:
    """Purge cases closed before `before`; returns how many cases had anything to remove.

    Only the cases this run changed (and those a crashed run left in `FOLDER_PENDING`) send the
    purge through the rest of the folder, so a daily scheduled purge does not re-read every mail
    and rewrite every backup for cases purged long ago."""
    cases = [c for c in closed_before(store, config, before) if not _done(store, ports.files, c)]
    needles = {n for case in cases for n in needles_of(case)}
    changed: set[str] = set()
    for start in range(0, len(cases), BATCH):   # one commit (one fsync) per batch, not per case
        with store.transaction():
            batch = {case.id for case in cases[start:start + BATCH] if purge_case(store, ports.files, case, now)}
            if batch:   # in the same commit: a kill after it leaves the rest of the folder to the next run
                store.set_value(FOLDER_PENDING, sorted(batch | set(store.get_value(FOLDER_PENDING) or [])))
            changed |= batch
    ids = set(store.get_value(FOLDER_PENDING) or [])
    if ids:
        clean_folder(store, config, ports.files, ids, needles)
        with store.transaction():
            pending = store.get_value(PENDING) or {}
            store.set_value(PENDING, {"ids": sorted(ids | set(pending.get("ids", []))),
                                      "ledger": signature(config.ledger)})
            store.delete_value(FOLDER_PENDING)
    if ids:
        store.compact()
    log.info("purge before %s: %d cases", before.isoformat(), len(changed))
    return len(changed)


def closed_before(store: Store, config: Config, before: date) -> list[Case]:
    return [c for c in store.all_cases() if c.closed_at is not None
            and config.calendar.local(c.closed_at).date() < before]


def _done(store: Store, files: DataFiles, case: Case) -> bool:
    """Purged before and nothing came back since (a late reply is refused, steps/answers.py)."""
    return blanked(case) == case and not files.case_folder(case.id).exists() and store.has_action(case.id, ACTION)


def blanked(case: Case) -> Case:
    """The case without its personal data (pure)."""
    return replace(case, **{name: type(value)() for name, value in PERSONAL_FIELDS.items()})


def needles_of(case: Case) -> set[bytes]:
    """The case's personal values as bytes, as UTF-8 and as JSON escapes (journals are ASCII JSON);
    kept in memory only while this purge runs."""
    found = set()
    for name in NEEDLE_FIELDS:
        value = str(getattr(case, name) or "").strip()
        if len(value) >= SHORTEST_NEEDLE:
            found.add(value.encode("utf-8", "surrogatepass"))
            found.add(json.dumps(value)[1:-1].encode("ascii"))
    return found


def purge_case(store: Store, files: DataFiles, case: Case, now: datetime) -> bool:
    """Remove one case's personal data; False when there was nothing left to remove."""
    raw_mails = [files.resolve_kept(p) for p in store.raw_mail_paths(case.id)]
    # Files first: a crash after this leaves the store to a second run, never a file.
    removed = files.remove_case(case.id)
    for path in raw_mails:
        if path.exists():
            path.unlink(missing_ok=True)
            removed = True
    with store.transaction():
        changed = blank_in_store(store, case)
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


def blank_in_store(store: Store, case: Case) -> bool:
    clean = blanked(case)
    changed = clean != case
    if changed:   # not through Store.save: its history rows would keep the old values
        store.overwrite(clean)
    changed |= store.blank_history(case.id, PERSONAL_FIELDS)
    changed |= _blank_outbox(store, case.id)
    changed |= store.blank_case_traces(case.id)
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


# -- the rest of the folder ---------------------------------------------------------------------

def clean_folder(store: Store, config: Config, files: DataFiles, ids: set[str], needles: set[bytes]) -> None:
    """Everything outside the store's rows that may still name the purged cases."""
    marks = {case_id.encode("ascii") for case_id in ids}
    for path in files.raw_mails():          # a mail the store lost track of, or an auto-reply quoting one
        if _holds(path, marks):
            path.unlink(missing_ok=True)
    with store.transaction():               # the same for the raw copies kept in the store
        store.forget_raw_mail_holding(marks)
    for path in files.set_aside_items():
        if _holds(path, needles):
            path.unlink(missing_ok=True)
    for key, journal in callback_journals(config):
        redact_journal(store, files, journal, key, ids, needles)
    for copy in files.store_copies():
        purge_store_copy(copy, ids)


def _holds(path: Path, needles: set[bytes]) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return any(needle in data for needle in needles)


def callback_journals(config: Config) -> list[tuple[str, Path]]:
    pages = [(key, callback_journal_path(key, section, config.data_dir))
             for key, section in (config.channels or {}).items() if network_of(key) == "vk"]
    return [(key, path) for key, path in pages if path is not None and path.exists()]


def redact_journal(store: Store, files: DataFiles, path: Path, channel: str, ids: set[str],
                   needles: set[bytes]) -> int:
    """Replace the lines of purged cases' events by stubs; returns how many lines changed."""
    lines = path.read_bytes().splitlines(keepends=True)
    changed = 0
    for number, line in enumerate(lines):
        if _line_of(store, line, channel, ids, needles):
            lines[number] = _stub(line)
            changed += 1
    if changed:
        files.replace_file(path, b"".join(lines))
    return changed


def _line_of(store: Store, line: bytes, channel: str, ids: set[str], needles: set[bytes]) -> bool:
    if any(needle in line for needle in needles):
        return True
    from bridge.channels.vk_events import parse_event
    try:
        event = json.loads(line)
        item = parse_event(event, {}, 0, channel)
    except Exception:   # noqa: BLE001 - a line the channel cannot read is judged by its bytes only
        return False
    return item is not None and store.case_for_item(item.channel, item.external_id) in ids


def _stub(line: bytes) -> bytes:
    try:
        event_id = json.loads(line).get("event_id")
    except (ValueError, AttributeError):
        event_id = None
    ending = b"\n" if line.endswith(b"\n") else b""
    return json.dumps({"type": STUB_TYPE, "event_id": event_id, "object": {}}).encode("ascii") + ending


def purge_store_copy(path: Path, ids: set[str]) -> None:
    """A store kept in `backups/` (a rescue copy) loses the same data as the store."""
    copy = Store(path)
    try:
        with copy.transaction():
            for case_id in ids:
                case = copy.get(case_id)
                if case is not None:
                    blank_in_store(copy, case)
                    copy.forget_raw_mail(case_id)
            copy.forget_raw_mail_holding({case_id.encode("ascii") for case_id in ids})
        copy.compact()
    finally:
        copy.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# -- the ledger's backups, once the ledger itself no longer shows the purged data -------------

def scrub_backups(store: Store, config: Config, files: DataFiles, force: bool = False) -> int:
    """Blank purged cases in `backups/*.xlsx`; returns how many files changed. Runs when the
    ledger was rewritten since the purge (every earlier version, personal data included, is then
    among the backups), or with `force`; until then the purge stays pending."""
    pending = store.get_value(PENDING)
    if not pending:
        return 0
    rewritten = signature(config.ledger) != pending.get("ledger") or not config.ledger.exists()
    if not (rewritten or force):
        return 0
    changed = 0
    for path in files.ledger_backups():
        outcome = scrub_workbook(path, pending["ids"])
        changed += outcome in (REWRITTEN, REMOVED)
        if outcome == REMOVED:
            log.warning("purge: an unreadable ledger copy in backups/ named a purged case and was removed")
    if rewritten:
        with store.transaction():
            store.delete_value(PENDING)
    return changed
