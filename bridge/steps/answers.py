"""Step «почта»: department mail into cases (SPEC §1 steps 5–6, §3).

Each fetched mail is first stored raw (`mail/YYYY-MM/…eml`, bridge/storage/files.py) and
recorded under its Message-ID (or a digest of its bytes), in the same transaction as its effect
on the case, so a crash between reading a reply and writing the ledger can neither lose nor
double the answer. The department's files go to `attachments/<case>/answer/`. The mailbox state
(an opaque string, mailer/mailbox.py) moves only after every mail of the batch was stored.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from bridge.config import Config
from bridge.core import workflow
from bridge.steps.ports import Ports
from bridge.storage.files import ANSWER, DataFiles
from bridge.storage.store import Store

log = logging.getLogger("otklik.answers")


def take_mail(store: Store, config: Config, ports: Ports, now: datetime) -> int:
    """Read new mail and apply it; returns how many answers were taken."""
    if ports.mailbox is None:
        return 0
    from mailer.reply import parse_reply
    mails, new_state = ports.mailbox.fetch_new(store.get_value("mailbox.state"))
    answers = 0
    for mail in mails:
        parsed = parse_reply(mail.raw, case_prefix=config.case_prefix, departments=config.allow_list())
        answers += take_reply(store, ports.files, mail.raw, parsed, now) == "answer"
    if mails:
        ports.mailbox.mark_processed([m.uid for m in mails])
    with store.transaction():
        store.set_value("mailbox.state", new_state)
    return answers


def message_key(parsed, raw: bytes) -> str:
    return parsed.message_id.strip() or "sha256:" + hashlib.sha256(raw).hexdigest()


def take_reply(store: Store, files: DataFiles, raw: bytes, parsed, now: datetime) -> str:
    """Apply one parsed mail; returns what happened (for logs and tests)."""
    key = message_key(parsed, raw)
    if store.mail_known(key):
        return "duplicate"
    raw_path = files.keep_raw_mail(raw, key, now)
    with store.transaction():
        store.remember_mail(key, parsed.case_id, parsed.kind, now, files.relative(raw_path), parsed.note)
        outcome = _apply(store, files, parsed, now)
    log.info("mail %s for %s: %s", parsed.kind, parsed.case_id or "-", outcome)
    return outcome


def _apply(store: Store, files: DataFiles, parsed, now: datetime) -> str:
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
    names = files.save(case.id, ANSWER, [(a.filename, a.data) for a in parsed.attachments])
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
