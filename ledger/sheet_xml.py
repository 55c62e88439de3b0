"""«Журнал»'s rows as SpreadsheetML, written directly (ECMA-376 Part 1, §18.3.1), and the rest of
the workbook taken from an XlsxWriter write of the same book without its data rows.

XlsxWriter lays out everything around the rows (formats, drop-downs, colours, filter, print
setup, the other sheets, the document properties); this module cuts that file open where the
rows go, learns each column's style from one probe row, and serialises rows itself: a row is
serialised once, kept, and placed at any row number later (ledger/rowcache.py).

Text goes through `xml_text`, the one escaping routine: XML's special characters, a carriage
return as a character reference (a bare one would be read back as a line feed), characters XML
1.0 forbids and lone surrogates as «�», and text that looks like Excel's own `_xHHHH_` escape
kept literal (`_x005F_` before it), so every reader gets back exactly the text that was written.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator, Mapping, Sequence

from xlsxwriter.utility import xl_col_to_name

DEFAULT_HEIGHT = 15.0           # points: the sheet's default row (ledger/workbook.py LINE_HEIGHT)
ROW_MARK = "\x00"               # where the row number goes: XML forbids it, so text never holds it
LINKS_PER_SHEET = 65_530        # Excel's limit of hyperlinks on one worksheet
LINK_LIMIT = 2_000              # longer addresses are written as text (as before)
_NEEDS_WORK = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EXCEL_ESCAPE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")     # lookahead: escapes may overlap («_x0000_x0000_»)
_URL_UNSAFE = re.compile('[\x00-\x20"<>\\[\\]^`{}|\\\\\x7f\ud800-\udfff\ufffe\uffff]')
_PROBE_LINK = "https://probe.invalid/otklik"
HYPERLINK_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


def xml_text(text: str) -> str:
    """`text` as the content of an XML element that every spreadsheet reader returns unchanged."""
    if not _NEEDS_WORK.search(text):
        return text
    text = _FORBIDDEN.sub("\ufffd", text)
    text = _EXCEL_ESCAPE.sub("_x005F_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def xml_attribute(text: str) -> str:
    return xml_text(text).replace('"', "&quot;")


def url_target(url: str) -> str:
    """A link address as a relationship target: what no URL may hold percent-encoded (as Excel
    does), unless the address is already encoded."""
    if re.search("%[0-9A-Fa-f]{2}", url):
        url = _URL_UNSAFE.sub(_percent, url)
    else:
        url = _URL_UNSAFE.sub(_percent, url.replace("%", "%25"))
    return xml_attribute(url)


def _percent(found: re.Match) -> str:
    char = found.group(0)
    if "\ud800" <= char <= "\udfff" or char in "\ufffe\uffff":
        char = "\ufffd"
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))


def _preserve(text: str) -> str:
    return ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""


_EPOCH = datetime(1899, 12, 31)


def excel_number(moment: datetime) -> str:
    """A date as Excel's serial number, computed and printed as XlsxWriter does (the day after
    28 February 1900 counts one more: Excel's 1900 leap-year bug, ECMA-376 Part 1 §18.17.4.1)."""
    delta = moment.replace(tzinfo=None) - _EPOCH
    number = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / 86400
    return f"{number + 1 if number > 59 else number:.16G}"


# -- the layout of «Журнал» ------------------------------------------------------------------------

@dataclass(frozen=True)
class SheetColumn:
    key: str
    kind: str               # 'text' | 'date' | 'link'
    letter: str
    style: str              # ' s="N"' (or '') for text and links
    date_style: str = ""    # ' s="N"' for dates


@dataclass(frozen=True)
class Layout:
    columns: tuple[SheetColumn, ...]


