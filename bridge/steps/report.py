"""Step «отчёт»: the monthly report (п. 4.2, SPEC §6 `report --month`), its figures.

Figures per department and per channel come from bridge/core/figures.py (as «Сводка» does); the
workbook is laid out by ledger/report.py. A case counts in the month it was posted (local time).
The operator's triage (п. 3.1) and the department's answer (п. 3.2) are two figures, never one.

The rating follows how the regional governance centres (ЦУР) judge a body: the share of messages
answered in time among those whose term has come (answered, or still open and already overdue),
and only for a body with enough messages (`[report] min_messages = 5`); else «недостаточно данных».
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from statistics import quantiles
from typing import Callable, Sequence

from bridge.config import Config
from bridge.core.errors import InputError
from bridge.core.figures import Figures, figures_by
from bridge.core.model import Case
from bridge.core.vocabulary import zone_label
from bridge.steps.ports import Ports
from bridge.storage.store import Store
from ledger.report import ReportTable, write_report_workbook

NOT_ENOUGH = "недостаточно данных"
UNASSIGNED = "Отдел не выбран"


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
        values = [f.received, f.triage_on_time, f.triage_late, f.on_time, f.late, f.open, self.overdue_open,
                  f.appeals, f.returned, f.median_hours, percentile_90(f.answer_hours),
                  f.triage_share_on_time, f.share_on_time]
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
    table = figures_by(cases, key, config.calendar, now, returned)
    known = dict(labels)
    order = list(known) + sorted(k for k in table if k not in known)
    return [ReportRow(known.get(k) or k or UNASSIGNED, table.get(k, Figures()), table.get(k, Figures()).overdue_open)
            for k in order if k in known or k in table]


def cases_of_month(cases: Sequence[Case], config: Config, year: int, month: int) -> list[Case]:
    wanted = (year, month)
    return [c for c in cases if (config.calendar.local(c.posted_at).year,
                                 config.calendar.local(c.posted_at).month) == wanted]


def write_report(store: Store, config: Config, ports: Ports, year: int, month: int, now: datetime) -> Path:
    """Write `reports/Отчёт YYYY-MM.xlsx` and return its path."""
    if not (1 <= month <= 12 and 2000 <= year <= 9999):
        raise InputError(f"неверный месяц {year}-{month:02d}: нужен ГГГГ-ММ, например 2026-04")
    cases = cases_of_month(store.all_cases(), config, year, month)
    returned = store.returned_case_ids()
    minimum = min_messages_of(config)
    departments = report_rows(cases, lambda c: c.department, [(d.code, d.name) for d in config.departments],
                              config, now, returned)
    channels = report_rows(cases, lambda c: c.channel_label, [], config, now, returned)
    stamp = f"Сформирован {config.calendar.local(now):%d.%m.%Y %H:%M} ({zone_label(config.tz)})"
    return write_report_workbook(ports.files.report(year, month), year, month, stamp, minimum,
                                 _table(departments, minimum), _table(channels, None))


def _table(rows: list[ReportRow], min_messages: int | None) -> ReportTable:
    return ReportTable([(row.label, row.values(min_messages)) for row in rows], _total(rows).values(min_messages))


def _total(rows: list[ReportRow]) -> ReportRow:
    total = Figures()
    for row in rows:
        total.add(row.figures)
    return ReportRow("Всего", total, sum(r.overdue_open for r in rows))


