"""SPEC §5: what the operator sees: headers, drop-downs, colours, frozen header, filter, print setup."""

from __future__ import annotations

import re
from datetime import datetime

import openpyxl
import pytest

from bridge.core.vocabulary import BASIS_LABELS, DECISION_LABELS
from bridge.core.vocabulary import CONTROL_LABELS as _CONTROL
CONTROL_LABELS = tuple(_CONTROL.values())
from bridge.core.model import Basis, Decision
from ledger.columns import HEADERS, SHEET
from ledger.workbook import CONTROL_COLOURS
from tests.ledger.conftest import add_messages, col, cycle

SPEC_HEADERS = ("№", "Поступило", "Канал", "Вид", "Автор", "Текст сообщения", "Вложения", "Подсказка", "Статус",
                "Срок", "Контроль срока", "Отдел", "Решение оператора", "Основание", "Ответ отдела",
                "Текст для публикации", "Комментарий оператора", "Информационный", "Согласие",
                "Рег. № СЭД", "Опубликовано", "Примечание системы")


@pytest.fixture
def sheet(app, clock):
    add_messages(app, ["Яма на дороге", "Нет света"], clock.now)
    cycle(app, clock)
    return openpyxl.load_workbook(app.config.ledger)[SHEET]


def _letter(header: str) -> str:
    return openpyxl.utils.get_column_letter(col(header))


def test_headers_in_spec_order_and_other_sheets(app, sheet):
    assert tuple(c.value for c in sheet[1])[: len(SPEC_HEADERS)] == SPEC_HEADERS == HEADERS[: len(SPEC_HEADERS)]
    book = openpyxl.load_workbook(app.config.ledger)
    assert book.sheetnames[:3] == ["Журнал", "Отделы", "Сводка"]
    names = [r[1] for r in book["Отделы"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert "Отдел ЖКХ" in names


def _lists(sheet) -> dict[str, str]:
    found = {}
    for rule in sheet.data_validations.dataValidation:
        assert rule.type == "list"
        for ref in str(rule.sqref).split():
            match = re.fullmatch(r"([A-Z]+)2:\1(\d+)", ref)
            assert match and int(match.group(2)) > 1000, ref     # the lists reach below the data
            found[match.group(1)] = rule.formula1
    return found


def test_drop_down_lists(sheet):
    lists = _lists(sheet)
    decision = lists[_letter("Решение оператора")]
    assert [v for v in decision.strip('"').split(",")] == list(DECISION_LABELS.values())
    assert lists[_letter("Основание")].strip('"').split(",") == list(BASIS_LABELS.values())
    assert lists[_letter("Информационный")] == '"да"' and lists[_letter("Согласие")] == '"да"'
    assert "Отделы" in lists[_letter("Отдел")]
    assert _letter("Статус") not in lists                   # bridge-owned: no list to pick from


def test_control_colours(sheet):
    column = _letter("Контроль срока")
    rules = {}
    for area in sheet.conditional_formatting:
        assert str(area.sqref).startswith(f"{column}2:")
        for rule in area.rules:
            rules[rule.formula[0].strip('"')] = (rule.dxf.fill.bgColor.rgb[-6:], rule.dxf.font.color.rgb[-6:])
    assert set(rules) == set(CONTROL_LABELS)
    assert rules == {label: (bg[1:], fg[1:]) for label, (bg, fg) in CONTROL_COLOURS.items()}
    assert rules["просрочено"][0] != rules["в срок"][0]


def test_frozen_header_filter_widths_and_dates(sheet):
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == f"A1:{_letter('Примечание системы')}3"
    assert sheet.column_dimensions[_letter("Текст сообщения")].width > 40
    assert sheet.column_dimensions["A"].width >= 14          # «OKH-2026-00001» fits
    assert sheet.cell(2, col("Текст сообщения")).alignment.wrap_text
    posted = sheet.cell(2, col("Поступило"))
    assert isinstance(posted.value, datetime) and posted.is_date and "yy" in posted.number_format
    assert isinstance(sheet.cell(2, col("Срок")).value, datetime)
    assert sheet.cell(2, col("Контроль срока")).value in CONTROL_LABELS


def test_print_setup(app, sheet):
    """«Журнал» prints readable (75 %, «№» on every page across); the other sheets fit one A4
    width (tests/ledger/test_print.py proves both through LibreOffice's PDF)."""
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.page_setup.scale == 75 and not sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1" and sheet.print_title_cols == "$A:$A"
    book = openpyxl.load_workbook(app.config.ledger)
    for name in ("Отделы", "Сводка", "Оповещения", "Для печати"):
        other = book[name]
        assert other.page_setup.orientation == "landscape" and other.page_setup.paperSize == 9, name
        assert other.sheet_properties.pageSetUpPr.fitToPage, name
        assert other.page_setup.fitToWidth in (None, 1) and other.page_setup.fitToHeight == 0, name
        assert "&P" in other.oddFooter.right.text and "&D" in other.oddFooter.left.text, name
