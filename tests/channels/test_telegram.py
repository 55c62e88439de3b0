"""The Telegram adapter against the Bot API stand-in."""

import pytest

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
    assert item.reply_target == {"chat_id": fake_tg.group_id, "reply_to": mid, "message_thread_id": thread}
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
        if not batch and cursor and int(cursor) > fake_tg.updates[-1]["update_id"]:
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
    text, picture = fake_tg.published
    assert text["reply_parameters"] == {"message_id": mid} and text["message_thread_id"] == thread
    assert picture["method"] == "sendPhoto" and picture["photo"] == {"filename": "план.jpg", "size": 4}
    assert published.external_id == f"message:{fake_tg.group_id}_{text['message_id']}"


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
