"""The monthly report workbook: figures per department and channel, read back with openpyxl."""

from __future__ import annotations

import dataclasses

import openpyxl
import pytest

from bridge.core.model import Status
from bridge.app import build_app
from bridge.steps import report as report_step
from bridge.steps.report import NOT_ENOUGH, percentile_90
from tests.control.conftest import add_case, add_routed, local

HEADERS = ["Отдел", "Поступило", "Распределено в срок (п. 3.1)", "Распределено с нарушением срока (п. 3.1)",
           "Ответ в срок", "С нарушением срока", "В работе", "из них просрочено",
           "Переведено в обращение 59-ФЗ (п. 3.8)", "Возвращено на доработку", "Медиана ответа, раб. ч",
           "90-й процентиль ответа, раб. ч", "Доля распределённых в срок", "Доля ответов в срок",
           "Оценка (как в ЦУР)"]


def write_report(config, year, month, now=None):
    """`run.py report --month` as the command runs it."""
    app = build_app(config, connect=False)
    try:
        return report_step.write_report(app.store, app.config, app.ports, year, month, now or local(2026, 4, 30, 12))
    finally:
        app.store.close()


def answered(store, routed_at, answered_at, department="zhkh", **fields):
    return add_routed(store, routed_at, department=department, status=Status.ANSWERED,
                      answered_at=answered_at, handled_at=answered_at, **fields)


@pytest.fixture
def filled(app):
    """April 2026: ЖКХ 6 cases (4 in time, 1 late, 1 open overdue, one returned); roads 1 case."""
    store = app.store
    # Answer times in working hours: 2, 4, 6, 8 (in time) and 26 (late: routed Mon 10:00, due Tue 10:00).
    answered(store, local(2026, 4, 13, 9), local(2026, 4, 13, 11))
    answered(store, local(2026, 4, 13, 9), local(2026, 4, 13, 14))
    answered(store, local(2026, 4, 13, 9), local(2026, 4, 13, 16))
    reworked = answered(store, local(2026, 4, 13, 9), local(2026, 4, 14, 9))   # 8 h, Tue 9:00 < Wed 9:00
    answered(store, local(2026, 4, 13, 10), local(2026, 4, 16, 10), channel="telegram")  # Thu: late, 24 h
    add_routed(store, local(2026, 4, 20, 10))                                  # still open, overdue
    answered(store, local(2026, 4, 14, 10), local(2026, 4, 14, 12), department="dorogi", channel="ok")
    add_case(store, local(2026, 3, 31, 17))                                    # March: not counted
    case = store.get(reworked.id)
    case.status = Status.REWORK
    store.save(case, "оператор", "на доработку", at=local(2026, 4, 15, 10))
    case.status = Status.ANSWERED
    store.save(case, "отдел", "ответ", at=local(2026, 4, 15, 11))
    return app


def sheet_rows(path, name):
    workbook = openpyxl.load_workbook(path)
    return [list(r) for r in workbook[name].iter_rows(values_only=True)], workbook


def test_department_figures(filled, config):
    path = write_report(config, 2026, 4, now=local(2026, 4, 30, 12))
    assert path == config.data_dir / "reports" / "Отчёт 2026-04.xlsx"
    rows, workbook = sheet_rows(path, "По отделам")
    assert rows[0][0] == "Работа с сообщениями пользователей за апрель 2026 г."
    assert rows[3] == HEADERS
    by_name = {r[0]: r[1:] for r in rows[4:] if r[0] and r[1] is not None}
    zhkh = by_name["Отдел ЖКХ"]
    assert zhkh[:9] == [6, 6, 0, 4, 1, 1, 1, 0, 1]
    assert zhkh[9] == pytest.approx(6.0)                      # median of 2, 4, 6, 8, 24
    assert zhkh[10] == pytest.approx(percentile_90([2, 4, 6, 8, 24]))
    assert zhkh[11] == 1                                       # routed as soon as posted (п. 3.1)
    assert zhkh[12] == pytest.approx(4 / 5)
    assert zhkh[13] == pytest.approx(4 / 6)                   # the open overdue case counts against
    roads = by_name["Отдел транспорта, дорог и благоустройства"]
    assert roads[:9] == [1, 1, 0, 1, 0, 0, 0, 0, 0] and roads[12] == 1 and roads[13] == NOT_ENOUGH
    assert by_name["Отдел ГО и ЧС"][0] == 0 and by_name["Отдел ГО и ЧС"][13] == NOT_ENOUGH
    assert by_name["Всего"][:9] == [7, 7, 0, 5, 1, 1, 1, 0, 1]
    assert workbook["По отделам"].freeze_panes == "B5"


