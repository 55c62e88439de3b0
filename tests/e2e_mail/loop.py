"""The mail loop as a person sees it: an operator typing into the workbook, departments replying
by mail into a real Dovecot, the bridge sending through a real SMTP server (aiosmtpd).

`MailLoop` wires one application to those servers and offers the few moves the e2e tests need:
open cases, type decisions, run a cycle, read what was sent, reply, read the ledger back.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import os
import re
import ssl
from datetime import datetime, timezone
from pathlib import Path

import openpyxl

import bridge.config
from bridge.app import App, build_app
from bridge.config import Config
from bridge.cycle import CycleReport, run_cycle
from bridge.steps.intake import open_case
from bridge.core.model import Case
from ledger.columns import SHEET
from mailer.smtp import SmtpSender

BRIDGE_ADDRESS = "obrashcheniya@adm-okha.ru"
PASSWORD_ENV = "OTKLIK_E2E_IMAP_PASSWORD"
PASSWORD = "e2e-secret"
OPERATOR = "Петрова Е. В."
ZHKH = "zhkh@adm-okha.ru"
DOROGI = "dorogi@adm-okha.ru"
SUBJECT_ID = re.compile(r"\[(OKH-\d{4}-\d{5})\]")


def mail_settings(dovecot, smtp_port: int) -> dict:
    """The [mail] section pointing at the private servers (passwords only in the environment)."""
    return {"backend": "imap", "address": BRIDGE_ADDRESS,
            "imap_host": dovecot.host, "imap_port": dovecot.port, "imap_security": "none",
            "imap_user": BRIDGE_ADDRESS, "imap_password_env": PASSWORD_ENV,
            "smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_security": "none",
            "smtp_user": "", "smtp_password_env": "OTKLIK_E2E_SMTP_PASSWORD"}


def make_config(root: Path, dovecot, smtp_port: int) -> Config:
    data = root / "data"
    return dataclasses.replace(bridge.config.load(None), base_dir=root, data_dir=data,
                               ledger=data / "Журнал обращений.xlsx", site_dir=data / "site",
                               mail=mail_settings(dovecot, smtp_port))


def write_config_file(root: Path, dovecot, smtp_port: int) -> Path:
    """The same settings as a TOML file for `run.py --config` (data_dir relative to the file)."""
    text = bridge.config.DEMO_CONFIG.read_text(encoding="utf-8")
    start, end = text.index("[mail]"), text.index("[site]")
    lines = ["[mail]"] + [f"{key} = {_toml(value)}" for key, value in mail_settings(dovecot, smtp_port).items()]
    path = root / "otklik.toml"
    path.write_text(text[:start] + "\n".join(lines) + "\n\n" + text[end:], encoding="utf-8")
    return path


def _toml(value) -> str:
    return str(value) if isinstance(value, int) else '"' + str(value) + '"'


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


class MailLoop:
    """One bridge wired to a private Dovecot and an SMTP sink."""

    def __init__(self, root: Path, dovecot, smtp_sink, shared_tls_context: bool = False) -> None:
        os.environ[PASSWORD_ENV] = PASSWORD
        self.dovecot, self.sink, self.root = dovecot, smtp_sink, root
        dovecot.add_user(BRIDGE_ADDRESS, PASSWORD)
        self.config = make_config(root, dovecot, smtp_sink.port)
        sender = None
        if shared_tls_context:
            # SmtpSender builds a fresh ssl context (~50 ms: the CA store is loaded) on every
            # send, even with smtp_security = "none"; a burst test hands in one made once.
            sender = SmtpSender("127.0.0.1", smtp_sink.port, "none", None, None,
                                ssl_context=ssl.create_default_context())
        self.app: App = build_app(self.config, sender=sender, channels={})
        self._external = 0

    def close(self) -> None:
        """Let go of the store and the IMAP connection (another process may take over)."""
        if self.app.mailbox is not None:
            self.app.mailbox.close()
        self.app.store.close()

    # -- the bridge ----------------------------------------------------------------------------

    def cycle(self, now: datetime | None = None) -> CycleReport:
        report = run_cycle(self.app, now or datetime.now(timezone.utc))
        assert not report.problems, report.problems
        return report

    def open_cases(self, texts: list[str]) -> list[str]:
        """Citizens' messages straight into the store, as a channel would deliver them."""
        ids = []
        now = datetime.now(timezone.utc)
        for text in texts:
            self._external += 1
            case = Case(id="", channel="vk", external_id=f"wall_comment:-1_1_{self._external}",
                        posted_at=now, kind="Комментарий", author_name=f"Житель {self._external}",
                        text=text, reply_target={"owner_id": -1, "post_id": 1})
            ids.append(open_case(self.app.store, "OKH", case, "пользователь", None, now).id)
        return ids

    def route(self, case_ids: list[str], department: str = "Отдел ЖКХ") -> None:
        """The operator picks the department and «Направить»; two cycles: read, then send."""
        self.cycle()   # the rows must be in the workbook before the operator can type into them
        self.operator({case_id: {"Отдел": department, "Решение оператора": "Направить"}
                       for case_id in case_ids})
        self.cycle()

    # -- the operator --------------------------------------------------------------------------

    def operator(self, edits: dict[str, dict[str, str]]) -> None:
        """Type into cells of the ledger and save, as in Excel."""
        book = openpyxl.load_workbook(self.config.ledger)
        sheet = book[SHEET]
        headers = [cell.value for cell in sheet[1]]
        found = set()
        for row in sheet.iter_rows(min_row=2):
            for header, value in edits.get(row[0].value, {}).items():
                row[headers.index(header)].value = value
                found.add(row[0].value)
        assert found == set(edits), f"rows not in the ledger: {set(edits) - found}"
        book.properties.lastModifiedBy = OPERATOR
        book.save(self.config.ledger)

    def ledger_rows(self) -> dict[str, dict[str, object]]:
        """«№» → {header: value} as the workbook holds it now."""
        return read_ledger_rows(self.config.ledger)

    # -- the departments -----------------------------------------------------------------------

    def case_messages(self) -> list[tuple[str, list[str], bytes]]:
        """(sender, recipients, mail) of every mail sent for a case. The operator's digest names no
        case and is left out: a stand's first cycle after 09:30 Сахалин on a working day sends it."""
        return [message for message in self.sink.messages if case_of(message[2])]

    def sent(self) -> list[bytes]:
        """The case mails sent so far, oldest first (the digest is not one: see `case_messages`)."""
        return [raw for _, _, raw in self.case_messages()]

    def sent_for(self, case_id: str) -> list[bytes]:
        return self.sent_by_case().get(case_id, [])

    def sent_by_case(self) -> dict[str, list[bytes]]:
        """Case id → the mails sent for it, oldest first."""
        found: dict[str, list[bytes]] = {}
        for raw in self.sent():
            found.setdefault(case_of(raw), []).append(raw)
        return found

    def deliver(self, *raws: bytes) -> None:
        self.dovecot.deliver_many(list(raws), BRIDGE_ADDRESS)

    def history(self, case_id: str, action: str, field: str = "") -> list:
        return [r for r in self.app.store.history(case_id)
                if r["action"] == action and (not field or r["field"] == field)]


def read_ledger_rows(path: Path) -> dict[str, dict[str, object]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = book[SHEET].iter_rows(values_only=True)
        headers = next(rows)
        return {row[0]: dict(zip(headers, row)) for row in rows if row and row[0]}
    finally:
        book.close()


def case_of(raw: bytes) -> str:
    found = SUBJECT_ID.search(str(parse(raw)["Subject"]))
    return found.group(1) if found else ""
