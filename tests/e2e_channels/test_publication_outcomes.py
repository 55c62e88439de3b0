"""An informational answer reaches the site section and the official pages (п. 3.5); a publication
the network refuses for good shows in the row and reaches the operator (SPEC §1 step 7)."""

from __future__ import annotations

from bridge.core.model import Status

import html
import json
from datetime import timedelta

import pytest

from tests.e2e_channels.sources import SOURCES, publications, subset

BY_NAME = {source.name: source for source in SOURCES}
QUESTION = "Подскажите режим работы городской библиотеки в праздничные дни?"
ANSWER = "Библиотека работает 31 декабря с 10:00 до 15:00; абонемент & читальный зал — по записи <до 20 человек>."


def test_informational_answer_on_site_feed_and_pages(stand):
    source = BY_NAME["telegram-dm"]
    written = source.write(stand, QUESTION)
    stand.cycle()
    case = stand.take_to_review(stand.case_with("библиотеки"), ANSWER,
                                Отдел="Отдел культуры, спорта и молодёжной политики", Информационный="да")
    assert not (stand.app.config.site_dir / "index.html").exists()
    stand.operator(case.id, Решение_оператора="Опубликовать")
    stand.cycle()

    dialogue, channel_post = stand.tg.published
    expected = source.expected(stand, written, ANSWER)
    assert subset(dialogue, expected) == expected                   # п. 3.4: in the same dialogue
    assert (channel_post["chat_id"], channel_post["text"]) == (stand.tg.channel_id, ANSWER)
    [wall_post] = stand.vk.published
    assert subset(wall_post, {"method": "wall.post", "owner_id": str(-stand.vk.group_id),
                              "from_group": "1", "message": ANSWER}) == \
        {"method": "wall.post", "owner_id": str(-stand.vk.group_id), "from_group": "1", "message": ANSWER}
    [topic] = stand.ok.published
    assert (topic["method"], topic["gid"], topic["attachment"]) == \
        ("mediatopic.post", stand.ok.group_id, {"media": [{"type": "text", "text": ANSWER}],
                                                 "onBehalfOfGroup": "true"})

    escaped = html.escape(ANSWER, quote=False)
    assert "&amp;" in escaped and "&lt;" in escaped
    for page in ("index.html", "rss.xml"):
        content = (stand.app.config.site_dir / page).read_text(encoding="utf-8")
        assert escaped in content, page
        assert ANSWER not in content, f"{page}: the answer must be HTML-escaped"
        assert case.id in content
    assert stand.ledger_row(case.id)["Статус"] == "Опубликовано"

    for _ in range(2):
        stand.cycle(timedelta(hours=1))
    assert len(stand.published()) == 4                               # reply + three official posts
    rss = (stand.app.config.site_dir / "rss.xml").read_text(encoding="utf-8")
    assert rss.count("<item>") == 1


# source, what goes wrong, the reason the operator must read, how the cause is removed (or None)
PERMANENT = [
    ("vk-dm", lambda s, w: s.vk.denied_messages.add(2), "не разрешил сообщения от сообщества",
     lambda s, w: s.vk.denied_messages.discard(2)),
    ("telegram-dm", lambda s, w: s.tg.blocked.add(7), "пользователь заблокировал бота",
     lambda s, w: s.tg.blocked.discard(7)),
    ("vk-wall-comment", lambda s, w: s.vk.delete_wall_comment(w["post"], w["comment"]),
     "комментарий, на который нужно ответить, удалён", None),
    ("ok-comment", lambda s, w: s.ok.delete_comment(w["comment"]),
     "комментарий или обсуждение, на которое нужно ответить, удалено", None),
]


@pytest.mark.parametrize("name, refuse, reason, repair", PERMANENT, ids=[p[0] for p in PERMANENT])
def test_permanent_refusal_reaches_row_and_operator(stand, name, refuse, reason, repair):
    source = BY_NAME[name]
    written = source.write(stand, "Прошу ответить: " + QUESTION)
    stand.cycle()
    case = stand.take_to_review(stand.case_with("библиотеки"), ANSWER)
    refuse(stand, written)
    stand.operator(case.id, Решение_оператора="Опубликовать")
    stand.cycle()

    assert publications(stand, source) == []
    row = stand.ledger_row(case.id)
    assert row["Статус"] == "Ошибка публикации"
    assert "Ошибка публикации" in row["Примечание системы"] and reason in row["Примечание системы"]
    alerts = [a for a in stand.app.store.unreported_alerts() if a["case_id"] == case.id]
    assert [a["kind"] for a in alerts] == ["failure"] and reason in alerts[0]["text"]
    for _ in range(2):                                               # no retry of a refusal
        stand.cycle(timedelta(hours=2))
    assert publications(stand, source) == []
    assert stand.app.store.get(case.id).status == Status.PUBLISH_FAILED

    if repair is None:
        return
    repair(stand, written)                                           # the cause is removed:
    stand.operator(case.id, Решение_оператора="Опубликовать")        # a new decision publishes
    stand.cycle()
    expected = source.expected(stand, written, ANSWER)
    assert [subset(entry, expected) for entry in publications(stand, source)] == [expected]
    assert stand.ledger_row(case.id)["Статус"] == "Опубликовано"
