"""SPEC §2: a corrupt or foreign workbook is set aside in data/backups, and the ledger rebuilt."""

from __future__ import annotations

import openpyxl
import pytest

from tests.ledger.conftest import add_messages, cycle, rows_by_id

TEXTS = ["Яма на дороге", "Нет света", "Сломана скамейка"]


def _garbage(path):
    path.write_bytes(b"PK\x03\x04 not really a zip " + bytes(range(256)) * 8)


def _foreign(path):
    book = openpyxl.Workbook()
    book.active.title = "Лист1"
    book.active["A1"] = "Чужая таблица"
    book.save(path)


def _no_columns(path):
    book = openpyxl.Workbook()
    book.active.title = "Журнал"
    book.active.append(["№", "Поступило", "Текст"])
    book.active.append(["OKH-2026-00001", None, "что-то"])
    book.save(path)


@pytest.mark.parametrize("spoil", [_garbage, _foreign, _no_columns], ids=["garbage", "foreign", "columns"])
def test_unreadable_ledger_is_set_aside_and_rebuilt(app, clock, spoil):
    ids = add_messages(app, TEXTS, clock.now)
    cycle(app, clock)
    spoil(app.config.ledger)
    spoiled = app.config.ledger.read_bytes()

    report = cycle(app, clock)
    assert report.ledger == "записан"
    aside = list((app.config.data_dir / "backups").glob("*НЕЧИТАЕМЫЙ*"))
    assert len(aside) == 1 and aside[0].read_bytes() == spoiled
    rows = rows_by_id(app.config.ledger)
    assert sorted(rows) == ids and [rows[i]["Текст сообщения"] for i in ids] == TEXTS
    alerts = [a["text"] for a in app.store.unreported_alerts() if a["kind"] == "ledger"]
    assert len(alerts) == 1 and aside[0].name in alerts[0]
    assert cycle(app, clock).ledger == "без изменений"


def test_unreadable_while_open_is_left_alone(app, clock):
    add_messages(app, TEXTS, clock.now)
    cycle(app, clock)
    lock = app.config.ledger.with_name("~$" + app.config.ledger.name)
    lock.write_bytes(b"x")
    _garbage(app.config.ledger)        # Excel is half-way through saving
    spoiled = app.config.ledger.read_bytes()
    cycle(app, clock)
    assert app.config.ledger.read_bytes() == spoiled
    assert not list((app.config.data_dir / "backups").glob("*НЕЧИТАЕМЫЙ*"))
    lock.unlink()
    cycle(app, clock)
    assert len(list((app.config.data_dir / "backups").glob("*НЕЧИТАЕМЫЙ*"))) == 1
    assert len(rows_by_id(app.config.ledger)) == len(TEXTS)


def test_deleted_ledger_is_rebuilt(app, clock):
    ids = add_messages(app, TEXTS, clock.now)
    cycle(app, clock)
    app.config.ledger.unlink()
    assert cycle(app, clock).ledger == "записан"
    assert sorted(rows_by_id(app.config.ledger)) == ids
