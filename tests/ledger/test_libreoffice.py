"""Proof that the ledger works in LibreOffice Calc (SPEC §2, §5): LibreOffice opens what a cycle
wrote and keeps its rows, drop-downs and colours; it prints it (landscape); and a workbook saved by
LibreOffice with a decision typed in goes back through a cycle and the decision is applied.

LibreOffice is required here (Debian: libreoffice-calc-nogui): without it these tests fail.
"""

from __future__ import annotations

import csv
import re
import shutil

import openpyxl
import pytest

from bridge.core.vocabulary import STATUS_LABELS
from bridge.core.vocabulary import BASIS_LABELS, DECISION_LABELS
from bridge.core.model import Decision, Status
from ledger.columns import SHEET
from ledger.workbook import CONTROL_COLOURS
from tests.ledger.office import convert, profile  # noqa: F401 - a fixture by name
from tests.ledger.conftest import (OPERATOR, add_messages, cycle, edit_ledger, history, outbox_items, rows_by_id,
                                   set_cell)

TEXTS = ["Яма на дороге у школы № 2", '=HYPERLINK("http://x","y")', "+7 999", "Нет воды\nуже второй день"]


@pytest.fixture
def written(app, clock):
    ids = add_messages(app, TEXTS, clock.now)
    cycle(app, clock)
    return ids


def test_libreoffice_keeps_rows_lists_and_colours(app, written, profile, tmp_path):
    source = tmp_path / "ledger.xlsx"
    shutil.copy(app.config.ledger, source)
    convert(profile, "xlsx", tmp_path / "lo", source)
    book = openpyxl.load_workbook(tmp_path / "lo" / "ledger.xlsx")
    assert book.sheetnames[:3] == ["Журнал", "Отделы", "Сводка"]
    sheet = book[SHEET]
    rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]]
    assert [r[0] for r in rows] == written
    assert [r[5] for r in rows] == TEXTS
    assert all(sheet.cell(r, 6).data_type == "s" for r in range(2, len(TEXTS) + 2))   # no formula made
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["M2"].strip('"').split(",") == list(DECISION_LABELS.values())
    assert "Отделы" in lists["L2"] and lists["R2"] == '"да"'
    colours = {rule.formula[0].strip('"'): rule.dxf.fill.bgColor.rgb[-6:]
               for area in sheet.conditional_formatting for rule in area.rules}
    assert colours == {label: bg[1:] for label, (bg, _) in CONTROL_COLOURS.items()}
    assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"


def test_libreoffice_renders_csv_and_pdf(app, written, profile, tmp_path):
    source = tmp_path / "ledger.xlsx"
    shutil.copy(app.config.ledger, source)
    convert(profile, "csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path / "csv", source)
    with open(tmp_path / "csv" / "ledger.csv", encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0][:3] == ["№", "Поступило", "Канал"]
    assert [r[0] for r in table[1:]] == written and [r[5] for r in table[1:]] == TEXTS
    assert table[1][1] == "12.03.2026 11:00" and table[1][10] == "в срок"
    convert(profile, "pdf", tmp_path / "pdf", source)
    pdf = (tmp_path / "pdf" / "ledger.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    boxes = [tuple(map(float, b.split())) for b in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf)]
    assert any(w > h for _, _, w, h in boxes), "the «Журнал» pages are landscape"


def test_a_workbook_saved_by_libreoffice_goes_back_through_a_cycle(app, clock, written, profile, tmp_path):
    edit_ledger(app, lambda s: (set_cell(written[0], "Отдел", "Отдел ЖКХ")(s),
                                set_cell(written[0], "Решение оператора", "Направить")(s),
                                set_cell(written[2], "Комментарий оператора", "перезвонить")(s)))
    typed = tmp_path / "typed.xlsx"
    shutil.copy(app.config.ledger, typed)
    convert(profile, "xlsx", tmp_path / "lo", typed)       # LibreOffice opens and saves it
    shutil.copy(tmp_path / "lo" / "typed.xlsx", app.config.ledger)

    report = cycle(app, clock)
    assert report.decisions_read == 1 and report.ledger == "записан"
    assert app.store.get(written[0]).status == Status.ROUTED
    assert len(history(app, written[0], action="решение")) == 1 and len(outbox_items(app, written[0])) == 1
    assert app.store.get(written[2]).operator_comment == "перезвонить"
    rows = rows_by_id(app.config.ledger)
    assert rows[written[0]]["Решение оператора"] is None and rows[written[0]]["Статус"] == STATUS_LABELS[Status.ROUTED]
    # LibreOffice's way of storing dates, text and empty cells is not taken for operator edits
    assert all(not rows[i]["Примечание системы"] for i in written[1:])
    edited = {h["field"] for i in written for h in history(app, i) if "оператор" in h["actor"]}
    assert edited == {"department", "decision", "operator_comment"}
    assert history(app, written[0], action="решение")[0]["actor"] == f"оператор ({OPERATOR})"
    cycle(app, clock)
    assert len(history(app, written[0], action="решение")) == 1
