"""The workbook under a person's hands: the ledger fixtures (a real app, a clock, an openpyxl
"operator") are the ones of tests/ledger, reused as they are."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage

from tests.ledger.conftest import app, clock  # noqa: F401 - pytest fixtures by name
from bridge.steps.answers import take_reply
from mailer.reply import parse_reply

LEDGER_NAME = "Журнал обращений.xlsx"
EXCEL_LOCK = "~$" + LEDGER_NAME


def department_answer(app, case_id: str, text: str, now, sender: str = "zhkh@adm-okha.ru") -> str:
    """A department's reply straight into the store, as the mail step would take it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "obrashcheniya@adm-okha.ru"
    msg["Subject"] = f"Re: [{case_id}] ответ"
    msg["Message-ID"] = f"<{case_id}.{hashlib.sha1(text.encode()).hexdigest()[:12]}@dept.example>"
    msg.set_content(text)
    raw = msg.as_bytes()
    parsed = parse_reply(raw, case_prefix=app.config.case_prefix, departments=app.config.allow_list())
    return take_reply(app.store, app.files, raw, parsed, now)


class _During:
    """A mailbox (or a channel) whose read runs `action`: the moment between the cycle's read of
    the workbook and its write, entered the way the world enters it (a step reading its source)."""

    name = "during"

    def __init__(self, action) -> None:
        self.action = action

    def fetch_new(self, state):
        self.action(None)
        return [], state or ""

    def mark_processed(self, uids) -> None:
        pass

    def fetch(self, cursor, timeout=0):
        self.action(None)
        return [], cursor


def with_step(app, name: str, action):
    """Run `action(now)` inside the cycle when the mail ("take_mail") or channel ("take_channels")
    step reads its source."""
    if name == "take_mail":
        app.ports.mailbox = _During(action)
    else:
        app.ports.channels = {"during": _During(action)}


def without_step(app, name: str) -> None:
    if name == "take_mail":
        app.ports.mailbox = None
    else:
        app.ports.channels = {}
