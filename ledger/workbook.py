"""The ledger file itself: reading (python-calamine), writing (XlsxWriter), locks, backups.

The only module that touches the .xlsx. XlsxWriter writes row by row in constant memory, so a
cycle's write costs about what a bare write of the same cells costs; calamine reads a 50,000-row
ledger in seconds. Writes go to a temporary file that replaces the ledger atomically, after the
previous version is copied to a dated backup (SPEC §2).
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import xlsxwriter
from python_calamine import CalamineError, CalamineWorkbook

from ledger.columns import COLUMNS, DEPARTMENTS_SHEET, HEADERS, SHEET, SUMMARY_SHEET

KEY_BY_HEADER = {c.header: c.key for c in COLUMNS}
BACKUPS_KEPT = 30
VALIDATION_ROWS = 2000          # empty rows below the data that still get drop-downs
_LAST_MODIFIED_BY = re.compile(rb"<cp:lastModifiedBy>([^<]*)</cp:lastModifiedBy>")
WRITE_ID_PROPERTY = "Otklik write"
SHEET_ROW = "_row"              # a read row's number on the sheet (1 is the header)
_WRITE_ID = re.compile(rb'name="Otklik write"[^>]*>\s*<vt:[a-z0-9]+[^>]*>\s*(\d+)\s*<')

CONTROL_COLOURS = {             # «Контроль срока» (SPEC §5): background, font
    "просрочено": ("#F4B6B6", "#7A0000"),
    "истекает": ("#FFE699", "#5C4400"),
    "в срок": ("#D9EAD3", "#1E4620"),
    "выполнено с нарушением срока": ("#F8CBAD", "#5A2A00"),
    "выполнено в срок": ("#E2EFDA", "#375623"),
}


class LedgerUnreadable(Exception):
    """The file is not a ledger we can read: corrupt, foreign, or missing the «Журнал» sheet."""


@dataclass(frozen=True)
class LedgerRead:
    rows: Iterable[dict[str, object]]   # one dict per data row, keyed by column key (once, when streamed)
    modified_by: str                # docProps lastModifiedBy: who saved it last
    write_id: int | None = None     # which of our writes the file comes from (custom property)


def lock_file(path: Path) -> Path | None:
    """Excel's `~$name.xlsx` or LibreOffice's `.~lock.name.xlsx#` beside the ledger."""
    for candidate in (path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")):
        if candidate.exists():
            return candidate
    return None


def signature(path: Path) -> list[int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return [stat.st_mtime_ns, stat.st_size]


def read_ledger(path: Path) -> LedgerRead:
    """The ledger's rows as an iterator (read once), made one by one from calamine's sheet: a
    50,000-row ledger read as Python objects all at once would take ~140 MB more (issue 14)."""
    try:
        book = CalamineWorkbook.from_path(str(path))
        if SHEET not in book.sheet_names:
            raise LedgerUnreadable(f"в книге нет листа «{SHEET}»")
        sheet = book.get_sheet_by_name(SHEET)
        # calamine's iter_rows starts at the sheet's first row but at the used range's first
        # column: pad on the left, as to_python(skip_empty_area=False) does
        lead = [""] * sheet.start[1] if sheet.total_height else []
        lines = (lead + row for row in sheet.iter_rows()) if lead else iter(sheet.iter_rows())
        first = next(lines, None)
    except (CalamineError, OSError, ValueError, zipfile.BadZipFile) as exc:
        raise LedgerUnreadable(f"файл повреждён или не является книгой Excel ({type(exc).__name__})") from None
    if not first:
        raise LedgerUnreadable("лист «Журнал» пуст: нет строки заголовков")
    header = [str(h).strip() for h in first]
    missing = [h for h in HEADERS if h not in header]
    if missing:
        raise LedgerUnreadable("нет столбцов: " + ", ".join(missing))
    positions = {KEY_BY_HEADER[h]: i for i, h in enumerate(header) if h in KEY_BY_HEADER}
    return LedgerRead(_rows(lines, positions, 2), _modified_by(path), _write_id(path))


def _rows(lines, positions: Mapping[str, int], first_number: int):
    width = max(positions.values()) + 1
    for number, values in enumerate(lines, start=first_number):
        if len(values) < width:
            values = list(values) + [""] * (width - len(values))
        row = {key: values[i] for key, i in positions.items()}
        if any(v not in (None, "") for v in row.values()):
            row[SHEET_ROW] = number   # where a hand-made row stands, to know it again (ledger/sync.py)
            yield row


def _modified_by(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            found = _LAST_MODIFIED_BY.search(archive.read("docProps/core.xml"))
    except (KeyError, OSError, zipfile.BadZipFile):
        return ""
    return found.group(1).decode("utf-8", "replace").strip() if found else ""


def _write_id(path: Path) -> int | None:
    try:
        with zipfile.ZipFile(path) as archive:
            found = _WRITE_ID.search(archive.read("docProps/custom.xml"))
    except (KeyError, OSError, zipfile.BadZipFile):
        return None
    return int(found.group(1)) if found else None


def set_aside(path: Path, backup_dir: Path, now: datetime, why: str) -> Path:
    """Move an unreadable ledger out of the way, never overwriting it blindly."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    target = backup_dir / f"{path.stem} НЕЧИТАЕМЫЙ {now:%Y-%m-%d %H-%M-%S}{path.suffix}"
    shutil.move(str(path), target)
    return target


@dataclass(frozen=True)
class DirectoryRow:
    code: str
    name: str
    emails: str


