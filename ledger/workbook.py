"""The ledger file itself: reading (python-calamine, piece by piece), writing (XlsxWriter), locks, backups.

The only module that touches the .xlsx. XlsxWriter writes row by row in constant memory, so a
cycle's write costs about what a bare write of the same cells costs; calamine reads a 50,000-row
ledger in seconds. Writes go to a temporary file that replaces the ledger atomically, after the
previous version is copied to a dated backup (SPEC §2).
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import zipfile
import zlib
from array import array
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import xlsxwriter
from python_calamine import CalamineError, CalamineWorkbook

from bridge.core.model import Status
from bridge.core.vocabulary import STATUS_LABELS
from ledger.columns import ALERTS_SHEET, BY_KEY, COLUMNS, DEPARTMENTS_SHEET, HEADERS, PRINT_SHEET, SHEET
from ledger.columns import SUMMARY_SHEET
from ledger.pieces import PIECE_SHEET, SheetPieces, Unsplittable
from ledger.view import SheetView

log = logging.getLogger("otklik.ledger")

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
    saved_as: str = "xlsx"          # what the file really was: 'xlsx', or 'ods' / 'xls' read by content


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
    """The «Журнал» rows of `path`: an .xlsx, or what LibreOffice or Excel saved under the ledger's
    name in another format (an .ods, an .xls: «Сохранить как» with the wrong type), which is read
    by its content and says so in `saved_as`. The rows come as an iterator (read once): an .xlsx
    is read piece by piece (ledger/pieces.py), so a 50,000-row sheet is never held whole (issue
    14); a piece that cannot be read, and any other format, is read whole by calamine. A piece
    further down that turns out unreadable raises LedgerUnreadable while the rows are iterated."""
    try:
        lines, saved_as = _lines(path)
        first = next(lines, None)
    except _READ_ERRORS as exc:
        raise LedgerUnreadable(_unreadable(exc)) from None
    if not first:
        raise LedgerUnreadable("лист «Журнал» пуст: нет строки заголовков")
    number, values = first
    header = [str(h).strip() for h in values] if number == 1 else []
    missing = [h for h in HEADERS if h not in header]
    if missing:
        raise LedgerUnreadable("нет столбцов: " + ", ".join(missing))
    positions = {KEY_BY_HEADER[h]: i for i, h in enumerate(header) if h in KEY_BY_HEADER}
    if saved_as == "ods":
        modified_by, write_id = _ods_properties(path)
    elif saved_as == "xls":
        modified_by, write_id = "", None      # its properties are in OLE streams: the latest write is the base
    else:
        modified_by, write_id = _modified_by(path), _write_id(path)
    return LedgerRead(_rows(lines, positions), modified_by, write_id, saved_as)


_READ_ERRORS = (CalamineError, OSError, ValueError, zipfile.BadZipFile)


def _unreadable(exc: BaseException) -> str:
    return f"файл повреждён или не является книгой Excel ({type(exc).__name__})"


def _lines(path: Path) -> tuple[Iterator[tuple[int, list]], str]:
    """(sheet row number, its cells from column A) for each row, and the file's real format."""
    if _suffix_format(path) == "xlsx":
        try:
            pieces = SheetPieces(path, SHEET)
        except Unsplittable:
            pass                               # not a workbook we can cut: calamine says what it is
        else:
            return _pieced(path, pieces), "xlsx"
    book, saved_as = _calamine_book(path)
    return _whole(book), saved_as


def _calamine_book(path: Path) -> tuple[CalamineWorkbook, str]:
    try:
        return CalamineWorkbook.from_path(str(path)), _suffix_format(path)
    except (CalamineError, zipfile.BadZipFile, ValueError) as exc:
        saved_as = saved_format(path)
        if saved_as in ("", _suffix_format(path)):
            raise exc from None
        with open(path, "rb") as handle:       # calamine tells the format by the content here
            return CalamineWorkbook.from_filelike(handle), saved_as


def _whole(book: CalamineWorkbook) -> Iterator[tuple[int, list]]:
    if SHEET not in book.sheet_names:
        raise LedgerUnreadable(f"в книге нет листа «{SHEET}»")
    sheet = book.get_sheet_by_name(SHEET)
    # calamine's iter_rows starts at the sheet's first row but at the used range's first
    # column: pad on the left, as to_python(skip_empty_area=False) does
    lead = [""] * sheet.start[1] if sheet.start else []
    for number, row in enumerate(sheet.iter_rows(), start=1):
        yield number, (lead + row if lead else row)


