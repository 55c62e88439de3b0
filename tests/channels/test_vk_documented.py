"""VK as dev.vk.com and the VK API JSON schema define it: Long Poll settings, the community's
own comments, hostile events, random_id, captcha, rate limits, a restart, check-config."""

import json

import pytest

from bridge.channels import vk as vk_module
from bridge.channels.base import random_id_from_key
from bridge.channels.vk import VkChannel
from bridge.channels.vk_checks import diagnose
from bridge.core.errors import PermanentError, TransientError
from standins.vk_api import FakeVk


@pytest.fixture
def cursor(vk):
    return vk.fetch(None)[1]


def test_long_poll_is_switched_on_with_our_version_and_event_types():
    with FakeVk(long_poll_enabled=False) as fake:
        channel = VkChannel(fake.group_id, fake.token, fake.api_url, min_interval=0)
        _, cursor = channel.fetch(None)
        assert fake.long_poll["is_enabled"] and fake.long_poll["api_version"] == "5.199"
        assert all(fake.long_poll["events"][e] for e in ("wall_reply_new", "photo_comment_delete",
                                                        "board_post_restore", "message_edit"))
        fake.post_wall_comment(10, 5, "после включения")
        assert [i.text for i in channel.fetch(cursor)[0]] == ["после включения"]


def test_without_the_manage_right_the_settings_are_reported_not_guessed():
    with FakeVk(long_poll_enabled=False) as fake:
        fake.rights.discard("manage")
        channel = VkChannel(fake.group_id, fake.token, fake.api_url, min_interval=0)
        channel.fetch(None)
        assert "Long Poll API выключен" in channel.long_poll_problem
        problems = {what: p for what, p, _ in diagnose(channel) if p}
        assert "Long Poll API выключен" in problems["Long Poll API"]
        assert "управление сообществом" in problems["права ключа сообщества"]


def test_check_config_names_each_feature_and_its_token(fake_vk, vk):
    lines = diagnose(vk)
    assert all(problem == "" for _, problem, _ in lines), lines
    alone = VkChannel(fake_vk.group_id, fake_vk.token, fake_vk.api_url, min_interval=0)
    notes = {what: note for what, _, note in diagnose(alone)}
    assert "без него запись на стене не публикуется" in notes["Информационные сообщения на стене (wall.post)"]
    fake_vk.admins.clear()
    problems = {what: p for what, p, _ in diagnose(vk) if p}
    assert "не администратор" in problems["ключ администратора (user_token_env)"]


def test_a_user_token_in_place_of_the_community_token_is_named(fake_vk):
    swapped = VkChannel(fake_vk.group_id, fake_vk.user_token, fake_vk.api_url, min_interval=0)
    problems = {what: p for what, p, _ in diagnose(swapped) if p}
    assert "ключ доступа сообщества" in problems["права ключа сообщества"]


def test_the_communitys_own_comments_and_messages_are_not_cases(fake_vk, vk, cursor):
    fake_vk.post_wall_comment(10, -fake_vk.group_id, "наш опубликованный ответ")
    fake_vk.push_event("message_new", {"message": {"id": 1, "date": 1700000000, "peer_id": 5, "from_id": -100,
                                                   "out": 1, "text": "наш ответ", "conversation_message_id": 3}})
    fake_vk.post_wall_comment(10, 5, "гражданин")
    assert [i.text for i in vk.fetch(cursor)[0]] == ["гражданин"]


def test_delete_and_restore_of_photo_and_board_comments(fake_vk, vk, cursor):
    cid = fake_vk.post_photo_comment(3, 5, "к фото")
    fake_vk.delete_photo_comment(3, cid, 5)
    bid = fake_vk.post_board_comment(6, 5, "в обсуждении")
    fake_vk.delete_board_comment(6, bid)
    items, _ = vk.fetch(cursor)
    assert [(i.event, i.external_id) for i in items] == [
        ("new", f"photo_comment:-100_3_{cid}"), ("delete", f"photo_comment:-100_3_{cid}"),
        ("new", f"board_comment:-100_6_{bid}"), ("delete", f"board_comment:-100_6_{bid}")]


def test_hostile_events_are_set_aside_and_the_rest_is_taken(fake_vk, vk, cursor):
    """Issue 10: `attachments: [null]` and events that break the documented shape."""
    fake_vk.post_wall_comment(10, 5, "с пустым вложением", attachments=[None, {"type": "photo", "photo": None}])
    fake_vk.push_raw({"type": "wall_reply_new", "object": None, "event_id": "e1"})
    fake_vk.push_raw({"type": "wall_reply_new", "object": {"id": "7", "post_id": 10, "owner_id": -100,
                                                           "from_id": 5, "text": "т"}, "event_id": "e2"})
    fake_vk.push_raw({"type": "message_new", "object": {"message": {"peer_id": 5, "conversation_message_id": 9,
                                                                    "from_id": 5, "date": "вчера", "text": "т"}},
                      "event_id": "e3"})
    fake_vk.push_raw(["не", "объект"])
    fake_vk.post_wall_comment(10, 5, "\ud800" + "я" * 100_000)      # a lone surrogate, a huge text
    items, new_cursor = vk.fetch(cursor)
    taken = [i for i in items if not i.set_aside]
    aside = [i for i in items if i.set_aside]
    assert [i.text[:18] for i in taken] == ["с пустым вложением", "\ufffd" + "я" * 17]
    assert taken[0].attachments == ()
    assert [a.external_id for a in aside[:3]] == ["invalid:e1", "invalid:e2", "invalid:e3"]
    assert "object" in aside[0].reason and "id" in aside[1].reason and "время" in aside[2].reason
    assert json.loads(aside[3].raw) == ["не", "объект"]
    assert json.loads(new_cursor)["ts"] == str(len(fake_vk.events))
    assert vk.fetch(new_cursor)[0] == []


