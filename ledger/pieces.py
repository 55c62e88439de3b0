"""A sheet of an .xlsx cut into small workbooks of a few thousand rows each, so that a reader
that only reads whole sheets never holds a 50,000-row «Журнал» at once (issue 14).

python-calamine 0.9.1 reads a sheet only whole: `get_sheet_by_name` of the 50,000 × 22 ledger
holds ~111 MB resident (149 MB at its peak), and it has no row-by-row reader. Here the sheet's XML
is inflated as a stream and cut between two rows (after a `</row>` end tag) into pieces of about
PIECE_BYTES of XML. Each piece becomes a workbook of its own, kept in memory and stored without
compression: the sheet's head (its columns and views; the `<dimension>` left out, it would size
every piece as the whole sheet), the piece's rows as the file has them, and the file's own styles
(a date is a number whose cell format is a date format), shared strings and date system (1900 or
1904, ECMA-376 Part 1 §18.2.28 `date1904`). A reader given a piece makes of every cell exactly
what it makes of it in the whole file: inline, shared and rich-text strings, numbers, booleans,
dates, a formula's cached value.

What this module does not understand (a sheet part it cannot find, XML it cannot cut, a sheet
that does not end) is `Unsplittable`: the caller then reads the whole file instead.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from array import array
from pathlib import Path
from typing import Iterator
from xml.etree import ElementTree

PIECE_BYTES = 1 << 20           # of sheet XML per piece (~500 ledger rows): measured, bench/results.md
_BLOCK = 1 << 20                # inflated per read of the sheet member
STRINGS_PER_BLOCK = 1000        # shared strings compressed together (~300 KB of a ledger's text)
_PART_LIMIT = 1 << 30           # shared strings beyond this: the whole file is read instead
_HEAD_LIMIT = 64 << 20          # a sheet whose rows do not start within this is not cut
PIECE_SHEET = "piece"           # the name of the one sheet of a piece
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b[^>]*?(/?)>")
_ROOT = re.compile(rb"<((?:\w+:)?worksheet)\b")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*/>")
_DATE1904 = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904=\"(?:1|true)\"")
# A shared-string cell's index (`t="s"`, ECMA-376 Part 1 §18.3.1.4) and a shared string's start.
_SHARED_INDEX = re.compile(rb'\bt="s"[^>]*>\s*<(?:\w+:)?v>\s*(\d+)\s*<')
_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')
_SI_START = re.compile(rb"<si[\s>/]")
_SST_ROOT = re.compile(rb"<sst\b[^>]*\bxmlns=\"" + _MAIN.encode() + rb'"')
_SHARED_STRINGS = "/sharedStrings"     # relationship types end so (transitional and strict)
_STYLES = "/styles"

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b'<Override PartName="/xl/styles.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
_PACKAGE_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="' + _PACKAGE_REL.encode() + b'"><Relationship Id="rId1" '
    b'Type="' + _REL.encode() + b'/officeDocument" Target="xl/workbook.xml"/></Relationships>')


class Unsplittable(Exception):
    """The sheet cannot be cut here; the whole file is to be read instead."""


def sheet_part(archive: zipfile.ZipFile, sheet: str) -> str:
    """The zip member that holds the sheet named `sheet` (xl/workbook.xml names it, its
    relationships give the part). KeyError / StopIteration / ParseError when it is not there."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    found = next(s for s in book.iter(f"{{{_MAIN}}}sheet") if s.get("name") == sheet)
    return _target(archive, found.get(f"{{{_REL}}}id"))


def _relationships(archive: zipfile.ZipFile) -> list[ElementTree.Element]:
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    return list(rels.iter(f"{{{_PACKAGE_REL}}}Relationship"))


def _target(archive: zipfile.ZipFile, rel_id: str | None = None, kind: str | None = None) -> str:
    target = next(r.get("Target", "") for r in _relationships(archive)
                  if (rel_id is not None and r.get("Id") == rel_id) or (kind is not None and r.get("Type", "").endswith(kind)))
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