def _pieced(path: Path, pieces: SheetPieces) -> Iterator[tuple[int, list]]:
    """The rows of the sheet's pieces, in order. A piece calamine cannot read, or rows out of
    order or without their number (ledger/pieces.py), send the read to the whole file, which
    gives the rows no piece gave — or says the file is unreadable."""
    given = array("q")                         # the numbers of the rows the pieces held
    try:
        for book in pieces.books():
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(book)).get_sheet_by_name(PIECE_SHEET)
            del book
            if sheet.start is None:             # no cell with a value in the piece
                given.extend(pieces.numbers)
                continue
            top, left = sheet.start
            rows = sheet.to_python(skip_empty_area=True)
            given.extend(pieces.numbers)
            lead = [""] * left
            for number, row in enumerate(rows, start=top + 1):
                yield number, (lead + row if left else row)
    except (*_READ_ERRORS, Unsplittable, zlib.error, EOFError) as exc:   # zlib, EOF: a broken deflate stream
        log.info("ledger read whole after its pieces failed: %s", type(exc).__name__)
        pieces.close()
        skip = set(given)
        del given
        try:
            for number, row in _whole(_calamine_book(path)[0]):
                if number not in skip:
                    yield number, row
        except _READ_ERRORS as whole_exc:
            raise LedgerUnreadable(_unreadable(whole_exc)) from None
    finally:
        pieces.close()


def _rows(lines: Iterator[tuple[int, list]], positions: Mapping[str, int]):
    width = max(positions.values()) + 1
    for number, values in lines:
        if len(values) < width:
            values = list(values) + [""] * (width - len(values))
        row = {key: values[i] for key, i in positions.items()}
        if any(v not in (None, "") for v in row.values()):
            row[SHEET_ROW] = number   # where a hand-made row stands, to know it again (ledger/sync.py)
            yield row


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"     # .xls (Excel 97–2003, BIFF8 in an OLE file)
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_ODS_CREATOR = re.compile(rb"<dc:creator>([^<]*)</dc:creator>")
_ODS_WRITE_ID = re.compile(rb'meta:name="Otklik write"[^>]*>\s*(\d+)')


def saved_format(path: Path) -> str:
    """What a file really is, by its first bytes: 'xlsx', 'ods', 'xls', or '' (neither)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
        if head.startswith(_OLE_MAGIC):
            return "xls"
        if head.startswith(b"PK"):
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                if "mimetype" in names and archive.read("mimetype").strip() == _ODS_MIMETYPE:
                    return "ods"
                return "xlsx" if "xl/workbook.xml" in names else ""
    except (OSError, zipfile.BadZipFile, KeyError):
        pass
    return ""


def _suffix_format(path: Path) -> str:
    return path.suffix.lower().lstrip(".")


def _ods_properties(path: Path) -> tuple[str, int | None]:
    try:
        with zipfile.ZipFile(path) as archive:
            meta = archive.read("meta.xml")
    except (KeyError, OSError, zipfile.BadZipFile):
        return "", None
    creator, write_id = _ODS_CREATOR.search(meta), _ODS_WRITE_ID.search(meta)
    return (creator.group(1).decode("utf-8", "replace").strip() if creator else "",
            int(write_id.group(1)) if write_id else None)


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


def set_aside(path: Path, backup_dir: Path, now: datetime, why: str, label: str = "НЕЧИТАЕМЫЙ") -> Path:
    """Move an unreadable ledger (or a copy of it) out of the way, never overwriting it blindly."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    target = backup_dir / f"{path.stem} {label} {now:%Y-%m-%d %H-%M-%S}{path.suffix}"
    shutil.move(str(path), target)
    return target


@dataclass(frozen=True)
class DirectoryRow:
    code: str
    name: str
    emails: str


@dataclass(frozen=True)
class Notice:
    """One line of «Оповещения»: what the daily digest says, shown where the operator works."""
    at: datetime            # local wall-clock time
    kind: str               # the operator's word for it («Журнал», «Недоставленное письмо», …)
    case_id: str
    text: str


