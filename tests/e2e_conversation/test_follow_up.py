"""The citizen writes again (issue 11): a reply under our published answer, or a new message in
the same private dialogue, is a new case linked to the earlier one. The operator sees the link
in «Подсказка» and «Примечание системы» (SPEC §5 fixes the columns); the department's mail for
the follow-up shows the earlier exchange."""

from __future__ import annotations

import pytest

from tests.e2e_channels.sources import SOURCES
from tests.e2e_conversation.conftest import parsed, plain

QUESTION = "Третий день нет отопления в доме по ул. Ленина, 5. Батареи холодные!"
ANSWER = "Подача тепла в дом № 5 по ул. Ленина восстановлена 28.11 в 14:00."
AGAIN = "Снова холодно в квартире, уже вечер"


def _vk_reply(stand, written, text):
    ours = [e for e in stand.vk.published if e["method"] == "wall.createComment"][-1]
    stand.vk.post_wall_comment(written["post"], 1, text, reply_to=ours["id"])


def _tg_reply(stand, written, text):
    ours = stand.tg.published[-1]
    stand.tg.comment(written["thread"], stand.tg.user(8, "Гость"), text, reply_to=ours["message_id"])


def _ok_reply(stand, written, text):
    ours = stand.ok.published[-1]
    stand.ok.post_comment(written["topic"], "501", "Пётр Н.", text, reply_to=ours["id"])


# How each citizen of tests/e2e_channels/sources.py writes again: under our answer (VK
# `reply_to_comment`, Telegram `reply_to_message`, OK `reply_to_comment_id`) or in the same dialogue.
AGAIN_BY_SOURCE = {
    "vk-wall-comment": _vk_reply,
    "vk-dm": lambda stand, written, text: stand.vk.send_dm(2, text),
    "telegram-comment": _tg_reply,
    "telegram-dm": lambda stand, written, text: stand.tg.send_dm(stand.tg.user(7, "Ирина"), text),
    "ok-comment": _ok_reply,
    "ok-group-message": lambda stand, written, text: stand.ok.send_group_message("502", "Мария Л.", text),
}


def answered_and_published(stand, source):
    written = source.write(stand, QUESTION)
    stand.cycle()
    first = stand.take_to_review(stand.case_with("отопления"), ANSWER)
    stand.operator(first.id, Решение_оператора="Опубликовать")
    stand.cycle()
    assert stand.ledger_row(first.id)["Статус"] == "Опубликовано"
    return written, first


@pytest.mark.parametrize("source", SOURCES, ids=str)
def test_follow_up_is_linked_and_the_department_sees_the_earlier_exchange(stand, source):
    written, first = answered_and_published(stand, source)

    AGAIN_BY_SOURCE[source.name](stand, written, AGAIN)
    assert stand.cycle().new_cases == 1
    second = stand.case_with(AGAIN)
    assert second.linked_to == first.id
    row = stand.ledger_row(second.id)
    assert row["Подсказка"].startswith(f"Связано с {first.id}.")
    assert f"связано с обращением {first.id} (ответ опубликован)" in row["Примечание системы"]
    assert stand.ledger_row(first.id)["Статус"] == "Опубликовано"     # the earlier case stays closed

    stand.route(second.id)
    stand.cycle()
    [mail] = stand.mails_for(second.id)
    text = plain(parsed(mail))
    earlier = text[text.index("Ранее по этому вопросу"):]
    assert f"[{first.id}]" in earlier
    assert QUESTION in earlier and ANSWER in earlier and "Опубликованный ответ" in earlier
    assert AGAIN in text[:text.index("Ранее по этому вопросу")]      # the new message comes first
    html = parsed(mail).get_body(("html",)).get_content()
    assert "Ранее по этому вопросу" in html and first.id in html


def test_a_new_comment_and_another_citizen_are_not_linked(stand):
    vk_comment = SOURCES[0]
    written, first = answered_and_published(stand, vk_comment)
    stand.vk.post_wall_comment(written["post"], 1, "Новая тема: не горит фонарь у школы")   # no reply_to
    stand.vk.add_user(3, "Борис", "Ли")
    ours = [e for e in stand.vk.published if e["method"] == "wall.createComment"][-1]
    stand.vk.post_wall_comment(written["post"], 3, "У нас в доме тоже холодно", reply_to=ours["id"])
    stand.vk.add_user(4, "Вера", "Ан")
    stand.vk.send_dm(4, "Когда дадут тепло на Советской?")
    assert stand.cycle().new_cases == 3
    assert stand.case_with("фонарь").linked_to == ""
    # Someone else's reply under our answer continues that conversation too: linked, not merged.
    assert stand.case_with("тоже холодно").linked_to == first.id
    assert stand.case_with("Советской").linked_to == ""


def test_a_dm_while_the_first_is_still_open_links_to_it_and_the_mail_says_no_answer_yet(stand):
    stand.vk.add_user(2, "Олег", "Ким")
    stand.vk.send_dm(2, QUESTION)
    stand.cycle()
    first = stand.case_with("отопления")
    stand.vk.send_dm(2, AGAIN)
    stand.vk.send_dm(2, "И горячей воды нет")
    stand.cycle()
    second, third = stand.case_with(AGAIN), stand.case_with("горячей воды")
    assert (second.linked_to, third.linked_to) == (first.id, second.id)
    assert "ответа ещё нет" in stand.ledger_row(second.id)["Примечание системы"]
    stand.route(third.id)
    stand.cycle()
    [mail] = stand.mails_for(third.id)
    earlier = plain(parsed(mail)).split("Ранее по этому вопросу", 1)[1]
    assert earlier.index(AGAIN) < earlier.index(QUESTION)            # newest first, the whole chain
    assert earlier.count("Ответа ещё не было.") == 2


def test_a_repeat_explanation_for_a_follow_up_names_the_earlier_case(stand):
    written, first = answered_and_published(stand, SOURCES[0])
    _vk_reply(stand, written, AGAIN)
    stand.cycle()
    second = stand.case_with(AGAIN)
    stand.operator(second.id, Основание="повторный вопрос", Решение_оператора="Разъяснение")
    stand.cycle()
    draft = stand.ledger_row(second.id)["Текст для публикации"]
    assert f"№ {first.id}" in draft                                   # п. 3.7: the earlier answer named
