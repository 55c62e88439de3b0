"""The ledger read piece by piece (ledger/pieces.py, issue 14): every row and every cell as
calamine reads the whole file, for workbooks saved by openpyxl and by LibreOffice, with hostile
cell text; the whole file read instead where the sheet cannot be cut; a piece further down that
is broken makes the ledger unreadable (set aside, rebuilt, nothing applied), as a whole read did."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from python_calamine import CalamineWorkbook

from bridge.core.model import Status
from ledger import pieces
from ledger.columns import HEADERS, SHEET
from ledger.workbook import KEY_BY_HEADER, SHEET_ROW, LedgerUnreadable, read_ledger
from tests.ledger.conftest import add_messages, col, cycle, edit_ledger, row_of
from tests.ledger.office import convert, profile  # noqa: F401  (the LibreOffice profile fixture)

SHEET_PART = "xl/worksheets/sheet1.xml"
# What people and programs put into cells: XML's own characters, Excel's `_xHHHH_` escapes (of a
# carriage return, of a lone surrogate, of an escape), a full 32,767-character cell, spaces at
# the edges, line breaks, characters beyond the BMP, invisible ones.
HOSTILE = ['<b>&amp; "кавычки" \'апостроф\' &lt; ]]> &#13;', "_x000D_ и _x005F_x0041_ и _xD83D_ _x0001_",
           "я" * 32_767, "  пробелы по краям  ", "строка\nвторая\r\nтретья", "😀 эмодзи 𝔘 \u200b\ufeff",
           "Отдел ЖКХ", "перезвонить заявителю"]


@pytest.fixture
def tiny(monkeypatch):
    """Pieces of a few rows each, a few shared strings a block: a small workbook is cut as a
    50,000-row ledger is."""
    monkeypatch.setattr(pieces, "_BLOCK", 700)
    monkeypatch.setattr(pieces, "PIECE_BYTES", 1)
    monkeypatch.setattr(pieces, "STRINGS_PER_BLOCK", 3)      # shared strings kept in many blocks


@pytest.fixture
def counted(monkeypatch):
    """How many pieces the reads made."""
    made = []
    books = pieces.SheetPieces.books

    def counting(self):
        for book in books(self):
            made.append(len(book))
            yield book
    monkeypatch.setattr(pieces.SheetPieces, "books", counting)
    return made


def reference(path: Path) -> list[dict]:
    """The rows as calamine reads the whole sheet, keyed as read_ledger keys them."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET).to_python(skip_empty_area=False)
    header = [str(h).strip() for h in rows[0]]
    keys = {KEY_BY_HEADER[h]: i for i, h in enumerate(header) if h in KEY_BY_HEADER}
    found = []
    for number, values in enumerate(rows[1:], start=2):
        row = {key: values[i] if i < len(values) else "" for key, i in keys.items()}
        if any(v not in (None, "") for v in row.values()):
            found.append({**row, SHEET_ROW: number})
    return found


def pieced(path: Path, caplog) -> list[dict]:
    with caplog.at_level("INFO", logger="otklik.ledger"):
        rows = list(read_ledger(path).rows)
    return rows


def read_whole(caplog) -> bool:
    return any("read whole" in r.getMessage() for r in caplog.records)