def test_channel_sheet(filled, config):
    rows, _ = sheet_rows(write_report(config, 2026, 4, now=local(2026, 4, 30, 12)), "По каналам")
    assert rows[3] == ["Канал"] + HEADERS[1:-1]
    by_name = {r[0]: r[1:] for r in rows[4:] if r[0]}
    assert [by_name["ВКонтакте"][n] for n in (0, 3, 4)] == [5, 4, 0]
    assert [by_name["Telegram"][n] for n in (0, 3, 4)] == [1, 0, 1]
    assert [by_name["Одноклассники"][n] for n in (0, 3, 4)] == [1, 1, 0]
    assert by_name["Всего"][0] == 7


def test_min_messages_from_config(filled, config):
    strict = dataclasses.replace(config, raw={**config.raw, "report": {"min_messages": 7}})
    rows, _ = sheet_rows(write_report(strict, 2026, 4, now=local(2026, 4, 30, 12)), "По отделам")
    assert {r[0]: r[14] for r in rows[4:] if r[0]}["Отдел ЖКХ"] == NOT_ENOUGH


def test_chart_and_print_setup_are_in_the_file(filled, config):
    import zipfile
    path = write_report(config, 2026, 4, now=local(2026, 4, 30, 12))
    names = zipfile.ZipFile(path).namelist()
    assert "xl/charts/chart1.xml" in names
    chart = zipfile.ZipFile(path).read("xl/charts/chart1.xml").decode()
    assert "<c:barChart>" in chart and "'По отделам'!$N$5:$N$14" in chart
    sheet = openpyxl.load_workbook(path)["По отделам"]
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$4:$4"


def test_empty_month_writes_zeros(app, config):
    rows, _ = sheet_rows(write_report(config, 2025, 12, now=local(2026, 1, 12, 12)), "По отделам")
    assert {r[0]: r[1] for r in rows[4:] if r[0]}["Всего"] == 0


def test_percentile_matches_excel_percentile_inc():
    assert percentile_90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == pytest.approx(9.1)
    assert percentile_90([5.0]) == 5.0 and percentile_90([]) is None


def test_wrong_month_is_an_input_error(config):
    from bridge.core.errors import InputError
    with pytest.raises(InputError, match="неверный месяц 2026-13"):
        write_report(config, 2026, 13)


def test_no_text_spills_out_of_its_cell_and_the_zone_is_named_as_in_the_mails(app, config):
    """Every text fits its cell: a text in a cell that does not wrap is no longer than the column
    (or the merged columns) is wide; a wrapping one has the row height its lines need."""
    from ledger.report import LINE_HEIGHT, wrapped_lines
    long_name = "Отдел по связям с общественностью, населением и территориальному управлению"
    departments = list(config.departments)
    assert any(d.name == long_name for d in departments)
    answered(app.store, local(2026, 4, 13, 9), local(2026, 4, 13, 11), department="oso")
    book = openpyxl.load_workbook(write_report(config, 2026, 4))
    sheet = book["По отделам"]
    assert sheet["A2"].value.endswith("(Сахалин)") and "Asia/" not in sheet["A2"].value
    assert NOT_ENOUGH in [c.value for row in sheet.iter_rows() for c in row]
    checked = 0
    for sheet in book.worksheets:
        merged = {r.min_row: r for r in sheet.merged_cells.ranges if r.min_col == 1}
        for row in sheet.iter_rows():
            for cell in row:
                if not isinstance(cell.value, str) or type(cell).__name__ == "MergedCell":
                    continue
                span = merged.get(cell.row) if cell.column == 1 else None
                last = span.max_col if span else cell.column
                width = sum(sheet.column_dimensions[openpyxl.utils.get_column_letter(c)].width
                            for c in range(cell.column, last + 1))
                height = sheet.row_dimensions[cell.row].height or LINE_HEIGHT
                size = (cell.font.sz or 11) / 11
                if cell.alignment.wrap_text:
                    assert wrapped_lines(cell.value, width / size) * LINE_HEIGHT * size <= height + 0.5, \
                        (sheet.title, cell.coordinate, cell.value, width, height)
                else:
                    assert len(cell.value) * size <= width, (sheet.title, cell.coordinate, cell.value, width)
                checked += 1
    assert checked > 40


