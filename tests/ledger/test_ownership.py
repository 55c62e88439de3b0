"""SPEC §2 end to end with real files: rows matched by «№», who owns which cell, decisions once."""

from __future__ import annotations

import pytest

from bridge.core.vocabulary import STATUS_LABELS
from bridge.core.model import Decision, Status
from tests.ledger.conftest import (OPERATOR, add_messages, col, cycle, delete_rows, edit_ledger, history, outbox_items,
                                   read_rows, row_of, rows_by_id, set_cell)

TEXTS = ["Яма на дороге у школы", "Нет воды на Ленина, 5", "Когда уберут снег?", "Не горят фонари"]


def _start(app, clock):
    ids = add_messages(app, TEXTS, clock.now)
    assert cycle(app, clock).ledger == "записан"
    return ids


def test_sorted_rows_lose_nothing(app, clock):
    ids = _start(app, clock)
    before = app.store.history_count()

    def reverse(sheet):
        values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2, max_row=len(ids) + 1)]
        for r, row in enumerate(reversed(values), start=2):
            for c, value in enumerate(row, start=1):
                sheet.cell(r, c).value = value
    edit_ledger(app, reverse)
    assert [r["№"] for r in read_rows(app.config.ledger)] == list(reversed(ids))

    report = cycle(app, clock)
    assert report.decisions_read == 0
    rows = rows_by_id(app.config.ledger)
    assert sorted(rows) == sorted(ids)
    assert {rows[i]["Текст сообщения"] for i in ids} == set(TEXTS)
    assert all(not rows[i]["Примечание системы"] for i in ids)    # sorting is no edit
    assert app.store.history_count() == before


def test_deleted_rows_come_back_and_edits_in_the_same_save_count(app, clock):
    ids = _start(app, clock)

    def delete_and_comment(sheet):
        sheet.cell(row_of(sheet, ids[3]), col("Комментарий оператора")).value = "позвонить заявителю"
        delete_rows(sheet, row_of(sheet, ids[0]), 2)
    edit_ledger(app, delete_and_comment)
    assert len(read_rows(app.config.ledger)) == 2

    cycle(app, clock)
    rows = rows_by_id(app.config.ledger)
    assert sorted(rows) == sorted(ids)
    assert rows[ids[0]]["Текст сообщения"] == TEXTS[0]
    assert rows[ids[1]]["Статус"] == STATUS_LABELS[Status.NEW]
    assert rows[ids[3]]["Комментарий оператора"] == "позвонить заявителю"
    assert app.store.get(ids[3]).operator_comment == "позвонить заявителю"


def test_edits_to_bridge_cells_are_restored_and_noted(app, clock):
    ids = _start(app, clock)
    edit_ledger(app, lambda sheet: (set_cell(ids[1], "Статус", "Опубликовано")(sheet),
                                    set_cell(ids[1], "Текст сообщения", "подменённый текст")(sheet)))
    cycle(app, clock)
    row = rows_by_id(app.config.ledger)[ids[1]]
    assert row["Статус"] == STATUS_LABELS[Status.NEW]
    assert row["Текст сообщения"] == TEXTS[1]
    assert "«Статус»" in row["Примечание системы"] and "«Текст сообщения»" in row["Примечание системы"]
    case = app.store.get(ids[1])
    assert (case.status, case.text) == (Status.NEW, TEXTS[1])
    assert not rows_by_id(app.config.ledger)[ids[0]]["Примечание системы"]


def test_operator_edits_are_recorded_with_who(app, clock):
    ids = _start(app, clock)
    edit_ledger(app, lambda sheet: (set_cell(ids[2], "Комментарий оператора", "уточнить адрес")(sheet),
                                    set_cell(ids[2], "Рег. № СЭД", "01-15/123")(sheet),
                                    set_cell(ids[2], "Отдел", "Отдел ЖКХ")(sheet)))
    cycle(app, clock)
    case = app.store.get(ids[2])
    assert (case.operator_comment, case.sed_number, case.department) == ("уточнить адрес", "01-15/123", "zhkh")
    changed = {h["field"]: h for h in history(app, ids[2]) if OPERATOR in h["actor"]}
    assert changed["operator_comment"]["new"] == "уточнить адрес"
    assert changed["department"]["new"] == "zhkh"
    assert changed["sed_number"]["at"].startswith(clock.now.isoformat()[:16])
    row = rows_by_id(app.config.ledger)[ids[2]]
    assert (row["Комментарий оператора"], row["Отдел"]) == ("уточнить адрес", "Отдел ЖКХ")
    assert not row["Примечание системы"]


def test_a_decision_is_applied_once_and_the_cell_cleared(app, clock):
    ids = _start(app, clock)
    edit_ledger(app, lambda sheet: (set_cell(ids[0], "Отдел", "Отдел ЖКХ")(sheet),
                                    set_cell(ids[0], "Решение оператора", "Направить")(sheet)))
    report = cycle(app, clock)
    assert report.decisions_read == 1
    row = rows_by_id(app.config.ledger)[ids[0]]
    assert row["Решение оператора"] is None
    assert row["Статус"] == STATUS_LABELS[Status.ROUTED]
    assert "Направлено в отдел" in row["Примечание системы"]
    assert [k for k, _ in outbox_items(app, ids[0])] == ["email"]
    decisions = history(app, ids[0], action="решение")
    assert len(decisions) == 1 and OPERATOR in decisions[0]["actor"] and decisions[0]["new"] == Decision.ROUTE

    for _ in range(3):
        cycle(app, clock)
    assert len(history(app, ids[0], action="решение")) == 1
    assert len(outbox_items(app, ids[0])) == 1
    assert app.store.get(ids[0]).status == Status.ROUTED


