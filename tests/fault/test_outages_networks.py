"""Social network outages (issue 6, SPEC §8): VK, Telegram and OK answering late (the client's
timeout), with 5xx for a long time, or reading new messages failing. The publication is retried
later and happens exactly once; a long outage reaches the operator; the other networks go on.
(5xx and rate limits on the first try, per place, are in tests/e2e_channels/test_path.py.)
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

import bridge.channels.ok
import bridge.channels.telegram
import bridge.channels.vk
from bridge.core.model import Status
from bridge.steps.reminders import digest_context
from tests.e2e_channels.sources import SOURCES, publications, subset

BY_NAME = {source.name: source for source in SOURCES}
QUESTION = "Когда отремонтируют освещение во дворе дома по ул. Ленина, 5?"
ANSWER = "Освещение во дворе дома № 5 по ул. Ленина восстановят до 5 декабря."
CLIENT_TIMEOUT = (2.0, 0.3)
SERVER_DELAY = 1.0


@pytest.fixture
def short_timeouts(monkeypatch):
    for module in (bridge.channels.vk, bridge.channels.telegram, bridge.channels.ok):
        monkeypatch.setattr(module, "HTTP_TIMEOUT", CLIENT_TIMEOUT)


def answer_late(fake, entry: str, method: str, does_the_work: bool) -> None:
    """The next `method` call answers after the client gave up; the work is done or not."""
    real, armed = getattr(fake, entry), [True]

    def late(*args):
        name = args[0] if entry == "call" else args[0].get("method")
        if not (armed[0] and name == method):
            return real(*args)
        armed[0] = False
        if does_the_work:
            result = real(*args)
            time.sleep(SERVER_DELAY)
            return result
        time.sleep(SERVER_DELAY)
        return 504, {}
    setattr(fake, entry, late)


def publish_item(stand, case_id: str) -> dict:
    [row] = stand.app.store.db.execute(
        "SELECT state, attempts, next_at FROM outbox WHERE case_id = ? AND kind = 'publish'", (case_id,))
    return dict(row)


LATE = [   # place, fake entry point, call, is the work done before the late answer
    ("vk-wall-comment", "call", "wall.createComment", True),     # guid: the retry is recognised
    ("vk-dm", "call", "messages.send", True),                    # random_id: the same
    ("telegram-dm", "call", "sendMessage", False),
    ("ok-comment", "rest", "discussions.addDiscussionComment", False),
]


@pytest.mark.parametrize("name, entry, method, done", LATE, ids=[f"{p[0]}" for p in LATE])
def test_network_answering_too_late_is_retried_and_published_once(stand, short_timeouts, name, entry, method, done):
    source = BY_NAME[name]
    written = source.write(stand, QUESTION)
    stand.cycle()
    case = stand.take_to_review(stand.case_with("освещение"), ANSWER)
    answer_late(getattr(stand, source.fake), entry, method, done)
    stand.operator(case.id, Решение_оператора="Опубликовать")
    started = time.monotonic()
    stand.cycle()
    assert time.monotonic() - started < SERVER_DELAY + 5
    assert publish_item(stand, case.id)["state"] == "pending"
    assert stand.app.store.get(case.id).status == Status.ANSWERED
    time.sleep(SERVER_DELAY)                                     # the late answer is over
    for _ in range(3):
        stand.cycle(timedelta(minutes=10))
    expected = source.expected(stand, written, ANSWER)
    assert [subset(e, expected) for e in publications(stand, source)] == [expected]
    assert stand.app.store.get(case.id).status == Status.PUBLISHED


def test_long_5xx_outage_waits_tells_the_operator_and_publishes_once(stand):
    ok_source, vk_source = BY_NAME["ok-group-message"], BY_NAME["vk-dm"]
    ok_source.write(stand, QUESTION)
    stand.cycle()
    blocked = stand.take_to_review(stand.case_with("освещение"), ANSWER)
    for _ in range(6):
        stand.ok.fail_next("graph.messages", 500)
    stand.operator(blocked.id, Решение_оператора="Опубликовать")
    stand.cycle()
    vk_source.write(stand, "Прошу убрать снег у школы № 2.")   # VK keeps working meanwhile
    stand.cycle()
    other = stand.take_to_review(stand.case_with("снег"), "Снег у школы уберут сегодня.")
    stand.operator(other.id, Решение_оператора="Опубликовать")
    stand.cycle()
    assert stand.app.store.get(other.id).status == Status.PUBLISHED

    for attempt in range(2, 8):
        item = publish_item(stand, blocked.id)
        assert (item["state"], item["attempts"]) == ("pending", attempt - 1)
        stand.now = datetime.fromisoformat(item["next_at"])
        stand.cycle(timedelta(0))
    assert publish_item(stand, blocked.id)["state"] == "done"
    assert len(stand.ok.published) == 1
    alerts = stand.app.store.db.execute("SELECT * FROM alerts WHERE kind = 'outage'").fetchall()
    assert [a["case_id"] for a in alerts] == [blocked.id]
    assert [e["case_id"] for e in digest_context(stand.app.store, stand.app.config, stand.now, alerts)["publication_errors"]] == [blocked.id]
    for _ in range(2):
        stand.cycle(timedelta(hours=1))
    assert len(stand.ok.published) == 1
    assert stand.app.store.get(blocked.id).status == Status.PUBLISHED


def test_reading_a_network_failing_delays_its_messages_only(stand):
    stand.tg.fail_next("getUpdates", 500)
    stand.tg.fail_next("getUpdates", 429)
    BY_NAME["telegram-dm"].write(stand, "Telegram: " + QUESTION)
    BY_NAME["vk-wall-comment"].write(stand, "VK: " + QUESTION)
    report = stand.cycle()
    assert [c.channel for c in stand.cases()] == ["vk"]          # VK went on
    assert report.new_cases == 1
    alerts = stand.app.store.db.execute("SELECT text FROM alerts WHERE kind = 'outage'").fetchall()
    assert alerts and alerts[0]["text"].startswith("telegram")
    stand.cycle(timedelta(minutes=1))                            # 429 this time
    stand.cycle(timedelta(minutes=1))
    for _ in range(2):
        stand.cycle(timedelta(minutes=1))
    assert sorted(c.channel for c in stand.cases()) == ["telegram", "vk"]
    assert len(stand.cases()) == 2
