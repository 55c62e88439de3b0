"""With `backend = "exchange"`, the whole mail path through the EWS stand-in (issue 9).

Entered only through the product's doors: the operator types a hand-made row into the workbook,
the department replies into the Exchange inbox, `serve` runs as its own process. Before the
layout fix, every cycle after the first failed with `KeyError 'uidvalidity'` (the IMAP state
decoder was applied to Exchange's state) and `serve` spun at 100 % of a core (no wait).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest

from bridge.app import build_app
from bridge.config import load
from bridge.cycle import run_cycle
from standins.department_replies import reply
from standins.ews_server import FakeEwsServer
from tests.ledger.conftest import rows_by_id

ROOT = Path(__file__).resolve().parents[2]
PASSWORD_ENV = "OTKLIK_TEST_EWS_PASSWORD"
START = datetime(2026, 12, 2, 1, 0, tzinfo=timezone.utc)      # 12:00 Сахалин, a Wednesday


@pytest.fixture
def ews():
    with FakeEwsServer(user="obrashcheniya@adm-okha.ru") as server:
        yield server


def exchange_config(tmp_path: Path, server: FakeEwsServer):
    os.environ[PASSWORD_ENV] = server.password
    demo = load(None)
    mail = {"backend": "exchange", "address": server.user, "exchange_url": server.url,
            "exchange_user": server.user, "exchange_password_env": PASSWORD_ENV,
            "exchange_auth": "basic", "exchange_version": "2016"}
    return dataclasses.replace(demo, source=tmp_path / "config.toml", base_dir=tmp_path, data_dir=tmp_path / "data",
                               ledger=tmp_path / "data" / "Журнал обращений.xlsx", mail=mail, channels={},
                               operator_emails=())


def type_hand_made_row(ledger: Path) -> None:
    """The operator adds a phone call as a new row, picks the department and «Направить»."""
    book = openpyxl.load_workbook(ledger)
    sheet = book["Журнал"]
    header = [c.value for c in sheet[1]]
    row = sheet.max_row + 1
    for name, value in {"Текст сообщения": "Позвонила жительница: нет горячей воды, ул. Ленина, 5",
                        "Автор": "Звонок", "Отдел": "Отдел ЖКХ", "Решение оператора": "Направить"}.items():
        sheet.cell(row, header.index(name) + 1).value = value
    book.save(ledger)


def test_exchange_answer_reaches_the_ledger_over_several_cycles(tmp_path, ews):
    app = build_app(exchange_config(tmp_path, ews))
    now = START
    assert run_cycle(app, now).problems == []
    type_hand_made_row(app.config.ledger)
    report = run_cycle(app, now := now + timedelta(minutes=1))
    assert report.problems == [] and report.new_cases == 1
    [case] = app.store.all_cases()
    [sent] = ews.sent                                   # CreateItem through Exchange
    assert case.id.encode() in sent
    ews.deliver(reply(sent, "zhkh@adm-okha.ru", "Горячую воду дадут сегодня к 18:00.", "outlook"))
    reports = [run_cycle(app, now := now + timedelta(minutes=1)) for _ in range(3)]
    assert [r.problems for r in reports] == [[], [], []]
    assert sum(r.replies for r in reports) == 1
    row = rows_by_id(app.config.ledger)[case.id]
    assert row["Статус"] == "Ответ получен"
    assert row["Ответ отдела"].startswith("Горячую воду дадут сегодня к 18:00.")
    app.store.close()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_serve_with_exchange_idles(tmp_path, ews):
    config = exchange_config(tmp_path, ews)
    (tmp_path / "config.toml").write_text(f'''
[general]
data_dir = "data"
[mail]
backend = "exchange"
address = "{ews.user}"
exchange_url = "{ews.url}"
exchange_user = "{ews.user}"
exchange_password_env = "{PASSWORD_ENV}"
exchange_auth = "basic"
exchange_version = "2016"
[[departments]]
code = "zhkh"
name = "Отдел ЖКХ"
emails = ["zhkh@adm-okha.ru"]
''', encoding="utf-8")
    env = {**os.environ, "OTKLIK_FAULT_CYCLE": "60"}
    child = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fault" / "child_serve.py"),
                              str(tmp_path / "config.toml")], env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not config.ledger.exists():           # the first cycle has run
            assert child.poll() is None and time.monotonic() < deadline, child.stderr.read().decode()
            time.sleep(0.2)
        time.sleep(1)
        cpu, wall = _cpu_seconds(child.pid), time.monotonic()
        time.sleep(12)
        used = (_cpu_seconds(child.pid) - cpu) / (time.monotonic() - wall)
        assert child.poll() is None
        print(f"\nserve with Exchange, idle: {used:.2%} of a core")
        assert used < 0.05, f"serve used {used:.0%} of a core while idle"
    finally:
        child.terminate()
        child.wait(timeout=30)
