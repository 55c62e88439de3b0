"""Helpers to write small raw messages inline (the realistic ones live in fixtures/)."""

from __future__ import annotations

import pytest



def make_mail(body: str = "Ответ отдела.", *, subject: str = "Re: [OKH-2026-00042] тест",
              sender: str = "zhkh@adm-okha.ru", extra: str = "",
              content_type: str = "text/plain; charset=utf-8") -> bytes:
    head = (f"From: {sender}\r\nTo: obrashcheniya@adm-okha.ru\r\nSubject: {subject}\r\n"
            f"Message-ID: <m1@adm-okha.ru>\r\nMIME-Version: 1.0\r\n{extra}"
            f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
    return head.encode("utf-8") + body.encode("utf-8")


@pytest.fixture
def mail():
    return make_mail