def row_xml(row: Mapping[str, object], layout: Layout, link: str | None,
            height: float = DEFAULT_HEIGHT) -> tuple[str, str, str]:
    """One row as XML with ROW_MARK for its number (a hidden row gets `hidden="1"` when the
    sheet is put together, ledger/rowcache.py), and its `<hyperlink>` and relationship ('' and ''
    when it has no link). `height`: points, as ledger/workbook.py `row_height` gives them."""
    cells, hyperlink, relationship = [], "", ""
    for column in layout.columns:
        value = row.get(column.key)
        if value is None or value == "":
            continue
        ref = column.letter + ROW_MARK
        if column.kind == "date" and isinstance(value, datetime):
            cells.append(f'<c r="{ref}"{column.date_style}><v>{excel_number(value)}</v></c>')
            continue
        text = str(value)
        if column.kind == "link" and link and link.startswith(("http://", "https://")) and len(link) < LINK_LIMIT:
            hyperlink = f'<hyperlink ref="{ref}" r:id="rL{ROW_MARK}"/>'
            relationship = (f'<Relationship Id="rL{ROW_MARK}" Type="{HYPERLINK_TYPE}" '
                            f'Target="{url_target(link)}" TargetMode="External"/>')
        cells.append(f'<c r="{ref}"{column.style} t="inlineStr"><is><t{_preserve(text)}>{xml_text(text)}</t></is></c>')
    extent = "" if height == DEFAULT_HEIGHT else f' ht="{height:g}" customHeight="1"'
    return f'<row r="{ROW_MARK}"{extent}>{"".join(cells)}</row>', hyperlink, relationship


def hide(row: bytes, number: bytes) -> bytes:
    """A materialised row (`<row r="N"…`) made hidden."""
    start = b'<row r="' + number + b'"'
    return start + b' hidden="1"' + row[len(start):]


# -- the workbook around the rows --------------------------------------------------------------------

class Probe(Sequence):
    """What the workbook writer iterates as «Журнал»'s rows: one probe row standing for `count`
    rows (the drop-down, colour and filter ranges are sized by `len`)."""

    def __init__(self, count: int, columns) -> None:
        self.count = count
        self.row = {c.key: (datetime(2000, 1, 1) if c.kind == "date" else "probe") for c in columns}
        self.row["link"] = _PROBE_LINK

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):
        if index != 0:
            raise IndexError(index)
        return self.row

    def __iter__(self) -> Iterator[dict]:
        yield self.row


@dataclass(frozen=True)
class Frame:
    """A workbook written without «Журнал»'s rows, cut where they go."""
    members: list[tuple[str, bytes]]     # every member but the sheet and its relationships, in order
    sheet_name: str                      # the member holding «Журнал», e.g. xl/worksheets/sheet1.xml
    rels_name: str                       # its relationships (the hyperlinks' targets)
    head: bytes                          # the sheet up to and including the header row
    middle: bytes                        # after the rows, up to where the hyperlinks go
    tail: bytes                          # after the hyperlinks
    rels_head: bytes                     # the sheet's relationships before ours
    layout: Layout
    order: list[str]                     # member names in the archive's order
    print_name: str = ""                 # the member holding «Для печати» ('' when the book has none)
    print_head: bytes = b""
    print_tail: bytes = b""
    print_layout: Layout | None = None


_ROW2 = re.compile(rb'<row r="2"[^>]*>(.*?)</row>', re.S)
_CELL = re.compile(rb'<c r="([A-Z]+)2"(?: s="(\d+)")?')
_HYPERLINKS = re.compile(rb"<hyperlinks>.*?</hyperlinks>", re.S)
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


