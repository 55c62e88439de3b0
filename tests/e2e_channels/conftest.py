"""The whole path of a citizen's message, end to end, on 127.0.0.1 (SPEC §1, п. 3.1–3.5).

`stand` starts the VK, Telegram and OK stand-ins, an SMTP sink and a Dovecot mailbox, and builds
the app exactly as `python run.py demo` does (channel sections with tokens from the environment).
The test drives it like the people do: citizens write in the fakes, the operator types into the
workbook with openpyxl, the department replies by email; `Stand.cycle` runs one bridge cycle at
a virtual clock that the test moves forward (retries become due when the clock passes them).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from bridge.core.model import Status
from bridge.app import App, build_app
from bridge.config import load
from bridge.cycle import CycleReport, run_cycle
from bridge.core.model import Case
from bridge.app import utcnow
from standins.department_replies import reply
from standins.ok_api import FakeOk
from standins.smtp_sink import SmtpSink
from standins.telegram_api import FakeTelegram
from standins.vk_api import FakeVk
from tests.servers.dovecot import Dovecot

OPERATOR = "Петрова Е. В. (оператор)"
MAILBOX_PASSWORD = "mailbox-secret"
MAILBOX_USERS = 40             # more than the tests of this folder
ZHKH = "Отдел ЖКХ"
CASE_IN_SUBJECT = re.compile(rb"\[(OKH-\d{4}-\d{5})\]")


@dataclass
class Stand:
    """One bridge wired to the stand-ins, and the hands of the people around it."""

    app: App
    vk: FakeVk
    tg: FakeTelegram
    ok: FakeOk
    smtp: SmtpSink
    dovecot: Dovecot
    now: datetime = field(default_factory=utcnow)
    reports: list[CycleReport] = field(default_factory=list)

    # -- the bridge -----------------------------------------------------------------------------

    def cycle(self, later: timedelta = timedelta(seconds=1)) -> CycleReport:
        """One bridge cycle `later` after the previous one."""
        self.now += later
        report = run_cycle(self.app, self.now)
        self.reports.append(report)
        return report

    def cases(self) -> list[Case]:
        return self.app.store.all_cases()

    def case_with(self, words: str) -> Case:
        found = [c for c in self.cases() if words in c.text]
        assert len(found) == 1, f"expected one case with «{words}», found {len(found)}"
        return found[0]

    def published(self) -> list[dict]:
        """Everything the community published on any network, in order per network."""
        return self.vk.published + self.tg.published + self.ok.published

    # -- the operator ---------------------------------------------------------------------------

    def operator(self, case_id: str, **cells: str) -> None:
        """Type into the case's row of «Журнал» and save, as in Excel (`Решение_оператора=…`)."""
        book = openpyxl.load_workbook(self.app.config.ledger)
        sheet = book["Журнал"]
        headers = [cell.value for cell in sheet[1]]
        rows = [row for row in sheet.iter_rows(min_row=2) if row[0].value == case_id]
        assert rows, f"{case_id} is not in the ledger"
        for header, value in cells.items():
            rows[0][headers.index(header.replace("_", " "))].value = value
        book.properties.lastModifiedBy = OPERATOR
        book.save(self.app.config.ledger)

    def ledger_row(self, case_id: str) -> dict[str, object]:
        sheet = openpyxl.load_workbook(self.app.config.ledger, read_only=True)["Журнал"]
        rows = list(sheet.iter_rows(values_only=True))
        found = [dict(zip(rows[0], row)) for row in rows[1:] if row[0] == case_id]
        assert len(found) == 1, f"{case_id}: {len(found)} ledger rows"
        return found[0]

    def route(self, case_id: str, **cells: str) -> None:
        """«Отдел» (ЖКХ unless given) and «Направить», plus any other cells."""
        self.operator(case_id, **{"Отдел": ZHKH, **cells, "Решение_оператора": "Направить"})

    # -- the department -------------------------------------------------------------------------

    def case_mails(self) -> list[bytes]:
        """Every mail sent for a case. The operator's digest names no case and is left out: the
        stand's first cycle after 09:30 Сахалин on a working day sends it, whatever the test does."""
        return [raw for _, _, raw in self.smtp.messages if _case_in_subject(raw)]

    def mails_for(self, case_id: str) -> list[bytes]:
        return [raw for raw in self.case_mails() if _case_in_subject(raw) == case_id]

    def department_answers(self, case_id: str, text: str, style: str = "outlook") -> None:
        """The department the case went to replies (from its mail program) to the case mail."""
        sent = self.mails_for(case_id)
        assert len(sent) == 1, f"{case_id}: {len(sent)} case mails sent"
        department = self.app.config.department(self.app.store.get(case_id).department)
        self.dovecot.deliver(reply(sent[0], department.emails[0], text, style),
                             to=self.app.config.mail["address"])

    # -- whole stretches of the path ------------------------------------------------------------

    def take_to_review(self, case: Case, answer: str, **route_cells: str) -> Case:
        """Route → the mail goes out → the department answers → «Ответ получен»."""
        self.route(case.id, **route_cells)
        self.cycle()
        assert len(self.mails_for(case.id)) == 1
        self.department_answers(case.id, answer)
        self.cycle()
        answered = self.app.store.get(case.id)
        assert answered.status == Status.ANSWERED, answered.system_note
        return answered


