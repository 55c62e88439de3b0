"""Which case an incoming email belongs to, and what kind of email it is (SPEC §3).

The rules are tables of (name, check) rows read top to bottom; each check returns the reason
in Russian for the operator's note, or None. The order of kinds is fixed by SPEC §3: bounce,
auto_reply, no_case, unknown_sender, else answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from mailer.mime import MailParts

Headers = Mapping[str, list[str]]


# --- case ID ---------------------------------------------------------------------------------

def case_id_pattern(prefix: str) -> re.Pattern[str]:
    """`{prefix}-{year}-{number:05d}`, not glued to other letters or digits."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(prefix)}-(\d{{4}})-(\d{{5}})(?!\d)",
                      re.IGNORECASE)


def find_case_id(texts: Iterable[str], prefix: str) -> str | None:
    pattern = case_id_pattern(prefix)
    for text in texts:
        match = pattern.search(text or "")
        if match:
            return f"{prefix.upper()}-{match.group(1)}-{match.group(2)}"
    return None


def case_from_thread(headers: Headers, prefix: str) -> str | None:
    """Our Message-IDs are `<OKH-2026-00042.<random>@<host>>`; In-Reply-To first, then the
    References from the newest back."""
    pattern = re.compile(rf"<\s*({re.escape(prefix)}-\d{{4}}-\d{{5}})\.", re.IGNORECASE)
    ids: list[str] = []
    for value in headers.get("in-reply-to", []):
        ids.extend(pattern.findall(value))
    for value in headers.get("references", []):
        ids.extend(reversed(pattern.findall(value)))
    return ids[0].upper() if ids else None


def locate_case(parts: MailParts, prefix: str) -> str | None:
    """Thread headers, then the subject, then the body, then a bounced original's headers."""
    embedded = [" ".join(h.get(name, [""])[0] for name in ("subject", "message-id"))
                for h in parts.embedded_headers]
    return (case_from_thread(parts.headers, prefix)
            or find_case_id([parts.header("subject")], prefix)
            or find_case_id(parts.plain + parts.html, prefix)
            or next((c for h in parts.embedded_headers if (c := case_from_thread(
                {"in-reply-to": h.get("message-id", [])}, prefix))), None)
            or find_case_id(embedded, prefix))


# --- auto replies ----------------------------------------------------------------------------

AUTO_SUBJECT = re.compile(r"^\s*((автоматический ответ|automatic reply|autoreply|auto-reply|"
                          r"автоответ|прочитано|не прочитано|read|not read|доставлено|"
                          r"delivered)\s*:|out of (the )?office\b|отсутствую\b|вне офиса\b)",
                          re.I)
AUTO_PRECEDENCE = {"auto_reply", "bulk", "junk"}


def header_reason(name: str, accept: Callable[[str], bool]) -> Callable[[MailParts], str | None]:
    def check(parts: MailParts) -> str | None:
        for value in parts.headers.get(name.lower(), []):
            if accept(value.strip().lower()):
                return f"{name}: {value.strip()[:60]}"
        return None
    return check


def subject_reason(parts: MailParts) -> str | None:
    subject = parts.header("subject")
    match = AUTO_SUBJECT.match(subject)
    return f"тема «{match.group(0).strip()}»" if match else None


def receipt_reason(parts: MailParts) -> str | None:
    if parts.report_type == "disposition-notification":
        return "уведомление о прочтении"
    return None


AUTO_REPLY_RULES: list[tuple[str, Callable[[MailParts], str | None]]] = [
    # RFC 3834: anything but "no" is machine-made.
    ("Auto-Submitted", header_reason("Auto-Submitted", lambda v: v != "no")),
    ("X-Autoreply", header_reason("X-Autoreply", lambda v: v not in ("", "no"))),
    ("X-Autorespond", header_reason("X-Autorespond", lambda v: v not in ("no",))),
    ("X-Autoresponder", header_reason("X-Autoresponder", lambda v: v not in ("no",))),
    ("Precedence", header_reason("Precedence", lambda v: v in AUTO_PRECEDENCE)),
    # Exchange marks its out-of-office and rule replies so that they are not answered.
    ("Exchange OOF", header_reason("X-Auto-Response-Suppress",
                                   lambda v: v == "all")),
    ("Exchange rule", header_reason("X-MS-Exchange-Inbox-Rules-Loop", lambda v: True)),
    ("read receipt", receipt_reason),
    ("subject", subject_reason),
]


def detect_auto_reply(parts: MailParts) -> str | None:
    return next((reason for _, rule in AUTO_REPLY_RULES if (reason := rule(parts))), None)


# --- bounces ---------------------------------------------------------------------------------

DAEMON_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)
BOUNCE_TEXT = re.compile(
    r"undeliver|delivery (status notification|has failed|failure|failed)|mail delivery "
    r"(failed|subsystem)|returned mail|failure notice|could not be delivered|"
    r"недоставлен|не доставлен|не удалось доставить|не может быть доставлен|"
    r"ошибка доставки|возвращенное письмо", re.I)
ADDRESS_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def dsn_recipient(block: Mapping[str, str]) -> str:
    value = block.get("original-recipient") or block.get("final-recipient") or ""
    return value.split(";", 1)[-1].strip().strip("<>").lower()


def failed_recipients(parts: MailParts, departments: Mapping[str, str]) -> tuple[str, ...]:
    """From the DSN fields (RFC 3464), else X-Failed-Recipients, else department addresses
    named in the bounce text."""
    found = [dsn_recipient(block) for block in parts.dsn_blocks
             if dsn_recipient(block) and block.get("action", "failed").lower() != "delivered"]
    if not found:
        found = [a.lower() for v in parts.headers.get("x-failed-recipients", [])
                 for a in ADDRESS_RE.findall(v)]
    if not found:
        found = [a.lower() for text in parts.plain for a in ADDRESS_RE.findall(text[:20000])
                 if a.lower() in departments]
    return tuple(dict.fromkeys(found))


def is_bounce(parts: MailParts, sender: str) -> bool:
    if parts.content_type == "multipart/report" and parts.report_type == "delivery-status":
        return True
    if parts.dsn_blocks and any(dsn_recipient(b) for b in parts.dsn_blocks):
        return True
    if DAEMON_SENDER.match(sender):
        text = parts.header("subject") + "\n" + "\n".join(t[:5000] for t in parts.plain)
        return bool(BOUNCE_TEXT.search(text))
    return False
