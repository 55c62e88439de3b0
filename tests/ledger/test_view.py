"""The operator's view survives a rewrite (issue 16): what the operator did in LibreOffice Calc
(a Basic macro sorts, filters, hides a row, widens a column and saves) is still there after the
service rewrote the ledger, and LibreOffice reads it back the same way. Rule for the order: the
rows keep the operator's order; cases the file did not show come after them, in the store's order.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import replace
from datetime import datetime

import openpyxl
import pytest
from openpyxl.worksheet.filters import CustomFilter, CustomFilters, FilterColumn

from bridge.core.model import Status
from ledger.columns import PRINT_SHEET, SHEET
from ledger.view import ColumnFilter, SheetView, arrange, read_view
from ledger.workbook import build_ledger
from tests.ledger.conftest import add_messages, col, cycle, edit_ledger, set_cell
from tests.ledger.office import convert, operate, profile  # noqa: F401 - a fixture by name

TEXT_COLUMN = "F"                           # «Текст сообщения»
DEPARTMENT = col("Отдел") - 1               # 0-based, as the autofilter numbers columns


def _by_operator(app, profile, tmp_path, actions: str, decision: str = "") -> None:
    """The operator opens the ledger in LibreOffice, does `actions`, saves over it."""
    saved = tmp_path / "saved.xlsx"
    operate(profile, app.config.ledger, saved, actions, decision=decision)
    os.replace(saved, app.config.ledger)


def _ids(sheet) -> list[str]:
    return [sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value]


def _hidden(sheet) -> set[str]:
    return {sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)
            if sheet.row_dimensions[r].hidden and sheet.cell(r, 1).value}


def _filter_values(sheet) -> dict[int, list[str]]:
    return {f.colId: list(f.filters.filter) for f in sheet.auto_filter.filterColumn if f.filters is not None}


@pytest.fixture
def routed(app, clock):
    """Six cases, three of them given to «Отдел ЖКХ» by the operator."""
    ids = add_messages(app, [f"Сообщение {n}" for n in range(1, 7)], clock.now)
    cycle(app, clock)
    edit_ledger(app, lambda s: [set_cell(i, "Отдел", "Отдел ЖКХ")(s) for i in ids[::2]])
    cycle(app, clock)
    assert [app.store.get(i).department for i in ids[::2]] == ["zhkh"] * 3
    return ids


def test_sort_filter_and_width_set_in_libreoffice_survive_the_rewrite(app, clock, routed, profile, tmp_path):
    _by_operator(app, profile, tmp_path, "sort;filter;widen")
    new = add_messages(app, ["Новое после сортировки"], clock.now)
    assert cycle(app, clock).ledger == "записан"

    book = openpyxl.load_workbook(app.config.ledger)
    sheet = book[SHEET]
    assert _ids(sheet) == routed[::-1] + new                       # the operator's order, the new row last
    assert _hidden(sheet) == set(routed[1::2])                     # filtered out: not «Отдел ЖКХ»
    assert _filter_values(sheet) == {DEPARTMENT: ["Отдел ЖКХ"]}     # the filter button keeps its criteria
    assert sheet.column_dimensions[TEXT_COLUMN].width > 55         # LibreOffice's 150 mm, not our 50
    printed = book[PRINT_SHEET]
    assert _ids(printed) == _ids(sheet) and _hidden(printed) == _hidden(sheet)   # prints what is shown

    # A second rewrite with no save in between keeps it too (the view is kept in the store).
    later = add_messages(app, ["Ещё одно"], clock.now)
    assert cycle(app, clock).ledger == "записан"
    sheet = openpyxl.load_workbook(app.config.ledger)[SHEET]
    assert _ids(sheet) == routed[::-1] + new + later and _hidden(sheet) == set(routed[1::2])

    # LibreOffice reads the rewritten view as its own: the filter and the hidden rows are there.
    convert(profile, "xlsx", tmp_path / "lo", app.config.ledger)
    again = openpyxl.load_workbook(tmp_path / "lo" / app.config.ledger.name)[SHEET]
    assert _filter_values(again) == {DEPARTMENT: ["Отдел ЖКХ"]} and _hidden(again) == set(routed[1::2])


def test_a_hidden_row_stays_hidden_and_the_decision_saved_with_it_is_applied(app, clock, routed, profile, tmp_path):
    _by_operator(app, profile, tmp_path, "hide;decide", decision="Направить")   # row 3 hidden, M2 decided
    assert cycle(app, clock).ledger == "записан"
    assert app.store.get(routed[0]).status == Status.ROUTED
    sheet = openpyxl.load_workbook(app.config.ledger)[SHEET]
    assert _ids(sheet) == routed and _hidden(sheet) == {routed[1]}
    assert sheet.cell(2, col("Решение оператора")).value is None    # the decision cell is cleared


def test_a_view_written_the_way_excel_writes_it_is_carried(app, clock, routed):
    """Excel: hidden="1" rows, a customFilters criterion, a custom width (openpyxl writes that XML)."""
    def excel_view(sheet) -> None:
        sheet.row_dimensions[4].hidden = True
        sheet.column_dimensions["V"].width = 70
        sheet.auto_filter.filterColumn.append(FilterColumn(colId=0, customFilters=CustomFilters(
            customFilter=[CustomFilter(operator="notEqual", val=routed[2])])))
    edit_ledger(app, excel_view)
    add_messages(app, ["Новое"], clock.now)
    assert cycle(app, clock).ledger == "записан"
    sheet = openpyxl.load_workbook(app.config.ledger)[SHEET]
    assert _hidden(sheet) == {routed[2]} and sheet.column_dimensions["V"].width == pytest.approx(70, abs=1)
    raw = zipfile.ZipFile(app.config.ledger).read("xl/worksheets/sheet1.xml").decode()
    assert re.search(rf'<customFilter operator="notEqual" val="{routed[2]}"/>', raw)


def test_arrange_keeps_the_operator_order_and_puts_unknown_rows_last():
    rows = [{"id": i} for i in ("A-1", "A-2", "A-3", "A-4")]
    view = SheetView(order=("A-3", "A-1", "GONE"))
    assert [r["id"] for r in arrange(rows, view)] == ["A-3", "A-1", "A-2", "A-4"]
    assert arrange(rows, SheetView()) == rows
    kept = SheetView(order=("A-2",), hidden=frozenset({"A-2"}), widths={"text": 80.0},
                     filters=(ColumnFilter("status", ("Новое",), blanks=True), ColumnFilter("id", custom=(("!=", "x"),))))
    assert SheetView.from_json(kept.to_json()) == kept


def _write(tmp_path, rows, view):
    temp = build_ledger(tmp_path / "l.xlsx", rows, [], [["Сводка"]], datetime(2026, 3, 12), 1, view=view)
    return temp


def test_what_the_writer_writes_the_reader_reads_back(tmp_path):
    rows = [{"id": f"OKH-2026-{n:05d}", "text": f"Сообщение {n}", "status": "Новое"} for n in range(1, 6)]
    view = SheetView(order=tuple(r["id"] for r in rows), hidden=frozenset({rows[1]["id"], rows[3]["id"]}),
                     widths={"text": 73.5, "note": 12.0}, hidden_columns=frozenset({"hint"}),
                     filters=(ColumnFilter("status", ('Новое "срочное"', "с пробелом , и запятой"), blanks=True),
                              ColumnFilter("id", custom=(("!=", "OKH-2026-00002"), (">=", "OKH-2026-00001")),
                                           all_of=True)))
    temp = _write(tmp_path, rows, view)
    found = read_view(temp, {n + 2: r["id"] for n, r in enumerate(rows)})
    assert found.widths == pytest.approx(view.widths, abs=0.1)
    assert set(found.filters) == set(view.filters)              # written in column order
    assert replace(found, widths=view.widths, filters=view.filters) == view
    again = read_view(_write(tmp_path, rows, found), {n + 2: r["id"] for n, r in enumerate(rows)})
    assert again.widths == found.widths                         # written and read again: no creep


def test_hostile_sheet_xml_leaves_the_order_only(tmp_path):
    rows = [{"id": f"OKH-2026-{n:05d}", "text": "x"} for n in range(1, 4)]
    temp = _write(tmp_path, rows, SheetView(hidden=frozenset({rows[0]["id"]})))
    ids = {n + 2: r["id"] for n, r in enumerate(rows)}
    for bad in (b'<row r="x2" hidden="1">', b'<col min="a" max="3" width="wide"/>'):
        broken = tmp_path / "broken.xlsx"
        with zipfile.ZipFile(temp) as src, zipfile.ZipFile(broken, "w") as dst:
            for item in src.infolist():
                data = src.read(item)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = re.sub(rb"<row r=\"2\"[^>]*>" if b"row" in bad else rb"<col [^>]*/>", bad, data, count=1)
                dst.writestr(item, data)
        assert read_view(broken, ids) == SheetView(order=tuple(ids.values()))
    assert read_view(tmp_path / "missing.xlsx", ids).order == tuple(ids.values())
    odd = SheetView.from_json({"order": ["A"], "widths": {"nonsense": 3}, "filters": [{"key": "nonsense"}]})
    assert odd == SheetView(order=("A",))