def test_random_id_uses_the_whole_int32_range_and_is_stable():
    values = [random_id_from_key(f"OKH-2026-{n:05d}/publish") for n in range(20_000)]
    assert values == [random_id_from_key(f"OKH-2026-{n:05d}/publish") for n in range(20_000)]
    assert all(-2**31 <= v < 2**31 and v != 0 for v in values)
    assert min(values) < -2**30 and max(values) > 2**30
    assert random_id_from_key("\ud800") != 0


def test_a_colliding_random_id_is_resent_not_silently_taken_as_sent(fake_vk, vk, monkeypatch):
    """VK keeps one message per random_id and sender: a second answer under the same id would
    return the first answer's message id. The reply is read back and resent under the next id."""
    real = vk_module.random_id_from_key
    monkeypatch.setattr(vk_module, "random_id_from_key", lambda key: 77 if "#" not in key else real(key))
    vk.publish_reply({"method": "messages.send", "peer_id": 5}, "Первому", [], "OKH-1/p")
    vk.publish_reply({"method": "messages.send", "peer_id": 6}, "Второму", [], "OKH-2/p")
    assert [(e["peer_id"], e["message"]) for e in fake_vk.published] == [("5", "Первому"), ("6", "Второму")]


def test_captcha_is_a_permanent_error_not_an_endless_retry(fake_vk, vk):
    fake_vk.fail_next("messages.send", 14)
    with pytest.raises(PermanentError, match="капч"):
        vk.publish_reply({"method": "messages.send", "peer_id": 5}, "т", [], "k")
    assert sum(1 for m, _ in fake_vk.calls if m == "messages.send") == 1


def test_the_admin_token_keeps_to_three_requests_a_second(fake_vk):
    fake_vk.rate_limits = True
    paced = VkChannel(fake_vk.group_id, fake_vk.token, fake_vk.api_url, user_token=fake_vk.user_token,
                      min_interval=0)
    for n in range(5):
        paced.publish_reply({"method": "board.createComment", "group_id": 100, "topic_id": 6}, "т", [], f"k{n}")
    hurried = VkChannel(fake_vk.group_id, fake_vk.token, fake_vk.api_url, user_token=fake_vk.user_token,
                        min_interval=0, user_min_interval=0)
    with pytest.raises(TransientError, match="слишком много запросов"):
        for n in range(5):
            hurried.publish_reply({"method": "board.createComment", "group_id": 100, "topic_id": 6}, "т", [], f"h{n}")


def test_a_stand_in_restart_delays_intake_and_loses_nothing(fake_vk, vk, cursor):
    fake_vk.post_wall_comment(10, 5, "до перерыва")
    fake_vk.stop()
    with pytest.raises(TransientError):
        vk.fetch(cursor)
    fake_vk.restart()
    fake_vk.post_wall_comment(10, 5, "после")
    items, _ = vk.fetch(cursor)
    assert [i.text for i in items] == ["до перерыва", "после"]


def test_unknown_method_and_missing_version_are_refused_as_vk_does(fake_vk):
    assert fake_vk.call("discussions.comment", {"access_token": fake_vk.token, "v": "5.199"})[1]["error"]["error_code"] == 3
    assert fake_vk.call("users.get", {"access_token": fake_vk.token})[1]["error"]["error_code"] == 8
    body = fake_vk.call("messages.send", {"access_token": fake_vk.token, "v": "5.199", "peer_id": "5",
                                          "message": "т", "random_id": str(2**31)})[1]
    assert body["error"]["error_code"] == 100 and "random_id" in body["error"]["error_msg"]


def test_an_author_id_vk_refuses_does_not_stop_the_channel(fake_vk, vk, cursor):
    fake_vk.post_wall_comment(10, 2**64, "странный автор")
    fake_vk.post_wall_comment(10, 5, "обычный автор")
    items, cursor = vk.fetch(cursor)
    assert [(i.text, i.author_name) for i in items] == [("странный автор", f"id{2**64}"),
                                                       ("обычный автор", "Иван Петров")]
    fake_vk.fail_next("users.get", 113)       # VK refusing the names call altogether
    fake_vk.post_wall_comment(10, 5, "в следующей пачке")
    assert [(i.text, i.author_name) for i in vk.fetch(cursor)[0]] == [("в следующей пачке", "id5")]
