"""A message from each of the six places becomes one case, is routed, answered by email,
approved, and the answer appears exactly once where the citizen wrote (п. 3.1–3.4, SPEC §8)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e_channels.sources import SOURCES, publications, subset

QUESTION = "Третий день нет отопления в доме по ул. Ленина, 5. Батареи холодные!"
ANSWER = "Подача тепла в дом № 5 по ул. Ленина восстановлена 28.11 в 14:00."


def test_all_six_at_once_are_six_cases(stand):
    for number, source in enumerate(SOURCES):
        source.write(stand, f"{QUESTION} (сообщение {number})")
    assert stand.cycle().new_cases == 6
    assert stand.cycle().new_cases == 0
    cases = stand.cases()
    assert sorted((c.channel, c.kind, c.public) for c in cases) == \
        sorted((s.channel, s.kind, s.public) for s in SOURCES)
    assert len({c.id for c in cases}) == 6


@pytest.mark.parametrize("source", SOURCES, ids=str)
def test_one_case_routed_answered_published_once(stand, source):
    written = source.write(stand, QUESTION)
    stand.cycle()
    stand.cycle()
    [case] = stand.cases()
    assert (case.channel, case.kind, case.public, case.author_name, case.text) == \
        (source.channel, source.kind, source.public, source.author, QUESTION)
    row = stand.ledger_row(case.id)
    assert (row["Статус"], row["Текст сообщения"]) == ("Новое", QUESTION)

    stand.take_to_review(case, ANSWER)
    assert publications(stand, source) == []
    stand.operator(case.id, Решение_оператора="Опубликовать")
    stand.cycle()

    expected = source.expected(stand, written, ANSWER)
    [entry] = publications(stand, source)
    assert subset(entry, expected) == expected
    assert stand.app.store.get(case.id).status == "Опубликовано"
    for _ in range(2):
        stand.cycle(timedelta(hours=1))
    assert len(stand.published()) == 1
    assert stand.ledger_row(case.id)["Статус"] == "Опубликовано"
    assert len(stand.cases()) == 1
