"""The OK adapter against the OK REST/Bot API stand-in."""

import pytest

from bridge.channels.ok import OkChannel
from bridge.core.errors import PermanentError, TransientError
from standins.ok_api import signature


def test_signature_follows_ok_rules():
    params = {"method": "users.getCurrentUser", "application_key": "K", "format": "json"}
    ok = OkChannel("1", "tok", "K", "sec")
    assert ok.sign(params) == signature(params, "tok", "sec")
    assert len(ok.sign(params)) == 32 and ok.sign(params) == ok.sign(params).lower()


def test_group_comment_and_message(fake_ok, ok):
    topic = fake_ok.add_topic()
    cid = fake_ok.post_comment(topic, "77", "Пётр Сидоров", "Нет света")
    mid = fake_ok.send_group_message("78", "Анна Ким", "Вопрос в личку")
    comment, message = ok.fetch(None)[0]
    assert comment.external_id == f"comment:{topic}_{cid}"
    assert (comment.kind, comment.public, comment.author_name) == ("Комментарий", True, "Пётр Сидоров")
    assert comment.author_link == "https://ok.ru/profile/77" and comment.posted_at.tzinfo is not None
    assert message.external_id == f"message:chat:C78_{mid}"
    assert (message.kind, message.public, message.author_name) == ("Личное сообщение", False, "Анна Ким")


def test_restart_with_saved_cursor_loses_nothing(fake_ok, ok):
    topic = fake_ok.add_topic()
    fake_ok.post_comment(topic, "77", "П", "первый")
    first, saved = ok.fetch(None)
    fake_ok.post_comment(topic, "77", "П", "второй")
    fake_ok.send_group_message("78", "А", "третий")
    ok.fetch(saved)
    again = OkChannel(fake_ok.group_id, fake_ok.token, fake_ok.app_key, fake_ok.app_secret,
                      fake_ok.api_url, bot_token=fake_ok.bot_token)
    items, cursor = again.fetch(saved)
    assert [i.text for i in first + items] == ["первый", "второй", "третий"]
    assert again.fetch(cursor)[0] == []


def test_burst_of_1000_comments(fake_ok, ok):
    topic = fake_ok.add_topic()
    for n in range(1000):
        fake_ok.post_comment(topic, str(n), "П", f"к{n}")
    items, cursor = ok.fetch(None)
    assert len({i.external_id for i in items}) == 1000
    assert ok.fetch(cursor)[0] == []


def test_reply_to_comment_and_to_message(fake_ok, ok):
    topic = fake_ok.add_topic()
    cid = fake_ok.post_comment(topic, "77", "П", "вопрос")
    fake_ok.send_group_message("78", "А", "вопрос")
    comment, message = ok.fetch(None)[0]
    ok.publish_reply(comment.reply_target, "Ответ", [], "k")
    ok.publish_reply(message.reply_target, "Ответ лично", [], "k2")
    rest, graph = fake_ok.published
    assert (rest["method"], rest["reply_to_comment_id"], rest["comment"]) == ("discussions.comment", cid, "Ответ")
    assert graph["chat_id"] == "chat:C78" and graph["message"] == {"text": "Ответ лично"}


def test_informational_topic(fake_ok, ok):
    published = ok.post_informational("Анонс субботника", [], "k")
    (entry,) = fake_ok.published
    assert entry["method"] == "mediatopic.post" and entry["gid"] == fake_ok.group_id
    assert entry["attachment"] == {"media": [{"type": "text", "text": "Анонс субботника"}]}
    assert published.link.startswith("https://ok.ru/group/")


@pytest.mark.parametrize("code, error, fragment", [
    (102, PermanentError, "ключ доступа истёк"),
    (10, PermanentError, "нет прав"),
    (8, TransientError, "flood"),
    (2, TransientError, "временно недоступен"),
    (500, TransientError, "HTTP 500"),
])
def test_errors_are_translated(fake_ok, ok, code, error, fragment):
    fake_ok.fail_next("mediatopic.post", code)
    with pytest.raises(error, match=fragment):
        ok.post_informational("т", [], "k")


def test_deleted_comment_and_bad_secret(fake_ok, ok):
    topic = fake_ok.add_topic()
    cid = fake_ok.post_comment(topic, "77", "П", "удалю")
    (item,), _ = ok.fetch(None)
    fake_ok.delete_comment(cid)
    with pytest.raises(PermanentError, match="удалено"):
        ok.publish_reply(item.reply_target, "т", [], "k")
    wrong = OkChannel(fake_ok.group_id, fake_ok.token, fake_ok.app_key, "wrong", fake_ok.api_url)
    with pytest.raises(PermanentError, match="подпись"):
        wrong.fetch(None)


def test_message_failure_then_success(fake_ok, ok):
    fake_ok.fail_next("graph.messages", 500)
    target = {"method": "graph.messages", "chat_id": "chat:C78"}
    with pytest.raises(TransientError):
        ok.publish_reply(target, "т", [], "k")
    ok.publish_reply(target, "т", [], "k")
    assert len(fake_ok.published) == 1
