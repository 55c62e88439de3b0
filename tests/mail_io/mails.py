"""Small raw messages for the transport tests (the parsing tests own the real-client fixtures)."""

from __future__ import annotations


def make_mail(number: int, message_id: str | None = None, subject: str | None = None) -> bytes:
    message_id = message_id or f"<test-{number}@dept.example>"
    subject = subject or f"Re: [OKH-2026-{number:05d}] ответ"
    return (f"From: zhkh@dept.example\r\nTo: bridge@adm.example\r\n"
            f"Subject: {subject}\r\nMessage-ID: {message_id}\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: 8bit\r\n\r\nОтвет номер {number}.\r\n").encode("utf-8")


def message_id_of(raw: bytes) -> str:
    for line in raw.split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
    raise AssertionError("no Message-ID")
