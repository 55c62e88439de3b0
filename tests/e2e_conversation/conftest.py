"""The citizen writes again, the operator changes their mind (issue 11), end to end.

The stand is the one of tests/e2e_channels (VK, Telegram and OK stand-ins, an SMTP sink, a real
Dovecot, the workbook typed into with openpyxl); this folder adds what its tests read: the mails
as parsed messages, a restart with an edited configuration.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
from email.message import EmailMessage

import pytest

from bridge.app import build_app
from bridge.config import Config
from tests.e2e_channels.conftest import Stand, mailboxes, stand  # noqa: F401 - pytest fixtures by name


def parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def plain(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def mails_to(stand: Stand, address: str) -> list[EmailMessage]:
    """Every mail the SMTP sink accepted for `address`, oldest first."""
    return [parsed(raw) for _, rcpt, raw in stand.smtp.messages if address.lower() in (r.lower() for r in rcpt)]


@pytest.fixture
def restart(stand, request):
    """Stop the service and start it again with an edited configuration (what an administrator
    does after fixing `config.toml`)."""
    def restart_with(change) -> Config:
        old = stand.app
        config = change(old.config)
        old.mailbox.close()
        old.store.close()
        stand.app = build_app(config)
        request.addfinalizer(lambda app=stand.app: (app.mailbox.close(), app.store.close()))
        return config
    return restart_with


def with_department_emails(config: Config, code: str, emails: tuple[str, ...]) -> Config:
    departments = tuple(dataclasses.replace(d, emails=emails) if d.code == code else d for d in config.departments)
    return dataclasses.replace(config, departments=departments)
