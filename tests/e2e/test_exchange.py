"""With `backend = "exchange"`, the whole mail path through the EWS stand-in (issue 9).

Entered only through the product's doors: the operator types a hand-made row into the workbook,
the department replies into the Exchange inbox, `serve` runs as its own process. Before the
layout fix, every cycle after the first failed with `KeyError 'uidvalidity'` (the IMAP state
decoder was applied to Exchange's state) and `serve` spun at 100 % of a core (no wait).
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest

from bridge.app import build_app
from bridge.config import load
from bridge.core.deadlines import deadline_of
from bridge.cycle import run_cycle
from bridge.steps.reminders import first_reminder_moment
from standins.department_replies import reply
from standins.ews_server import FakeEwsServer
from standins.vk_api import FakeVk
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
exchange_poll_interval = 1
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
        assert ews.data.requests.count("Subscribe") == 1 and "GetEvents" in ews.data.requests
        # New mail wakes the service through the pull subscription, long before the 60 s timer.
        seen, delivered = len(ews.data.requests), time.monotonic()
        ews.deliver(b"From: a@b.example\r\nSubject: hello\r\nMessage-ID: <x@b.example>\r\n\r\nhi\r\n")
        while "SyncFolderItems" not in ews.data.requests[seen:]:
            assert time.monotonic() - delivered < 15, "serve did not wake on new mail"
            time.sleep(0.1)
        print(f"serve with Exchange: new mail read {time.monotonic() - delivered:.1f} s after it arrived")
    finally:
        child.terminate()
        child.wait(timeout=30)


# -- the whole conversation over Exchange (issue 11) -----------------------------------------------

CASE_IN_SUBJECT = re.compile(rb"^Subject: \[(OKH-\d{4}-\d{5})\]", re.M)


def _case_of(raw: bytes) -> str:
    found = CASE_IN_SUBJECT.search(raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n"))
    return found.group(1).decode() if found else ""


def _operator(ledger: Path, case_id: str, **cells: str) -> None:
    """The operator types into the case's row and saves, as in Excel (`Решение_оператора=…`)."""
    book = openpyxl.load_workbook(ledger)
    sheet = book["Журнал"]
    header = [c.value for c in sheet[1]]
    [row] = [r for r in sheet.iter_rows(min_row=2) if r[0].value == case_id]
    for name, value in cells.items():
        row[header.index(name.replace("_", " "))].value = value
    book.save(ledger)


def _monday_of_a_working_week(calendar) -> datetime:
    """10:00 on a Monday after today whose week has five working days (a virtual clock: the stand-ins
    date the citizens' messages by the wall clock, before it)."""
    day = calendar.local(datetime.now(timezone.utc)).date() + timedelta(days=7)
    day -= timedelta(days=day.weekday())
    while not all(calendar.is_working_day(day + timedelta(days=n)) for n in range(5)):
        day += timedelta(days=7)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=calendar.tz)


@pytest.fixture
def vk(monkeypatch):
    with FakeVk() as fake:
        monkeypatch.setenv("OTKLIK_VK_TOKEN", fake.token)
        monkeypatch.setenv("OTKLIK_VK_USER_TOKEN", fake.user_token)
        yield fake


def test_full_cycle_over_exchange_with_folders_and_reminders(tmp_path, ews, vk):
    """VK comment → «Направить» → case mail through Exchange → the department's reply in the EWS
    Inbox → «Ответ получен» in the workbook → «Опубликовать» → the answer under the comment; the
    answer mail moved to the processed folder; the unanswered case gets its reminder, then its
    overdue mail, and the operator's digest lists it — all sent through Exchange (CreateItem)."""
    base = exchange_config(tmp_path, ews)
    mail = dict(base.mail, exchange_processed_folder="Отклик/Обработано", exchange_set_aside_folder="Отклик/Отложено",
                exchange_poll_interval=1)
    channels = {"vk": {"group_id": vk.group_id, "token_env": "OTKLIK_VK_TOKEN", "api_url": vk.api_url,
                       "user_token_env": "OTKLIK_VK_USER_TOKEN", "min_interval": 0}}
    app = build_app(dataclasses.replace(base, mail=mail, channels=channels, operator_emails=("oso@adm-okha.ru",)))
    now = _monday_of_a_working_week(app.config.calendar)     # the terms below fall the same way every run

    def cycle(later=timedelta(minutes=1)):
        nonlocal now
        now += later
        report = run_cycle(app, now)
        assert report.problems == [], report.problems
        return report

    cycle()
    vk.add_user(1, "Анна", "Смирнова")
    vk.post_wall_comment(10, 1, "Третий день нет отопления в доме по ул. Ленина, 5")
    vk.post_wall_comment(10, 1, "Во дворе дома 12 не вывозят мусор")
    assert cycle().new_cases == 2
    heat, rubbish = (next(c.id for c in app.store.all_cases() if word in c.text) for word in ("отопления", "мусор"))
    for case_id in (heat, rubbish):
        _operator(app.config.ledger, case_id, Отдел="Отдел ЖКХ", Решение_оператора="Направить")
    cycle()
    sent = {_case_of(raw): raw for raw in ews.sent if _case_of(raw)}   # the rest: today's digest
    assert set(sent) == {heat, rubbish}

    ews.deliver(reply(sent[heat], "zhkh@adm-okha.ru", "Подача тепла восстановлена в 14:00.", "outlook"))
    assert cycle().replies == 1
    row = rows_by_id(app.config.ledger)[heat]
    assert (row["Статус"], row["Ответ отдела"]) == ("Ответ получен", "Подача тепла восстановлена в 14:00.")
    [kept] = ews.folder_items("Отклик/Обработано")
    assert kept.is_read and kept.mime.startswith(b"From: zhkh@adm-okha.ru") and ews.data.items == []

    _operator(app.config.ledger, heat, Решение_оператора="Опубликовать")
    cycle()
    [answer] = [p for p in vk.published if p["method"] == "wall.createComment"]
    assert answer["message"] == "Подача тепла восстановлена в 14:00."
    assert rows_by_id(app.config.ledger)[heat]["Статус"] == "Опубликовано"

    before = len(ews.sent)
    moment = first_reminder_moment(app.store.get(rubbish), app.config.calendar, now)
    assert moment is not None
    cycle(moment - now)
    reminders = [raw for raw in ews.sent[before:] if _case_of(raw) == rubbish]
    assert len(reminders) == 1 and b"In-Reply-To:" in reminders[0]
    due = deadline_of(app.store.get(rubbish), app.config.calendar)
    morning = app.config.calendar.local(due).replace(hour=10, minute=0) + timedelta(days=1)
    while not app.config.calendar.is_working_day(morning.date()):
        morning += timedelta(days=1)
    before = len(ews.sent)
    cycle(morning - now)
    later = ews.sent[before:]
    assert [_case_of(raw) for raw in later].count(rubbish) == 1          # the overdue mail
    [digest] = [raw for raw in later if b"oso@adm-okha.ru" in raw.split(b"\r\n\r\n", 1)[0]]
    body = email.message_from_bytes(digest, policy=email.policy.default).get_body(("plain",)).get_content()
    assert "Отделы просрочили ответ (п. 3.2) — 1:" in body and rubbish in body
    assert rows_by_id(app.config.ledger)[rubbish]["Контроль срока"] == "просрочено"
    app.mailbox.close()
    app.store.close()
