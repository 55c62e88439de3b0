"""The operator's workbook open for hours (SPEC §2, issue 10): Excel's lock file `~$…` (or
LibreOffice's `.~lock.…#`) sits beside the ledger, so the bridge never rewrites it and reads the
same saved file again every cycle. What one save asked for is done once, whatever happens in the
meantime: the department answers, a publication fails for good, the operator saves again.

Everything enters through the doors: the citizen writes in the VK stand-in, the operator saves
cells with openpyxl while the lock file is there, the department replies into Dovecot.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest

from bridge.core.model import Status
from bridge.steps.purge import purge
from standins.department_replies import reply
from tests.e2e_channels.conftest import OPERATOR, ZHKH, Stand

QUESTION = "Во дворе дома 5 по улице Ленина не убирают мусор третью неделю, когда вывезут?"
ANSWER = "Мусор вывезут 14 марта до 12:00; график вывоза на дворовой площадке обновлён."
LOCKS = {"excel": "~$Журнал обращений.xlsx", "libreoffice": ".~lock.Журнал обращений.xlsx#"}


def open_in(stand: Stand, program: str = "excel"):
    """The operator opens the workbook: the program's lock file appears beside it."""
    lock = stand.app.config.ledger.with_name(LOCKS[program])
    lock.write_bytes(b"operator")
    return lock


def wall_comment(stand: Stand, text: str = QUESTION, user: int = 1) -> dict:
    stand.vk.add_user(user, "Анна", "Смирнова")
    written = {"post": 10, "comment": stand.vk.post_wall_comment(10, user, text)}
    stand.cycle()
    return written


def answer_to_last_mail(stand: Stand, case_id: str, text: str, attachment=None) -> None:
    """The department replies to the latest mail of the case's thread."""
    sent = stand.mails_for(case_id)
    department = stand.app.config.department(stand.app.store.get(case_id).department)
    stand.dovecot.deliver(reply(sent[-1], department.emails[0], text, attachment=attachment),
                          to=stand.app.config.mail["address"])


def failures(stand: Stand, case_id: str) -> list:
    """The case's failure alerts, reported in a morning digest or not: a test that starts at
    08:xx Сахалин sees 09:00 pass within its cycles (found by a CI run at 21:46 UTC)."""
    since = datetime(2000, 1, 1, tzinfo=timezone.utc)
    return [a for a in stand.app.store.recent_alerts(since) if a["case_id"] == case_id and a["kind"] == "failure"]


@pytest.mark.parametrize("program", ["excel", "libreoffice"])
def test_route_and_rework_saved_while_open_are_done_once(stand, program):
    wall_comment(stand)
    case = stand.case_with("мусор")
    open_in(stand, program)
    stand.route(case.id)
    stand.cycle()
    assert len(stand.mails_for(case.id)) == 1
    routed = stand.app.store.get(case.id)
    assert routed.status == Status.ROUTED

    answer_to_last_mail(stand, case.id, ANSWER)          # the case moves on: a new epoch
    for _ in range(3):
        stand.cycle(timedelta(minutes=5))
    answered = stand.app.store.get(case.id)
    assert answered.status == Status.ANSWERED, answered.system_note
    assert len(stand.mails_for(case.id)) == 1, "«Направить» of the same save sent the case again"
    assert answered.routed_at == routed.routed_at and answered.deadline_start == routed.deadline_start

    stand.operator(case.id, Решение_оператора="На доработку", Комментарий_оператора="Укажите время вывоза.")
    stand.cycle()
    assert len(stand.mails_for(case.id)) == 2
    assert stand.app.store.get(case.id).status == Status.REWORK
    answer_to_last_mail(stand, case.id, ANSWER + " Время — с 9:00 до 12:00.")
    for _ in range(3):
        stand.cycle(timedelta(minutes=5))
    final = stand.app.store.get(case.id)
    assert final.status == Status.ANSWERED, final.system_note
    assert len(stand.mails_for(case.id)) == 2, "«На доработку» of the same save was mailed twice"

    stand.operator(case.id, Решение_оператора="На доработку")   # saved again, cell unchanged
    stand.cycle()
    assert len(stand.mails_for(case.id)) == 2
    assert stand.app.store.get(case.id).status == Status.ANSWERED

    stand.app.config.ledger.with_name(LOCKS[program]).unlink()   # closed at last: rewritten
    stand.cycle()
    row = stand.ledger_row(case.id)
    assert (row["Статус"], row["Решение оператора"]) == ("Ответ получен", None)
    assert (row["Отдел"], row["Комментарий оператора"]) == (ZHKH, "Укажите время вывоза.")
    for _ in range(2):
        stand.cycle(timedelta(minutes=5))
    assert len(stand.mails_for(case.id)) == 2


