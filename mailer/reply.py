"""Understand one incoming email: its case, its kind and the department's answer (SPEC §3).

`parse_reply` is pure (bytes in, dataclass out) and never raises: the worst outcome is kind
'no_case' with a note, so one bad email never stops the cycle (SPEC §8). The answer it extracts
is what the regulation's review step (п. 3.3) starts from.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Mapping
from dataclasses import dataclass

from mailer.body import answer_body, answer_text
from mailer.classify import detect_auto_reply, failed_recipients, is_bounce, locate_case
from mailer.mime import MailParts, collect_parts, referenced_cids

KINDS = ("answer", "auto_reply", "bounce", "unknown_sender", "no_case")
TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}

# Everything the operator reads, in one place (Russian).
NOTES = {
    "answer": "Ответ отдела «{department}» по обращению {case_id}.",
    "answer_files_only": "Ответ отдела «{department}» по обращению {case_id}: текста нет, "
                         "только вложения ({count}).",
    "answer_empty": "Ответ отдела «{department}» по обращению {case_id} пуст: нет ни текста, "
                    "ни вложений.",
    "auto_reply": "Автоответ ({reason}): это не ответ отдела, на него не отвечаем.",
    "bounce": "Письмо не доставлено на адрес {addresses}: проверьте адрес отдела.",
    "bounce_unknown": "Уведомление о недоставке письма (адрес получателя в нём не указан).",
    "unknown_sender": "Письмо по обращению {case_id} пришло с адреса {sender}, которого нет в "
                      "списке адресов отделов: ответ не записан, письмо оставлено оператору.",
    "no_case": "Номер обращения не найден ни в заголовках, ни в теме, ни в тексте письма.",
    "broken": "Письмо не удалось разобрать ({error}): оно сохранено для ручного разбора.",
    "truncated": " Письмо слишком сложное: разобрана только его часть.",
    "tnef": " Вложение winmail.dat (формат Outlook TNEF) не распаковано: попросите отдел "
            "отправлять письма в формате HTML или обычного текста.",
}


@dataclass(frozen=True)
class ReplyAttachment:
    filename: str       # decoded and made safe (see mime.sanitize_filename)
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedReply:
    kind: str                       # one of KINDS
    case_id: str | None
    answer: str                     # the department's words ('' for bounces, auto-replies)
    attachments: tuple[ReplyAttachment, ...]
    sender: str                     # lower-cased From address
    department: str | None          # department code when the sender is allow-listed
    message_id: str
    failed_recipients: tuple[str, ...]
    note: str                       # one Russian sentence for the operator

    def to_json(self, file: str) -> dict:
        """The `parse-reply --json` line of SPEC §6."""
        return {"file": file, "kind": self.kind, "case_id": self.case_id,
                "answer": self.answer,
                "attachments": [a.filename for a in self.attachments]}


def parse_reply(raw: bytes, *, case_prefix: str = "OKH",
                departments: Mapping[str, str]) -> ParsedReply:
    """Classify and extract one raw email; `departments` maps address -> department code."""
    allow = {str(k).strip().lower(): v for k, v in departments.items()}
    try:
        return understand(collect_parts(bytes(raw)), case_prefix, allow)
    except Exception as exc:  # noqa: BLE001 - never lose an item: say why and keep going
        return ParsedReply("no_case", None, "", (), "", None, "", (),
                           NOTES["broken"].format(error=type(exc).__name__))


def understand(parts: MailParts, prefix: str, allow: Mapping[str, str]) -> ParsedReply:
    sender = sender_address(parts)
    department = allow.get(sender)
    case_id = locate_case(parts, prefix)
    base = dict(case_id=case_id, sender=sender, department=department,
                message_id=parts.header("message-id"))
    suffix = NOTES["truncated"] if parts.truncated else ""
    if is_bounce(parts, sender):
        failed = failed_recipients(parts, allow)
        note = (NOTES["bounce"].format(addresses=", ".join(failed)) if failed
                else NOTES["bounce_unknown"])
        return ParsedReply("bounce", answer="", attachments=(), failed_recipients=failed,
                           note=note + suffix, **base)
    reason = detect_auto_reply(parts)
    if reason:
        return ParsedReply("auto_reply", answer="", attachments=(), failed_recipients=(),
                           note=NOTES["auto_reply"].format(reason=reason) + suffix, **base)
    if case_id is None:
        return ParsedReply("no_case", answer="", attachments=(), failed_recipients=(),
                           note=NOTES["no_case"] + suffix, **base)
    answer = answer_text(parts)
    attachments, tnef_kept = collect_attachments(parts)
    suffix += NOTES["tnef"] if tnef_kept else ""
    kind = "answer" if department is not None else "unknown_sender"
    note = answer_note(kind, answer, attachments, base)
    return ParsedReply(kind, answer=answer, attachments=attachments, failed_recipients=(),
                       note=note + suffix, **base)


def answer_note(kind: str, answer: str, attachments: tuple, base: dict) -> str:
    if kind == "unknown_sender":
        return NOTES["unknown_sender"].format(**base)
    key = "answer" if answer else ("answer_files_only" if attachments else "answer_empty")
    return NOTES[key].format(count=len(attachments), **base)


def sender_address(parts: MailParts) -> str:
    """The address the mail really came from: the last <angle address> of the From header as
    sent, never one spelled inside a display name or an encoded word (SPEC §8 allow-list)."""
    raw = parts.raw_from or parts.header("from")
    angled = re.findall(r"<([^<>\s]+@[^<>\s]+)>", raw)
    address = angled[-1] if angled else email.utils.parseaddr(raw)[1]
    return address.strip().lower()


def body_text(parts: MailParts) -> str:
    """The body the answer is read from, chosen by content (see body.py)."""
    return answer_body(parts)


def collect_attachments(parts: MailParts) -> tuple[tuple[ReplyAttachment, ...], bool]:
    """Files except images the HTML body shows (cid: logos); TNEF is kept as it is."""
    cids = referenced_cids(parts.html)
    files = [f for f in parts.files if not (f.content_id and f.content_id in cids)]
    tnef = any(f.content_type in TNEF_TYPES or f.filename.lower() == "winmail.dat"
               for f in files)
    return tuple(ReplyAttachment(f.filename, f.content_type, f.data) for f in files), tnef
