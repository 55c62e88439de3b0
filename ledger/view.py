"""The operator's view of «Журнал»: row order, hidden rows, filter criteria, column widths.

A rewrite of the ledger must not throw the view away (issue 16). The *reading* side
(`read_view`) takes it out of the file the operator saved; the *writing* side (ledger/workbook.py,
or any other writer) receives a plain `SheetView` and puts it back. The view is kept in the store
as JSON between writes (ledger/service.py), so it survives a restart and a file that was not read.

Rule for the order: rows keep the order they had in the operator's file; a case the file did not
show (new since, or a row the operator deleted) comes after them, in the store's order.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence
from xml.etree import ElementTree

from ledger.columns import COLUMNS, SHEET
from ledger.pieces import sheet_part

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_ATTR = re.compile(rb'(\w+)="([^"]*)"')
_COLS = re.compile(rb"<(?:\w+:)?cols\b.*?</(?:\w+:)?cols>", re.S)
_AUTOFILTER = re.compile(rb"<(?:\w+:)?autoFilter\b(?:[^>]*/>|.*?</(?:\w+:)?autoFilter>)", re.S)
# Excel's customFilter operators (ECMA-376 §18.18.31) ↔ the comparison a writer is given.
OPERATORS = {"equal": "==", "notEqual": "!=", "greaterThan": ">", "greaterThanOrEqual": ">=",
             "lessThan": "<", "lessThanOrEqual": "<="}
# A file's width counts the cell padding (5 px of a 7-px digit in 11-pt Calibri, as Excel and
# XlsxWriter write it); the width a writer is given does not: taken off, a width read and written
# again stays the same instead of growing by 0.71 each time.
WIDTH_PADDING = 5 / 7
WIDTH_TOLERANCE = 1.0       # a width this close to ours is ours (writers round differently)


@dataclass(frozen=True)
class ColumnFilter:
    """One column's autofilter criteria: a list of shown values (and/or blanks), or up to two
    comparisons (`custom`: (operator, value) pairs, joined by «and» when `all_of`)."""
    key: str
    values: tuple[str, ...] = ()
    blanks: bool = False
    custom: tuple[tuple[str, str], ...] = ()
    all_of: bool = False


@dataclass(frozen=True)
class SheetView:
    order: tuple[str, ...] = ()                     # case ids as the operator's file had them
    hidden: frozenset[str] = frozenset()            # case ids whose rows are hidden
    widths: Mapping[str, float] = field(default_factory=dict)   # column key → width the operator set
    hidden_columns: frozenset[str] = frozenset()
    filters: tuple[ColumnFilter, ...] = ()

    def to_json(self) -> dict:
        return {"order": list(self.order), "hidden": sorted(self.hidden), "widths": dict(self.widths),
                "hidden_columns": sorted(self.hidden_columns),
                "filters": [{"key": f.key, "values": list(f.values), "blanks": f.blanks,
                             "custom": [list(c) for c in f.custom], "all_of": f.all_of} for f in self.filters]}

    @classmethod
    def from_json(cls, value: Mapping | None) -> "SheetView":
        if not value:
            return cls()
        keys = {c.key for c in COLUMNS}
        return cls(order=tuple(value.get("order", ())), hidden=frozenset(value.get("hidden", ())),
                   widths={k: float(w) for k, w in value.get("widths", {}).items() if k in keys},
                   hidden_columns=frozenset(k for k in value.get("hidden_columns", ()) if k in keys),
                   filters=tuple(ColumnFilter(f["key"], tuple(f.get("values", ())), bool(f.get("blanks")),
                                              tuple((op, v) for op, v in f.get("custom", ())),
                                              bool(f.get("all_of")))
                                 for f in value.get("filters", ()) if f.get("key") in keys))


def arrange(rows: Sequence[Mapping[str, object]], view: SheetView) -> list[Mapping[str, object]]:
    """`rows` (the store's order) in the operator's order; rows the view does not know at the end."""
    if not view.order:
        return list(rows)
    place = {case_id: i for i, case_id in enumerate(view.order)}
    unknown = len(place)
    return sorted(rows, key=lambda row: place.get(str(row.get("id")), unknown))   # stable: store order kept


# -- reading the view out of the operator's .xlsx ------------------------------------------------

def read_view(path: Path, row_ids: Mapping[int, str]) -> SheetView:
    """The view saved in `path` (an .xlsx); `row_ids`: sheet row number → the case id it holds.
    A part that cannot be read is left out (the view is a convenience, never a reason to fail)."""
    order = tuple(dict.fromkeys(row_ids[n] for n in sorted(row_ids)))
    try:
        with zipfile.ZipFile(path) as archive:
            head, hidden_rows, tail = _scan(archive, sheet_part(archive, SHEET))
        widths, hidden_columns = _columns(head)
        filters = _filters(tail)
    except (KeyError, OSError, ValueError, StopIteration, zipfile.BadZipFile, ElementTree.ParseError):
        return SheetView(order=order)      # an .ods, an .xls, or XML we can't follow: the order only
    return SheetView(order=order, hidden=frozenset(row_ids[n] for n in hidden_rows if n in row_ids),
                     widths=widths, hidden_columns=hidden_columns, filters=filters)


_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData\b[^>]*?(/?)>")
_SHEET_DATA_END = re.compile(rb"</(?:\w+:)?sheetData>")
_BLOCK = 1 << 22


def _scan(archive: zipfile.ZipFile, part: str) -> tuple[bytes, set[int], bytes]:
    """The sheet read as a stream (a 50,000-row sheet is ~120 MB of XML, issue 14): what comes
    before its rows (the columns), the numbers of its hidden rows, what comes after them (the
    filter). Each block is looked at up to its last '>', so no tag is split between two."""
    head, tail, hidden, phase, carry = [], [], set(), 0, b""
    with archive.open(part) as stream:
        while True:
            block = stream.read(_BLOCK)
            data = carry + block
            cut = len(data) if not block else data.rfind(b">") + 1
            data, carry = data[:cut], data[cut:]
            if phase == 0:
                found = _SHEET_DATA.search(data)
                if found is None:
                    head.append(data)
                else:
                    head.append(data[:found.start()])
                    data, phase = data[found.end():], 2 if found.group(1) else 1
            if phase == 1:
                end = _SHEET_DATA_END.search(data)
                hidden |= _hidden_rows(data if end is None else data[:end.start()])
                if end is not None:
                    data, phase = data[end.end():], 2
            if phase == 2:
                tail.append(data)
            if not block:
                break
    return b"".join(head), hidden, b"".join(tail)


def _hidden_rows(data: bytes) -> set[int]:
    """Rows marked hidden in a piece of sheetData: `hidden=` looked for first (fast), then the tag."""
    found, at = set(), data.find(b'hidden="')
    while at != -1:
        start, end = data.rfind(b"<", 0, at), data.find(b">", at)
        tag = data[start:end + 1]
        if _ROW_TAG.match(tag):
            attrs = dict(_ATTR.findall(tag))
            if b"r" in attrs and attrs.get(b"hidden") in (b"1", b"true"):
                found.add(int(attrs[b"r"]))
        at = data.find(b'hidden="', end)
    return found


def _fragment(raw: bytes) -> ElementTree.Element:
    """A part of the sheet XML parsed alone: its prefixes dropped, the main namespace assumed."""
    plain = re.sub(rb"<(/?)\w+:", rb"<\1", raw)
    return ElementTree.fromstring(b'<x xmlns="' + _MAIN.encode() + b'">' + plain + b"</x>")


def _columns(data: bytes) -> tuple[dict[str, float], frozenset[str]]:
    found = _COLS.search(data)
    if not found:
        return {}, frozenset()
    widths: dict[str, float] = {}
    hidden: set[str] = set()
    for col in _fragment(found.group(0)).iter(f"{{{_MAIN}}}col"):
        first, last = int(col.get("min", 0)), int(col.get("max", 0))
        for number in range(max(first, 1), min(last, len(COLUMNS)) + 1):
            column = COLUMNS[number - 1]
            if col.get("hidden") in ("1", "true"):
                hidden.add(column.key)
            width = float(col.get("width", column.width + WIDTH_PADDING)) - WIDTH_PADDING
            if abs(width - column.width) > WIDTH_TOLERANCE:
                widths[column.key] = round(width, 2)
    return widths, frozenset(hidden)


def _filters(data: bytes) -> tuple[ColumnFilter, ...]:
    found = _AUTOFILTER.search(data)
    if not found:
        return ()
    filters = []
    for column in _fragment(found.group(0)).iter(f"{{{_MAIN}}}filterColumn"):
        number = int(column.get("colId", -1))
        if not 0 <= number < len(COLUMNS):
            continue
        key = COLUMNS[number].key
        listed = column.find(f"{{{_MAIN}}}filters")
        custom = column.find(f"{{{_MAIN}}}customFilters")
        if listed is not None:
            values = tuple(f.get("val", "") for f in listed.iter(f"{{{_MAIN}}}filter"))
            filters.append(ColumnFilter(key, values, blanks=listed.get("blank") in ("1", "true")))
        elif custom is not None:
            pairs = tuple((OPERATORS.get(c.get("operator", "equal"), "=="), c.get("val", ""))
                          for c in custom.iter(f"{{{_MAIN}}}customFilter"))
            if pairs:
                filters.append(ColumnFilter(key, custom=pairs[:2], all_of=custom.get("and") in ("1", "true")))
        # top-10, dynamic and colour filters are not carried: the rows they hid stay hidden
    return tuple(filters)
