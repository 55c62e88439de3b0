"""The Telegram adapter against the Bot API stand-in."""

import json

import pytest
import requests

from bridge.channels.telegram import TelegramChannel
from bridge.core.errors import PermanentError, TransientError


@pytest.fixture
def citizen(fake_tg):
    return fake_tg.user(42, "Мария", "Иванова", username="maria")


def test_direct_message(fake_tg, tg, citizen):
    mid = fake_tg.send_dm(citizen, "Когда отремонтируют дорогу?")
    (item,), cursor = tg.fetch(None)
    assert item.external_id == f"message:42_{mid}"
    assert (item.kind, item.public, item.event) == ("Личное сообщение", False, "new")
    assert (item.author_name, item.author_link) == ("Мария Иванова", "https://t.me/maria")
    assert item.reply_target == {"chat_id": 42, "reply_to": mid}
    assert tg.fetch(cursor)[0] == []


def test_comment_in_discussion_group_skips_the_channel_post(fake_tg, tg, citizen):
    thread = fake_tg.channel_post("Новость администрации")
    mid = fake_tg.comment(thread, citizen, "А когда?")
    (item,), _ = tg.fetch(None)
    assert (item.kind, item.public) == ("Комментарий", True)
    assert item.reply_target == {"chat_id": fake_tg.group_id, "reply_to": mid}   # no forum thread id
    assert item.link == f"https://t.me/okha_talk/{mid}?thread={thread}"


def test_edit_keeps_the_external_id(fake_tg, tg, citizen):
    mid = fake_tg.send_dm(citizen, "было")
    fake_tg.edit_dm(citizen, mid, "стало")
    items, _ = tg.fetch(None)
    assert [(i.event, i.text) for i in items] == [("new", "было"), ("edit", "стало")]
    assert items[0].external_id == items[1].external_id


def test_media_is_downloaded_through_get_file(fake_tg, tg, citizen):
    fake_tg.send_dm(citizen, "фото ямы", photo=b"JPEGDATA")
    fake_tg.send_dm(citizen, "", document=("акт.pdf", b"%PDF-1.4"))
    photo_item, doc_item = tg.fetch(None)[0]
    assert photo_item.text == "фото ямы"
    (photo,) = photo_item.attachments
    assert photo.kind == "photo" and fake_tg.token not in photo.url  # no token in the store
    assert tg.download(photo) == b"JPEGDATA"
    assert doc_item.attachments[0].name == "акт.pdf" and tg.download(doc_item.attachments[0]) == b"%PDF-1.4"


def test_restart_mid_long_poll_loses_nothing(fake_tg, tg, citizen):
    fake_tg.send_dm(citizen, "один")
    first, saved = tg.fetch(None)
    fake_tg.send_dm(citizen, "два")
    tg.fetch(saved)  # result lost: the process died before storing it
    again = TelegramChannel(fake_tg.token, fake_tg.api_url, discussion_chat_id=fake_tg.group_id)
    items, _ = again.fetch(saved)
    assert [i.text for i in first + items] == ["один", "два"]


def test_burst_of_1000_comments(fake_tg, tg, citizen):
    thread = fake_tg.channel_post("Пост")
    for n in range(1000):
        fake_tg.comment(thread, citizen, f"к{n}")
    items, cursor = [], None
    while True:
        batch, cursor = tg.fetch(cursor)
        if not batch:
            break
        items += batch
    assert len({i.external_id for i in items}) == 1000


def test_reply_in_thread_with_photo(fake_tg, tg, citizen, tmp_path):
    thread = fake_tg.channel_post("Пост")
    mid = fake_tg.comment(thread, citizen, "вопрос")
    (item,), _ = tg.fetch(None)
    photo = tmp_path / "план.jpg"
    photo.write_bytes(b"JPEG")
    published = tg.publish_reply(item.reply_target, "Ответ", [photo], "k")
    (picture,) = fake_tg.published            # a short answer is the photo's caption: one message
    assert picture["reply_parameters"] == {"message_id": mid} and "message_thread_id" not in picture
    assert picture["method"] == "sendPhoto" and picture["photo"] == {"filename": "план.jpg", "size": 4}
    assert picture["caption"] == "Ответ" and picture["files"][0]["data"] == b"JPEG"
    assert published.external_id == f"message:{fake_tg.group_id}_{picture['message_id']}"


