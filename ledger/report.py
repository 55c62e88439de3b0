"""The monthly report workbook (п. 4.2, SPEC §6 `report --month`): `reports/Отчёт YYYY-MM.xlsx`.

Sheet «По отделам» (figures per department, the rating and a bar chart of the share answered in
time) and sheet «По каналам». The figures come computed (bridge/steps/report.py); this module
only lays them out. Written to a temporary name and moved into place, so a reader never sees a
half-written report.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import xlsxwriter

MONTHS = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
          "октябрь", "ноябрь", "декабрь")

# (header, width, number format) of each column; the first column's header is per sheet.
COLUMNS = (
    ("Поступило", 11, "0"),
    ("Распределено в срок (п. 3.1)", 13, "0"),
    ("Распределено с нарушением срока (п. 3.1)", 14, "0"),
    ("Ответ в срок", 11, "0"),
    ("С нарушением срока", 12, "0"),
    ("В работе", 10, "0"),
    ("из них просрочено", 11, "0"),
    ("Переведено в обращение 59-ФЗ (п. 3.8)", 13, "0"),
    ("Возвращено на доработку", 13, "0"),
    ("Медиана ответа, раб. ч", 12, "0.0"),
    ("90-й процентиль ответа, раб. ч", 14, "0.0"),
    ("Доля распределённых в срок", 13, "0%"),
    ("Доля ответов в срок", 11, "0%"),
    ("Оценка (как в ЦУР)", 14, "0%"),
)
NOTES = (
    "Обращение учитывается в месяце поступления. Время ответа — рабочие часы от направления в отдел "
    "до получения ответа.",
    "Распределение (п. 3.1) — первое решение оператора в течение 3 рабочих часов с момента размещения; "
    "ответ (п. 3.2) — ответ отдела в течение 24 часов рабочих дней с момента направления. Обращение, "
    "переведённое в обращение по 59-ФЗ (п. 3.8) до ответа отдела, в сроки ответа не входит.",
    "Доля ответов в срок — из отвеченных. Оценка (как в ЦУР) — доля ответов в срок среди сообщений, "
    "срок по которым наступил (включая просроченные без ответа); считается при {min} и более сообщениях.",
    "90-й процентиль — время, за которое дан ответ на 9 из 10 сообщений (как ПРОЦЕНТИЛЬ.ВКЛ в Excel).",
)


LABEL_WIDTH = 46          # column A, in character widths
LINE_HEIGHT = 15          # points per line of 11-pt text


def wrapped_lines(text: str, width: float) -> int:
    """How many lines `text` takes in a wrapping cell `width` characters wide (words kept whole,
    as Excel and LibreOffice break them; a word longer than the line is cut)."""
    per_line = max(1, int(width) - 1)
    lines = 0
    for paragraph in str(text).split("\n"):
        used, count = 0, 1
        for word in paragraph.split():
            size = len(word)
            if used and used + 1 + size > per_line:
                count, used = count + 1, 0
            if size > per_line:
                count += math.ceil(size / per_line) - 1
                size %= per_line
            used += size + (1 if used else 0)
        lines += count
    return lines


def column_width(width: int, values) -> int:
    """Wide enough for the longest text among `values` (a number fits any of our widths)."""
    texts = [len(v) for v in values if isinstance(v, str)]
    return max([width] + [size + 2 for size in texts])


@dataclass(frozen=True)
class ReportTable:
    rows: Sequence[tuple[str, list]]     # (label, one value per column); None = empty cell
    total: list


def write_report_workbook(target: Path, year: int, month: int, stamp: str, min_messages: int,
                          departments: ReportTable, channels: ReportTable) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.stem}.tmp.xlsx")
    _write_workbook(temporary, year, month, stamp, min_messages, departments, channels)
    os.replace(temporary, target)
    return target


def _write_workbook(path: Path, year: int, month: int, stamp: str, minimum: int,
                    departments: ReportTable, channels: ReportTable) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"remove_timezone": True})
    workbook.set_properties({"title": f"Отчёт о работе с сообщениями пользователей за {year}-{month:02d}",
                             "author": "Отклик"})
    formats = _formats(workbook)
    title = f"Работа с сообщениями пользователей за {MONTHS[month - 1]} {year} г."
    sheet = _table_sheet(workbook, formats, "По отделам", "Отдел", title, stamp, departments, True)
    count = len(departments.rows)
    width = _table_width(departments, COLUMNS)
    for number, note in enumerate(NOTES):   # across the table, wrapped: nothing runs off the page
        row, text = 5 + count + 1 + number, note.format(min=minimum)
        sheet.merge_range(row, 0, row, len(COLUMNS), text, formats["note"])
        sheet.set_row(row, LINE_HEIGHT * wrapped_lines(text, width))
    _insert_chart(workbook, sheet, count, chart_row=5 + count + 1 + len(NOTES) + 1)
    _table_sheet(workbook, formats, "По каналам", "Канал", title, stamp, channels, False)
    workbook.close()


def _formats(workbook) -> dict:
    base = {"font_name": "Calibri", "font_size": 11, "valign": "top", "border": 1}
    formats = {"title": workbook.add_format({"bold": True, "font_size": 14}),
               "stamp": workbook.add_format({"italic": True, "font_color": "#555555"}),
               "note": workbook.add_format({"italic": True, "font_color": "#555555", "text_wrap": True,
                                            "valign": "top"}),
               "header": workbook.add_format({**base, "bold": True, "text_wrap": True, "align": "center",
                                              "valign": "vcenter", "bg_color": "#DDEBF7"}),
               "label": workbook.add_format({**base, "text_wrap": True}),
               "total_label": workbook.add_format({**base, "bold": True, "bg_color": "#F2F2F2", "text_wrap": True}),
               "text": workbook.add_format({**base, "align": "center", "font_color": "#777777", "text_wrap": True})}
    for _, _, number_format in COLUMNS:
        formats[number_format] = workbook.add_format({**base, "num_format": number_format})
        formats["total" + number_format] = workbook.add_format({**base, "num_format": number_format,
                                                                "bold": True, "bg_color": "#F2F2F2"})
    return formats


def _table_sheet(workbook, formats: dict, name: str, first_header: str, title: str, stamp: str,
                 table: ReportTable, rated: bool):
    sheet = workbook.add_worksheet(name)
    columns = COLUMNS if rated else COLUMNS[:-1]
    widths = _widths(table, columns)
    sheet.merge_range(0, 0, 0, len(columns), title, formats["title"])   # over the table, not past it
    sheet.merge_range(1, 0, 1, len(columns), stamp, formats["stamp"])
    sheet.set_row(0, 20)
    sheet.set_column(0, 0, LABEL_WIDTH)
    sheet.set_row(3, LINE_HEIGHT * max(wrapped_lines(header, width) for (header, _, _), width in zip(columns, widths)))
    sheet.write(3, 0, first_header, formats["header"])
    for col, ((header, _, _), width) in enumerate(zip(columns, widths), start=1):
        sheet.set_column(col, col, width)
        sheet.write(3, col, header, formats["header"])
    for number, (label, values) in enumerate([*table.rows, ("Всего", table.total)]):
        _write_row(sheet, formats, 4 + number, label, values, columns, "total" if number == len(table.rows) else "")
        # Row heights from the wrapped line count: LibreOffice does not grow a row by itself, so a
        # long department name would run over the next one.
        lines = max([wrapped_lines(label, LABEL_WIDTH)] +
                    [wrapped_lines(v, w) for v, w in zip(values, widths) if isinstance(v, str)])
        if lines > 1:
            sheet.set_row(4 + number, LINE_HEIGHT * lines)
    sheet.freeze_panes(4, 1)
    _print_setup(sheet, name)
    return sheet


def _widths(table: ReportTable, columns) -> list[int]:
    """Each column as wide as its widest text («недостаточно данных» fits its cell)."""
    rows = [values for _, values in table.rows] + [table.total]
    return [column_width(width, [row[col] for row in rows if col < len(row)])
            for col, (_, width, _) in enumerate(columns)]


def _table_width(table: ReportTable, columns) -> int:
    return LABEL_WIDTH + sum(_widths(table, columns))


def _write_row(sheet, formats: dict, row: int, label: str, values: list, columns, style: str) -> None:
    sheet.write_string(row, 0, label, formats["total_label" if style else "label"])
    for col, (value, (_, _, number_format)) in enumerate(zip(values, columns), start=1):
        if value is None:
            sheet.write_blank(row, col, None, formats[style + number_format])
        elif isinstance(value, str):
            sheet.write_string(row, col, value, formats["text"])
        else:
            sheet.write_number(row, col, value, formats[style + number_format])


def _print_setup(sheet, name: str) -> None:
    sheet.set_landscape()
    sheet.set_paper(9)                      # A4
    sheet.fit_to_pages(1, 0)                # one page wide, as many as needed tall
    sheet.repeat_rows(3)
    sheet.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.7)
    sheet.set_header(f"&L{name}&RОтклик")
    sheet.set_footer("&CСтраница &P из &N")


def _insert_chart(workbook, sheet, count: int, chart_row: int) -> None:
    """Bar chart: the share answered in time per department (column «Доля ответов в срок»)."""
    if not count:
        return
    share_col = 1 + [c[0] for c in COLUMNS].index("Доля ответов в срок")
    chart = workbook.add_chart({"type": "bar"})
    chart.add_series({"name": "Доля ответов в срок",
                      "categories": ["По отделам", 4, 0, 3 + count, 0],
                      "values": ["По отделам", 4, share_col, 3 + count, share_col],
                      "data_labels": {"value": True, "num_format": "0%"},
                      "fill": {"color": "#4472C4"}})
    chart.set_title({"name": "Доля ответов в срок по отделам"})
    chart.set_x_axis({"min": 0, "max": 1, "num_format": "0%", "major_gridlines": {"visible": True}})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"none": True})
    chart.set_size({"width": 900, "height": max(300, 28 * count + 100)})
    sheet.insert_chart(chart_row, 0, chart)
