"""Control (п. 4.1, 4.2), end to end: what the operator finally sees about the terms.

The operator types three phone calls into the workbook with «Поступило» Monday 09:00 and routes
them on a virtual clock (the `now` each cycle takes): one within the three working hours of
п. 3.1, one a working day late, one moved to 59-ФЗ (п. 3.8). The department answers the late one
in time by email (Dovecot) and never answers the second. Asserted where people look: «Примечание
системы», the sheet «Сводка», the monthly report, and Wednesday's digest in the SMTP sink, which
must list the department's overdue case instead of «Сегодня нет дел, требующих внимания».
"""

from __future__ import annotations

import email
import email.policy
from datetime import date, datetime, time, timedelta

import openpyxl

from bridge.steps.report import write_report
from tests.e2e_channels.conftest import OPERATOR, Stand, ZHKH

LATE = "Нет отопления в доме по ул. Ленина, 5"
SILENT = "Яма на дороге у школы № 2"
APPEAL = "Прошу разобраться с начислениями за капремонт"
DIGEST_TO = "oso@adm-okha.ru"


def working_week(stand: Stand) -> date:
    """A Monday after today whose five days are full working days: the terms below are exact."""
    calendar = stand.app.config.calendar
    monday = calendar.local(stand.now).date() + timedelta(days=7)
    monday -= timedelta(days=monday.weekday())
    while not all(calendar.is_working_day(d) and not calendar.is_short_day(d)
                  for d in (monday + timedelta(days=n) for n in range(5))) or monday.month != (monday +
                                                                                             timedelta(days=4)).month:
        monday += timedelta(days=7)
    return monday


def at(stand: Stand, day: date, hour: int, minute: int = 0) -> None:
    """Move the virtual clock to local `day hour:minute` and run one cycle there."""
    moment = datetime.combine(day, time(hour, minute), stand.app.config.calendar.tz)
    stand.cycle(moment - stand.now)


def type_calls(stand: Stand, posted: datetime, texts: list[str]) -> None:
    """The operator adds phone calls as new rows with their «Поступило», and saves."""
    book = openpyxl.load_workbook(stand.app.config.ledger)
    sheet = book["Журнал"]
    header = [c.value for c in sheet[1]]
    for text in texts:
        row = sheet.max_row + 1
        for name, value in {"Поступило": posted.replace(tzinfo=None), "Канал": "Телефон", "Автор": "Звонок",
                            "Текст сообщения": text}.items():
            sheet.cell(row, header.index(name) + 1).value = value
    book.properties.lastModifiedBy = OPERATOR
    book.save(stand.app.config.ledger)


def summary_sheet(stand: Stand) -> dict[str, dict]:
    rows = list(openpyxl.load_workbook(stand.app.config.ledger, read_only=True)["Сводка"].iter_rows(values_only=True))
    return {row[0]: dict(zip(rows[1], row)) for row in rows[2:] if row[0]}


def digests(stand: Stand) -> list[email.message.EmailMessage]:
    found = []
    for _, rcpt, raw in stand.smtp.messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if DIGEST_TO in rcpt and "сводка для оператора" in str(message["Subject"]):
            found.append(message)
    return found


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_late_routing_overdue_department_and_an_appeal_as_the_operator_sees_them(stand):
    monday = working_week(stand)
    tuesday, wednesday = monday + timedelta(days=1), monday + timedelta(days=2)
    at(stand, monday, 8, 50)
    type_calls(stand, datetime.combine(monday, time(9, 0)), [LATE, SILENT, APPEAL])
    at(stand, monday, 9, 0)
    late, silent, appeal = (stand.case_with(text) for text in (LATE, SILENT, APPEAL))

    stand.route(silent.id)                                           # Monday 10:00: in time (п. 3.1)
    stand.route(appeal.id)
    at(stand, monday, 10, 0)
    stand.operator(appeal.id, Согласие="да", Решение_оператора="Обращение 59-ФЗ")
    at(stand, monday, 11, 0)
    assert "Распределение (п. 3.1): выполнено в срок." in stand.ledger_row(silent.id)["Примечание системы"]

    stand.route(late.id)                                             # Tuesday 10:00: a working day late
    at(stand, tuesday, 10, 0)
    assert ("Распределение (п. 3.1): выполнено с нарушением срока."
            in stand.ledger_row(late.id)["Примечание системы"])
    stand.department_answers(late.id, "Подача тепла восстановлена во вторник в 12:00.")
    at(stand, tuesday, 11, 0)                                        # due Wednesday 10:00: in time
    row = stand.ledger_row(late.id)
    assert (row["Статус"], row["Контроль срока"]) == ("Ответ получен", "выполнено в срок")
    assert stand.ledger_row(silent.id)["Контроль срока"] == "просрочено"     # due Tuesday 10:00

    zhkh = summary_sheet(stand)[ZHKH]
    assert {k: zhkh[k] for k in ("Поступило", "Распределено в срок (п. 3.1)",
                                 "Распределено с нарушением срока (п. 3.1)", "Ответ в срок",
                                 "С нарушением срока", "В работе", "Переведено в обращение 59-ФЗ")} == {
        "Поступило": 3, "Распределено в срок (п. 3.1)": 2, "Распределено с нарушением срока (п. 3.1)": 1,
        "Ответ в срок": 1, "С нарушением срока": 0, "В работе": 1, "Переведено в обращение 59-ФЗ": 1}

    at(stand, wednesday, 9, 45)                                      # after digest_time 09:30
    today = [m for m in digests(stand) if f"{wednesday:%d.%m.%Y}" in str(m["Subject"])]
    assert len(today) == 1
    body = text_of(today[0])
    assert "Сегодня нет дел, требующих внимания" not in body
    section = body.split("Отделы просрочили ответ (п. 3.2) — 1:", 1)[1].split("\n\n", 1)[0]
    assert silent.id in section and ZHKH in section and "просрочено на" in section
    assert late.id not in section and appeal.id not in section
    assert "распределено в срок (п. 3.1): 2 из 3" in body
    assert "ответов отделов в срок (п. 3.2): 1 из 1, без ответа после срока: 1" in body
    assert "переведено в обращения по 59-ФЗ (п. 3.8): 1" in body

    report = write_report(stand.app.store, stand.app.config, stand.app.ports, monday.year, monday.month, stand.now)
    rows = list(openpyxl.load_workbook(report, read_only=True)["По отделам"].iter_rows(values_only=True))
    header = rows[3]
    by_department = {row[0]: dict(zip(header, row)) for row in rows[4:] if row[0]}
    figures = by_department[ZHKH]
    assert (figures["Распределено в срок (п. 3.1)"], figures["Распределено с нарушением срока (п. 3.1)"],
            figures["Ответ в срок"], figures["С нарушением срока"], figures["из них просрочено"],
            figures["Переведено в обращение 59-ФЗ (п. 3.8)"]) == (2, 1, 1, 0, 1, 1)
    assert figures["Доля ответов в срок"] == 1
    assert abs(figures["Доля распределённых в срок"] - 2 / 3) < 1e-9