def test_a_long_answer_goes_first_and_the_files_as_albums(fake_tg, tg, citizen, tmp_path):
    fake_tg.send_dm(citizen, "вопрос")
    (item,), _ = tg.fetch(None)
    paths = []
    for number in range(12):
        path = tmp_path / (f"фото{number}.jpg" if number < 11 else "акт.pdf")
        path.write_bytes(b"DATA%d" % number)
        paths.append(path)
    tg.publish_reply(item.reply_target, "Ответ " * 300, paths, "k")
    methods = [entry["method"] for entry in fake_tg.published]
    assert methods == ["sendMessage"] + ["sendMediaGroup"] * 10 + ["sendPhoto", "sendDocument"]
    sent = [f["data"] for entry in fake_tg.published for f in entry["files"]]
    assert sent == [b"DATA%d" % n for n in range(12)]


def test_the_stand_in_refuses_what_telegram_refuses(fake_tg, tg, citizen, tmp_path):
    url = f"{fake_tg.api_url}/bot{fake_tg.token}/"
    chat = {"chat_id": citizen["id"]}
    long_caption = requests.post(url + "sendPhoto", data={**chat, "caption": "я" * 1025},
                                 files={"photo": ("a.jpg", b"x")}).json()
    assert long_caption["description"] == "Bad Request: message caption is too long"
    no_photo = requests.post(url + "sendPhoto", data=chat).json()
    assert no_photo["error_code"] == 400
    mixed = requests.post(url + "sendMediaGroup", data={**chat, "media": json.dumps(
        [{"type": "photo", "media": "attach://a"}, {"type": "document", "media": "attach://b"}])},
        files={"a": ("a.jpg", b"x"), "b": ("b.pdf", b"y")}).json()
    assert mixed["error_code"] == 400
    single = requests.post(url + "sendMediaGroup", data={**chat, "media": json.dumps(
        [{"type": "photo", "media": "attach://a"}])}, files={"a": ("a.jpg", b"x")}).json()
    assert single["error_code"] == 400
    big = requests.post(url + "sendPhoto", data=chat, files={"photo": ("a.jpg", b"x" * (10 * 1024 * 1024 + 1))}).json()
    assert big["ok"] is False and not fake_tg.published


def test_informational_goes_to_the_channel(fake_tg, tg):
    published = tg.post_informational("Режим работы МФЦ", [], "k")
    assert fake_tg.published[0]["chat_id"] == "@okha_adm"
    assert published.link.startswith("https://t.me/okha_adm/")


@pytest.mark.parametrize("code, error, fragment", [
    (429, TransientError, "слишком много запросов"),
    (500, TransientError, "HTTP 500"),
    (401, PermanentError, "токен бота недействителен"),
    (403, PermanentError, "заблокировал бота"),
    (400, PermanentError, "удалён"),
])
def test_errors_are_translated(fake_tg, tg, code, error, fragment):
    fake_tg.fail_next("sendMessage", code)
    with pytest.raises(error, match=fragment) as caught:
        tg.publish_reply({"chat_id": 42}, "т", [], "k")
    if code == 429:
        assert caught.value.retry_after == 3


def test_blocked_bot_and_deleted_comment(fake_tg, tg, citizen):
    fake_tg.blocked.add(42)
    with pytest.raises(PermanentError, match="заблокировал бота"):
        tg.publish_reply({"chat_id": 42}, "т", [], "k")
    thread = fake_tg.channel_post("Пост")
    mid = fake_tg.comment(thread, citizen, "удалю")
    fake_tg.delete_message(fake_tg.group_id, mid)
    target = {"chat_id": fake_tg.group_id, "reply_to": mid, "message_thread_id": thread}
    with pytest.raises(PermanentError, match="удалён"):
        tg.publish_reply(target, "т", [], "k")