def test_on_paper_the_long_department_name_stays_in_its_row(app, config, tmp_path):
    """LibreOffice prints the report (PDF, read with pdfminer.six): the first department's long
    name wraps inside its own row instead of running over the next, «недостаточно данных» is
    printed whole, and the stamp names the zone as the mails do."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextLine
    from tests.ledger.office import convert
    answered(app.store, local(2026, 4, 13, 9), local(2026, 4, 13, 11), department="oso")
    source = write_report(config, 2026, 4)
    convert(tmp_path / "lo-profile", "pdf", tmp_path / "pdf", source)
    [first_page, *_] = extract_pages(tmp_path / "pdf" / f"{source.stem}.pdf")
    lines = []

    def walk(item):
        if isinstance(item, LTTextLine):
            lines.append((item.y1, item.y0, item.x0, item.get_text().strip()))
        elif hasattr(item, "__iter__"):
            for child in item:
                walk(child)
    walk(first_page)
    text = "\n".join(line[3] for line in lines)
    assert "(Сахалин)" in text and "Asia/Sakhalin" not in text
    assert NOT_ENOUGH in text                                  # whole, not clipped by the next cell
    [start] = [line for line in lines if line[3].startswith("Отдел по связям")][:1]   # the table's, not the chart's
    column = [line for line in lines if abs(line[2] - start[2]) < 2 and line[0] <= start[0]]
    column.sort(key=lambda line: -line[0])
    name_lines = column[:[i for i, line in enumerate(column) if line[3].startswith("Отдел ЖКХ")][0]]
    next_row = next(line for line in column if line[3].startswith("Отдел ЖКХ"))
    assert " ".join(line[3] for line in name_lines) == "Отдел по связям с общественностью, населением и " \
                                                       "территориальному управлению"
    assert len(name_lines) >= 2, name_lines                   # wrapped, not cut or spilled sideways
    assert next_row[0] <= min(bottom for _, bottom, _, _ in name_lines) + 1, (name_lines, next_row)


def test_late_routing_and_an_appeal_are_not_answers_in_time(app, config):
    """Routed a working day late but answered in time: triage late (п. 3.1), answer in time (п. 3.2).
    Moved to 59-ФЗ before any answer: an appeal, neither in time nor late for the department."""
    store = app.store
    answered(store, local(2026, 4, 14, 10), local(2026, 4, 14, 12), posted_at=local(2026, 4, 13, 9),
             triaged_at=local(2026, 4, 14, 10))
    add_routed(store, local(2026, 4, 14, 10), status=Status.APPEAL, closed_at=local(2026, 4, 20, 10),
               triaged_at=local(2026, 4, 14, 10))
    rows, _ = sheet_rows(write_report(config, 2026, 4, now=local(2026, 4, 30, 12)), "По отделам")
    zhkh = {r[0]: r[1:] for r in rows[4:] if r[0]}["Отдел ЖКХ"]
    assert zhkh[:9] == [2, 1, 1, 1, 0, 0, 0, 1, 0]
    assert zhkh[11] == pytest.approx(1 / 2) and zhkh[12] == 1