def test_publish_after_a_permanent_failure_is_tried_once(stand):
    written = wall_comment(stand)
    case = stand.take_to_review(stand.case_with("мусор"), ANSWER)
    stand.vk.delete_wall_comment(written["post"], written["comment"])
    open_in(stand)
    stand.operator(case.id, Решение_оператора="Опубликовать")
    for _ in range(10):
        stand.cycle(timedelta(minutes=10))
    calls = [m for m, _ in stand.vk.calls if m == "wall.createComment"]
    assert len(calls) == 1, f"{len(calls)} attempts to publish one decision"
    assert len(failures(stand, case.id)) == 1
    assert stand.app.store.get(case.id).status == Status.PUBLISH_FAILED


# -- hand-made rows ----------------------------------------------------------------------------

def _sheet(stand: Stand):
    book = openpyxl.load_workbook(stand.app.config.ledger)
    sheet = book["Журнал"]
    return book, sheet, [cell.value for cell in sheet[1]]


def _save(stand: Stand, book) -> None:
    book.properties.lastModifiedBy = OPERATOR
    book.save(stand.app.config.ledger)


def type_new_row(stand: Stand, **cells: str) -> None:
    """A phone call typed into the first empty row, «№» left empty."""
    book, sheet, headers = _sheet(stand)
    row = sheet.max_row + 1
    for header, value in cells.items():
        sheet.cell(row=row, column=headers.index(header.replace("_", " ")) + 1, value=value)
    _save(stand, book)


def type_into_row_with(stand: Stand, words: str, **cells: str) -> None:
    """More cells on the row whose «Текст сообщения» holds `words`."""
    book, sheet, headers = _sheet(stand)
    text = headers.index("Текст сообщения")
    rows = [r for r in sheet.iter_rows(min_row=2) if words in str(r[text].value or "")]
    assert len(rows) == 1, f"{len(rows)} rows with «{words}»"
    for header, value in cells.items():
        rows[0][headers.index(header.replace("_", " "))].value = value
    _save(stand, book)


def manual_cases(stand: Stand) -> list:
    return [c for c in stand.cases() if c.kind == "Внесено вручную"]


CALL = "Звонок: на ул. Советской 12 прорвало трубу, заливает подвал"


def test_hand_made_row_saved_while_open_is_one_case_that_takes_later_cells(stand):
    open_in(stand)
    type_new_row(stand, Канал="Телефон", Автор="Сидоров П. П.", Текст_сообщения=CALL)
    stand.cycle()
    [case] = manual_cases(stand)

    type_into_row_with(stand, "прорвало", Отдел=ZHKH, Решение_оператора="Направить",
                       Комментарий_оператора="Срочно")
    stand.cycle()
    [case] = manual_cases(stand)
    routed = stand.app.store.get(case.id)
    assert (routed.department, routed.status, routed.operator_comment) == ("zhkh", Status.ROUTED, "Срочно")
    assert len(stand.mails_for(case.id)) == 1

    type_into_row_with(stand, "прорвало", Текст_сообщения=CALL + ", дом 12А")   # the text corrected
    for _ in range(3):
        stand.cycle()
    [case] = manual_cases(stand)
    assert stand.app.store.get(case.id).text == CALL + ", дом 12А"
    assert len(stand.mails_for(case.id)) == 1

    stand.app.config.ledger.with_name(LOCKS["excel"]).unlink()   # closed at last: rewritten
    stand.cycle()
    row = stand.ledger_row(case.id)
    assert (row["Отдел"], row["Комментарий оператора"], row["Решение оператора"]) == (ZHKH, "Срочно", None)
    assert row["Текст сообщения"] == CALL + ", дом 12А"
    stand.cycle()
    assert len(manual_cases(stand)) == 1 and len(stand.mails_for(case.id)) == 1


