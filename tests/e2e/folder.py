"""A data folder with real work in it, made only through the product's doors: `run.py` in its
own processes, an operator typing rows and decisions into the saved workbook, a real Dovecot for
the bridge's mailbox and an SMTP sink standing for the departments' inboxes.

    folder = Folder(tmp_path, dovecot, smtp_sink)
    folder.run("once")                       # the ledger appears
    folder.type_new_rows(texts)              # phone calls typed in by hand (SPEC §1)
    folder.run("once")                       # … become cases «Новое»
    folder.route_all()                       # «Отдел ЖКХ» + «Направить» on each of them
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import openpyxl

from ledger.columns import SHEET
from tests.e2e_mail.loop import (BRIDGE_ADDRESS, OPERATOR, PASSWORD, PASSWORD_ENV, case_of, read_ledger_rows,
                                 write_config_file)

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("child_run.py")
DEPARTMENT = "Отдел ЖКХ"


class Folder:
    def __init__(self, root: Path, dovecot, sink) -> None:
        dovecot.add_user(BRIDGE_ADDRESS, PASSWORD)
        self.root, self.sink = root, sink
        self.config = write_config_file(root, dovecot, sink.port)
        self.data = root / "data"
        self.ledger = self.data / "Журнал обращений.xlsx"
        self.store = self.data / "otklik.sqlite3"
        self.env = {**os.environ, PASSWORD_ENV: PASSWORD, "PYTHONPATH": str(ROOT)}

    # -- the administrator ---------------------------------------------------------------------

    def command(self, *args: str, fast: bool = False) -> list[str]:
        """`python run.py ARGS --config …`; `fast`: the same CLI with the service's timer at 0.3 s."""
        program = [str(CHILD)] if fast else [str(ROOT / "run.py")]
        return [sys.executable, *program, *args, "--config", str(self.config)]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(*args), cwd=self.root, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def start(self, *args: str, fast: bool = False) -> subprocess.Popen:
        return subprocess.Popen(self.command(*args, fast=fast), cwd=self.root, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_for_holder(self, process: subprocess.Popen, timeout: float = 30) -> None:
        """Until `process` holds the data folder (its PID in otklik.lock.info)."""
        info = self.data / "otklik.lock.info"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"exited with {process.returncode}: {process.stderr.read()[-2000:]}")
            if info.exists() and f'"pid": {process.pid},' in info.read_text(encoding="utf-8"):
                return
            time.sleep(0.02)
        raise AssertionError("the process never took the data folder")

    # -- the operator --------------------------------------------------------------------------

    def rows(self) -> dict[str, dict[str, object]]:
        return read_ledger_rows(self.ledger)

    def type_new_rows(self, texts: list[str]) -> None:
        """Hand-made rows with an empty «№» (SPEC §1: a phone call, «Медиалогия»)."""
        def fill(sheet, headers):
            for number, text in enumerate(texts):
                row = [None] * len(headers)
                row[headers.index("Канал")] = "Телефон"
                row[headers.index("Автор")] = f"Житель {number}"
                row[headers.index("Текст сообщения")] = text
                sheet.append(row)
        self._edit(fill)

    def route_all(self, department: str = DEPARTMENT) -> int:
        """«Отдел» and «Направить» on every row «Новое»; returns how many."""
        typed = []

        def fill(sheet, headers):
            for row in sheet.iter_rows(min_row=2):
                if row[headers.index("Статус")].value == "Новое":
                    row[headers.index("Отдел")].value = department
                    row[headers.index("Решение оператора")].value = "Направить"
                    typed.append(row[0].value)
        self._edit(fill)
        return len(typed)

    def _edit(self, fill) -> None:
        book = openpyxl.load_workbook(self.ledger)
        sheet = book[SHEET]
        fill(sheet, [cell.value for cell in sheet[1]])
        book.properties.lastModifiedBy = OPERATOR
        book.save(self.ledger)

    # -- the departments -----------------------------------------------------------------------

    def case_mails(self) -> Counter:
        """Case id → how many mails the departments received for it (the operator's digest, sent on
        the first cycle after 09:30 Сахалин on a working day, names no case and is not counted)."""
        return Counter(case_id for _, _, raw in self.sink.messages if (case_id := case_of(raw)))


def with_routed_cases(folder: Folder, count: int) -> list[str]:
    """`count` cases typed in by hand and routed to «Отдел ЖКХ», the mails not yet sent."""
    assert folder.run("once").returncode == 0
    folder.type_new_rows([f"Звонок {n}: во дворе дома {n} не убран снег" for n in range(count)])
    done = folder.run("once")
    assert done.returncode == 0, done.stderr[-2000:]
    ids = sorted(folder.rows())
    assert len(ids) == count
    assert folder.route_all() == count
    return ids
