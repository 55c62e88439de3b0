"""Step «почта»: department mail into cases (SPEC §1 steps 5–6, §3).

Each fetched mail is kept raw and recorded under its Message-ID (or a digest of its bytes), in
the same transaction as its effect on the case: the raw copy in the store (`mail_raw`), or, for a
mail larger than `files.RAW_IN_STORE`, as a file in `mail/YYYY-MM/` written before the commit. So a crash between reading a reply and writing the ledger can neither lose nor
double the answer. The department's files go to `attachments/<case>/answer/`. The mailbox state
(an opaque string, mailer/mailbox.py) moves only after every mail of the batch was stored.

A batch (up to `[mail] batch_size` mails) is parsed first; then what its mails need of the store
is read in three queries (`Lookups`: known Message-IDs, purged cases, the cases), and the mails
are applied in order in one transaction, each in its own savepoint, with no case read back
before it is saved. On PostgreSQL the batch's writes reach the server together at the COMMIT
(one round trip a batch, issue 15); a write refused there makes the batch run again mail by
mail, so only the mail at fault is set aside.
"""

from __future__ import annotations

import email.policy
import errno
import hashlib
import logging
import re
from dataclasses import replace
from datetime import datetime
from email.parser import BytesHeaderParser
from typing import Callable

from bridge.config import Config
from bridge.core import workflow
from bridge.core.errors import DeliveryError
from bridge.core.model import Case, Status
from bridge.core.progress import Progress
from bridge.steps.aside import set_aside
from bridge.steps.ports import Ports
from bridge.steps.purge import ACTION as PURGED
from bridge.storage.files import ANSWER, RAW_IN_STORE, DataFiles, KeepRaw
from bridge.storage.store import Store, TransactionLost, is_database_error, is_disk_full
from mailer.reply import ParsedReply, parse_reply

log = logging.getLogger("otklik.answers")

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
    so a mail that fails is undone alone and set aside. The mails are parsed first, then what
    they need of the store is read in three queries (`Lookups`), then they are applied in order.
    The mailbox flags are set only after the commit and the mailbox position moves only after
    the flags: a kill before the commit reads the batch again; a kill after it reads it again
    too, drops the stored ones as duplicates (by Message-ID) and flags them then."""
    mails, new_state = ports.mailbox.fetch_new(state)
    parsed = [_parse(config, mail.raw) for mail in progress.track(mails)]
    try:
        try:
            answers, ours, aside, complete = _apply_batch(store, ports, mails, parsed, now, together=True)
        except Exception as exc:   # noqa: BLE001 - a write refused at the COMMIT: find its mail
            if _batch_waits(exc):
                raise
            log.warning("a batch of mail was refused at its commit (%s): applied again mail by mail",
                        type(exc).__name__)
            answers, ours, aside, complete = _apply_batch(store, ports, mails, parsed, now, together=False)
    except Exception as exc:
        if not _no_room(exc):
            raise
        log.error("mail could not be written: %s", type(exc).__name__)
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "на диске нет места"
        raise DeliveryError(f"письма не удалось сохранить на диск ({why}); "
                            "они остались в почтовом ящике и будут прочитаны снова") from None
    if ours:
        ports.mailbox.mark_processed(ours)
    if aside:
        ports.mailbox.mark_set_aside(aside)
    if complete:   # after the flags: a kill before this reads the batch again and flags it then
        with store.transaction():
            store.set_value("mailbox.state", new_state)
    return answers, complete, bool(mails) and new_state != state


def _apply_batch(store: Store, ports: Ports, mails: list, parsed: list, now: datetime,
                 together: bool) -> tuple[int, list, list, bool]:
    """Apply the parsed mails in one transaction. `together`: a savepoint's statements wait
    for the COMMIT (PostgreSQL: the whole batch in one round trip, `Store.savepoint`), so a
    write the database refuses fails the whole batch there, and the caller applies it again
    without `together`, where that mail alone is undone and set aside."""
    answers, ours, aside, complete = 0, [], [], True
    with store.transaction(), ports.files.raw_mail_batch() as raw_mails:
        lookups = Lookups(store, [(message_key(reply, mail.raw), reply.case_id)
                                  for mail, reply in zip(mails, parsed) if not isinstance(reply, Exception)])
        for mail, reply in zip(mails, parsed):
            written: list = []     # a large mail's raw copy, removed again if the mail is set aside
            try:
                if isinstance(reply, Exception):
                    raise reply
                with store.savepoint(deferred=together):
                    outcome = take_reply(store, ports.files, mail.raw, reply, now, raw_mails.keeper(written), lookups)
                lookups.settle()
            except Exception as exc:   # noqa: BLE001 - one mail never stops the others
                if exc is not reply and _batch_waits(exc):   # a parse error is always the mail's own
                    raise
                lookups.forget()
                for path in written:
                    raw_mails.drop(path)
                if not _set_aside(store, ports.files, mail.raw, exc, now, parsed=exc is not reply):
                    complete = False
                    break
                outcome = "set_aside"
            answers += outcome == "answer"
            if outcome == "set_aside" and hasattr(ports.mailbox, "mark_set_aside"):
                aside.append(mail.uid)     # a folder of its own where the mailbox has one (Exchange)
            elif outcome not in NOT_OURS:
                ours.append(mail.uid)
    return answers, ours, aside, complete


def _no_room(exc: BaseException) -> bool:
    """The disk is full (a large raw copy, an attachment or the store could not be written): no
    mail's fault, so none of the batch is taken and it is read again next cycle. Any other
    failure, an OSError of one mail's file name too, sets that mail aside."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return is_disk_full(exc)


