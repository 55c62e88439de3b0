"""Taking purged cases out of kept workbooks (152-ФЗ, `purge`): the ledger's dated backups and
the ledgers set aside as unreadable (`backups/`, ledger/workbook.py).

A backup stays a backup: only the rows of the purged cases lose every cell but «№» (their
hyperlinks and notes too), and no removed text is left anywhere in the file's XML. The usual
file (written by us, or saved by Excel or LibreOffice) is edited in its XML directly: the purged
rows keep only their «№» cell, their hyperlinks and the relationships naming the link targets go,
and the shared strings only they used are emptied (indices stay, so every other cell is as it
was) — a 2,000-row backup takes milliseconds instead of an openpyxl load and save. Anything
that edit does not know (comments, a calculation chain, an unexpected cell) goes through
openpyxl instead, which writes the shared strings anew. A file that openpyxl cannot read either
(a «Save as» .ods or .xls copy, an unreadable ledger) and names a purged case goes.
"""

from __future__ import annotations

import html
import os
import re
import zipfile
from pathlib import Path
from typing import Iterable


KEPT, REWRITTEN, REMOVED = "kept", "rewritten", "removed"


def scrub_workbook(path: Path, case_ids: Iterable[str]) -> str:
    """Blank the rows of `case_ids` in the workbook at `path`; returns KEPT, REWRITTEN or REMOVED."""
    wanted = set(case_ids)
    if not wanted or not _mentions(path, wanted):
        return KEPT
    try:
        if _scrub_xml(path, wanted):
            return REWRITTEN
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, UnicodeDecodeError):
        pass
    import openpyxl   # only for a file the XML edit cannot take: not held by every service (~15 MB)
    try:
        book = openpyxl.load_workbook(path)
    except Exception:   # noqa: BLE001 - not a workbook openpyxl reads: it cannot be cleaned, only removed
        path.unlink(missing_ok=True)
        return REMOVED
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            if row and str(row[0].value or "").strip() in wanted:
                _blank(row[1:])
    temporary = path.with_name(f".{path.stem}.scrub{path.suffix}")
    try:
        book.save(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return REWRITTEN


def _blank(cells) -> None:
    for cell in cells:
        if type(cell).__name__ == "MergedCell":
            continue
        cell.value = None
        cell.hyperlink = None
        cell.comment = None


def _mentions(path: Path, case_ids: set[str]) -> bool:
    """Whether any purged case's ID is in the file (in its XML, or anywhere in a file that is no zip)."""
    needles = [case_id.encode(encoding) for case_id in case_ids for encoding in ("ascii", "utf-16-le")]
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                data = archive.read(name)
                if any(needle in data for needle in needles):
                    return True
        return False
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, ValueError):
        data = path.read_bytes() if path.exists() else b""
        return any(needle in data for needle in needles)


# -- the XML edit -------------------------------------------------------------------------------

_SHEET = re.compile(r"xl/worksheets/[^/]+\.xml$")
_ROW = re.compile(r"<row\b[^>]*/>|<row\b[^>]*>.*?</row>", re.S)
_CELL = re.compile(r"<c\b[^>]*/>|<c\b[^>]*>.*?</c>", re.S)
_SI = re.compile(r"<si\b[^>]*/>|<si\b[^>]*>.*?</si>", re.S)
_TEXT = re.compile(r"<t\b[^>]*>(.*?)</t>", re.S)
_VALUE = re.compile(r"<v\b[^>]*>(.*?)</v>", re.S)
_SHARED_CELL = re.compile(r'<c\b[^>]*\bt="s"[^>]*>\s*<v>(\d+)</v>')
_ATTR = re.compile(r'\b([\w:]+)="([^"]*)"')
_HYPERLINK = re.compile(r"<hyperlink\b[^>]*/>|<hyperlink\b[^>]*>.*?</hyperlink>", re.S)
_RELATIONSHIP = re.compile(r"<Relationship\b[^>]*/>", re.S)
UNKNOWN = ("xl/calcChain.xml",)