def test_route_without_department_is_a_clear_note(app, clock):
    ids = _start(app, clock)
    edit_ledger(app, set_cell(ids[1], "Решение оператора", "Направить"))
    cycle(app, clock)
    row = rows_by_id(app.config.ledger)[ids[1]]
    assert row["Решение оператора"] is None
    assert row["Статус"] == STATUS_LABELS[Status.NEW]
    assert "не применено" in row["Примечание системы"] and "«Отдел»" in row["Примечание системы"]
    assert outbox_items(app, ids[1]) == []


def test_unknown_department_and_decision_are_noted(app, clock):
    ids = _start(app, clock)
    edit_ledger(app, lambda sheet: (set_cell(ids[2], "Отдел", "Отдел чудес")(sheet),
                                    set_cell(ids[3], "Решение оператора", "Удалить")(sheet)))
    cycle(app, clock)
    rows = rows_by_id(app.config.ledger)
    assert "Отдел чудес" in rows[ids[2]]["Примечание системы"]
    assert "не применено" in rows[ids[3]]["Примечание системы"]
    assert app.store.get(ids[3]).status == Status.NEW


def test_two_quiet_cycles_write_nothing(app, clock):
    _start(app, clock)
    path = app.config.ledger
    stamp, content, count = path.stat().st_mtime_ns, path.read_bytes(), app.store.history_count()
    for _ in range(2):
        assert cycle(app, clock).ledger == "без изменений"
    assert path.stat().st_mtime_ns == stamp
    assert path.read_bytes() == content
    assert app.store.history_count() == count


def test_a_save_without_changes_adds_no_history(app, clock):
    _start(app, clock)
    count = app.store.history_count()
    edit_ledger(app, lambda sheet: None)
    cycle(app, clock)
    cycle(app, clock)
    assert app.store.history_count() == count


def test_hand_made_row_becomes_a_case(app, clock):
    from datetime import datetime
    ids = _start(app, clock)

    def add_row(sheet):
        r = sheet.max_row + 1
        sheet.cell(r, col("Поступило")).value = datetime(2026, 3, 12, 10, 30)
        sheet.cell(r, col("Канал")).value = "Телефон"
        sheet.cell(r, col("Автор")).value = "Петров П. П."
        sheet.cell(r, col("Текст сообщения")).value = "Звонок: прорыв трубы"
    edit_ledger(app, add_row)
    report = cycle(app, clock)
    assert report.new_cases == 1
    rows = read_rows(app.config.ledger)
    made = [r for r in rows if r["Текст сообщения"] == "Звонок: прорыв трубы"]
    assert len(made) == 1 and made[0]["№"] not in ids and made[0]["№"].startswith("OKH-2026-")
    case = app.store.get(made[0]["№"])
    assert (case.channel, case.author_name, case.status) == ("Телефон", "Петров П. П.", Status.NEW)
    assert case.posted_at.hour == 10 and case.posted_at.utcoffset().total_seconds() == 11 * 3600
    assert history(app, case.id)[0]["actor"].endswith(f"({OPERATOR})")
    cycle(app, clock)
    assert len(app.store.case_ids()) == len(ids) + 1


def test_dated_backups_after_writes(app, clock):
    ids = _start(app, clock)
    backups = app.config.data_dir / "backups"
    assert not list(backups.glob("*.xlsx"))        # the first write had nothing to back up
    edit_ledger(app, set_cell(ids[0], "Комментарий оператора", "раз"))
    cycle(app, clock)
    edit_ledger(app, set_cell(ids[0], "Комментарий оператора", "два"))
    cycle(app, clock)
    names = sorted(p.name for p in backups.glob("*.xlsx"))
    assert len(names) == 2
    assert all(n.startswith("Журнал обращений 2026-03-12 ") for n in names), names
    older = read_rows(backups / names[1])
    assert [r["Комментарий оператора"] for r in older if r["№"] == ids[0]] == ["два"]


def test_filtered_and_hidden_rows_lose_nothing(app, clock):
    ids = _start(app, clock)

    def hide(sheet):
        sheet.auto_filter.add_filter_column(col("Текст сообщения") - 1, [TEXTS[0]])
        for r in range(3, len(ids) + 2):
            sheet.row_dimensions[r].hidden = True
        sheet.cell(row_of(sheet, ids[0]), col("Комментарий оператора")).value = "виден только он"
    edit_ledger(app, hide)
    cycle(app, clock)
    rows = rows_by_id(app.config.ledger)
    assert sorted(rows) == sorted(ids)
    assert rows[ids[0]]["Комментарий оператора"] == "виден только он"
    assert all(not rows[i]["Примечание системы"] for i in ids)


def test_hand_made_row_keeps_its_department_decision_and_comment(app, clock):
    _start(app, clock)

    def add_row(sheet):
        r = sheet.max_row + 1
        sheet.cell(r, col("Канал")).value = "Телефон"
        sheet.cell(r, col("Текст сообщения")).value = "Звонок: нет отопления"
        sheet.cell(r, col("Отдел")).value = "Отдел ЖКХ"
        sheet.cell(r, col("Решение оператора")).value = "Направить"
        sheet.cell(r, col("Комментарий оператора")).value = "срочно"
    edit_ledger(app, add_row)
    cycle(app, clock)
    [made] = [r for r in read_rows(app.config.ledger) if r["Текст сообщения"] == "Звонок: нет отопления"]
    case = app.store.get(made["№"])
    # SPEC §2: operator-owned cells are read and recorded; the operator's work must not vanish silently
    assert (case.department, case.operator_comment) == ("zhkh", "срочно")
    assert case.status == Status.ROUTED and made["Решение оператора"] is None