def test_publish_fails_then_succeeds(fake_tg, tg):
    fake_tg.fail_next("sendMessage", 429)
    with pytest.raises(TransientError):
        tg.publish_reply({"chat_id": 42}, "Ответ", [], "k")
    tg.publish_reply({"chat_id": 42}, "Ответ", [], "k")
    assert [p["text"] for p in fake_tg.published] == ["Ответ"]


def test_wrong_token_on_intake(fake_tg):
    channel = TelegramChannel("999:bad", fake_tg.api_url)
    with pytest.raises(PermanentError, match="токен"):
        channel.fetch(None)


def test_an_old_stored_target_with_a_thread_id_is_answered_without_it(fake_tg, tg, citizen):
    """The stand-in's group is not a forum: message_thread_id would fail «message thread not found»."""
    thread = fake_tg.channel_post("Пост")
    mid = fake_tg.comment(thread, citizen, "вопрос")
    tg.publish_reply({"chat_id": fake_tg.group_id, "reply_to": mid, "message_thread_id": thread}, "Ответ", [], "k")
    assert "message_thread_id" not in fake_tg.published[0]
    status, body = fake_tg.call("sendMessage", {"chat_id": fake_tg.group_id, "text": "т", "message_thread_id": thread})
    assert body["description"] == "Bad Request: message thread not found"


def test_a_long_answer_is_split_at_4096(fake_tg, tg, citizen):
    mid = fake_tg.send_dm(citizen, "вопрос")
    paragraph = "Слово " * 500
    text = "\n\n".join([paragraph.strip()] * 4) + " 🙂" * 100   # > 4096 UTF-16 units, astral emoji
    tg.publish_reply({"chat_id": 42, "reply_to": mid}, text, [], "k")
    parts = [p["text"] for p in fake_tg.published]
    assert len(parts) > 1 and all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in parts)
    assert " ".join(parts).split() == text.split()
    assert all(p["reply_parameters"] == {"message_id": mid} for p in fake_tg.published)


def test_a_citizen_commenting_as_their_channel_is_taken_in(fake_tg, tg, citizen):
    thread = fake_tg.channel_post("Пост")
    their = {"id": -1009, "type": "channel", "title": "ТСЖ «Ленина 5»", "username": "tsj_lenina5"}
    fake_tg.comment(thread, citizen, "от имени ТСЖ", sender_chat=their)
    ours = {"id": fake_tg.channel_id, "type": "channel", "title": "Администрация", "username": "okha_adm"}
    fake_tg.comment(thread, citizen, "от имени администрации", sender_chat=ours)
    (item,), _ = tg.fetch(None)
    assert (item.text, item.author_name, item.author_link) == ("от имени ТСЖ", "ТСЖ «Ленина 5»",
                                                               "https://t.me/tsj_lenina5")


def test_an_update_without_chat_or_date_is_set_aside_and_the_cursor_moves(fake_tg, tg, citizen):
    """Issue 10: today such an update stopped the channel for good (the cursor stuck)."""
    fake_tg.push_raw({"update_id": 1, "message": {"message_id": 5, "text": "без chat и date"}})
    fake_tg.push_raw({"update_id": 2, "message": {"message_id": 6, "chat": {"id": 42, "type": "private"},
                                                  "date": "вчера", "from": citizen, "text": "т"}})
    fake_tg.push_raw({"update_id": 3, "edited_message": None, "message": ["не объект"]})
    fake_tg.push_raw({"update_id": 4, "message": {"message_id": 7, "chat": {"id": 42, "type": "private"},
                                                  "date": 1764570000, "from": citizen, "text": "\ud800 одинокий"}})
    items, cursor = tg.fetch(None)
    aside = [i for i in items if i.set_aside]
    assert len(aside) == 3 and {a.external_id for a in aside} == {"invalid:1", "invalid:2", "invalid:3"}
    assert "date" in aside[0].reason and "date" in aside[1].reason and "message" in aside[2].reason
    assert "без chat и date" in __import__("json").loads(aside[0].raw)["message"]["text"]
    assert [i.text for i in items if not i.set_aside] == ["\ufffd одинокий"]
    assert __import__("json").loads(cursor)["offset"] == 5
    assert tg.fetch(cursor)[0] == []


