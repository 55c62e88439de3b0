"""Department mail into cases (SPEC §1 steps 5–6, §3).

Each fetched mail is first stored raw (data_dir/mail/…eml) and recorded in `mail_seen` under its
Message-ID (or a digest of its bytes), in the same transaction as its effect on the case, so a
crash between reading a reply and writing the ledger can neither lose nor double the answer. The
mailbox state moves only after that.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime
from pathlib import Path

from bridge import workflow
from bridge.store import Store
from mailer.mime import WINDOWS_RESERVED

log = logging.getLogger("otklik.replies")

_UNSAFE = re.compile(r"[^\w.\-]+")


def message_key(parsed, raw: bytes) -> str:
    return parsed.message_id.strip() or "sha256:" + hashlib.sha256(raw).hexdigest()


def take_reply(store: Store, data_dir: Path, raw: bytes, parsed, now: datetime) -> str:
    """Apply one parsed mail; returns what happened (for logs and tests)."""
    key = message_key(parsed, raw)
    if store.db.execute("SELECT 1 FROM mail_seen WHERE message_key = ?", (key,)).fetchone():
        return "duplicate"
    raw_path = _keep_raw(data_dir, raw, key, now)
    with store.transaction():
        store.db.execute("INSERT INTO mail_seen (message_key, case_id, kind, at, raw_path, note) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         (key, parsed.case_id, parsed.kind, now.isoformat(), str(raw_path), parsed.note))
        outcome = _apply(store, data_dir, parsed, now)
    log.info("mail %s for %s: %s", parsed.kind, parsed.case_id or "-", outcome)
    return outcome


def _apply(store: Store, data_dir: Path, parsed, now: datetime) -> str:
    case = store.get(parsed.case_id) if parsed.case_id else None
    if parsed.kind == "bounce":
        text = "Письмо не доставлено: " + (", ".join(parsed.failed_recipients) or "адрес не указан")
        store.alert("bounce", text + ". Проверьте адрес отдела в настройках.", parsed.case_id or "", at=now)
        return _note(store, case, text + ".", now, "недоставка")
    if parsed.kind == "auto_reply":
        if case:   # history only: the deadline keeps running
            store.record(case.id, parsed.sender, "автоответ", "", None, parsed.note, at=now)
        return "auto_reply"
    if parsed.kind == "no_case" or case is None:
        store.alert("no_case", f"Письмо от {parsed.sender or 'неизвестного'} без номера обращения "
                    "сохранено для оператора.", at=now)
        return "no_case"
    if parsed.kind == "unknown_sender":
        store.alert("unknown_sender", f"Письмо по {case.id} от адреса не из справочника "
                    f"({parsed.sender}): не принято как ответ.", case.id, at=now)
        return _note(store, case, f"Письмо от постороннего адреса {parsed.sender} не принято как ответ.",
                     now, "посторонний отправитель")
    names = _save_attachments(data_dir, case.id, parsed.attachments)
    outcome = workflow.answer_received(case, parsed.answer, names, now)
    outcome.case.system_note = outcome.note
    if parsed.department and case.department and parsed.department != case.department:
        outcome.case.system_note += (f" Ответ прислал другой отдел ({parsed.department}, {parsed.sender}), "
                                     f"а обращение направлено в «{case.department}»: проверьте.")
    store.save(outcome.case, parsed.sender, "ответ отдела", at=now)
    if not outcome.applied:   # the note promises the late text is in the history (purge blanks it)
        store.record(case.id, parsed.sender, "ответ по закрытому обращению", "dept_answer", None, parsed.answer, at=now)
    return "answer" if outcome.applied else "answer_to_closed"


def _note(store: Store, case, text: str, now: datetime, action: str) -> str:
    if case is not None:
        case.system_note = text
        store.save(case, "почта", action, at=now)
    return action


def _keep_raw(data_dir: Path, raw: bytes, key: str, now: datetime) -> Path:
    folder = data_dir / "mail" / f"{now:%Y-%m}"
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    path = folder / f"{now:%Y%m%d-%H%M%S}-{digest}.eml"
    path.write_bytes(raw)
    return path


def _save_attachments(data_dir: Path, case_id: str, attachments) -> list[str]:
    folder = data_dir / "attachments" / case_id
    names = []
    for attachment in attachments:
        folder.mkdir(parents=True, exist_ok=True)
        name = _UNSAFE.sub("_", attachment.filename).strip(".") or "file"
        if name.split(".")[0].upper() in WINDOWS_RESERVED:   # CON, nul.txt: devices on Windows
            name = "_" + name
        target = folder / name
        counter, first = 1, target
        while target.exists() and target.read_bytes() != attachment.data:
            counter += 1
            target = folder / f"{first.stem}-{counter}{first.suffix}"
        target.write_bytes(attachment.data)
        names.append(target.name)
    return names
