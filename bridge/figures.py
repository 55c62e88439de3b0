"""Per-department figures for a month (п. 4.2): the ledger's «Сводка» and the monthly report.

Pure: cases and the calendar in, rows out. A case counts in the month it was posted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Sequence

from bridge.config import Config
from bridge.deadlines import DONE_LATE, DONE_ON_TIME, worked_hours
from bridge.model import Case, Status
from ledger.render import control_of

SUMMARY_HEADERS = ("Отдел", "Поступило", "Ответ в срок", "С нарушением срока", "В работе",
                   "Возвращено на доработку", "Доля в срок, %", "Медиана ответа, раб. ч")


@dataclass
class Figures:
    received: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    returned: int = 0
    answer_hours: list[float] | None = None

    def row(self, label: str) -> list:
        done = self.on_time + self.late
        share = round(100 * self.on_time / done) if done else ""
        hours = round(median(self.answer_hours), 1) if self.answer_hours else ""
        return [label, self.received, self.on_time, self.late, self.open, self.returned, share, hours]


def returned_case_ids(store) -> set[str]:
    rows = store.db.execute("SELECT DISTINCT case_id FROM history WHERE field = 'status' AND new = ?",
                            (Status.REWORK,))
    return {r[0] for r in rows}


def figures_by(cases: Sequence[Case], key, config: Config, now: datetime, returned: set[str]) -> dict[str, Figures]:
    table: dict[str, Figures] = {}
    for case in cases:
        figures = table.setdefault(key(case), Figures(answer_hours=[]))
        figures.received += 1
        figures.returned += case.id in returned
        label = control_of(case, config.calendar, now)
        if label == DONE_ON_TIME:
            figures.on_time += 1
        elif label == DONE_LATE:
            figures.late += 1
        else:
            figures.open += 1
        if case.answered_at and case.routed_at:
            figures.answer_hours.append(worked_hours(config.calendar, case.routed_at, case.answered_at))
    return table


def month_summary(cases: Sequence[Case], config: Config, now: datetime, store) -> list[list]:
    month = config.calendar.local(now).strftime("%Y-%m")
    in_month = [c for c in cases if config.calendar.local(c.posted_at).strftime("%Y-%m") == month]
    table = figures_by(in_month, lambda c: c.department, config, now, returned_case_ids(store))
    rows = [[f"Сводка по отделам за {month} (обновляется каждый цикл)"], list(SUMMARY_HEADERS)]
    for department in config.departments:
        rows.append(table.get(department.code, Figures()).row(department.name))
    if "" in table:
        rows.append(table[""].row("Отдел не выбран"))
    return rows