def _scrub_xml(path: Path, wanted: set[str]) -> bool:
    """The XML edit described in the module docstring; False when the file needs openpyxl."""
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        parts = {info.filename: archive.read(info.filename) for info in infos}
    names = set(parts)
    if any(name in names for name in UNKNOWN) or any("comments" in name or "threadedComment" in name
                                                      for name in names):
        return False
    strings_name = "xl/sharedStrings.xml"
    strings_xml = parts[strings_name].decode("utf-8") if strings_name in parts else ""
    strings = list(_SI.finditer(strings_xml))
    texts = [html.unescape("".join(_TEXT.findall(m.group(0)))) for m in strings]
    dropped: set[int] = set()
    kept: set[int] = set()
    changed = False
    for name in sorted(n for n in names if _SHEET.match(n)):
        sheet = parts[name].decode("utf-8")
        rows: list[int] = []

        def row(match: re.Match) -> str:
            nonlocal changed
            text = match.group(0)
            first = _CELL.search(text)     # only the «№» cell is read of a row that stays
            if first is None or _attrs(first.group(0)).get("r", "").rstrip("0123456789") != "A" or \
                    _cell_text(first.group(0), texts).strip() not in wanted:
                return text
            dropped.update(int(n) for n in _SHARED_CELL.findall(text[first.end():]))
            rows.append(int(_attrs(text)["r"]))
            changed = True
            return text[:text.index(">") + 1] + first.group(0) + "</row>"

        sheet = _ROW.sub(row, sheet)
        kept.update(int(n) for n in _SHARED_CELL.findall(sheet))
        if rows:
            sheet = _drop_hyperlinks(sheet, name, set(rows), parts)
        parts[name] = sheet.encode("utf-8")
    if not changed:   # the ID is somewhere this edit does not look (not a .xlsx, another column)
        return False
    if strings:
        emptied = dropped - kept
        pieces, last = [], 0
        for number, match in enumerate(strings):
            pieces.append(strings_xml[last:match.start()])
            pieces.append("<si><t></t></si>" if number in emptied else match.group(0))
            last = match.end()
        pieces.append(strings_xml[last:])
        parts[strings_name] = "".join(pieces).encode("utf-8")
    _write_zip(path, infos, parts)
    return True


def _attrs(tag: str) -> dict[str, str]:
    return dict(_ATTR.findall(tag[:tag.index(">") + 1]))


def _cell_text(cell: str, texts: list[str]) -> str:
    kind = _attrs(cell).get("t")
    if kind == "s":
        index = int((_VALUE.findall(cell) or ["-1"])[0])
        return texts[index] if 0 <= index < len(texts) else ""
    if kind == "inlineStr":
        return html.unescape("".join(_TEXT.findall(cell)))
    return html.unescape("".join(_VALUE.findall(cell)))


def _drop_hyperlinks(sheet: str, name: str, rows: set[int], parts: dict[str, bytes]) -> str:
    """Hyperlinks of the purged rows go, and so do their targets in the sheet's relationships."""
    gone: set[str] = set()

    def link(match: re.Match) -> str:
        attrs = _attrs(match.group(0))
        cell = attrs.get("ref", "")
        if int(cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") or 0) in rows:
            gone.add(attrs.get("r:id", ""))
            return ""
        return match.group(0)

    sheet = _HYPERLINK.sub(link, sheet)
    sheet = re.sub(r"<hyperlinks>\s*</hyperlinks>", "", sheet)
    rels_name = name.replace("worksheets/", "worksheets/_rels/") + ".rels"
    if gone and rels_name in parts:
        rels = parts[rels_name].decode("utf-8")
        rels = _RELATIONSHIP.sub(lambda m: "" if _attrs(m.group(0)).get("Id") in gone else m.group(0), rels)
        parts[rels_name] = rels.encode("utf-8")
    return sheet


def _write_zip(path: Path, infos, parts: dict[str, bytes]) -> None:
    temporary = path.with_name(f".{path.stem}.scrub{path.suffix}")
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            for info in infos:
                archive.writestr(info.filename, parts[info.filename])
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
