"""The OK adapter against the OK REST / group Bot API stand-in (written from apiok.ru)."""

import json

import pytest

from bridge.channels.ok import OkChannel
from bridge.channels.ok_checks import diagnose
from bridge.core.errors import PermanentError, TransientError
from standins.ok_api import FakeOk

# The worked example of the server-server signature in the documentation of the aiookru client
# (konstantintogoi.github.io/aiookru/api), which follows apiok.ru «Подпись запроса»: neither the
# client's nor the stand-in's function produced these numbers.
EXAMPLE = {"application_key": "ABCDEFGHIGKLMNOPK", "application_secret_key": "ABC123DEF456GHI789JKL123",
           "access_token": "-s-84W-s3egarWUsbkq-IWTucuedzTKT8VUXIA.s4Xx8IW7",
           "secret_key": "b1a2b89707a94624c43afae67d59274c", "sig": "232c8eb921951c4dba9b72606f9ddb4c"}


def test_signature_matches_the_documented_worked_example():
    params = {"application_key": EXAMPLE["application_key"], "format": "json", "method": "events.get"}
    client = OkChannel("1", EXAMPLE["access_token"], EXAMPLE["application_key"], EXAMPLE["application_secret_key"])
    assert client.sign(params) == EXAMPLE["sig"]
    stand = FakeOk(app_key=EXAMPLE["application_key"], app_secret=EXAMPLE["application_secret_key"],
                   token=EXAMPLE["access_token"])
    assert stand.expected_sig({**params, "access_token": EXAMPLE["access_token"]}) == EXAMPLE["sig"]


def test_session_branch_signs_with_the_session_secret(fake_ok):
    fake_ok.session_secret = "ae5362b5b588cc7294c2414d71b74d5d"
    ok = OkChannel(fake_ok.group_id, fake_ok.token, fake_ok.app_key, fake_ok.app_secret, fake_ok.api_url,
                   session_secret=fake_ok.session_secret)
    ok.fetch(None)
    method, params = fake_ok.calls[-1]
    assert "session_key" in params and "access_token" not in params


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
    assert {c[0] for c in fake_ok.calls} >= {"group.getStatTopics", "discussions.getComments",
                                             "GET graph/me/chats", "GET graph/me/messages/chat:C78"}


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


def test_burst_of_1000_comments_and_200_dialogues(fake_ok, ok):
    topic = fake_ok.add_topic()
    for n in range(1000):
        fake_ok.post_comment(topic, str(n), "П", f"к{n}")
    for n in range(200):
        fake_ok.send_group_message(str(5000 + n), "А", f"с{n}")
    items, cursor = ok.fetch(None)
    assert len({i.external_id for i in items}) == 1200
    assert ok.fetch(cursor)[0] == []


def test_answers_of_the_group_do_not_come_back_as_cases(fake_ok, ok):
    topic = fake_ok.add_topic()
    fake_ok.post_comment(topic, "77", "П", "вопрос")
    fake_ok.send_group_message("78", "А", "вопрос")
    (comment, message), cursor = ok.fetch(None)
    ok.publish_reply(comment.reply_target, "Ответ", [], "k")
    ok.publish_reply(message.reply_target, "Ответ лично", [], "k2")
    assert ok.fetch(cursor)[0] == []


def test_reply_to_comment_as_admin_and_to_message(fake_ok, ok):
    topic = fake_ok.add_topic()
    cid = fake_ok.post_comment(topic, "77", "П", "вопрос")
    fake_ok.send_group_message("78", "А", "вопрос")
    comment, message = ok.fetch(None)[0]
    ok.publish_reply(comment.reply_target, "Ответ", [], "k")
    ok.publish_reply(message.reply_target, "Ответ лично", [], "k2")
    rest, graph = fake_ok.published
    assert (rest["method"], rest["entityId"], rest["entityType"], rest["reply_to_comment_id"], rest["comment"],
            rest["as_admin"]) == ("discussions.addDiscussionComment", topic, "GROUP_TOPIC", cid, "Ответ", "true")
    assert graph["chat_id"] == "chat:C78" and graph["message"] == {"text": "Ответ лично"}


def test_old_cases_reply_target_still_works(fake_ok, ok):
    """Cases stored before this change carry discussion_id/discussion_type."""
    topic = fake_ok.add_topic()
    cid = fake_ok.post_comment(topic, "77", "П", "вопрос")
    ok.publish_reply({"method": "discussions.comment", "discussion_id": topic,
                      "discussion_type": "GROUP_TOPIC", "comment_id": cid}, "Ответ", [], "k")
    assert fake_ok.published[0]["entityId"] == topic


def test_informational_topic_on_behalf_of_the_group(fake_ok, ok):
    published = ok.post_informational("Анонс субботника", [], "k")
    (entry,) = fake_ok.published
    assert entry["method"] == "mediatopic.post" and entry["gid"] == fake_ok.group_id
    assert entry["type"] == "GROUP_THEME"
    assert entry["attachment"] == {"media": [{"type": "text", "text": "Анонс субботника"}],
                                               "onBehalfOfGroup": "true"}
    assert published.link.startswith("https://ok.ru/group/")


