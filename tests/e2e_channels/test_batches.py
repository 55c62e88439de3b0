"""A page of channel items is taken in batches, one transaction each (issue 15): what the items
of one page say about each other still holds (an edit, a reply, a second private message, the
same event twice), one item that fails is set aside while the rest are kept, and the case
numbers stay gapless and in the order the citizens wrote."""

from __future__ import annotations

import pytest

from bridge.core.model import format_case_id
from bridge.steps import intake
from tests.storage_backend import on_postgres

BROKEN = "Это сообщение ломает приём"


def _numbers(stand) -> list[str]:
    return [c.id for c in stand.cases()]


def test_a_page_that_speaks_of_itself_is_taken_in_batches(stand, monkeypatch):
    vk, prefix, year = stand.vk, stand.app.config.case_prefix, stand.now.year
    stand.cycle()                                   # the long-poll cursor is stored first
    for user in range(1, 6):
        vk.add_user(user, "Житель", f"№{user}")
    first = vk.post_wall_comment(10, 1, "Первый комментарий: нет света в подъезде")
    written = [f"Комментарий {n}: яма у дома {n}" for n in range(1, 141)]
    for n, text in enumerate(written[:60]):
        vk.post_wall_comment(10, 2 + n % 4, text)
    vk.edit_wall_comment(10, first, 1, "Первый комментарий: нет света в подъезде и на улице")
    vk.post_wall_comment(10, 3, "Ответ на первый: и у нас нет", reply_to=first)
    vk.post_wall_comment(10, 4, BROKEN)
    vk.send_dm(5, "Личное сообщение: протекает крыша")
    vk.send_dm(5, "Личное сообщение ещё раз: протекает крыша, дом 9")
    for n, text in enumerate(written[60:]):
        vk.post_wall_comment(10, 2 + n % 4, text)
    vk.push_event("wall_reply_new", vk.events[-1]["object"])      # the same event delivered twice

    real_add = type(stand.app.store).add

    def add(store, case, *args, **kwargs):   # a failure nobody foresaw, after the case got its number
        real_add(store, case, *args, **kwargs)
        if case.text == BROKEN:
            raise RuntimeError("unforeseen")
    monkeypatch.setattr(type(stand.app.store), "add", add)
    stand.cycle()
    monkeypatch.setattr(type(stand.app.store), "add", real_add)

    cases = stand.cases()
    texts = [c.text for c in cases]
    assert BROKEN not in texts and len(cases) == 1 + 140 + 1 + 2
    # Gapless, in the citizens' order: the broken item's number went back with its batch.
    assert _numbers(stand) == [format_case_id(prefix, year, n) for n in range(1, len(cases) + 1)]
    assert texts[:2] == ["Первый комментарий: нет света в подъезде и на улице", written[0]]
    assert texts[-1] == written[-1] and texts.count(written[-1]) == 1
    by_text = {c.text: c for c in cases}
    assert by_text["Ответ на первый: и у нас нет"].linked_to == cases[0].id
    assert by_text["Личное сообщение ещё раз: протекает крыша, дом 9"].linked_to == \
        by_text["Личное сообщение: протекает крыша"].id
    alerts = [a["text"] for a in stand.app.store.unreported_alerts() if a["kind"] == "intake"]
    assert len(alerts) == 1 and "RuntimeError" in alerts[0] and BROKEN not in alerts[0]
    assert all(c.hint for c in cases)

    stand.cycle()
    assert len(stand.cases()) == len(cases)
    vk.post_wall_comment(10, 2, "После пачки: ещё одна яма")
    stand.cycle()
    assert stand.cases()[-1].id == format_case_id(prefix, year, len(cases) + 1)


def test_a_batch_that_dies_mid_way_leaves_nothing_and_the_page_comes_again(stand, monkeypatch):
    """The process dies in the middle of a batch (an exception no `except Exception` catches, as
    the interpreter's exit): nothing of the batch is kept, the cursor stays, the next cycle takes
    the whole page once."""
    stand.cycle()
    stand.vk.add_user(1, "Анна", "Смирнова")
    for n in range(30):
        stand.vk.post_wall_comment(10, 1, f"Сообщение {n}")
    real_add, calls = type(stand.app.store).add, []

    def add(store, case, *args, **kwargs):
        calls.append(case.id)
        if len(calls) == 20:
            raise SystemExit("killed")
        real_add(store, case, *args, **kwargs)
    monkeypatch.setattr(type(stand.app.store), "add", add)
    with pytest.raises(SystemExit):
        stand.app.take_channels(stand.now)
    monkeypatch.setattr(type(stand.app.store), "add", real_add)
    assert stand.cases() == []
    stand.cycle()
    assert [c.text for c in stand.cases()] == [f"Сообщение {n}" for n in range(30)]
    assert len({c.id for c in stand.cases()}) == 30


@pytest.mark.skipif(not on_postgres(), reason="round trips are PostgreSQL's (run with --store=postgresql)")
def test_a_page_costs_a_few_round_trips_not_a_few_per_message(stand):
    from bridge.storage import pg
    stand.cycle()
    stand.vk.add_user(1, "Анна", "Смирнова")
    for n in range(300):
        stand.vk.post_wall_comment(10, 1, f"Сообщение {n}: яма у дома")
    before = dict(pg.SENT)
    created = sum(stand.app.take_channels(stand.now) for _ in range(3))
    trips = pg.SENT["round_trips"] - before["round_trips"]
    assert created == 300
    # Per page of 100 about 8 (the cursor, the read-ahead, the counter, the commit), for three
    # channels' checks: 39 here. One item at a time it was ~5 a message, 1,500.
    assert trips <= 60, trips


def test_batches_keep_the_order_of_the_page():
    items = list(range(7))
    alone = {2, 3}
    got = list(intake._batches(items, lambda item: item in alone))
    assert got == [([0, 1], True), ([2], False), ([3], False), ([4, 5, 6], True)]
    many = list(intake._batches(list(range(2 * intake.BATCH + 1)), lambda item: False))
    assert [len(b) for b, _ in many] == [intake.BATCH, intake.BATCH, 1]
