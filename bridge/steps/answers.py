"""Step «почта»: department mail into cases (SPEC §1 steps 5–6, §3).

Each fetched mail is first stored raw (`mail/YYYY-MM/…eml`, bridge/storage/files.py) and
recorded under its Message-ID (or a digest of its bytes), in the same transaction as its effect
on the case, so a crash between reading a reply and writing the ledger can neither lose nor
double the answer. The department's files go to `attachments/<case>/answer/`. The mailbox state
(an opaque string, mailer/mailbox.py) moves only after every mail of the batch was stored.
"""

from __future__ import annotations

import email.policy
import hashlib
import logging
import re
from datetime import datetime
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Callable

from bridge.config import Config
from bridge.core import workflow
from bridge.core.errors import DeliveryError
from bridge.core.model import Status
from bridge.core.progress import Progress
from bridge.steps.aside import set_aside
from bridge.steps.ports import Ports
from bridge.steps.purge import ACTION as PURGED
from bridge.storage.files import ANSWER, DataFiles
from bridge.storage.store import Store

log = logging.getLogger("otklik.answers")

KeepRaw = Callable[[bytes, str, datetime], Path]


def take_mail(store: Store, config: Config, ports: Ports, now: datetime) -> int:
    """Read new mail and apply it, mail by mail; returns how many answers were taken.

    A mail that fails in a way nobody foresaw is set aside (its raw bytes kept in
    `journals/set_aside/`, the operator told) and the others go on. The mailbox position moves
    only when every mail of the batch was stored or set aside; if one could be neither (a full
    disk), the batch stops there and is read again next cycle (duplicates are dropped by
    Message-ID)."""
    if ports.mailbox is None:
        return 0
    if store.get_value("mailbox.state") is None and store.get_value("mailbox.started") is None:
        _first_start(store, config, ports, now)
    answers = 0
    with ports.progress("почта: письма", unit="писем") as bar:   # a large mailbox takes minutes
        for _ in range(MAX_BATCHES):
            state = store.get_value("mailbox.state")
            taken, complete, more = _take_batch(store, config, ports, state, now, bar)
            answers += taken
            if not (complete and more):
                break
    return answers


MAX_BATCHES = 25          # batches of mailer.imap.FETCH_LIMIT mails per cycle: memory stays bounded


def _first_start(store: Store, config: Config, ports: Ports, now: datetime) -> None:
    """The first start skips the mail already in the box (`[mail] read_existing = true` reads it):
    a mailbox with 6,000 old letters must not become 6,000 alerts."""
    with store.transaction():
        store.set_value("mailbox.started", now.isoformat())
    if config.mail.get("read_existing") or not hasattr(ports.mailbox, "start_position"):
        return
    position = ports.mailbox.start_position()
    with store.transaction():
        store.set_value("mailbox.state", position)
    log.info("first start: the mail already in the mailbox is left as it is")


def _take_batch(store: Store, config: Config, ports: Ports, state, now: datetime,
                progress: Progress) -> tuple[int, bool, bool]:
    """One batch, one transaction (one fsync, not one per reply): each mail in its own savepoint,
    so a mail that fails is undone alone and set aside. The mailbox flags are set only after the
    commit and the mailbox position moves only after the flags: a kill before the commit reads
    the batch again; a kill after it reads it again too, drops the stored ones as duplicates (by
    Message-ID) and flags them then."""
    mails, new_state = ports.mailbox.fetch_new(state)
    answers, ours, aside, complete = 0, [], [], True
    try:
        # The raw copies are written while the next mails are parsed; the transaction commits
        # only after every one of them is on disk (DataFiles.raw_mail_batch).
        with store.transaction(), ports.files.raw_mail_batch() as raw_mails:
            for mail in progress.track(mails):
                try:
                    with store.savepoint():
                        outcome = take_one(store, config, ports.files, mail.raw, now, raw_mails.keep)
                except Exception as exc:   # noqa: BLE001 - one mail never stops the others
                    if not _set_aside(store, ports.files, mail.raw, exc, now):
                        complete = False
                        break
                    outcome = "set_aside"
                answers += outcome == "answer"
                if outcome == "set_aside" and hasattr(ports.mailbox, "mark_set_aside"):
                    aside.append(mail.uid)     # a folder of its own where the mailbox has one (Exchange)
                elif outcome not in NOT_OURS:
                    ours.append(mail.uid)
    except OSError as exc:   # a raw copy could not be written (a full disk): none of the batch is taken
        log.error("raw mail could not be written: %s", type(exc).__name__)
        raise DeliveryError(f"письма не удалось сохранить на диск ({exc.strerror or type(exc).__name__}); "
                            "они остались в почтовом ящике и будут прочитаны снова") from None
    if ours:
        ports.mailbox.mark_processed(ours)
    if aside:
        ports.mailbox.mark_set_aside(aside)
    if complete:   # after the flags: a kill before this reads the batch again and flags it then
        with store.transaction():
            store.set_value("mailbox.state", new_state)
    return answers, complete, bool(mails) and new_state != state