@pytest.mark.parametrize("code, error, fragment", [
    (102, TransientError, "сессия истекла"),
    (10, PermanentError, "нет прав"),
    (8, TransientError, "flood"),
    (2, TransientError, "временно недоступен"),
    (500, TransientError, "HTTP 500"),
])
def test_errors_are_translated(fake_ok, ok, code, error, fragment):
    fake_ok.fail_next("mediatopic.post", code)
    with pytest.raises(error, match=fragment):
        ok.post_informational("т", [], "k")


def test_expired_token_is_retried_later_not_dropped(fake_ok, ok):
    fake_ok.expired = True
    with pytest.raises(TransientError) as caught:
        ok.post_informational("т", [], "k")
    assert caught.value.retry_after == 900


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
    fake_ok.send_group_message("78", "А", "вопрос")
    fake_ok.fail_next("graph.messages", 500)
    target = {"method": "graph.messages", "chat_id": "chat:C78"}
    with pytest.raises(TransientError):
        ok.publish_reply(target, "т", [], "k")
    ok.publish_reply(target, "т", [], "k")
    assert len(fake_ok.published) == 1


def test_malformed_comments_and_messages_are_set_aside_and_the_rest_taken(fake_ok, ok):
    """Issue 10: a comment whose date is an integer or whose text is an object, a group message
    without recipient — each comes back set aside with its raw JSON; the others are cases."""
    topic = fake_ok.add_topic()
    fake_ok.post_comment(topic, "77", "П", "дата числом", date=1764570000)
    fake_ok.post_comment(topic, "77", "П", {"text": "объект"})
    fake_ok.post_comment(topic, "77", "П", "нормальный")
    fake_ok.push_raw_message("chat:C79", {"sender": {"user_id": "user:79"}, "message": {"mid": "mid:x", "text": "т"},
                                          "timestamp": 1764570000000})
    fake_ok.send_group_message("80", "А", "нормальное")
    items, cursor = ok.fetch(None)
    taken = [i.text for i in items if not i.set_aside]
    aside = [i for i in items if i.set_aside]
    assert taken == ["нормальный", "нормальное"]
    assert [a.event for a in aside] == ["invalid"] * 3
    assert "date" in aside[0].reason and "text" in aside[1].reason and "recipient" in aside[2].reason
    assert "1764570000" in aside[0].raw and "дата числом" not in aside[0].reason
    assert ok.fetch(cursor)[0] == []


def test_check_config_lines(fake_ok, ok):
    lines = diagnose(ok)
    assert all(problem == "" for _, problem, _ in lines), lines
    notes = " ".join(note for _, _, note in lines)
    assert "правки" not in notes and "API OK не сообщает" in notes
    fake_ok.admins.clear()
    fake_ok.permissions.discard("GROUP_CONTENT")
    problems = {what: problem for what, problem, _ in diagnose(ok) if problem}
    assert "администратором группы" in problems["темы группы"]
    assert "GROUP_CONTENT" in problems["право GROUP_CONTENT"]


def test_bot_token_of_another_group_is_named(fake_ok):
    wrong = OkChannel(fake_ok.group_id, fake_ok.token, fake_ok.app_key, fake_ok.app_secret, fake_ok.api_url,
                      bot_token="tkn-someone-else")
    problems = {what: problem for what, problem, _ in diagnose(wrong) if problem}
    assert "Настройки группы" in problems["сообщения группы (Bot API)"]


def test_a_stand_in_restart_delays_intake_and_loses_nothing(fake_ok, ok):
    topic = fake_ok.add_topic()
    fake_ok.post_comment(topic, "77", "П", "до перерыва")
    fake_ok.stop()
    with pytest.raises(TransientError):
        ok.fetch(None)
    fake_ok.restart()
    fake_ok.post_comment(topic, "77", "П", "после")
    items, _ = ok.fetch(None)
    assert [i.text for i in items] == ["до перерыва", "после"]


def test_unknown_and_undocumented_methods_are_refused(fake_ok, ok):
    with pytest.raises(PermanentError, match="не существует"):
        ok._rest("discussions.comment", {"discussionId": "1"})


def test_check_config_reads_each_configured_topic(fake_ok):
    topic = fake_ok.add_topic()
    ok = OkChannel(fake_ok.group_id, fake_ok.token, fake_ok.app_key, fake_ok.app_secret, fake_ok.api_url,
                   topic_ids=(topic, "404"))
    lines = {what: problem for what, problem, _ in diagnose(ok)}
    assert lines[f"тема {topic}"] == "" and "topic_ids" in lines["тема 404"]


def test_an_unreadable_topic_does_not_stop_the_others(fake_ok):
    topic = fake_ok.add_topic()
    fake_ok.post_comment(topic, "77", "П", "в живой теме")
    ok = OkChannel(fake_ok.group_id, fake_ok.token, fake_ok.app_key, fake_ok.app_secret, fake_ok.api_url,
                   topic_ids=("404",))
    items, _ = ok.fetch(None)
    assert [i.text for i in items if not i.set_aside] == ["в живой теме"]
    (aside,) = [i for i in items if i.set_aside]
    assert "тема 404 не читается" in aside.reason and aside.external_id == "unreadable-topic:404"
