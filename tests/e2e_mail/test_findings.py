"""Defects the end-to-end runs exposed outside this folder, pinned until they are fixed."""

from __future__ import annotations

import ssl

import pytest

from mailer.smtp import SmtpSender
from tests.e2e_mail.loop import BRIDGE_ADDRESS, ZHKH

MAIL = b"From: obrashcheniya@adm-okha.ru\r\nTo: zhkh@adm-okha.ru\r\nSubject: test\r\n\r\nbody\r\n"


def test_smtp_sender_builds_at_most_one_tls_context(smtp_sink, monkeypatch):  # noqa: F811
    built = []
    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: built.append(1) or real(*a, **k))
    sender = SmtpSender("127.0.0.1", smtp_sink.port, "none", None, None)
    for _ in range(3):
        sender.send(BRIDGE_ADDRESS, [ZHKH], MAIL)
    assert len(smtp_sink.messages) == 3
    assert len(built) <= 1
