"""A message from each of the six places becomes one case, is routed, answered by email,
approved, and the answer appears exactly once where the citizen wrote (п. 3.1–3.4, SPEC §8),
also when the network failed on the first try."""

from __future__ import annotations

from bridge.core.model import Status

from datetime import timedelta

import pytest

from tests.e2e_channels.sources import SOURCES, publications, subset

QUESTION = "Третий день нет отопления в доме по ул. Ленина, 5. Батареи холодные!"
ANSWER = "Подача тепла в дом № 5 по ул. Ленина восстановлена 28.11 в 14:00."


def outbox_item(stand, case_id: str, kind: str = "publish") -> dict:
    rows = stand.app.store.db.execute(
        "SELECT state, attempts, last_error FROM outbox WHERE case_id = ? AND kind = ?", (case_id, kind))
    [row] = [dict(r) for r in rows]
    return row


def test_six_places_six_cases_each_answered_once_in_its_place(stand):
    written = [source.write(stand, f"{QUESTION} (место {n})") for n, source in enumerate(SOURCES)]
    assert stand.cycle().new_cases == 6
    assert stand.cycle().new_cases == 0                  # the same items seen again: still six
    cases = [stand.case_with(f"(место {n})") for n in range(len(SOURCES))]
    for case, source in zip(cases, SOURCES):
        assert (case.channel, case.kind, case.public, case.author_name) == \
            (source.channel, source.kind, source.public, source.author)
        assert (stand.ledger_row(case.id)["Статус"], stand.ledger_row(case.id)["Канал"]) == \
            ("Новое", case.channel_label)

    for case in cases:
        stand.route(case.id)
    stand.cycle()
    for n, case in enumerate(cases):
        stand.department_answers(case.id, f"{ANSWER} (ответ {n})")
    assert stand.cycle().replies == 6
    assert stand.published() == []
    for case in cases:
        stand.operator(case.id, Решение_оператора="Опубликовать")
    assert stand.cycle().sent == 6

    for n, (source, ids) in enumerate(zip(SOURCES, written)):
        expected = source.expected(stand, ids, f"{ANSWER} (ответ {n})")
        assert [subset(entry, expected) for entry in publications(stand, source)
                if f"(ответ {n})" in str(entry)] == [expected], source.name
    for _ in range(2):
        stand.cycle(timedelta(hours=1))
    assert len(stand.published()) == 6
    assert len(stand.cases()) == 6
    assert {stand.ledger_row(case.id)["Статус"] for case in cases} == {"Опубликовано"}


@pytest.mark.parametrize("source", SOURCES, ids=str)
def test_network_fails_first_then_published_once(stand, source):
    written = source.write(stand, QUESTION)
    stand.cycle()
    case = stand.take_to_review(stand.case_with("отопления"), ANSWER)
    getattr(stand, source.fake).fail_next(source.method, source.transient)
    stand.operator(case.id, Решение_оператора="Опубликовать")

    report = stand.cycle()
    assert report.sent == 0
    assert publications(stand, source) == []
    assert stand.app.store.get(case.id).status == Status.ANSWERED
    assert stand.ledger_row(case.id)["Статус"] == "Ответ получен"
    pending = outbox_item(stand, case.id)
    assert (pending["state"], pending["attempts"]) == ("pending", 1)
    assert stand.app.store.unreported_alerts() == []      # one failed try is no alarm yet

    stand.cycle(timedelta(minutes=10))
    expected = source.expected(stand, written, ANSWER)
    [entry] = publications(stand, source)
    assert subset(entry, expected) == expected
    assert outbox_item(stand, case.id)["state"] == "done"
    for _ in range(3):
        stand.cycle(timedelta(minutes=30))
    assert stand.published() == [entry]
    assert stand.ledger_row(case.id)["Статус"] == "Опубликовано"


@pytest.mark.parametrize("source", [s for s in SOURCES if s.fake == "vk"], ids=str)
def test_answer_lost_on_the_way_back_is_not_doubled(stand, source):
    """VK did the work but the answer was lost (HTTP 502): the retry carries the same
    idempotency key (`guid` / `random_id`), so the citizen sees one reply."""
    written = source.write(stand, QUESTION)
    stand.cycle()
    case = stand.take_to_review(stand.case_with("отопления"), ANSWER)
    stand.vk.fail_next(source.method, "lost_response")
    stand.operator(case.id, Решение_оператора="Опубликовать")
    stand.cycle()
    assert outbox_item(stand, case.id)["state"] == "pending"
    stand.cycle(timedelta(minutes=10))
    stand.cycle(timedelta(minutes=10))
    expected = source.expected(stand, written, ANSWER)
    [entry] = stand.published()
    assert subset(entry, expected) == expected
    assert stand.app.store.get(case.id).status == Status.PUBLISHED
    assert len([call for call in stand.vk.calls if call[0] == source.method]) == 2
