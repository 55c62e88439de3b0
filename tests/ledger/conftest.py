"""A real app on a temporary data folder, and an "operator" who edits the .xlsx with openpyxl."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import openpyxl
import pytest

import bridge.config
from bridge.app import App, build_app
from bridge.channels.base import IncomingItem
from bridge.cycle import run_cycle
from bridge.steps.intake import take_items
from ledger.columns import HEADERS, SHEET

OPERATOR = "Иванова"
T0 = datetime(2026, 3, 12, 0, 0, tzinfo=timezone.utc)    # Thursday 11:00 in Okha


def make_app(tmp_path: Path) -> App:
    base = bridge.config.load(None)
    data = tmp_path / "data"
    config = dataclasses.replace(base, data_dir=data, ledger=data / "Журнал обращений.xlsx",
                                 site_dir=data / "site")
    return build_app(config, connect=False)


@pytest.fixture
def app(tmp_path):
    application = make_app(tmp_path)
    yield application
    application.store.close()


class Clock:
    """Each cycle a minute later, so backups get distinct names."""

    def __init__(self) -> None:
        self.now = T0

    def tick(self, minutes: int = 1) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


@pytest.fixture
def clock():
    return Clock()


def add_messages(app: App, texts: list[str], now: datetime = T0) -> list[str]:
    """New VK comments → cases; returns their ids in order."""
    start = app.store.db.execute("SELECT count(*) FROM intake_keys").fetchone()[0]
    items = [IncomingItem(channel="vk", external_id=f"wall_comment:-1_1_{start + i}", kind="Комментарий",
                          public=True, posted_at=now, author_name=f"Житель {start + i}",
                          author_link=f"https://vk.com/id{start + i}", text=text,
                          link=f"https://vk.com/wall-1_1?reply={start + i}",
                          reply_target={"from_id": start + i})
             for i, text in enumerate(texts)]
    assert take_items(app.store, app.config.case_prefix, items, None, now) == len(texts)
    ids = [r[0] for r in app.store.db.execute("SELECT id FROM cases ORDER BY year, seq")]
    return ids[-len(texts):]


def cycle(app: App, clock: Clock):
    return run_cycle(app, clock.tick())


def col(header: str) -> int:
    """1-based column number of a header."""
    return HEADERS.index(header) + 1


def edit_ledger(app: App, change: Callable[[openpyxl.worksheet.worksheet.Worksheet], None],
                by: str = OPERATOR) -> None:
    book = openpyxl.load_workbook(app.config.ledger)
    change(book[SHEET])
    book.properties.lastModifiedBy = by
    book.save(app.config.ledger)


def delete_rows(sheet, first: int, amount: int = 1) -> None:
    """Delete rows as Excel does: openpyxl moves cells but leaves hyperlink refs behind, fix them."""
    sheet.delete_rows(first, amount)
    for row in sheet.iter_rows():
        for cell in row:
            if cell.hyperlink is not None:
                cell.hyperlink.ref = cell.coordinate


def row_of(sheet, case_id: str) -> int:
    rows = [cell.row for cell in sheet["A"] if cell.value == case_id]
    assert len(rows) == 1, f"{case_id}: rows {rows}"
    return rows[0]


def set_cell(case_id: str, header: str, value) -> Callable:
    def change(sheet) -> None:
        sheet.cell(row_of(sheet, case_id), col(header)).value = value
    return change


def read_rows(path: Path) -> list[dict[str, object]]:
    """The «Журнал» data rows as header → value dicts."""
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    header = [c.value for c in sheet[1]]
    rows = []
    for values in sheet.iter_rows(min_row=2, values_only=True):
        if any(v not in (None, "") for v in values):
            rows.append(dict(zip(header, values)))
    return rows


def rows_by_id(path: Path) -> dict[str, dict[str, object]]:
    rows = read_rows(path)
    ids = [r["№"] for r in rows]
    assert len(ids) == len(set(ids)), f"duplicate rows: {ids}"
    return {r["№"]: r for r in rows}


def history(app: App, case_id: str, **where) -> list:
    return [dict(r) for r in app.store.history(case_id)
            if all(r[k] == v for k, v in where.items())]


def outbox_items(app: App, case_id: str) -> list:
    return app.store.db.execute("SELECT kind, key FROM outbox WHERE case_id = ?", (case_id,)).fetchall()