class SheetPieces:
    """The pieces of one sheet of an open .xlsx. `books()` yields each piece as the bytes of a
    workbook whose one sheet, PIECE_SHEET, holds the piece's rows at their own row numbers."""

    def __init__(self, path, sheet: str, piece_bytes: int | None = None) -> None:
        try:
            # The file is read at once and closed: the rows are compared while they are read,
            # and an open handle would stand in the way of Excel replacing the file on Windows.
            self.archive = zipfile.ZipFile(io.BytesIO(Path(path).read_bytes()))
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise Unsplittable(type(exc).__name__) from None     # no zip: an .xls, an .ods, garbage
        try:
            self.member = sheet_part(self.archive, sheet)
            self.date1904 = bool(_DATE1904.search(self.archive.read("xl/workbook.xml")))
            self.styles = self._part(_STYLES)
            self.strings = self._part(_SHARED_STRINGS)
        except (KeyError, StopIteration, ElementTree.ParseError, zipfile.BadZipFile, OSError, ValueError,
                zlib.error, EOFError) as exc:
            self.close()
            raise Unsplittable(type(exc).__name__) from None
        except BaseException:
            self.close()
            raise
        self.piece_bytes = piece_bytes or PIECE_BYTES
        self.numbers = array("q")      # the row numbers in the piece last made
        self.starts = self._starts() if self.strings is not None else None

    def _starts(self) -> array:
        """Where each shared string (`<si>`) starts in the shared strings part, and where the last
        one ends; then the table is kept compressed, STRINGS_PER_BLOCK strings a block (a 50,000-row
        LibreOffice save: 58 MB of strings kept as ~15 MB), and a piece inflates only the blocks
        its cells name."""
        if not _SST_ROOT.search(self.strings, 0, 4096):
            self.close()
            raise Unsplittable("shared strings in a prefixed namespace")
        starts = array("q", map(re.Match.start, _SI_START.finditer(self.strings)))
        starts.append(self.strings.rfind(b"</sst>"))
        if starts[-1] < (starts[-2] if len(starts) > 1 else 0):
            self.close()
            raise Unsplittable("shared strings that do not end")
        self.strings_head = bytes(self.strings[:starts[0]])
        self.blocks = [zlib.compress(self.strings[starts[i]:starts[min(i + STRINGS_PER_BLOCK, len(starts) - 1)]], 1)
                       for i in range(0, len(starts) - 1, STRINGS_PER_BLOCK)]
        self.strings = b""
        return starts

    def _strings_of(self, rows: list[bytes]) -> bytes:
        """The piece's own shared strings: those its `t="s"` cells name, at the same indices,
        every other one empty (`<si/>`); runs of used strings are copied as they stand."""
        used: set[int] = set()
        for part in rows:
            found = _SHARED_INDEX.findall(part)
            if len(found) != part.count(b't="s"'):
                raise Unsplittable("a shared-string cell not understood")
            used.update(map(int, found))
        starts, at, inflated = self.starts, 0, {}
        out = [self.strings_head]
        for index in sorted(used):
            if index >= len(starts) - 1:
                raise Unsplittable("a shared string that is not there")
            if index < at:
                continue
            block = index // STRINGS_PER_BLOCK
            end = index + 1
            while end in used and end < (block + 1) * STRINGS_PER_BLOCK:
                end += 1
            if block not in inflated:
                inflated[block] = zlib.decompress(self.blocks[block])
            base = starts[block * STRINGS_PER_BLOCK]
            out.append(b"<si/>" * (index - at))
            out.append(inflated[block][starts[index] - base:starts[end] - base])
            at = end
        out.append(b"</sst>")
        return b"".join(out)

    def _part(self, kind: str) -> bytearray | None:
        """A part read block by block into one buffer (`read` would hold it twice at its end)."""
        try:
            name = _target(self.archive, kind=kind)
            size = self.archive.getinfo(name).file_size
        except (StopIteration, KeyError):
            return None
        if size > _PART_LIMIT:
            raise ValueError("a part beyond the limit")
        data = bytearray()
        with self.archive.open(name) as stream:
            while block := stream.read(_BLOCK):
                data += block
        return data

    def close(self) -> None:
        self.archive.close()

    def books(self) -> Iterator[bytes]:
        with self.archive.open(self.member) as stream:
            head, data = _head(stream)
            found = _SHEET_DATA.search(head)
            prefix, root = found.group(1) or b"", _ROOT.search(head)
            if root is None:
                raise Unsplittable("no worksheet element")
            head = _DIMENSION.sub(b"", head)
            if found.group(2):                      # <sheetData/>: no rows at all
                return
            tail = b"</" + prefix + b"sheetData></" + root.group(1) + b">"
            row_tag, row_end, rows_end = b"<" + prefix + b"row", b"</" + prefix + b"row>", b"</" + prefix + b"sheetData>"
            pending, size, finished = [], 0, False
            while not finished:
                block = stream.read(_BLOCK)
                data += block
                end = data.find(rows_end)
                if end != -1:
                    data, finished = data[:end], True
                elif not block:
                    raise Unsplittable("the sheet's rows do not end")
                cut = len(data) if finished else data.rfind(row_end) + len(row_end)
                if cut < len(row_end):
                    continue                        # a row longer than a block: read on
                pending.append(data[:cut])
                size += cut
                data = data[cut:]
                if size >= self.piece_bytes or finished:
                    self.numbers = _in_order(pending, self.numbers[-1] if self.numbers else 0, row_tag)
                    yield self._book(head, pending, tail)
                    pending, size = [], 0

    def _book(self, head: bytes, rows: list[bytes], tail: bytes) -> bytes:
        """A workbook of the piece, uncompressed (what is read at once need not be packed)."""
        strings = self._strings_of(rows) if self.starts is not None else None
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as book:
            book.writestr("[Content_Types].xml", _CONTENT_TYPES)
            book.writestr("_rels/.rels", _PACKAGE_RELS)
            book.writestr("xl/workbook.xml", _workbook(self.date1904))
            book.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(self.styles is not None, strings is not None))
            if strings is not None:
                book.writestr("xl/sharedStrings.xml", strings)
                del strings
            if self.styles is not None:
                book.writestr("xl/styles.xml", self.styles)
            with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
                sheet.write(head)
                for part in rows:
                    sheet.write(part)
                sheet.write(tail)
        return out.getvalue()


