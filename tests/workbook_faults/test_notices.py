"""The digest's alerts in the workbook too (issue 16): «Оповещения» lists what went wrong (an
outage, an unknown sender, the ledger set aside…), newest first, in local time, at the next write;
after a week (and once the digest has sent them) they leave the sheet."""

from __future__ import annotations

from datetime import timedelta

import openpyxl

from bridge.core.errors import DeliveryError
from ledger.columns import ALERTS_SHEET
from tests.ledger.conftest import add_messages, cycle
from tests.workbook_faults.conftest import department_answer, with_step, without_step


def _notices(app) -> list[tuple]:
    sheet = openpyxl.load_workbook(app.config.ledger)[ALERTS_SHEET]
    return [row for row in sheet.iter_rows(min_row=3, values_only=True) if any(row)]


def _down(_now) -> None:
    raise DeliveryError("api.vk.com недоступен (таймаут соединения)")


def test_outage_and_unknown_sender_show_in_the_workbook(app, clock):
    ids = add_messages(app, ["Не вывезли мусор"], clock.now)
    cycle(app, clock)
    assert _notices(app) == [("Оповещений нет.", None, None, None)]

    with_step(app, "take_channels", _down)
    report = cycle(app, clock)
    without_step(app, "take_channels")
    assert report.ledger == "записан"              # a new alert alone is a reason to write
    department_answer(app, ids[0], "Вывезем завтра", clock.tick(), sender="stranger@example.com")
    cycle(app, clock)

    rows = _notices(app)
    assert [r[1] for r in rows] == ["Неизвестный отправитель", "Нет связи"]       # newest first
    assert rows[0][2] == ids[0] and "stranger@example.com" in rows[0][3]
    assert "api.vk.com недоступен" in rows[1][3]
    local = app.config.calendar.local(clock.now).replace(tzinfo=None)
    assert abs(rows[0][0] - local) < timedelta(minutes=5)                       # local time, not UTC

    # The next morning's digest takes them; a week later they are gone from the sheet as well.
    clock.tick(24 * 60)
    cycle(app, clock)
    assert app.store.unreported_alerts() == []
    clock.tick(7 * 24 * 60)
    add_messages(app, ["Через неделю"], clock.now)
    cycle(app, clock)
    assert all(r[1] != "Неизвестный отправитель" for r in _notices(app))


def test_a_ledger_set_aside_is_told_in_the_rebuilt_workbook(app, clock):
    add_messages(app, ["Яма"], clock.now)
    cycle(app, clock)
    app.config.ledger.write_bytes(b"not a workbook at all")        # saved as garbage
    cycle(app, clock)
    rows = _notices(app)
    assert rows[0][1] == "Журнал" and "не читается" in rows[0][3] and "отложен" in rows[0][3]