def test_the_same_call_typed_again_a_week_later_is_a_new_case(stand):
    type_new_row(stand, Канал="Телефон", Автор="Сидоров П. П.", Текст_сообщения=CALL)
    stand.cycle()
    [first] = manual_cases(stand)
    assert stand.ledger_row(first.id)["Текст сообщения"] == CALL

    stand.cycle(timedelta(days=7))
    type_new_row(stand, Канал="Телефон", Автор="Сидоров П. П.", Текст_сообщения=CALL)
    stand.cycle()
    cases = manual_cases(stand)
    assert len(cases) == 2, "a new call with the same words vanished"
    assert {c.id for c in cases} - {first.id}
    stand.cycle()
    assert len(manual_cases(stand)) == 2


# -- what is published ---------------------------------------------------------------------------

def test_the_approved_text_is_the_text_published_after_a_retry(stand):
    wall_comment(stand)
    case = stand.take_to_review(stand.case_with("мусор"), ANSWER)
    stand.vk.fail_next("wall.createComment", "http500")
    stand.operator(case.id, Решение_оператора="Опубликовать")
    stand.cycle()
    assert stand.vk.published == []
    answer_to_last_mail(stand, case.id, "НЕ ПУБЛИКОВАТЬ: черновик второго ответа",
                        attachment=("черновик.pdf", b"%PDF-1.4 draft"))
    stand.cycle(timedelta(seconds=5))                  # the second answer is taken in
    assert "НЕ ПУБЛИКОВАТЬ" in stand.app.store.get(case.id).dept_answer
    for _ in range(3):
        stand.cycle(timedelta(hours=1))                # the retry goes out
    [entry] = stand.vk.published
    assert entry["message"] == ANSWER
    assert "attachments" not in entry or not entry["attachments"]
    done = stand.app.store.get(case.id)
    assert (done.status, done.publish_text) == (Status.PUBLISHED, ANSWER)   # the row shows what went out

    # 152-ФЗ: the text fixed into the publication goes with the rest at `purge`.
    # Purge compares local (Sakhalin) closing dates: the day after the local today.
    tomorrow = stand.app.config.calendar.local(stand.now).date() + timedelta(days=1)
    purge(stand.app.store, stand.app.config, stand.app.ports, tomorrow, stand.now + timedelta(days=1))
    payloads = [json.loads(p) for (p,) in stand.app.store.db.execute(
        "SELECT payload FROM outbox WHERE case_id = ? AND kind = 'publish'", (case.id,))]
    assert payloads and all(not p.get("text") for p in payloads)


def test_a_follow_up_with_only_the_forgotten_file_keeps_the_answer(stand):
    wall_comment(stand)
    case = stand.take_to_review(stand.case_with("мусор"), ANSWER)
    answer_to_last_mail(stand, case.id, "", attachment=("график вывоза.pdf", b"%PDF-1.4 schedule"))
    stand.cycle()
    after = stand.app.store.get(case.id)
    assert after.dept_answer == ANSWER and after.publish_text == ANSWER
    assert any("график" in name for name in after.attachments), after.attachments
    row = stand.ledger_row(case.id)
    assert (row["Ответ отдела"], row["Текст для публикации"]) == (ANSWER, ANSWER)
    assert "график" in (row["Вложения"] or "")


# -- trying to break it --------------------------------------------------------------------------

def test_a_refused_decision_counts_once_the_row_is_completed(stand):
    wall_comment(stand)
    case = stand.case_with("мусор")
    open_in(stand)
    stand.operator(case.id, Решение_оператора="Направить")           # «Отдел» forgotten: refused
    stand.cycle()
    assert stand.app.store.get(case.id).status == Status.NEW
    assert "не выбран «Отдел»" in stand.app.store.get(case.id).system_note
    stand.cycle()
    stand.operator(case.id, Отдел=ZHKH)                                 # the word still in its cell
    stand.cycle()
    assert stand.app.store.get(case.id).status == Status.ROUTED
    for _ in range(3):
        stand.cycle()
    assert len(stand.mails_for(case.id)) == 1