# What we leave unflagged in the mailbox: not ours, so a person still sees it as unread.
NOT_OURS = ("no_case",)


def take_one(store: Store, config: Config, files: DataFiles, raw: bytes, now: datetime,
             keep_raw: KeepRaw | None = None) -> str:
    from mailer.reply import parse_reply
    parsed = parse_reply(raw, case_prefix=config.case_prefix, departments=config.allow_list())
    return take_reply(store, files, raw, parsed, now, keep_raw)


def _set_aside(store: Store, files: DataFiles, raw: bytes, exc: Exception, now: datetime) -> bool:
    log.error("a mail could not be taken in: %s", type(exc).__name__)
    return set_aside(store, files, "mail", raw, "mail",
                     f"Письмо не удалось разобрать ({type(exc).__name__}); оставлено для ручного разбора.", now)


def message_key(parsed, raw: bytes) -> str:
    return parsed.message_id.strip() or "sha256:" + hashlib.sha256(raw).hexdigest()


def take_reply(store: Store, files: DataFiles, raw: bytes, parsed, now: datetime,
               keep_raw: KeepRaw | None = None) -> str:
    """Apply one parsed mail; returns what happened (for logs and tests). `keep_raw` writes the
    raw copy (a batch's writer, `DataFiles.raw_mail_batch`); by default it is written here."""
    key = message_key(parsed, raw)
    if store.mail_known(key):
        return "duplicate"
    if parsed.case_id and store.has_action(parsed.case_id, PURGED):
        return _refuse_purged(store, key, parsed, now)
    raw_path = (keep_raw or files.keep_raw_mail)(raw, key, now)
    with store.transaction():
        store.remember_mail(key, parsed.case_id, parsed.kind, now, files.relative(raw_path), parsed.note)
        outcome = _apply(store, files, parsed, now, lambda: _threading(raw))
    log.info("mail %s for %s: %s", parsed.kind, parsed.case_id or "-", outcome)
    return outcome


def _refuse_purged(store: Store, key: str, parsed, now: datetime) -> str:
    """152-ФЗ: a late reply to a case whose personal data was purged would write the citizen's
    details (a passport scan, an address) back. Nothing of it is kept: no raw copy, no text, no
    files; the mail stays in the mailbox and the operator is told where it is."""
    with store.transaction():
        store.remember_mail(key, parsed.case_id, "purged_case", now, "", "")
        store.record(parsed.case_id, parsed.sender or "почта", "письмо по обращению с удалёнными данными", at=now)
        store.alert("purged_case", f"Пришло письмо по {parsed.case_id} от {parsed.sender or 'неизвестного'}, "
                    "а персональные данные этого обращения уже удалены (152-ФЗ): письмо и вложения не "
                    "сохранены, оно осталось в почтовом ящике Отклика.", parsed.case_id, at=now)
    log.info("mail for %s refused: the case was purged", parsed.case_id)
    return "purged_case"


# Where a department's answer is expected; any other state needs the mail to answer one of ours.
AWAITS_ANSWER = (Status.ROUTED, Status.REWORK, Status.ANSWERED, Status.PUBLISH_FAILED)


def _threading(raw: bytes) -> set[str]:
    """The Message-IDs a mail answers (In-Reply-To, References), read from its header only."""
    head = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw[:65536])
    text = " ".join(str(head.get(name, "")) for name in ("In-Reply-To", "References"))
    return set(re.findall(r"<[^<>\s]+>", text))


def _apply(store: Store, files: DataFiles, parsed, now: datetime,
           threading: Callable[[], set[str]] = frozenset) -> str:
    """`threading` reads the Message-IDs the mail answers, asked only when the case does not await
    an answer (a second parse of the header: 0.06 ms a mail, issue 14)."""
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
    if not case.closed and case.status not in AWAITS_ANSWER and not threading() & set(case.thread_ids):
        # A number typed by hand, or one reused after a store was lost: never someone else's answer.
        store.alert("unknown_sender", f"Письмо по {case.id} от {parsed.sender}: обращение в отдел не "
                    "направлялось и письмо не отвечает ни на одно наше — не принято как ответ.", case.id, at=now)
        return _note(store, case, "Пришло письмо с номером этого обращения, хотя в отдел оно не направлялось: "
                     "не принято как ответ (письмо сохранено).", now, "письмо не по обращению")
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
