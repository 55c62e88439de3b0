"""The monthly report workbook (п. 4.2, SPEC §1 step 11 and §6 `report --month`).

`data_dir/reports/Отчёт YYYY-MM.xlsx`: sheet «По отделам» (figures per department, the rating
and a bar chart of the share answered in time), sheet «По каналам». A case counts in the month
it was posted (local time), as on the ledger's «Сводка» (bridge/figures.py).

The rating follows how the regional governance centres (ЦУР) judge a body: the share of messages
answered in time among those whose term has come (answered, or still open and already overdue),
and only for a body with enough messages (`[report] min_messages = 5`); else «недостаточно данных».
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from statistics import median, quantiles
from typing import Callable, Sequence

import xlsxwriter

from bridge.config import Config
from bridge.deadlines import OVERDUE
from bridge.errors import InputError
from bridge.figures import Figures, figures_by, returned_case_ids
from bridge.model import Case
from bridge.store import Store, utcnow
from ledger.render import control_of

NOT_ENOUGH = "недостаточно данных"
UNASSIGNED = "Отдел не выбран"
MONTHS = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
          "октябрь", "ноябрь", "декабрь")

# (header, width, number format) of each column; the first column's header is per sheet.
COLUMNS = (
    ("Поступило", 11, "0"),
    ("Ответ в срок", 11, "0"),
    ("С нарушением срока", 12, "0"),
    ("В работе", 10, "0"),
    ("из них просрочено", 11, "0"),
    ("Возвращено на доработку", 13, "0"),
    ("Медиана ответа, раб. ч", 12, "0.0"),
    ("90-й процентиль ответа, раб. ч", 14, "0.0"),
    ("Доля ответов в срок", 11, "0%"),
    ("Оценка (как в ЦУР)", 14, "0%"),
)
NOTES = (
    "Обращение учитывается в месяце поступления. Время ответа — рабочие часы от направления в отдел "
    "до получения ответа.",
    "Доля ответов в срок — из отвеченных. Оценка (как в ЦУР) — доля ответов в срок среди сообщений, "
    "срок по которым наступил (включая просроченные без ответа); считается при {min} и более сообщениях.",
    "90-й процентиль — время, за которое дан ответ на 9 из 10 сообщений (как ПРОЦЕНТИЛЬ.ВКЛ в Excel).",
)


def percentile_90(values: Sequence[float]) -> float | None:
    """The 90th percentile with linear interpolation between ranks (Excel's PERCENTILE.INC)."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return quantiles(values, n=10, method="inclusive")[8]


@dataclass
class ReportRow:
    label: str
    figures: Figures
    overdue_open: int

    def values(self, min_messages: int | None) -> list:
        f = self.figures
        hours = f.answer_hours or []
        done = f.on_time + f.late
        share = f.on_time / done if done else None
        values = [f.received, f.on_time, f.late, f.open, self.overdue_open, f.returned,
                  median(hours) if hours else None, percentile_90(hours), share]
        if min_messages is not None:
            values.append(self.rating(min_messages))
        return values

    def rating(self, min_messages: int) -> float | str | None:
        if self.figures.received < min_messages:
            return NOT_ENOUGH
        due_come = self.figures.on_time + self.figures.late + self.overdue_open
        return self.figures.on_time / due_come if due_come else None


def min_messages_of(config: Config) -> int:
    section = config.raw.get("report", {}) if isinstance(config.raw, dict) else {}
    value = section.get("min_messages", 5)
    return value if isinstance(value, int) and value > 0 else 5


def report_rows(cases: Sequence[Case], key: Callable[[Case], str], labels: Sequence[tuple[str, str]],
                config: Config, now: datetime, returned: set[str]) -> list[ReportRow]:
    """One row per (key, label) in `labels`, then any other key found among the cases; pure."""
    table = figures_by(cases, key, config, now, returned)
    overdue: dict[str, int] = {}
    for case in cases:
        if case.handled_at is None and control_of(case, config.calendar, now) == OVERDUE:
            overdue[key(case)] = overdue.get(key(case), 0) + 1
    known = dict(labels)
    order = list(known) + sorted(k for k in table if k not in known)
    return [ReportRow(known.get(k) or k or UNASSIGNED, table.get(k, Figures(answer_hours=[])), overdue.get(k, 0))
            for k in order if k in known or k in table]


def cases_of_month(cases: Sequence[Case], config: Config, year: int, month: int) -> list[Case]:
    wanted = (year, month)
    return [c for c in cases if (config.calendar.local(c.posted_at).year,
                                 config.calendar.local(c.posted_at).month) == wanted]


def write_report(config: Config, year: int, month: int, now: datetime | None = None) -> Path:
    """Write `data_dir/reports/Отчёт YYYY-MM.xlsx` and return its path."""
    now = now or utcnow()
    if not (1 <= month <= 12 and 2000 <= year <= 9999):
        raise InputError(f"неверный месяц {year}-{month:02d}: нужен ГГГГ-ММ, например 2026-04")
    store = Store(config.data_dir / "otklik.sqlite3")
    try:
        cases = cases_of_month(store.all_cases(), config, year, month)
        returned = returned_case_ids(store)
    finally:
        store.close()
    departments = report_rows(cases, lambda c: c.department, [(d.code, d.name) for d in config.departments],
                              config, now, returned)
    channels = report_rows(cases, lambda c: c.channel_label, [], config, now, returned)
    target = config.data_dir / "reports" / f"Отчёт {year:04d}-{month:02d}.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.stem}.tmp.xlsx")
    _write_workbook(temporary, config, year, month, now, departments, channels)
    os.replace(temporary, target)   # a reader never sees a half-written report
    return target