def _case_in_subject(raw: bytes) -> str:
    subject = raw.split(b"\r\n\r\n", 1)[0]
    found = CASE_IN_SUBJECT.search(subject)
    return found.group(1).decode() if found else ""


def channel_sections(vk: FakeVk, tg: FakeTelegram, ok: FakeOk) -> dict:
    """The [vk]/[telegram]/[ok] sections as an administrator writes them (SPEC §7)."""
    return {
        "vk": {"group_id": vk.group_id, "token_env": "OTKLIK_VK_TOKEN", "api_url": vk.api_url,
               "user_token_env": "OTKLIK_VK_USER_TOKEN", "min_interval": 0},
        "telegram": {"token_env": "OTKLIK_TG_TOKEN", "api_url": tg.api_url,
                     "channel": tg.channel_id, "discussion_chat_id": tg.group_id},
        "ok": {"group_id": ok.group_id, "token_env": "OTKLIK_OK_TOKEN", "app_key_env": "OTKLIK_OK_APP_KEY",
               "app_secret_env": "OTKLIK_OK_APP_SECRET", "bot_token_env": "OTKLIK_OK_TOKEN",
               "api_url": ok.api_url},
    }


@pytest.fixture(scope="session")
def mailboxes():
    """One real Dovecot for the folder; each test takes its own mailbox user from it.

    The users exist before the first login: Dovecot re-reads its passwd-file at most once a
    second, so a user added between two quick tests could be refused."""
    root = Path(tempfile.mkdtemp(prefix="otklik-e2e-dovecot-"))   # Dovecot's users must reach it
    server = Dovecot(root)
    for number in range(MAILBOX_USERS):
        server.add_user(f"obrashcheniya{number}@adm-okha.ru", MAILBOX_PASSWORD)
    try:
        server.start()
        yield server, iter(list(server.users))
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def stand(tmp_path, monkeypatch, mailboxes):
    dovecot, addresses = mailboxes
    address = next(addresses, None)
    assert address, "raise MAILBOX_USERS: every test needs a mailbox of its own"
    with FakeVk() as vk, FakeTelegram() as tg, FakeOk() as ok:
        smtp = SmtpSink(tmp_path / "sent").start()
        try:
            for name, value in {"OTKLIK_VK_TOKEN": vk.token, "OTKLIK_VK_USER_TOKEN": vk.user_token,
                                "OTKLIK_TG_TOKEN": tg.token, "OTKLIK_OK_TOKEN": ok.token,
                                "OTKLIK_OK_APP_KEY": ok.app_key, "OTKLIK_OK_APP_SECRET": ok.app_secret,
                                "OTKLIK_IMAP_PASSWORD": MAILBOX_PASSWORD}.items():
                monkeypatch.setenv(name, value)
            base = load(None)
            mail = dict(base.mail, imap_port=dovecot.port, smtp_port=smtp.port, imap_user=address,
                        address=address)
            config = dataclasses.replace(base, base_dir=tmp_path, data_dir=tmp_path / "data",
                                         ledger=tmp_path / "Журнал обращений.xlsx", mail=mail,
                                         channels=channel_sections(vk, tg, ok), site_dir=tmp_path / "site")
            app = build_app(config)
            bench = Stand(app, vk, tg, ok, smtp, dovecot)
            bench.cycle()          # the bridge starts listening: long-poll cursors are taken now
            yield bench
            app.mailbox.close()
            app.store.close()
        finally:
            smtp.stop()