def hostile_book(path: Path, rows: int = 40) -> Path:
    """A ledger-shaped workbook saved by openpyxl (shared strings, rich text, dates, numbers,
    booleans, formulas, gaps), every column header in place."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(list(HEADERS))
    for n in range(2, rows + 2):
        text = HOSTILE[n % len(HOSTILE)]
        sheet.cell(n, col("№"), f"OKH-2026-{n:05d}")
        sheet.cell(n, col("Поступило"), datetime(2026, 3, 12, 11, n % 60, 7))
        sheet.cell(n, col("Текст сообщения"), text)
        sheet.cell(n, col("Срок"), date(2026, 3, 20))              # midnight: calamine gives a date
        if n % 3 == 0:
            sheet.cell(n, col("Комментарий оператора"), datetime(2026, 4, 1, 9, 30))   # a date typed into text
        if n % 4 == 0:
            sheet.cell(n, col("Рег. № СЭД"), 12345 if n % 8 else 3.25)
            sheet.cell(n, col("Согласие"), True)
        if n % 5 == 0:
            sheet.cell(n, col("Отдел"), '="Отдел "&"ЖКХ"')           # a formula: its value is text
        if n % 6 == 0:
            sheet.cell(n, col("Ответ отдела"), CellRichText(["жирное ", TextBlock(InlineFont(b=True), "и нет")]))
        if n % 7 == 0:
            sheet.cell(n, col("Примечание системы"), text[:100])     # the last column; others stay empty
    sheet.cell(rows + 5, col("Текст сообщения"), "строка вручную ниже пустых")
    book.save(path)
    return path


def rezip(path: Path, change) -> Path:
    """The same workbook with its «Журнал» sheet XML changed by `change(text) -> text`."""
    with zipfile.ZipFile(path) as archive:
        parts = [(info, archive.read(info.filename)) for info in archive.infolist()]
    temp = path.with_suffix(".new")
    with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            if info.filename == SHEET_PART:
                data = change(data.decode("utf-8")).encode("utf-8")
            archive.writestr(info.filename, data)
    temp.replace(path)
    return path


# -- the same cells as the whole read -------------------------------------------------------------

def test_openpyxl_workbook_reads_piece_by_piece_as_whole(tmp_path, tiny, counted, caplog):
    path = hostile_book(tmp_path / "book.xlsx")
    rows = pieced(path, caplog)
    assert rows == reference(path) and not read_whole(caplog)
    assert len(counted) > 10                           # really cut: a few rows a piece
    by_number = {row[SHEET_ROW]: row for row in rows}
    assert any(row["text"] == "я" * 32_767 for row in rows)
    assert by_number[2]["posted"] == datetime(2026, 3, 12, 11, 2, 7) and by_number[2]["due"] == date(2026, 3, 20)
    assert by_number[5]["department"] in ("", "Отдел ЖКХ")  # openpyxl keeps no cached value
    assert by_number[6]["dept_answer"] == "жирное и нет"
    assert by_number[9]["operator_comment"] == datetime(2026, 4, 1, 9, 30)
    assert by_number[45]["text"] == "строка вручную ниже пустых"


def test_libreoffice_saved_workbook_reads_piece_by_piece_as_whole(tmp_path, profile, tiny, counted, caplog):
    source = hostile_book(tmp_path / "book.xlsx")
    convert(profile, "xlsx", tmp_path / "lo", source)   # LibreOffice opens and saves it
    path = tmp_path / "lo" / "book.xlsx"
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read(SHEET_PART)
    assert b't="s"' in sheet and b't="str"' in sheet    # shared strings, a formula's text value
    rows = pieced(path, caplog)
    assert rows == reference(path) and not read_whole(caplog) and len(counted) > 10
    by_number = {row[SHEET_ROW]: row for row in rows}
    assert by_number[5]["department"] == "Отдел ЖКХ"       # the value LibreOffice computed
    assert by_number[6]["dept_answer"] == "жирное и нет"
    assert by_number[9]["operator_comment"] == datetime(2026, 4, 1, 9, 30)

    # a shared string that is not in the table: unreadable, as calamine finds the whole file
    rezip(path, lambda xml: re.sub(r'(t="s"[^>]*><v>)\d+(</v>)', r"\g<1>999999\2", xml, count=1))
    with pytest.raises(LedgerUnreadable):
        list(read_ledger(path).rows)


def test_inline_rich_text_and_cells_without_their_reference(tmp_path, tiny, caplog):
    path = hostile_book(tmp_path / "book.xlsx")

    def change(xml: str) -> str:
        xml = re.sub(r'<c r="F7"[^>]*?(/>|>.*?</c>)',
                     '<c r="F7" t="inlineStr"><is><r><t>жирный</t></r><r><rPr><b/></rPr>'
                     '<t xml:space="preserve"> и &lt;нет&gt;</t></r></is></c>', xml, count=1, flags=re.S)
        return re.sub(r'(<row r="1[0-9]"[^>]*>)(.*?)(</row>)',          # cells of rows 10–19 lose r=
                      lambda m: m.group(1) + re.sub(r' r="[A-Z]+\d+"', "", m.group(2)) + m.group(3), xml,
                      flags=re.S)
    rezip(path, change)
    rows = pieced(path, caplog)
    assert rows == reference(path) and not read_whole(caplog)
    assert {row[SHEET_ROW]: row for row in rows}[7]["text"] == "жирный и <нет>"


def test_rows_out_of_order_are_read_whole(tmp_path, tiny, caplog):
    path = hostile_book(tmp_path / "book.xlsx")

    def swap(xml: str) -> str:          # row 30 written before row 3 (a piece's rows go back)
        late = re.search(r'<row r="30".*?</row>', xml, re.S).group(0)
        xml = xml.replace(late, "")
        return xml.replace('<row r="3"', late + '<row r="3"', 1)
    rezip(path, swap)
    rows = pieced(path, caplog)
    assert read_whole(caplog)
    assert sorted(rows, key=lambda row: row[SHEET_ROW]) == reference(path)


def test_rows_without_their_number_are_read_whole(tmp_path, tiny, caplog):
    path = hostile_book(tmp_path / "book.xlsx")
    rezip(path, lambda xml: re.sub(r'<row r="\d+"', "<row", xml))
    rows = pieced(path, caplog)
    assert read_whole(caplog)
    assert sorted(rows, key=lambda row: row[SHEET_ROW]) == reference(path)
    assert [row[SHEET_ROW] for row in rows][:3] == [2, 3, 4]


def test_a_sheet_that_does_not_end_is_unreadable(tmp_path, tiny):
    path = hostile_book(tmp_path / "book.xlsx")
    rezip(path, lambda xml: xml[:xml.index('<row r="30"')])
    with pytest.raises(LedgerUnreadable):
        list(read_ledger(path).rows)


# -- through a cycle ------------------------------------------------------------------------------

def test_a_broken_piece_further_down_sets_the_ledger_aside_and_applies_nothing(app, clock, tiny):
    ids = add_messages(app, [f"Обращение {n}: яма во дворе" for n in range(30)], clock.now)
    cycle(app, clock)

    def decide(sheet) -> None:      # row 2: a decision read before the broken row is reached
        sheet.cell(row_of(sheet, ids[0]), col("Отдел")).value = "Отдел ЖКХ"
        sheet.cell(row_of(sheet, ids[0]), col("Решение оператора")).value = "Направить"
    edit_ledger(app, decide)
    rezip(app.config.ledger, lambda xml: re.sub(r'(<c r="A25"[^>]*>.*?)</c>', r"\1</d>", xml, count=1, flags=re.S))
    spoiled = app.config.ledger.read_bytes()

    report = cycle(app, clock)
    assert report.ledger == "записан" and report.decisions_read == 0
    assert app.store.get(ids[0]).status == Status.NEW
    aside = list((app.config.data_dir / "backups").glob("*НЕЧИТАЕМЫЙ*"))
    assert len(aside) == 1 and aside[0].read_bytes() == spoiled
    assert len(list(read_ledger(app.config.ledger).rows)) == len(ids)


def test_broken_compressed_bytes_half_way_are_unreadable(tmp_path, tiny):
    path = hostile_book(tmp_path / "book.xlsx", rows=400)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(SHEET_PART)
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    data[middle:middle + 64] = b"\xff" * 64       # the compressed bytes, half-way through the sheet
    path.write_bytes(bytes(data))
    with pytest.raises(LedgerUnreadable):
        list(read_ledger(path).rows)
