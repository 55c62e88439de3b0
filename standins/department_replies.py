"""Scripted department replies for the demo: real-looking mails in several client styles,
answering a case mail the bridge sent (threading headers, quoted original)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone


def _original(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def _quoted_plain(original: EmailMessage) -> str:
    body = original.get_body(("plain",))
    text = body.get_content() if body else ""
    return "\n".join("> " + line for line in text.splitlines()[:12])


def reply(raw_original: bytes, sender: str, text: str, style: str = "outlook",
          attachment: tuple[str, bytes] | None = None) -> bytes:
    """A reply to `raw_original` from `sender` written as `style` would write it."""
    original = _original(raw_original)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = original["Reply-To"] or original["From"]
    prefix = {"outlook": "RE: ", "gmail": "Re: ", "iphone": "Re: ", "thebat": "Re[2]: "}[style]
    msg["Subject"] = prefix + str(original["Subject"])
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    msg["In-Reply-To"] = original["Message-ID"]
    msg["References"] = " ".join(filter(None, [str(original.get("References") or ""), original["Message-ID"]]))
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    when = datetime.now().strftime("%d.%m.%Y %H:%M")
    if style == "outlook":
        body = (f"{text}\n\nС уважением,\nначальник отдела\nИванова А. П.\nтел. +7 (42437) 3-00-00\n\n"
                f"-----Исходное сообщение-----\nОт: {original['From']}\nОтправлено: {when}\n"
                f"Кому: {sender}\nТема: {original['Subject']}\n\n{_quoted_plain(original)[2:]}")
    elif style == "gmail":
        body = f"{text}\n\n{when}, Отклик <{original['From'].addresses[0].addr_spec}>:\n{_quoted_plain(original)}"
    elif style == "iphone":
        body = f"{text}\n\nОтправлено с iPhone\n\n> {when}, Отклик написал(а):\n{_quoted_plain(original)}"
    else:
        body = f"{text}\n\n--\nОтдел\n\nВы писали {when}:\n{_quoted_plain(original)}"
    msg.set_content(body)
    if attachment:
        name, data = attachment
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return bytes(msg)


def auto_reply(raw_original: bytes, sender: str) -> bytes:
    original = _original(raw_original)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = original["From"]
    msg["Subject"] = "Автоматический ответ: " + str(original["Subject"])
    msg["Auto-Submitted"] = "auto-replied"
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    msg["In-Reply-To"] = original["Message-ID"]
    msg.set_content("Я в отпуске до 10 декабря. По срочным вопросам звоните в приёмную.")
    return bytes(msg)