# ---------------------------------------------------------------------------------- the workbook

def _write_workbook(path: Path, config: Config, year: int, month: int, now: datetime,
                    departments: list[ReportRow], channels: list[ReportRow]) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"remove_timezone": True})
    workbook.set_properties({"title": f"Отчёт о работе с сообщениями пользователей за {year}-{month:02d}",
                             "author": "Отклик"})
    formats = _formats(workbook)
    title = f"Работа с сообщениями пользователей за {MONTHS[month - 1]} {year} г."
    stamp = f"Сформирован {config.calendar.local(now):%d.%m.%Y %H:%M} ({config.tz.key})"
    minimum = min_messages_of(config)
    sheet = _table_sheet(workbook, formats, "По отделам", "Отдел", title, stamp, departments, minimum)
    for number, note in enumerate(NOTES):
        sheet.write(5 + len(departments) + 1 + number, 0, note.format(min=minimum), formats["note"])
    _insert_chart(workbook, sheet, departments, chart_row=5 + len(departments) + 1 + len(NOTES) + 1)
    _table_sheet(workbook, formats, "По каналам", "Канал", title, stamp, channels, None)
    workbook.close()


def _formats(workbook) -> dict:
    base = {"font_name": "Calibri", "font_size": 11, "valign": "top", "border": 1}
    formats = {"title": workbook.add_format({"bold": True, "font_size": 14}),
               "stamp": workbook.add_format({"italic": True, "font_color": "#555555"}),
               "note": workbook.add_format({"italic": True, "font_color": "#555555"}),
               "header": workbook.add_format({**base, "bold": True, "text_wrap": True, "align": "center",
                                              "valign": "vcenter", "bg_color": "#DDEBF7"}),
               "label": workbook.add_format({**base, "text_wrap": True}),
               "total_label": workbook.add_format({**base, "bold": True, "bg_color": "#F2F2F2"}),
               "text": workbook.add_format({**base, "align": "center", "font_color": "#777777"})}
    for _, _, number_format in COLUMNS:
        formats[number_format] = workbook.add_format({**base, "num_format": number_format})
        formats["total" + number_format] = workbook.add_format({**base, "num_format": number_format,
                                                                "bold": True, "bg_color": "#F2F2F2"})
    return formats


def _table_sheet(workbook, formats: dict, name: str, first_header: str, title: str, stamp: str,
                 rows: list[ReportRow], min_messages: int | None):
    sheet = workbook.add_worksheet(name)
    columns = COLUMNS if min_messages is not None else COLUMNS[:-1]
    sheet.write(0, 0, title, formats["title"])
    sheet.write(1, 0, stamp, formats["stamp"])
    sheet.set_column(0, 0, 46)
    sheet.set_row(3, 45)
    sheet.write(3, 0, first_header, formats["header"])
    for col, (header, width, _) in enumerate(columns, start=1):
        sheet.set_column(col, col, width)
        sheet.write(3, col, header, formats["header"])
    for number, row in enumerate(rows):
        _write_row(sheet, formats, 4 + number, row.label, row.values(min_messages), columns, "")
    _write_row(sheet, formats, 4 + len(rows), "Всего", _total(rows).values(min_messages), columns, "total")
    sheet.freeze_panes(4, 1)
    _print_setup(sheet, name)
    return sheet


def _write_row(sheet, formats: dict, row: int, label: str, values: list, columns, style: str) -> None:
    sheet.write_string(row, 0, label, formats["total_label" if style else "label"])
    for col, (value, (_, _, number_format)) in enumerate(zip(values, columns), start=1):
        if value is None:
            sheet.write_blank(row, col, None, formats[style + number_format])
        elif isinstance(value, str):
            sheet.write_string(row, col, value, formats["text"])
        else:
            sheet.write_number(row, col, value, formats[style + number_format])


def _total(rows: list[ReportRow]) -> ReportRow:
    total = Figures(answer_hours=[])
    for row in rows:
        f = row.figures
        total.received += f.received
        total.on_time += f.on_time
        total.late += f.late
        total.open += f.open
        total.returned += f.returned
        total.answer_hours += f.answer_hours or []
    return ReportRow("Всего", total, sum(r.overdue_open for r in rows))


def _print_setup(sheet, name: str) -> None:
    sheet.set_landscape()
    sheet.set_paper(9)                      # A4
    sheet.fit_to_pages(1, 0)                # one page wide, as many as needed tall
    sheet.repeat_rows(3)
    sheet.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.7)
    sheet.set_header(f"&L{name}&RОтклик")
    sheet.set_footer("&CСтраница &P из &N")


def _insert_chart(workbook, sheet, rows: list[ReportRow], chart_row: int) -> None:
    """Bar chart: the share answered in time per department (column «Доля ответов в срок»)."""
    if not rows:
        return
    share_col = 1 + [c[0] for c in COLUMNS].index("Доля ответов в срок")
    chart = workbook.add_chart({"type": "bar"})
    chart.add_series({"name": "Доля ответов в срок",
                      "categories": ["По отделам", 4, 0, 3 + len(rows), 0],
                      "values": ["По отделам", 4, share_col, 3 + len(rows), share_col],
                      "data_labels": {"value": True, "num_format": "0%"},
                      "fill": {"color": "#4472C4"}})
    chart.set_title({"name": "Доля ответов в срок по отделам"})
    chart.set_x_axis({"min": 0, "max": 1, "num_format": "0%", "major_gridlines": {"visible": True}})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"none": True})
    chart.set_size({"width": 900, "height": max(300, 28 * len(rows) + 100)})
    sheet.insert_chart(chart_row, 0, chart)