def build_ledger(path: Path, rows: Sequence[Mapping[str, object]], departments: Sequence[DirectoryRow],
                 summary: Sequence[Sequence[object]], now: datetime, write_id: int) -> Path:
    """Write the whole ledger to a temporary file beside `path`; returns the temporary file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.stem}.writing{path.suffix}")
    try:
        book = xlsxwriter.Workbook(str(temp), {"constant_memory": True, "strings_to_formulas": False,
                                               "strings_to_urls": False, "strings_to_numbers": False})
        book.set_properties({"title": "Журнал обращений", "author": "Отклик", "comments": "Отклик"})
        book.set_custom_property(WRITE_ID_PROPERTY, write_id)   # which snapshot a saved copy is based on
        formats = _formats(book)
        _write_journal(book, formats, rows, len(departments))
        _write_directory(book, formats, departments)
        _write_summary(book, formats, summary, now)
        book.close()
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def install_ledger(temp: Path, path: Path, backup_dir: Path, now: datetime) -> None:
    """Back up the current ledger, then replace it with `temp` atomically."""
    try:
        _backup(path, backup_dir, now)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _formats(book: xlsxwriter.Workbook) -> dict:
    return {
        "header": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                   "text_wrap": True, "valign": "top"}),
        "text": book.add_format({"text_wrap": True, "valign": "top"}),
        "date": book.add_format({"num_format": "dd.mm.yyyy hh:mm", "valign": "top"}),
        "link": book.add_format({"font_color": "#0563C1", "underline": 1, "valign": "top"}),
        **{label: book.add_format({"bg_color": bg, "font_color": fg})
           for label, (bg, fg) in CONTROL_COLOURS.items()},
    }


def _write_journal(book, formats, rows, department_count: int) -> None:
    sheet = book.add_worksheet(SHEET)
    for col, column in enumerate(COLUMNS):
        sheet.set_column(col, col, column.width, formats["text"])
        sheet.write_string(0, col, column.header, formats["header"])
    for r, row in enumerate(rows, start=1):
        for col, column in enumerate(COLUMNS):
            _write_cell(sheet, formats, r, col, column, row.get(column.key), row.get("link"))
    last = max(len(rows), 1) + VALIDATION_ROWS
    _add_lists(sheet, last, department_count)
    _add_colours(sheet, formats, last)
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, max(len(rows), 1), len(COLUMNS) - 1)
    sheet.set_landscape()
    sheet.set_paper(9)                  # A4
    sheet.fit_to_pages(1, 0)            # fit to width, as many pages down as needed
    sheet.repeat_rows(0)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_footer("&LЖурнал обращений&RСтр. &P из &N")


def _write_cell(sheet, formats, r: int, col: int, column, value, link) -> None:
    if value is None or value == "":
        return
    if column.kind == "date" and isinstance(value, datetime):
        sheet.write_datetime(r, col, value, formats["date"])
    elif column.kind == "link" and isinstance(link, str) and link.startswith(("http://", "https://")) \
            and len(link) < 2000:
        sheet.write_url(r, col, link, formats["link"], string=str(value))
    else:
        sheet.write_string(r, col, str(value))   # never a formula, whatever the text starts with


def _add_lists(sheet, last: int, department_count: int) -> None:
    for col, column in enumerate(COLUMNS):
        if column.choices and column.operator:
            sheet.data_validation(1, col, last, col, {
                "validate": "list", "source": list(column.choices), "ignore_blank": True,
                "error_type": "warning", "error_title": column.header,
                "error_message": "Выберите значение из списка."})
        if column.key == "department":
            sheet.data_validation(1, col, last, col, {
                "validate": "list", "source": f"='{DEPARTMENTS_SHEET}'!$B$2:$B${department_count + 1}",
                "error_type": "warning", "error_message": "Выберите отдел из справочника «Отделы»."})


def _add_colours(sheet, formats, last: int) -> None:
    col = next(i for i, c in enumerate(COLUMNS) if c.key == "control")
    for label in CONTROL_COLOURS:
        sheet.conditional_format(1, col, last, col, {
            "type": "cell", "criteria": "==", "value": f'"{label}"', "format": formats[label]})


def _write_directory(book, formats, departments: Sequence[DirectoryRow]) -> None:
    sheet = book.add_worksheet(DEPARTMENTS_SHEET)
    for col, (header, width) in enumerate((("Код", 14), ("Отдел", 60), ("Адреса для ответов", 50))):
        sheet.set_column(col, col, width, formats["text"])
        sheet.write_string(0, col, header, formats["header"])
    for r, dep in enumerate(departments, start=1):
        for col, value in enumerate((dep.code, dep.name, dep.emails)):
            sheet.write_string(r, col, value)
    sheet.write_string(len(departments) + 2, 0,
                       "Справочник только для просмотра: он берётся из настроек (config.toml).")
    sheet.freeze_panes(1, 0)


def _write_summary(book, formats, summary: Sequence[Sequence[object]], now: datetime) -> None:
    sheet = book.add_worksheet(SUMMARY_SHEET)
    sheet.set_column(0, 0, 50, formats["text"])
    sheet.set_column(1, 8, 14, formats["text"])
    for r, values in enumerate(summary):
        for col, value in enumerate(values):
            if isinstance(value, (int, float)):
                sheet.write_number(r, col, value)
            elif value not in (None, ""):
                sheet.write_string(r, col, str(value), formats["header"] if r == 1 else None)
    sheet.freeze_panes(2, 1)


def _backup(path: Path, backup_dir: Path, now: datetime) -> None:
    if not path.exists():
        return
    backup_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, backup_dir / f"{path.stem} {now:%Y-%m-%d %H-%M-%S}{path.suffix}")
    backups = sorted(backup_dir.glob(f"{path.stem} ????-??-?? ??-??-??{path.suffix}"))
    for old in backups[:-BACKUPS_KEPT]:
        old.unlink(missing_ok=True)
