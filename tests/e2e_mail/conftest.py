"""Fixtures for the end-to-end mail tests: a real Dovecot, a real SMTP sink, one wired bridge."""

from __future__ import annotations

import pytest

from tests.e2e_mail.loop import MailLoop
from tests.servers.dovecot import dovecot  # noqa: F401
from tests.servers.smtp import smtp_sink  # noqa: F401


@pytest.fixture
def loop(tmp_path, dovecot, smtp_sink):  # noqa: F811 - pytest fixtures by name
    mail_loop = MailLoop(tmp_path, dovecot, smtp_sink)
    yield mail_loop
    mail_loop.close()


@pytest.fixture
def fast_loop(tmp_path, dovecot, smtp_sink):  # noqa: F811
    """The same wiring, with an SMTP sender that does not rebuild its TLS context per mail."""
    mail_loop = MailLoop(tmp_path, dovecot, smtp_sink, shared_tls_context=True)
    yield mail_loop
    mail_loop.close()
