"""SPEC §5: citizens' text stays text (no formula injection), long text is cut visibly, control
characters never break the file."""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest

from ledger.columns import CELL_LIMIT, SHEET
from tests.ledger.conftest import add_messages, col, cycle, edit_ledger, row_of, rows_by_id, set_cell

FORMULA_LIKE = ['=HYPERLINK("http://x","y")', "+7 999", "-1", "@x", "=1+1", "-", "=cmd|' /C calc'!A0"]


def _sheet_xml(path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode("utf-8")


def _text_cells(path, ids):
    sheet = openpyxl.load_workbook(path)[SHEET]
    return {i: sheet.cell(row_of(sheet, i), col("Текст сообщения")) for i in ids}


def test_formula_like_messages_stay_text(app, clock):
    ids = add_messages(app, FORMULA_LIKE, clock.now)
    cycle(app, clock)
    cells = _text_cells(app.config.ledger, ids)
    for case_id, text in zip(ids, FORMULA_LIKE):
        assert cells[case_id].data_type == "s" and cells[case_id].value == text
    assert not re.search(r"<f[\s>/]", _sheet_xml(app.config.ledger))


def test_formula_like_text_survives_an_operator_round_trip(app, clock):
    ids = add_messages(app, FORMULA_LIKE, clock.now)
    cycle(app, clock)
    edit_ledger(app, set_cell(ids[0], "Комментарий оператора", "+7 914 000-00-00"))
    cycle(app, clock)
    rows = rows_by_id(app.config.ledger)
    assert all(not rows[i]["Примечание системы"] for i in ids)     # read back as written: no "edit"
    assert app.store.get(ids[0]).operator_comment == "+7 914 000-00-00"
    cells = _text_cells(app.config.ledger, ids)
    assert [cells[i].value for i in ids] == FORMULA_LIKE and all(c.data_type == "s" for c in cells.values())
    assert not re.search(r"<f[\s>/]", _sheet_xml(app.config.ledger))


def test_a_40000_character_message_is_cut_visibly_and_kept_whole(app, clock):
    text = ("Длинное сообщение жителя про дороги и дворы. " * 1000)[:40_000]
    [case_id] = add_messages(app, [text], clock.now)
    cycle(app, clock)
    shown = _text_cells(app.config.ledger, [case_id])[case_id].value
    assert len(shown) == CELL_LIMIT
    assert shown.startswith(text[:1000])
    assert "текст обрезан" in shown[-200:] and "40000" in shown[-200:]
    assert app.store.get(case_id).text == text

    edit_ledger(app, set_cell(case_id, "Комментарий оператора", "прочитано"))
    cycle(app, clock)
    row = rows_by_id(app.config.ledger)[case_id]
    assert not row["Примечание системы"]               # the cut text is not taken for an edit
    assert app.store.get(case_id).text == text


@pytest.mark.parametrize("text", ["строка\x0bвторая", "нуль\x00и\x1fконец", "BOM\ufeff и \uffff"])
def test_control_characters_do_not_break_the_workbook(app, clock, text):
    [case_id] = add_messages(app, [text], clock.now)
    report = cycle(app, clock)
    assert report.ledger == "записан" and not report.problems
    shown = _text_cells(app.config.ledger, [case_id])[case_id].value
    assert shown.split("\ufffd")[0] == text.split("\x0b")[0].split("\x00")[0].split("\uffff")[0]
    assert "\ufffd" in shown or "\ufeff" in shown
    assert app.store.get(case_id).text == text

    edit_ledger(app, set_cell(case_id, "Комментарий оператора", "ок"))
    cycle(app, clock)
    assert not rows_by_id(app.config.ledger)[case_id]["Примечание системы"]


def test_vertical_tab_shows_as_a_replacement_mark(app, clock):
    [case_id] = add_messages(app, ["строка\x0bвторая"], clock.now)
    cycle(app, clock)
    assert _text_cells(app.config.ledger, [case_id])[case_id].value == "строка\ufffdвторая"
