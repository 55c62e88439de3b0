"""A case as a ledger row: the values the operator sees, computed from the store (pure); codes
become the operator's words here (bridge/core/vocabulary.py).

Text is made safe for a cell here, once: characters XML forbids become «�», and text longer than
Excel's 32,767-character limit is cut with a visible mark (the store keeps it whole).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable, Mapping, Sequence

from bridge.core.deadlines import control_of, deadline_of
from bridge.core.figures import Figures, figures_by
from bridge.core.model import Case
from bridge.core.vocabulary import YES, basis_label, channel_label, control_label, status_label
from bridge.core.worktime import WorkCalendar
from ledger.columns import CELL_LIMIT, COLUMNS

# What a row's fingerprint covers: «№» names the row and the decision cell is always written empty.
BRIDGE_KEYS = tuple(c.key for c in COLUMNS if not c.operator and c.key != "id")
TRACKED_KEYS = tuple(c.key for c in COLUMNS if c.operator and c.key != "decision")

_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CUT_MARK = "\n… [текст обрезан: полностью ({n} симв.) хранится в системе]"

Value = str | datetime | None


def cell_text(value: str) -> str:
    """Text as it can live in a cell: no XML-forbidden characters, at most 32,767 characters."""
    text = _XML_FORBIDDEN.sub("\ufffd", value or "")
    if len(text) <= CELL_LIMIT:
        return text
    mark = _CUT_MARK.format(n=len(text))
    return text[: CELL_LIMIT - len(mark)] + mark


def normalize(value: object) -> str:
    """How a cell compares: text stripped, dates to the second, numbers without '.0'."""
    if value.__class__ is str:   # the common case first: this runs for every cell of every row
        return (value.replace("\r\n", "\n") if "\r" in value else value).strip()
    if value is None:
        return ""
    if isinstance(value, date) and not isinstance(value, datetime):   # calamine reads midnight as a date
        value = datetime.combine(value, time())
    if isinstance(value, datetime):   # a spreadsheet's float may be a hair off: round to the second
        return (value + timedelta(microseconds=500_000)).replace(microsecond=0).isoformat(" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\r\n", "\n").strip()


def fingerprint(text: str) -> int:
    """A cheap, stable checksum of normalized cell text (change detection, not security)."""
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class RenderContext:
    calendar: WorkCalendar
    now: datetime
    department_name: Callable[[str], str]


def local_naive(calendar: WorkCalendar, moment: datetime | None) -> datetime | None:
    """Excel has no time zones: dates are written as local wall-clock time (SPEC §4 zone)."""
    if moment is None:
        return None
    return calendar.local(moment).replace(tzinfo=None, microsecond=0)


def render_row(case: Case, ctx: RenderContext) -> dict[str, Value]:
    cal = ctx.calendar
    row: dict[str, Value] = {
        "id": case.id,
        "posted": local_naive(cal, case.posted_at),
        "channel": channel_label(case.channel),
        "kind": case.kind,
        "author": case.author_name,
        "text": case.text,
        "attachments": "; ".join(case.attachments),
        "hint": linked_hint(case),
        "status": status_label(case.status),
        "due": local_naive(cal, deadline_of(case, cal)),
        "control": control_label(control_of(case, cal, ctx.now)),
        "department": ctx.department_name(case.department) if case.department else "",
        "decision": "",           # SPEC §2: a decision is applied once, then the cell is cleared
        "basis": basis_label(case.basis),
        "dept_answer": case.dept_answer,
        "publish_text": case.publish_text,
        "operator_comment": case.operator_comment,
        "informational": YES if case.informational else "",
        "consent": YES if case.consent else "",
        "sed_number": case.sed_number,
        "published": case.published,
        "note": case.system_note,
    }
    return {key: (cell_text(v) if isinstance(v, str) else v) for key, v in row.items()}


def linked_hint(case: Case) -> str:
    """«Подсказка» names the earlier case a follow-up continues (issue 11; SPEC §5 has no column)."""
    return f"Связано с {case.linked_to}. {case.hint}".strip() if case.linked_to else case.hint


def row_hashes(row: Mapping[str, Value]) -> list[int]:
    """The fingerprint of a written row: one checksum over all bridge-owned cells, then one per
    operator-owned cell (those are compared one by one, SPEC §2)."""
    bridge_text = "\x1f".join(normalize(row.get(key)) for key in BRIDGE_KEYS)
    return [fingerprint(bridge_text), *(fingerprint(normalize(row.get(key))) for key in TRACKED_KEYS)]


# -- «Сводка» -------------------------------------------------------------------------------------

SUMMARY_HEADERS = ("Отдел", "Поступило", "Распределено в срок (п. 3.1)", "Распределено с нарушением срока (п. 3.1)",
                   "Ответ в срок", "С нарушением срока", "В работе", "Переведено в обращение 59-ФЗ",
                   "Возвращено на доработку", "Доля ответов в срок, %", "Медиана ответа, раб. ч")


def summary_rows(cases: Sequence[Case], departments: Sequence[tuple[str, str]], calendar: WorkCalendar,
                 now: datetime, returned: set[str]) -> list[list]:
    """The sheet «Сводка»: this month's figures per department (bridge/core/figures.py)."""
    month = calendar.local(now).strftime("%Y-%m")
    in_month = [c for c in cases if calendar.local(c.posted_at).strftime("%Y-%m") == month]
    table = figures_by(in_month, lambda c: c.department, calendar, now, returned)
    rows = [[f"Сводка по отделам за {month} (обновляется каждый цикл)"], list(SUMMARY_HEADERS)]
    for code, name in departments:
        rows.append(_summary_row(name, table.get(code, Figures())))
    if "" in table:
        rows.append(_summary_row("Отдел не выбран", table[""]))
    return rows


def _summary_row(label: str, figures: Figures) -> list:
    share = figures.share_on_time
    hours = figures.median_hours
    return [label, figures.received, figures.triage_on_time, figures.triage_late, figures.on_time, figures.late,
            figures.open, figures.appeals, figures.returned,
            round(100 * share) if share is not None else "", round(hours, 1) if hours is not None else ""]
