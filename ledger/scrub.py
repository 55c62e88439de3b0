"""Taking purged cases out of kept workbooks (152-ФЗ, `purge`): the ledger's dated backups and
the ledgers set aside as unreadable (`backups/`, ledger/workbook.py).

A backup stays a backup: only the rows of the purged cases lose every cell but «№» (their
hyperlinks and notes too); openpyxl writes the shared strings anew, so the removed text is not
left in the file's XML. A file that cannot be read as a workbook and names a purged case goes.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Iterable

import openpyxl

KEPT, REWRITTEN, REMOVED = "kept", "rewritten", "removed"


def scrub_workbook(path: Path, case_ids: Iterable[str]) -> str:
    """Blank the rows of `case_ids` in the workbook at `path`; returns KEPT, REWRITTEN or REMOVED."""
    wanted = set(case_ids)
    if not wanted or not _mentions(path, wanted):
        return KEPT
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
    needles = [case_id.encode("ascii") for case_id in case_ids]
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