def _batch_waits(exc: BaseException) -> bool:
    """No mail's fault: a full disk, or a transaction SQLite ended itself. The batch is undone
    whole and stays in the mailbox."""
    return _no_room(exc) or isinstance(exc, TransactionLost)


# What we leave unflagged in the mailbox: not ours, so a person still sees it as unread.
NOT_OURS = ("no_case",)


def _parse(config: Config, raw: bytes) -> ParsedReply | Exception:
    """`parse_reply` never raises; should it all the same, the mail is set aside in its turn."""
    try:
        return parse_reply(raw, case_prefix=config.case_prefix, departments=config.allow_list())
    except Exception as exc:  # noqa: BLE001 - one mail never stops the others
        return exc


class Lookups:
    """What the mails of one batch need of the store, read before the first is applied: which
    Message-IDs were taken in already, which cases were purged, and the cases themselves —
    three queries for a batch instead of four per mail, and no case read back before it is
    saved (issues 14 and 15: on PostgreSQL each was a round trip). What a mail does is kept
    aside until its savepoint is released (`settle`), so the next mails of the batch see it
    (a second reply to one case, the same mail twice) and a mail undone leaves no trace here
    (`forget`)."""

    def __init__(self, store: Store, mails: list[tuple[str, str | None]]) -> None:
        case_ids = {case_id for _, case_id in mails if case_id}
        self.known = store.known_mail_keys([key for key, _ in mails])
        self.purged = store.cases_with_action(case_ids, PURGED)
        self.cases: dict[str, Case] = {case.id: case for case in store.cases_by_id(sorted(case_ids))}
        self._keys: set[str] = set()
        self._cases: dict[str, Case] = {}

    def case(self, case_id: str | None) -> Case | None:
        """The case as the store holds it now (never changed in place: a change is a new copy)."""
        if not case_id:
            return None
        return self._cases.get(case_id) or self.cases.get(case_id)

    def seen(self, key: str) -> bool:
        return key in self.known or key in self._keys

    def taken(self, key: str) -> None:
        self._keys.add(key)

    def saved(self, case: Case) -> None:
        self._cases[case.id] = case

    def settle(self) -> None:
        self.known |= self._keys
        self.cases.update(self._cases)
        self.forget()

    def forget(self) -> None:
        self._keys, self._cases = set(), {}


def _set_aside(store: Store, files: DataFiles, raw: bytes, exc: Exception, now: datetime, *, parsed: bool) -> bool:
    """PARSED: the mail was read, and taking it in failed (the database refused a write, or our code)."""
    log.error("a mail could not be taken in: %s", type(exc).__name__)
    name = type(exc).__name__
    why = (f"Письмо не удалось разобрать ({name})" if not parsed else
           f"Письмо прочитано, но не сохранено: база данных его не приняла ({name})" if is_database_error(exc) else
           f"Письмо прочитано, но принять его не удалось ({name})")
    return set_aside(store, files, "mail", raw, "mail", f"{why}; оставлено для ручного разбора.", now)


def message_key(parsed, raw: bytes) -> str:
    return parsed.message_id.strip() or "sha256:" + hashlib.sha256(raw).hexdigest()


