"""The ledger's columns (SPEC §5): header, owner, width, kind and drop-down list, in one table."""

from __future__ import annotations

from dataclasses import dataclass

from bridge.core.vocabulary import BASIS_LABELS, CONTROL_LABELS, DECISION_LABELS, YES

SHEET = "Журнал"
DEPARTMENTS_SHEET = "Отделы"
SUMMARY_SHEET = "Сводка"
ALERTS_SHEET = "Оповещения"       # the digest's alerts, in the workbook (issue 16)
PRINT_SHEET = "Для печати"        # the print layout for meetings; never read
CELL_LIMIT = 32_767   # Excel's maximum characters in a cell


@dataclass(frozen=True)
class Column:
    key: str            # attribute name in the rendered row
    header: str
    width: int
    operator: bool = False      # operator-owned: read back every cycle (SPEC §2)
    manual: bool = False        # operator-owned on a hand-made row only
    kind: str = "text"          # 'text' | 'date' | 'link'
    choices: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("id", "№", 16),
    Column("posted", "Поступило", 16, manual=True, kind="date"),
    Column("channel", "Канал", 14, manual=True, kind="link"),
    Column("kind", "Вид", 16),
    Column("author", "Автор", 20, manual=True),
    Column("text", "Текст сообщения", 50, manual=True),
    Column("attachments", "Вложения", 18),
    Column("hint", "Подсказка", 28),
    Column("status", "Статус", 18),
    Column("due", "Срок", 16, kind="date"),
    Column("control", "Контроль срока", 16, choices=tuple(CONTROL_LABELS.values())),
    Column("department", "Отдел", 24, operator=True),
    Column("decision", "Решение оператора", 20, operator=True, choices=tuple(DECISION_LABELS.values())),
    Column("basis", "Основание", 22, operator=True, choices=tuple(BASIS_LABELS.values())),
    Column("dept_answer", "Ответ отдела", 50),
    Column("publish_text", "Текст для публикации", 50, operator=True),
    Column("operator_comment", "Комментарий оператора", 30, operator=True),
    Column("informational", "Информационный", 12, operator=True, choices=(YES,)),
    Column("consent", "Согласие", 10, operator=True, choices=(YES,)),
    Column("sed_number", "Рег. № СЭД", 14, operator=True),
    Column("published", "Опубликовано", 24),
    Column("note", "Примечание системы", 40),
)

HEADERS = tuple(c.header for c in COLUMNS)
BY_KEY = {c.key: c for c in COLUMNS}
OPERATOR_KEYS = tuple(c.key for c in COLUMNS if c.operator)
