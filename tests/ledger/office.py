"""LibreOffice for the tests: one headless profile per module, a conversion that must work, and
an operator at LibreOffice Calc (a Basic macro in the profile that opens the ledger, sorts, filters,
hides a row, widens a column, as a person does with the menus, and saves it as .xlsx/.ods/.xls).

LibreOffice is required (Debian: libreoffice-calc-nogui): without it these tests fail, never skip.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

TIMEOUT = 120


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        pytest.fail("LibreOffice is not installed (no `soffice` / `libreoffice` on PATH): "
                    "install the Debian package libreoffice-calc-nogui; this proof must not be skipped.")
    return found


@pytest.fixture(scope="module")
def profile(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("lo-profile")


def convert(profile: Path, target: str, out: Path, *sources: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    command = [soffice(), "--headless", "--norestore", "--nologo", f"-env:UserInstallation={profile.as_uri()}",
               "--convert-to", target, "--outdir", str(out), *map(str, sources)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"LibreOffice did not convert within {TIMEOUT} s: {command}")
    suffix = target.split(":")[0]
    missing = [s.name for s in sources if not (out / f"{s.stem}.{suffix}").exists()]
    assert done.returncode == 0 and not missing, f"soffice failed ({done.returncode}): {done.stdout}{done.stderr}"




# The operator's hands, as LibreOffice Basic (the UNO API: XSortable, XSheetFilterable, XStorable).
# Actions, any of: widen (column F to 150 mm), sort (by «№», descending), filter («Отдел» =
# «Отдел ЖКХ», the autofilter's criteria), hide (sheet row 3), decide (M2 := sDecision). Then
# saved as sFilter («Calc MS Excel 2007 XML», «calc8» for .ods, «MS Excel 97» for .xls).
OPERATOR_MACRO = """\
Sub Operate(sIn As String, sOut As String, sActions As String, sFilter As String, sDecision As String)
    Dim load(0) As New com.sun.star.beans.PropertyValue
    load(0).Name = "Hidden" : load(0).Value = True
    oDoc = StarDesktop.loadComponentFromURL(ConvertToURL(sIn), "_blank", 0, load())
    oSheet = oDoc.Sheets.getByIndex(0)
    oCursor = oSheet.createCursor()
    oCursor.gotoEndOfUsedArea(False)
    nLastRow = oCursor.RangeAddress.EndRow
    oRange = oSheet.getCellRangeByPosition(0, 0, 21, nLastRow)
    If InStr(sActions, "widen") > 0 Then
        oSheet.Columns.getByIndex(5).Width = 15000
    End If
    If InStr(sActions, "sort") > 0 Then
        Dim fields(0) As New com.sun.star.table.TableSortField
        fields(0).Field = 0
        fields(0).IsAscending = False
        Dim sortDesc(1) As New com.sun.star.beans.PropertyValue
        sortDesc(0).Name = "SortFields" : sortDesc(0).Value = fields()
        sortDesc(1).Name = "ContainsHeader" : sortDesc(1).Value = True
        oRange.sort(sortDesc())
    End If
    If InStr(sActions, "filter") > 0 Then
        oFilter = oRange.createFilterDescriptor(True)
        Dim conds(0) As New com.sun.star.sheet.TableFilterField
        conds(0).Field = 11
        conds(0).Operator = com.sun.star.sheet.FilterOperator.EQUAL
        conds(0).IsNumeric = False
        conds(0).StringValue = "Отдел ЖКХ"
        oFilter.FilterFields = conds()
        oFilter.ContainsHeader = True
        oRange.filter(oFilter)
    End If
    If InStr(sActions, "hide") > 0 Then
        oSheet.Rows.getByIndex(2).IsVisible = False
    End If
    If InStr(sActions, "decide") > 0 Then
        oSheet.getCellByPosition(12, 1).setString(sDecision)
    End If
    Dim store(0) As New com.sun.star.beans.PropertyValue
    store(0).Name = "FilterName" : store(0).Value = sFilter
    oDoc.storeToURL(ConvertToURL(sOut), store())
    oDoc.close(True)
End Sub
"""
SAVE_AS = {"xlsx": "Calc MS Excel 2007 XML", "ods": "calc8", "xls": "MS Excel 97"}


def install_operator(profile: Path) -> None:
    """Start LibreOffice once on `profile` (it creates the Standard library), then put the macro in."""
    module = profile / "user" / "basic" / "Standard" / "Module1.xba"
    if not module.exists():
        subprocess.run([soffice(), "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
                        "--terminate_after_init"], capture_output=True, timeout=TIMEOUT)
    assert module.exists(), "LibreOffice did not create its Basic library in the test profile"
    module.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE script:module PUBLIC '
                      '"-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">\n<script:module '
                      'xmlns:script="http://openoffice.org/2000/script" script:name="Module1" '
                      f'script:language="StarBasic">{escape(OPERATOR_MACRO)}</script:module>', encoding="utf-8")


def operate(profile: Path, source: Path, target: Path, actions: str, save_as: str = "xlsx",
            decision: str = "") -> None:
    """The operator opens `source` in LibreOffice Calc, does `actions` and saves it as `target`."""
    install_operator(profile)
    target.unlink(missing_ok=True)
    args = '","'.join((str(source), str(target), actions, SAVE_AS[save_as], decision))
    command = [soffice(), "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
               f'macro:///Standard.Module1.Operate("{args}")']
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"LibreOffice did not run the operator's macro within {TIMEOUT} s")
    assert target.exists(), f"the macro saved nothing ({done.returncode}): {done.stdout}{done.stderr}"