def test_a_silence_over_24_hours_is_reported_as_a_possible_loss(fake_tg, tg, citizen):
    _, cursor = tg.fetch(None)
    state = __import__("json").loads(cursor)
    state["at"] -= 25 * 3600
    fake_tg.send_dm(citizen, "после перерыва")
    gap, item = tg.fetch(__import__("json").dumps(state))[0]
    assert gap.event == "gap" and "24 часов" in gap.reason and item.text == "после перерыва"


def test_old_bare_offset_cursor_still_works(fake_tg, tg, citizen):
    fake_tg.send_dm(citizen, "раз")
    first, cursor = tg.fetch(None)
    fake_tg.send_dm(citizen, "два")
    items, _ = tg.fetch(str(__import__("json").loads(cursor)["offset"]))
    assert [i.text for i in items] == ["два"]


def test_files_over_the_bot_api_limits(fake_tg, tg, citizen, tmp_path):
    fake_tg.send_dm(citizen, "", document=("видео.mp4", b"x" * (20 * 1024 * 1024 + 1)))
    (item,), _ = tg.fetch(None)
    with pytest.raises(PermanentError, match="больше 20 МБ"):
        tg.download(item.attachments[0])
    big = tmp_path / "том.pdf"
    big.write_bytes(b"x" * (50 * 1024 * 1024 + 1))
    with pytest.raises(PermanentError, match="больше 50 МБ"):
        tg.publish_reply({"chat_id": 42}, "т", [big], "k")


def test_privacy_mode_hides_comments_and_check_config_says_why(fake_tg, tg, citizen):
    from bridge.channels.telegram_checks import diagnose
    assert all(problem == "" for _, problem, _ in diagnose(tg))
    fake_tg.bot_is_group_admin = False
    thread = fake_tg.channel_post("Пост")
    fake_tg.comment(thread, citizen, "не дойдёт")
    assert tg.fetch(None)[0] == []
    problems = {what: problem for what, problem, _ in diagnose(tg) if problem}
    assert "режим приватности" in problems["группа обсуждения"] and "администратором" in problems["группа обсуждения"]
    fake_tg.webhook_url = "https://elsewhere.example/hook"
    problems = {what: problem for what, problem, _ in diagnose(tg) if problem}
    assert "webhook" in problems["получение обновлений"]


def test_a_wrong_discussion_group_is_named(fake_tg):
    channel = TelegramChannel(fake_tg.token, fake_tg.api_url, channel="@okha_adm", discussion_chat_id=-100777)
    from bridge.channels.telegram_checks import diagnose
    problems = {what: problem for what, problem, _ in diagnose(channel) if problem}
    assert "-100777" in problems["связь канала и группы"]


def test_a_stand_in_restart_delays_intake_and_loses_nothing(fake_tg, tg, citizen):
    fake_tg.send_dm(citizen, "до перерыва")
    cursor = None
    fake_tg.stop()
    with pytest.raises(TransientError):
        tg.fetch(cursor)
    fake_tg.restart()
    fake_tg.send_dm(citizen, "после")
    items, _ = tg.fetch(cursor)
    assert [i.text for i in items] == ["до перерыва", "после"]


def test_telegram_rate_limit_is_a_retry_with_its_delay(fake_tg, tg, citizen):
    fake_tg.rate_limits = True
    mid = fake_tg.send_dm(citizen, "вопрос")
    with pytest.raises(TransientError) as caught:
        tg.publish_reply({"chat_id": 42, "reply_to": mid}, "раз\n\n" + "я" * 5000, [], "k")
    assert caught.value.retry_after == 1
