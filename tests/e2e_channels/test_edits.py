"""A citizen edits the message: the case text follows, the old text stays in the history, and it
is still one case (SPEC §1 step 1)."""

from __future__ import annotations

import pytest

from tests.e2e_channels.sources import SOURCES

BY_NAME = {source.name: source for source in SOURCES}
BEFORE = "Яма на дороге у дома по ул. Дзержинского, 3"
AFTER = "Яма на дороге у дома по ул. Дзержинского, 3 — уже две ямы, машины бьют подвеску"

# source → how the citizen edits what `write` produced
EDITS = {
    "vk-wall-comment": lambda s, w: s.vk.edit_wall_comment(w["post"], w["comment"], 1, AFTER),
    "vk-dm": lambda s, w: s.vk.edit_dm(2, w["message"], AFTER),
    "telegram-dm": lambda s, w: s.tg.edit_dm(s.tg.user(7, "Ирина"), w["message"], AFTER),
}


@pytest.mark.parametrize("name", EDITS)
def test_edit_updates_the_case_and_keeps_the_old_text(stand, name):
    written = BY_NAME[name].write(stand, BEFORE)
    stand.cycle()
    [case] = stand.cases()
    EDITS[name](stand, written)
    stand.cycle()
    stand.cycle()

    [edited] = stand.cases()
    assert (edited.id, edited.text) == (case.id, AFTER)
    changes = [(r["old"], r["new"]) for r in stand.app.store.history(case.id) if r["field"] == "text"]
    assert changes == [(BEFORE, AFTER)]
    row = stand.ledger_row(case.id)
    assert row["Текст сообщения"] == AFTER
    assert "изменил сообщение" in row["Примечание системы"]


def test_edit_after_a_refused_publication_keeps_the_reason(stand):
    """The row must still say why the answer was not published (SPEC §1 step 7)."""
    written = BY_NAME["telegram-dm"].write(stand, BEFORE)
    stand.cycle()
    case = stand.take_to_review(stand.case_with("Дзержинского"), "Яму засыплют до 5 декабря.")
    stand.tg.blocked.add(7)
    stand.operator(case.id, Решение_оператора="Опубликовать")
    stand.cycle()
    EDITS["telegram-dm"](stand, written)
    stand.cycle()
    row = stand.ledger_row(case.id)
    assert (row["Статус"], row["Текст сообщения"]) == ("Ошибка публикации", AFTER)
    assert "пользователь заблокировал бота" in row["Примечание системы"]
    assert "изменил сообщение" in row["Примечание системы"]