def take_reply(store: Store, files: DataFiles, raw: bytes, parsed, now: datetime,
               keep_raw: KeepRaw | None = None, lookups: Lookups | None = None) -> str:
    """Apply one parsed mail; returns what happened (for logs and tests). `keep_raw` writes a
    large mail's raw copy (a batch's writer, `DataFiles.raw_mail_batch`); by default it is
    written here.
    `lookups` is what the batch read of the store; a mail alone reads its own."""
    key = message_key(parsed, raw)
    with store.transaction():
        if lookups is None:
            lookups = Lookups(store, [(key, parsed.case_id)])
        if lookups.seen(key):
            return "duplicate"
        if parsed.case_id and parsed.case_id in lookups.purged:
            return _refuse_purged(store, key, parsed, now, lookups)
        if len(raw) <= RAW_IN_STORE:
            store.remember_mail(key, parsed.case_id, parsed.kind, now, "", parsed.note, raw=raw)
        else:
            raw_path = (keep_raw or files.keep_raw_mail)(raw, key, now)
            store.remember_mail(key, parsed.case_id, parsed.kind, now, files.relative(raw_path), parsed.note)
        lookups.taken(key)
        outcome = _apply(store, files, parsed, now, lambda: _threading(raw), lookups)
    log.info("mail %s for %s: %s", parsed.kind, parsed.case_id or "-", outcome)
    return outcome


def _refuse_purged(store: Store, key: str, parsed, now: datetime, lookups: Lookups) -> str:
    """152-ФЗ: a late reply to a case whose personal data was purged would write the citizen's
    details (a passport scan, an address) back. Nothing of it is kept: no raw copy, no text, no
    files; the mail stays in the mailbox and the operator is told where it is."""
    with store.transaction():
        store.remember_mail(key, parsed.case_id, "purged_case", now, "", "")
        lookups.taken(key)
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


def _apply(store: Store, files: DataFiles, parsed, now: datetime, threading: Callable[[], set[str]],
           lookups: Lookups) -> str:
    """`threading` reads the Message-IDs the mail answers, asked only when the case does not await
    an answer (a second parse of the header: 0.06 ms a mail, issue 14). `case` is the stored case
    itself (the batch's `Lookups`), never changed in place: what is saved is a copy."""
    case = lookups.case(parsed.case_id)
    if parsed.kind == "bounce":
        text = "Письмо не доставлено: " + (", ".join(parsed.failed_recipients) or "адрес не указан")
        store.alert("bounce", text + ". Проверьте адрес отдела в настройках.", parsed.case_id or "", at=now)
        return _note(store, lookups, case, text + ".", now, "недоставка")
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
        return _note(store, lookups, case, f"Письмо от постороннего адреса {parsed.sender} не принято как ответ.",
                     now, "посторонний отправитель")
    if not case.closed and case.status not in AWAITS_ANSWER and not threading() & set(case.thread_ids):
        # A number typed by hand, or one reused after a store was lost: never someone else's answer.
        store.alert("unknown_sender", f"Письмо по {case.id} от {parsed.sender}: обращение в отдел не "
                    "направлялось и письмо не отвечает ни на одно наше — не принято как ответ.", case.id, at=now)
        return _note(store, lookups, case, "Пришло письмо с номером этого обращения, хотя в отдел оно не направлялось: "
                     "не принято как ответ (письмо сохранено).", now, "письмо не по обращению")
    names = files.save(case.id, ANSWER, [(a.filename, a.data) for a in parsed.attachments])
    outcome = workflow.answer_received(case, parsed.answer, names, now)
    outcome.case.system_note = outcome.note
    if parsed.department and case.department and parsed.department != case.department:
        outcome.case.system_note += (f" Ответ прислал другой отдел ({parsed.department}, {parsed.sender}), "
                                     f"а обращение направлено в «{case.department}»: проверьте.")
    store.save(outcome.case, parsed.sender, "ответ отдела", at=now, before=case)
    lookups.saved(outcome.case)
    if not outcome.applied:   # the note promises the late text is in the history (purge blanks it)
        store.record(case.id, parsed.sender, "ответ по закрытому обращению", "dept_answer", None, parsed.answer, at=now)
    return "answer" if outcome.applied else "answer_to_closed"


def _note(store: Store, lookups: Lookups, case: Case | None, text: str, now: datetime, action: str) -> str:
    if case is not None:
        noted = replace(case, system_note=text)
        store.save(noted, "почта", action, at=now, before=case)
        lookups.saved(noted)
    return action