def _in_order(parts: list[bytes], last: int, row_tag: bytes) -> array:
    """The piece's row numbers, after checking that every row has one (`r`) and that they go up
    from `last`: a piece is read as the rows between its first and last number, so a row written
    out of place (or numbered by its position only) would stand where another piece's rows are.
    Each row's start tag is found with `find` (a regex over every tag of the sheet costs 10×)."""
    numbers = array("q")
    for part in parts:
        at = part.find(row_tag)
        while at != -1:
            end = part.find(b">", at)
            if part[at + len(row_tag):at + len(row_tag) + 1] in b" \t\r\n/>":
                found = _ROW_NUMBER.search(part, at, end)
                if found is None or int(found.group(1)) <= last:
                    raise Unsplittable("rows out of order or without their number")
                last = int(found.group(1))
                numbers.append(last)
            at = part.find(row_tag, end)
    return numbers


def _head(stream) -> tuple[bytes, bytes]:
    """The sheet up to and including its `<sheetData>` tag, and what was read after it."""
    data = b""
    while True:
        block = stream.read(_BLOCK)
        data += block
        found = _SHEET_DATA.search(data)
        if found is not None:
            return data[:found.end()], data[found.end():]
        if not block or len(data) > _HEAD_LIMIT:
            raise Unsplittable("no sheetData")


def _workbook(date1904: bool) -> bytes:
    system = b'<workbookPr date1904="1"/>' if date1904 else b""
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<workbook xmlns="' + _MAIN.encode() + b'" xmlns:r="' + _REL.encode() + b'">' + system +
            b'<sheets><sheet name="' + PIECE_SHEET.encode() + b'" sheetId="1" r:id="rId1"/></sheets></workbook>')


def _workbook_rels(styles: bool, strings: bool) -> bytes:
    parts = [(b"worksheet", b"worksheets/sheet1.xml")]
    parts += [(b"styles", b"styles.xml")] if styles else []
    parts += [(b"sharedStrings", b"sharedStrings.xml")] if strings else []
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="' + _PACKAGE_REL.encode()
            + b'">' + b"".join(b'<Relationship Id="rId%d" Type="%s/%s" Target="%s"/>' % (i, _REL.encode(), kind, target)
                               for i, (kind, target) in enumerate(parts, start=1)) + b"</Relationships>")