def build_ledger(path: Path, rows: Sequence[Mapping[str, object]], departments: Sequence[DirectoryRow],
                 summary: Sequence[Sequence[object]], now: datetime, write_id: int,
                 view: SheetView = SheetView(), notices: Sequence[Notice] = ()) -> Path:
    """Write the whole ledger to a temporary file beside `path`; returns the temporary file.
    `rows` come in the order they are shown (ledger/view.py `arrange`); `view` is the operator's
    view to put back (hidden rows, widths, filter criteria); `notices` fill «Оповещения»."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.stem}.writing{path.suffix}")
    try:
        book = xlsxwriter.Workbook(str(temp), {"constant_memory": True, "strings_to_formulas": False,
                                               "strings_to_urls": False, "strings_to_numbers": False})
        book.set_properties({"title": "Журнал обращений", "author": "Отклик", "comments": "Отклик"})
        book.set_custom_property(WRITE_ID_PROPERTY, write_id)   # which snapshot a saved copy is based on
        formats = _formats(book)
        _write_journal(book, formats, rows, len(departments), view, now)
        _write_directory(book, formats, departments, now)
        _write_summary(book, formats, summary, now)
        _write_notices(book, formats, notices, now)
        _write_print_sheet(book, formats, rows, view, now)
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
        "short date": book.add_format({"num_format": "dd.mm.yyyy", "valign": "top"}),
        "link": book.add_format({"font_color": "#0563C1", "underline": 1, "valign": "top"}),
        "title": book.add_format({"bold": True, "font_size": 12}),
        **{label: book.add_format({"bg_color": bg, "font_color": fg})
           for label, (bg, fg) in CONTROL_COLOURS.items()},
    }


# -- «Журнал» --------------------------------------------------------------------------------------

def _write_journal(book, formats, rows, department_count: int, view: SheetView, now: datetime) -> None:
    sheet = book.add_worksheet(SHEET)
    widths = _set_widths(sheet, formats, view)
    for col, column in enumerate(COLUMNS):
        sheet.write_string(0, col, column.header, formats["header"])
    for r, row in enumerate(rows, start=1):
        _set_row_view(sheet, r, row, widths, view)
        for col, column in enumerate(COLUMNS):
            _write_cell(sheet, formats, r, col, column, row.get(column.key), row.get("link"))
    last = max(len(rows), 1) + VALIDATION_ROWS
    _add_lists(sheet, last, department_count)
    _add_colours(sheet, formats, last)
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, max(len(rows), 1), len(COLUMNS) - 1)
    _set_filters(sheet, view)
    _print_journal(sheet)


def _set_widths(sheet, formats, view: SheetView) -> dict[str, float]:
    """Our widths, or the ones the operator set (ledger/view.py); hidden columns stay hidden."""
    widths = {}
    for col, column in enumerate(COLUMNS):
        widths[column.key] = view.widths.get(column.key, column.width)
        options = {"hidden": True} if column.key in view.hidden_columns else {}
        sheet.set_column(col, col, widths[column.key], formats["text"], options)
    return widths


def _set_row_view(sheet, r: int, row: Mapping[str, object], widths: Mapping[str, float], view: SheetView) -> None:
    """A height that shows the wrapped text (LibreOffice does not grow rows by itself), and the
    operator's hidden rows hidden again. Called before the row's cells (constant memory mode)."""
    height = row_height(row, widths)
    hidden = str(row.get("id")) in view.hidden
    if hidden:
        sheet.set_row(r, height, None, {"hidden": True})
    elif height != LINE_HEIGHT:
        sheet.set_row(r, height)


LINE_HEIGHT = 15.0          # points: one line of 11-pt Calibri (Excel's default row)
MAX_LINES = 8               # a long letter shows its first lines; the cell keeps all of it


def row_height(row: Mapping[str, object], widths: Mapping[str, float]) -> float:
    """Points for the row: the most wrapped lines of any text cell (at about one character per
    unit of column width), capped at MAX_LINES."""
    lines = 1
    for key, width in widths.items():
        value = row.get(key)
        if isinstance(value, str) and value and BY_KEY[key].kind == "text":
            lines = max(lines, wrapped_lines(value, width))
            if lines >= MAX_LINES:
                return MAX_LINES * LINE_HEIGHT
    return lines * LINE_HEIGHT


def wrapped_lines(text: str, width: float) -> int:
    per_line = max(int(width) - 1, 1)
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def _set_filters(sheet, view: SheetView) -> None:
    """The operator's autofilter criteria back on the filter buttons (the rows they hid are
    hidden by `_set_row_view`: a writer does not apply a filter, the file keeps what was shown)."""
    place = {c.key: i for i, c in enumerate(COLUMNS)}
    for criteria in view.filters:
        col = place[criteria.key]
        if criteria.custom:
            join = " and " if criteria.all_of else " or "
            sheet.filter_column(col, join.join(f'x {op} "{_quoted(value)}"' for op, value in criteria.custom))
        elif criteria.values or criteria.blanks:
            sheet.filter_column_list(col, [*criteria.values, *(["Blanks"] if criteria.blanks else [])])


def _quoted(value: str) -> str:
    return value.replace('"', '""')


def _print_journal(sheet) -> None:
    """All 22 columns can't be read on one A4 width: printed at 75 % (11-pt text → 8.25 pt) with
    «№» on every page across; the sheet «Для печати» is the one-page-wide layout for meetings."""
    _print_setup(sheet, "Журнал обращений (для совещания печатайте лист «Для печати»)")
    sheet.set_print_scale(JOURNAL_PRINT_SCALE)
    sheet.repeat_rows(0)
    sheet.repeat_columns(0)
    sheet.print_across()


JOURNAL_PRINT_SCALE = 75


def _print_setup(sheet, title: str, fit_width: bool = False) -> None:
    """A4 landscape, the title and print date on the left of the footer, pages on the right."""
    sheet.set_landscape()
    sheet.set_paper(9)                  # A4
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    sheet.set_footer(f"&L{title.replace('&', '&&')}, напечатано &D&RСтр. &P из &N")
    if fit_width:
        sheet.fit_to_pages(1, 0)        # one page wide, as many pages down as needed


def _write_cell(sheet, formats, r: int, col: int, column, value, link, date_format: str = "date") -> None:
    if value is None or value == "":
        return
    if column.kind == "date" and isinstance(value, datetime):
        sheet.write_datetime(r, col, value, formats[date_format])
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


def _add_colours(sheet, formats, last: int, col: int | None = None) -> None:
    col = next(i for i, c in enumerate(COLUMNS) if c.key == "control") if col is None else col
    for label in CONTROL_COLOURS:
        sheet.conditional_format(1, col, last, col, {
            "type": "cell", "criteria": "==", "value": f'"{label}"', "format": formats[label]})


# -- the other sheets ------------------------------------------------------------------------------

def _write_directory(book, formats, departments: Sequence[DirectoryRow], now: datetime) -> None:
    sheet = book.add_worksheet(DEPARTMENTS_SHEET)
    columns = (("Код", 14), ("Отдел", 60), ("Адреса для ответов", 50))
    for col, (header, width) in enumerate(columns):
        sheet.set_column(col, col, width, formats["text"])
        sheet.write_string(0, col, header, formats["header"])
    widths = {i: width for i, (_, width) in enumerate(columns)}
    for r, dep in enumerate(departments, start=1):
        values = (dep.code, dep.name, dep.emails)
        lines = max(wrapped_lines(v, widths[i]) for i, v in enumerate(values))
        if lines > 1:
            sheet.set_row(r, min(lines, MAX_LINES) * LINE_HEIGHT)
        for col, value in enumerate(values):
            sheet.write_string(r, col, value)
    sheet.write_string(len(departments) + 2, 0,
                       "Справочник только для просмотра: он берётся из настроек (config.toml).")
    sheet.freeze_panes(1, 0)
    _print_setup(sheet, "Отделы", fit_width=True)
    sheet.repeat_rows(0)


def _write_summary(book, formats, summary: Sequence[Sequence[object]], now: datetime) -> None:
    sheet = book.add_worksheet(SUMMARY_SHEET)
    # 34 + 10 × 10: one A4 width at ≥ 80 %; both compliances (п. 3.1, 3.2) make ten figure columns.
    sheet.set_column(0, 0, 34, formats["text"])
    sheet.set_column(1, 10, 10, formats["text"])
    for r, values in enumerate(summary):
        if r == 1:
            sheet.set_row(r, 5 * LINE_HEIGHT)   # the headers wrap on up to five lines
        for col, value in enumerate(values):
            if isinstance(value, (int, float)):
                sheet.write_number(r, col, value)
            elif value not in (None, ""):
                sheet.write_string(r, col, str(value), formats["header"] if r == 1 else None)
    sheet.freeze_panes(2, 1)
    _print_setup(sheet, "Сводка по отделам", fit_width=True)
    sheet.repeat_rows(1)


NOTICE_COLUMNS = (("Когда", 16), ("Что", 22), ("№", 16), ("Оповещение", 85))


def _write_notices(book, formats, notices: Sequence[Notice], now: datetime) -> None:
    """«Оповещения»: the alerts of the daily digest (ledger locked, outages, bounces, unknown
    senders, failures), newest first, where the operator looks all day."""
    sheet = book.add_worksheet(ALERTS_SHEET)
    for col, (header, width) in enumerate(NOTICE_COLUMNS):
        sheet.set_column(col, col, width, formats["text"])
    sheet.write_string(0, 0, f"Оповещения за {NOTICE_DAYS} дн. (они же приходят в ежедневной сводке "
                             "по почте; список обновляется при каждой записи журнала)", formats["title"])
    for col, (header, _) in enumerate(NOTICE_COLUMNS):
        sheet.write_string(1, col, header, formats["header"])
    if not notices:
        sheet.write_string(2, 0, "Оповещений нет.")
    for r, notice in enumerate(notices, start=2):
        lines = wrapped_lines(notice.text, NOTICE_COLUMNS[3][1])
        if lines > 1:
            sheet.set_row(r, min(lines, MAX_LINES) * LINE_HEIGHT)
        sheet.write_datetime(r, 0, notice.at, formats["date"])
        sheet.write_string(r, 1, notice.kind)
        if notice.case_id:
            sheet.write_string(r, 2, notice.case_id)
        sheet.write_string(r, 3, notice.text)
    sheet.freeze_panes(2, 0)
    _print_setup(sheet, "Оповещения", fit_width=True)
    sheet.repeat_rows(1)


NOTICE_DAYS = 7

# The print layout (issue 16): what a meeting needs, one A4 page wide, readable (≥ 8 pt).
# The widths add up to 132: even in a wide fallback font (DejaVu Sans, a LibreOffice without
# Calibri or Carlito) the sheet fits at about 80 %, 11-pt text printed at about 9 pt.
PRINT_COLUMNS = (("id", 15), ("posted", 10), ("text", 34), ("department", 17), ("status", 14),
                 ("due", 10), ("control", 12), ("dept_answer", 20))
CLOSED_LABELS = frozenset(STATUS_LABELS[s] for s in Status.CLOSED)
PRINT_TEXT = 600            # characters of a long message or answer on paper; the ledger has it all


def _write_print_sheet(book, formats, rows, view: SheetView, now: datetime) -> None:
    """«Для печати»: the cases in work (not closed: what a meeting goes through), in the order of
    «Журнал», the rows hidden there hidden here too (a filtered «Журнал» prints as filtered).
    Closed cases stay out: in a year's ledger they are most rows, and they print from «Журнал».
    Nothing typed here is read."""
    sheet = book.add_worksheet(PRINT_SHEET)
    rows = [row for row in rows if row.get("status") not in CLOSED_LABELS]
    widths = {key: width for key, width in PRINT_COLUMNS}
    for col, (key, width) in enumerate(PRINT_COLUMNS):
        sheet.set_column(col, col, width, formats["text"])
        sheet.write_string(0, col, BY_KEY[key].header, formats["header"])
    for r, row in enumerate(rows, start=1):
        cut = {key: _cut(row.get(key)) for key, _ in PRINT_COLUMNS}
        _set_row_view(sheet, r, {**cut, "id": row.get("id")}, widths, view)
        for col, (key, _) in enumerate(PRINT_COLUMNS):
            _write_cell(sheet, formats, r, col, BY_KEY[key], cut[key], None, "short date")
    _add_colours(sheet, formats, max(len(rows), 1), col=[k for k, _ in PRINT_COLUMNS].index("control"))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(PRINT_COLUMNS) - 1)
    _print_setup(sheet, "Обращения в работе", fit_width=True)
    sheet.repeat_rows(0)


def _cut(value: object) -> object:
    if isinstance(value, str) and len(value) > PRINT_TEXT:
        return value[:PRINT_TEXT] + "…"
    return value


def _backup(path: Path, backup_dir: Path, now: datetime) -> None:
    if not path.exists():
        return
    backup_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, backup_dir / f"{path.stem} {now:%Y-%m-%d %H-%M-%S}{path.suffix}")
    backups = sorted(backup_dir.glob(f"{path.stem} ????-??-?? ??-??-??{path.suffix}"))
    for old in backups[:-BACKUPS_KEPT]:
        old.unlink(missing_ok=True)
