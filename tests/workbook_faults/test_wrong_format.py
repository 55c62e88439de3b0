"""The ledger saved in the wrong format (issue 16), made by LibreOffice itself from the ledger with
the operator's decision typed in: «Сохранить как» .ods/.xls beside the .xlsx, or .ods/.xls content
under the .xlsx name. The decision is applied once, the operator is told in the workbook
(«Оповещения»), the ledger goes on as a real .xlsx and the copy goes to the backups."""

from __future__ import annotations

import os

import openpyxl
import pytest

from bridge.core.model import Status
from ledger.columns import ALERTS_SHEET
from ledger.workbook import saved_format
from tests.ledger.conftest import add_messages, cycle, edit_ledger, history, set_cell
from tests.ledger.office import operate, profile  # noqa: F401 - a fixture by name
from tests.workbook_faults.conftest import LEDGER_NAME


def _notices(app) -> str:
    sheet = openpyxl.load_workbook(app.config.ledger)[ALERTS_SHEET]
    return "\n".join(str(row[3]) for row in sheet.iter_rows(min_row=3, values_only=True) if row[3])


@pytest.fixture
def routed(app, clock):
    ids = add_messages(app, ["Не вывезли мусор", "Яма во дворе"], clock.now)
    cycle(app, clock)
    edit_ledger(app, set_cell(ids[0], "Отдел", "Отдел ЖКХ"))
    cycle(app, clock)
    return ids


@pytest.mark.parametrize("kind", ["ods", "xls"])
def test_save_as_another_format_beside_the_ledger_is_read_and_the_operator_told(app, clock, routed, profile, kind):
    ledger = app.config.ledger
    copy = ledger.with_suffix(f".{kind}")
    operate(profile, ledger, copy, "decide", save_as=kind, decision="Направить")
    lock = copy.with_name(f".~lock.{copy.name}#")            # the operator still has the copy open
    lock.write_text(",Иванова,pc-12,01.12.2026 10:00,file:///home/ivanova/.config/libreoffice/4;\n",
                    encoding="utf-8")
    before = ledger.read_bytes()

    report = cycle(app, clock)
    assert report.decisions_read == 1 and app.store.get(routed[0]).status == Status.ROUTED
    assert report.ledger.startswith("занят") and ledger.read_bytes() == before   # not written under the copy
    cycle(app, clock)
    assert len(history(app, routed[0], action="решение")) == 1                  # applied once

    lock.unlink()                                            # the operator closes the copy
    assert cycle(app, clock).ledger == "записан"
    assert not copy.exists()
    assert [p.name for p in app.files.backups.glob(f"* КОПИЯ *.{kind}")]       # kept, out of the way
    told = _notices(app)
    assert f"Журнал сохранён как «{copy.name}»" in told and f"«{LEDGER_NAME}»" in told
    assert cycle(app, clock).ledger == "без изменений"
    assert len(history(app, routed[0], action="решение")) == 1


@pytest.mark.parametrize("kind", ["ods", "xls"])
def test_another_format_under_the_xlsx_name_is_read_and_written_back_as_xlsx(app, clock, routed, profile,
                                                                             tmp_path, kind):
    ledger = app.config.ledger
    saved = tmp_path / f"saved.{kind}"
    operate(profile, ledger, saved, "decide", save_as=kind, decision="Направить")
    os.replace(saved, ledger)                                # the content of an .ods/.xls, named .xlsx
    assert saved_format(ledger) == kind

    report = cycle(app, clock)
    assert report.decisions_read == 1 and app.store.get(routed[0]).status == Status.ROUTED
    assert report.ledger == "записан" and saved_format(ledger) == "xlsx"
    assert not list(app.files.backups.glob("* НЕЧИТАЕМЫЙ *"))                    # not set aside
    assert f"в формате .{kind} под именем «{LEDGER_NAME}»" in _notices(app)
    cycle(app, clock)
    assert len(history(app, routed[0], action="решение")) == 1


def test_an_unreadable_copy_beside_the_ledger_is_told_once_and_kept(app, clock, routed):
    copy = app.config.ledger.with_suffix(".ods")
    copy.write_bytes(b"PK\x03\x04 broken half-saved file")
    cycle(app, clock)
    cycle(app, clock)
    told = [a["text"] for a in app.store.unreported_alerts() if "не читается" in a["text"]]
    assert len(told) == 1 and f"«{copy.name}»" in told[0] and "не применены" in told[0]
    assert not copy.exists() and [p.name for p in app.files.backups.glob("* КОПИЯ *.ods")]
    assert app.store.get(routed[0]).department == "zhkh"         # nothing else touched


def test_a_copy_saved_as_ods_after_the_xlsx_was_deleted_becomes_the_ledger_again(app, clock, routed, profile):
    ledger = app.config.ledger
    operate(profile, ledger, ledger.with_suffix(".ods"), "decide", save_as="ods", decision="Направить")
    ledger.unlink()
    assert cycle(app, clock).ledger == "записан"
    assert app.store.get(routed[0]).status == Status.ROUTED and saved_format(ledger) == "xlsx"
    assert not ledger.with_suffix(".ods").exists()