def test_a_refused_publish_is_not_taken_for_an_answer_nobody_reviewed(stand):
    wall_comment(stand)
    case = stand.case_with("мусор")
    stand.route(case.id)
    stand.cycle()
    open_in(stand)
    stand.operator(case.id, Решение_оператора="Опубликовать")         # too early: no answer yet
    stand.cycle()
    assert "не применено" in stand.app.store.get(case.id).system_note
    answer_to_last_mail(stand, case.id, "НЕ ПУБЛИКОВАТЬ: ответ ещё не проверен")
    stand.cycle()
    assert stand.app.store.get(case.id).status == Status.ANSWERED
    stand.operator(case.id, Комментарий_оператора="посмотреть позже")   # the same row touched again
    for _ in range(3):
        stand.cycle(timedelta(minutes=5))
    assert stand.vk.published == []
    assert stand.app.store.get(case.id).status == Status.ANSWERED
    assert "выберите решение заново" in stand.app.store.get(case.id).system_note

    stand.operator(case.id, Решение_оператора=None)                   # cleared, then chosen again:
    stand.cycle()
    stand.operator(case.id, Решение_оператора="Опубликовать")         # a new decision
    stand.cycle()
    stand.cycle()
    assert [e["message"] for e in stand.vk.published] == ["НЕ ПУБЛИКОВАТЬ: ответ ещё не проверен"]


def test_publish_chosen_again_after_a_failure_is_a_new_attempt(stand):
    written = wall_comment(stand)
    case = stand.take_to_review(stand.case_with("мусор"), ANSWER)
    stand.vk.delete_wall_comment(written["post"], written["comment"])
    open_in(stand, "libreoffice")
    stand.operator(case.id, Решение_оператора="Опубликовать")
    for _ in range(3):
        stand.cycle(timedelta(minutes=10))
    stand.operator(case.id, Решение_оператора=None)
    stand.cycle()
    stand.operator(case.id, Решение_оператора="Опубликовать")
    for _ in range(3):
        stand.cycle(timedelta(minutes=10))
    assert len([m for m, _ in stand.vk.calls if m == "wall.createComment"]) == 2
    assert len(failures(stand, case.id)) == 2


def _delete_row_with(stand: Stand, words: str) -> None:
    book, sheet, headers = _sheet(stand)
    text = headers.index("Текст сообщения")
    [number] = [r[0].row for r in sheet.iter_rows(min_row=2) if words in str(r[text].value or "")]
    sheet.delete_rows(number)
    _save(stand, book)


def test_a_hand_made_row_deleted_and_retyped_while_open(stand):
    open_in(stand)
    type_new_row(stand, Канал="Телефон", Автор="Сидоров П. П.", Текст_сообщения=CALL)
    stand.cycle()
    [first] = manual_cases(stand)
    _delete_row_with(stand, "прорвало")
    stand.cycle()
    type_new_row(stand, Канал="Телефон", Автор="Сидоров П. П.", Текст_сообщения=CALL, Отдел=ZHKH)
    stand.cycle()
    assert [c.id for c in manual_cases(stand)] == [first.id]           # the same call, retyped
    assert stand.app.store.get(first.id).department == "zhkh"

    _delete_row_with(stand, "прорвало")                                 # another call in its place
    stand.cycle()
    type_new_row(stand, Канал="Телефон", Автор="Кузнецова А. И.",
                 Текст_сообщения="Звонок: не горят фонари во дворе дома 3 по ул. Мира")
    stand.cycle()
    cases = manual_cases(stand)
    assert len(cases) == 2
    assert stand.app.store.get(first.id).text == CALL

    stand.app.config.ledger.with_name(LOCKS["excel"]).unlink()
    stand.cycle()
    for case in cases:
        assert stand.ledger_row(case.id)["Текст сообщения"] == stand.app.store.get(case.id).text
    stand.cycle()
    assert len(manual_cases(stand)) == 2