def frame_of(workbook: bytes, sheet: str, columns, count: int, print_sheet: str = "", print_columns=(),
             print_count: int = 0) -> Frame:
    """Cut the XlsxWriter workbook (written from a `Probe`) open around «Журнал»'s rows, and
    around those of `print_sheet` (its `print_count` rows in `print_columns`)."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        order = [info.filename for info in archive.infolist()]
        parts = {name: archive.read(name) for name in order}
    name = _sheet_member(parts, sheet)
    xml = parts.pop(name)
    rels_name = name.replace("worksheets/", "worksheets/_rels/") + ".rels"
    rels = parts.pop(rels_name, b"")
    layout, head, rest = _cut(xml, columns, count)
    links = _HYPERLINKS.search(rest)
    middle, tail = (rest[:links.start()], rest[links.end():]) if links else (rest, b"")
    rels_head = re.sub(rb'<Relationship [^>]*Target="' + re.escape(_PROBE_LINK.encode()) + rb'"[^>]*/>', b"", rels)
    rels_head = rels_head.replace(b"</Relationships>", b"") if rels_head else (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">')
    if rels_name not in order:
        order.insert(order.index(name) + 1, rels_name)
    printed = {}
    if print_sheet and _has_sheet(parts, print_sheet):
        print_name = _sheet_member(parts, print_sheet)
        print_layout, print_head, print_tail = _cut(parts.pop(print_name), print_columns, print_count)
        print_tail = _sized(print_tail, print_columns, print_count)
        parts["xl/workbook.xml"] = _sized_name(parts["xl/workbook.xml"], print_sheet, print_columns, print_count)
        printed = dict(print_name=print_name, print_head=print_head, print_tail=print_tail, print_layout=print_layout)
    return Frame([(n, parts[n]) for n in order if n in parts], name, rels_name, head, middle, tail, rels_head,
                 layout, order, **printed)


def _cut(xml: bytes, columns, count: int) -> tuple[Layout, bytes, bytes]:
    """A sheet written with the probe row: each column's style, the XML before the probe row
    (its dimension set for `count` rows) and after it."""
    probe = _ROW2.search(xml)
    styles = {m.group(1).decode(): (f' s="{m.group(2).decode()}"' if m.group(2) else "")
              for m in _CELL.finditer(probe.group(1))}
    layout = Layout(tuple(SheetColumn(c.key, c.kind, letter, styles.get(letter, ""),
                                      styles.get(letter, "") if c.kind == "date" else "")
                          for c, letter in ((c, xl_col_to_name(i)) for i, c in enumerate(columns))))
    last = xl_col_to_name(len(columns) - 1)
    head = _DIMENSION.sub(f'<dimension ref="A1:{last}{max(count, 0) + 1}"/>'.encode(), xml[:probe.start()], 1)
    return layout, head, xml[probe.end():]


def _sized(tail: bytes, columns, count: int) -> bytes:
    """The ranges XlsxWriter sized for the one probe row (filter, colours) sized for `count`."""
    last, rows = xl_col_to_name(len(columns) - 1).encode(), str(max(count, 1) + 1).encode()
    tail = re.sub(rb'<autoFilter ref="A1:' + last + rb'2"', b'<autoFilter ref="A1:' + last + rows + b'"', tail)
    return re.sub(rb'sqref="(?P<c>[A-Z]+)2:(?P=c)2"', lambda m: b'sqref="' + m.group(1) + b"2:" + m.group(1) + rows + b'"',
                  tail)


def _sized_name(book: bytes, sheet: str, columns, count: int) -> bytes:
    """The sheet's filter range in xl/workbook.xml («_xlnm._FilterDatabase») sized for `count`."""
    last, rows = xl_col_to_name(len(columns) - 1), str(max(count, 1) + 1)
    return book.replace(f"'{sheet}'!$A$1:${last}$2<".encode(), f"'{sheet}'!$A$1:${last}${rows}<".encode())


def _has_sheet(parts: Mapping[str, bytes], sheet: str) -> bool:
    return f'<sheet name="{xml_attribute(sheet)}"'.encode() in parts["xl/workbook.xml"]


def _sheet_member(parts: Mapping[str, bytes], sheet: str) -> str:
    """The archive member of the sheet named `sheet` (xl/workbook.xml and its relationships)."""
    book = parts["xl/workbook.xml"].decode("utf-8")
    found = re.search(r'<sheet name="' + re.escape(xml_attribute(sheet)) + r'" sheetId="\d+" r:id="([^"]+)"', book)
    rels = parts["xl/_rels/workbook.xml.rels"].decode("utf-8")
    target = re.search(r'<Relationship Id="' + re.escape(found.group(1)) + r'" [^>]*Target="([^"]+)"', rels)
    return "xl/" + target.group(1).removeprefix("/xl/")


def build_frame(write: Callable[[Probe], bytes], sheet: str, columns, count: int, print_sheet: str = "",
                print_columns=(), print_count: int = 0) -> Frame:
    """`write(rows)` writes the workbook with XlsxWriter and returns the file's bytes."""
    return frame_of(write(Probe(count, columns)), sheet, columns, count, print_sheet, print_columns, print_count)
