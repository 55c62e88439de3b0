"""A server clock that jumps (issue 10): one cycle a year ahead must not leave a retry's `next_at`
or a case's «Срок» in next year for good; a clock set back is told to the operator, once per jump.

Through the product's doors: a citizen writes in the VK stand-in, the operator routes the case in
the workbook, SMTP refuses (aiosmtpd), and the bridge cycles at the moments the test chooses
(`Stand.now`, tests/e2e_channels/conftest.py); the clock-back cases run `run_cycle` at chosen
moments on the demo configuration (tests/control/conftest.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bridge.core.deadlines import due
from bridge.cycle import run_cycle
from tests.e2e_channels.conftest import mailboxes, stand  # noqa: F401 - the wired stand
from tests.e2e_channels.sources import SOURCES

VK_COMMENT = next(source for source in SOURCES if source.name == "vk-wall-comment")
YEAR = timedelta(days=365)
HEALED = "дата из будущего заменена текущим временем (часы сервера были переведены?)"


def clock_alerts(store) -> list[str]:
    return [row["text"] for row in store.db.execute("SELECT text FROM alerts WHERE kind = 'clock' ORDER BY id")]


def email_item(store, case_id: str) -> dict:
    [row] = store.db.execute("SELECT state, attempts, next_at FROM outbox WHERE case_id = ? AND kind = 'email'",
                             (case_id,))
    return dict(row)


def test_one_cycle_a_year_ahead_heals_when_the_clock_comes_back(stand):
    VK_COMMENT.write(stand, "Часы: третий день нет отопления в доме на Ленина, 5.")
    stand.cycle()
    case = stand.case_with("Часы:")
    real = stand.now

    # The server clock jumps a year ahead for one cycle: the operator's «Направить» is applied
    # then, and SMTP is refusing, so the case email waits for a retry.
    stand.smtp.fail_next(1, code=421, stage="mail")
    stand.route(case.id)
    stand.now = real + YEAR
    stand.cycle(timedelta(0))
    ahead = stand.app.store.get(case.id)
    assert ahead.routed_at == stand.now and stand.mails_for(case.id) == []
    assert datetime.fromisoformat(email_item(stand.app.store, case.id)["next_at"]) > real + YEAR

    # The clock comes back. The retry is due now, not next year; the case's moments are now.
    stand.now = real + timedelta(minutes=2)
    stand.cycle(timedelta(0))
    assert len(stand.mails_for(case.id)) == 1, "the case email waited for next year"
    assert email_item(stand.app.store, case.id)["state"] == "done"
    healed = stand.app.store.get(case.id)
    assert healed.routed_at == healed.deadline_start == stand.now
    rows = [r for r in stand.app.store.history(case.id) if r["action"] == HEALED]
    assert {r["field"] for r in rows} == {"routed_at", "deadline_start", "triaged_at"}
    calendar = stand.app.config.calendar
    due_at = due(calendar, "answer", stand.now)
    assert due_at - stand.now < timedelta(days=14)
    assert stand.ledger_row(case.id)["Срок"] == due_at.replace(tzinfo=None, microsecond=0)
    alerts = clock_alerts(stand.app.store)
    assert len(alerts) == 2, alerts
    assert "назад" in alerts[0] and case.id in alerts[1] and "часы сервера были переведены" in alerts[1].lower()

    # Later cycles find nothing more to heal and say nothing more.
    for _ in range(3):
        stand.cycle(timedelta(minutes=1))
    assert len(clock_alerts(stand.app.store)) == 2
    assert len(stand.mails_for(case.id)) == 1
    assert [r for r in stand.app.store.history(case.id) if r["action"] == HEALED] == rows


T0 = datetime(2026, 4, 13, 0, 0, tzinfo=timezone.utc)      # Monday 11:00 in Okha


def test_a_clock_set_back_is_told_once_per_jump(app):
    run_cycle(app, T0)
    run_cycle(app, T0 + timedelta(minutes=5))
    assert clock_alerts(app.store) == []
    run_cycle(app, T0 - timedelta(hours=3))                   # set back three hours
    [alert] = clock_alerts(app.store)
    assert "назад" in alert and "13.04.2026 11:05" in alert and "13.04.2026 08:00" in alert
    for minutes in (1, 2, 3):
        run_cycle(app, T0 - timedelta(hours=3) + timedelta(minutes=minutes))
    assert len(clock_alerts(app.store)) == 1, "told once, not every cycle until the clock catches up"
    # Forth and back again, several times: one alert per jump back, none for the jumps forward.
    for jump in range(3):
        run_cycle(app, T0 + YEAR)
        run_cycle(app, T0 + timedelta(minutes=10 + jump))
    assert len(clock_alerts(app.store)) == 4
    # A second or two of drift (NTP correcting) is not a jump.
    run_cycle(app, T0 + timedelta(minutes=20))
    run_cycle(app, T0 + timedelta(minutes=20) - timedelta(seconds=2))
    assert len(clock_alerts(app.store)) == 4


def test_a_hand_made_row_dated_in_the_future_gets_a_deadline_from_now(tmp_path):
    # The operator types a phone call into the workbook with the year mistyped (2027 for 2026).
    from tests.ledger.conftest import col, edit_ledger, make_app, rows_by_id
    app = make_app(tmp_path)
    try:
        run_cycle(app, T0)

        def type_row(sheet) -> None:
            row = sheet.max_row + 1
            for header, value in (("Поступило", "13.04.2027 10:00"), ("Автор", "Иванов И. И. (звонок)"),
                                  ("Текст сообщения", "Нет света в подъезде дома 3")):
                sheet.cell(row, col(header)).value = value
        edit_ledger(app, type_row)
        run_cycle(app, T0 + timedelta(minutes=1))
        run_cycle(app, T0 + timedelta(minutes=2))
        [case] = app.store.all_cases()
        assert case.posted_at == T0 + timedelta(minutes=2)
        row = rows_by_id(app.config.ledger)[case.id]
        assert row["Срок"].year == 2026, row["Срок"]
        assert any("дата введена с ошибкой" in text for text in clock_alerts(app.store))
    finally:
        app.store.close()


def test_back_and_forth_several_times_leaves_no_moment_in_the_future(stand):
    VK_COMMENT.write(stand, "Туда-сюда: не вывозят мусор.")
    stand.cycle()
    case = stand.case_with("Туда-сюда:")
    real = stand.now
    stand.route(case.id)
    stand.cycle()
    assert len(stand.mails_for(case.id)) == 1
    # The department answers while the clock runs two years ahead, then it comes back; ahead
    # again for one cycle, back again.
    stand.department_answers(case.id, "Мусор вывезен, график восстановлен.")
    for ahead, back in ((2 * YEAR, timedelta(minutes=3)), (YEAR, timedelta(minutes=4)),
                        (timedelta(days=30), timedelta(minutes=5))):
        stand.now = real + ahead
        stand.cycle(timedelta(0))
        stand.now = real + back
        stand.cycle(timedelta(0))
    answered = stand.app.store.get(case.id)
    assert answered.dept_answer.startswith("Мусор вывезен")
    assert answered.answered_at <= stand.now and answered.handled_at <= stand.now
    assert stand.app.store.cases_with_moments_after(stand.now) == []
    assert stand.ledger_row(case.id)["Контроль срока"] == "выполнено в срок"
    alerts = clock_alerts(stand.app.store)
    assert sum("назад" in text for text in alerts) == 3, alerts
