"""The VK adapter against the VK stand-in: intake of every event type, publication, errors."""

import json

import pytest

from bridge.channels.vk import VkChannel
from bridge.core.errors import PermanentError, TransientError


def drain(channel, cursor):
    items = []
    while True:
        batch, cursor = channel.fetch(cursor)
        if not batch:
            return items, cursor
        items += batch


@pytest.fixture
def cursor(vk):
    return vk.fetch(None)[1]


def test_wall_comment_with_attachments(fake_vk, vk, cursor):
    photo = fake_vk.citizen_photo(b"\xff\xd8 the pit")
    doc = fake_vk.citizen_doc("схема.pdf", b"%PDF scheme")
    cid = fake_vk.post_wall_comment(10, 5, "Яма во дворе", attachments=[photo, doc])
    (item,), _ = vk.fetch(cursor)
    assert item.external_id == f"wall_comment:-100_10_{cid}"
    assert (item.kind, item.public, item.event) == ("Комментарий", True, "new")
    assert (item.author_name, item.author_link) == ("Иван Петров", "https://vk.com/id5")
    assert item.text == "Яма во дворе" and item.posted_at.tzinfo is not None
    assert item.reply_target == {"method": "wall.createComment", "owner_id": -100, "post_id": 10,
                                 "reply_to_comment": cid}
    photo_id, doc_id = photo["photo"]["id"], doc["doc"]["id"]
    assert [(a.name, a.kind) for a in item.attachments] == [(f"photo1_{photo_id}.jpg", "photo"), ("схема.pdf", "doc")]
    assert item.attachments[0].url.endswith(f"/files/photo{photo_id}.jpg")  # the largest size
    assert vk.download(item.attachments[0]) == b"\xff\xd8 the pit"
    assert vk.download(item.attachments[1]) == b"%PDF scheme"


@pytest.mark.parametrize("script, kind, public, prefix", [
    (lambda f: f.post_photo_comment(3, 5, "т"), "Комментарий к фото", True, "photo_comment:-100_3_"),
    (lambda f: f.post_video_comment(4, 5, "т"), "Комментарий к видео", True, "video_comment:-100_4_"),
    (lambda f: f.post_board_comment(6, 5, "т"), "Обсуждение", True, "board_comment:-100_6_"),
    (lambda f: f.send_dm(5, "т"), "Личное сообщение", False, "message:5_"),
    (lambda f: f.suggest_post(5, "т"), "Предложенная запись", False, "suggested_post:-100_"),
])
def test_each_event_type(fake_vk, vk, cursor, script, kind, public, prefix):
    ident = script(fake_vk)
    (item,), _ = vk.fetch(cursor)
    assert (item.kind, item.public, item.external_id) == (kind, public, f"{prefix}{ident}")
    assert item.author_name == "Иван Петров"


def test_edit_and_delete_keep_the_external_id(fake_vk, vk, cursor):
    cid = fake_vk.post_wall_comment(10, 5, "было")
    fake_vk.edit_wall_comment(10, cid, 5, "стало")
    fake_vk.delete_wall_comment(10, cid)
    mid = fake_vk.send_dm(5, "вопрос")
    fake_vk.edit_dm(5, mid, "уточнённый вопрос")
    items, _ = vk.fetch(cursor)
    assert [(i.event, i.text) for i in items] == [
        ("new", "было"), ("edit", "стало"), ("delete", ""), ("new", "вопрос"), ("edit", "уточнённый вопрос")]
    assert len({i.external_id for i in items[:3]}) == 1 and items[3].external_id == items[4].external_id


def test_community_posts_are_not_taken_in(fake_vk, vk, cursor):
    fake_vk.push_event("wall_post_new", {"id": 1, "owner_id": -100, "from_id": -100, "date": 1,
                                         "text": "Новость", "post_type": "post"})
    assert vk.fetch(cursor)[0] == []


def test_restart_mid_long_poll_loses_nothing(fake_vk, vk, cursor):
    fake_vk.post_wall_comment(10, 5, "первый")
    first, saved = vk.fetch(cursor)
    fake_vk.post_wall_comment(10, 5, "второй")
    fake_vk.send_dm(5, "третий")
    # the process dies before storing what the next fetch returned: a new instance, same cursor
    vk.fetch(saved)
    again = VkChannel(fake_vk.group_id, fake_vk.token, fake_vk.api_url, min_interval=0)
    items, _ = again.fetch(saved)
    assert [i.text for i in first + items] == ["первый", "второй", "третий"]


@pytest.mark.parametrize("failure", [{"failed": 2}, "expire"])
def test_expired_key_keeps_the_position(fake_vk, vk, cursor, failure):
    fake_vk.post_wall_comment(10, 5, "до")
    if failure == "expire":
        fake_vk.expire_key()
    else:
        fake_vk.fail_next("a_check", failure)
    items, new_cursor = vk.fetch(cursor)
    assert [i.text for i in items] == ["до"]
    assert json.loads(new_cursor)["key"] == fake_vk.lp_key


def test_failed_1_is_reported_as_a_gap_and_3_starts_again(fake_vk, vk, cursor):
    fake_vk.fail_next("a_check", {"failed": 1, "ts": "0"})
    fake_vk.post_wall_comment(10, 5, "a")
    gap, item = vk.fetch(cursor)[0]
    assert gap.event == "gap" and "утеряна" in gap.reason and item.text == "a"
    fake_vk.fail_next("a_check", {"failed": 3})
    items, new_cursor = vk.fetch(cursor)
    assert items == [] and json.loads(new_cursor)["ts"] == "1"


def test_long_poll_waits_for_an_event(fake_vk, vk, cursor):
    import threading
    threading.Timer(0.2, lambda: fake_vk.send_dm(5, "позже")).start()
    items, _ = vk.fetch(cursor, timeout=3)
    assert [i.text for i in items] == ["позже"]


def test_burst_of_1000_comments(fake_vk, vk, cursor):
    for n in range(1000):
        fake_vk.post_wall_comment(10, 5, f"комментарий {n}")
    items, _ = drain(vk, cursor)
    assert len({i.external_id for i in items}) == 1000
    assert items[-1].text == "комментарий 999"
    assert sum(1 for m, _ in fake_vk.calls if m == "users.get") == 10  # one per 100-event batch


def test_public_reply_goes_under_the_comment(fake_vk, vk, cursor, tmp_path):
    cid = fake_vk.post_wall_comment(10, 5, "вопрос")
    (item,), _ = vk.fetch(cursor)
    photo = tmp_path / "схема.png"
    photo.write_bytes(b"PNG")
    published = vk.publish_reply(item.reply_target, "Ответ <b>", [photo], "OKH-2026-00001/1")
    (entry,) = fake_vk.published
    assert entry["method"] == "wall.createComment" and entry["reply_to_comment"] == str(cid)
    assert entry["from_group"] == "100" and entry["message"] == "Ответ <b>"
    assert entry["attachments"].startswith("photo-100_")
    assert [(kind, f.filename, f.data) for kind, f in entry["files"]] == [("photo", "схема.png", b"PNG")]
    assert published.link.startswith("https://vk.com/wall-100_10?reply=")


def test_private_reply_with_document(fake_vk, vk, cursor, tmp_path):
    fake_vk.send_dm(5, "вопрос")
    (item,), _ = vk.fetch(cursor)
    doc = tmp_path / "ответ.pdf"
    doc.write_bytes(b"%PDF")
    vk.publish_reply(item.reply_target, "Ответ", [doc], "k")
    (entry,) = fake_vk.published
    assert entry["peer_id"] == "5" and entry["attachment"].startswith("doc-100_")
    assert [(kind, f.data) for kind, f in entry["files"]] == [("doc", b"%PDF")]


def test_the_stand_in_refuses_an_upload_vk_refuses(fake_vk, vk):
    """dev.vk.com/ru/api/upload: save with the server's own hash only, one target per upload, known ids only."""
    import requests
    api = fake_vk.api_url
    common = {"access_token": fake_vk.token, "v": "5.199"}
    server = requests.post(api + "photos.getMessagesUploadServer", data={**common, "peer_id": 5}).json()["response"]
    sent = requests.post(server["upload_url"], files={"photo": ("a.jpg", b"JPEG")}).json()
    wrong_hash = requests.post(api + "photos.saveMessagesPhoto", data={**common, **sent, "hash": "0"}).json()
    assert wrong_hash["error"]["error_code"] == 121
    empty = requests.post(server["upload_url"], files={"file": ("a.jpg", b"JPEG")}).json()
    assert empty["photo"] == "[]"
    unknown = requests.post(api + "messages.send", data={**common, "peer_id": 5, "random_id": 1,
                                                        "attachment": "photo-100_1"}).json()
    assert unknown["error"]["error_code"] == 100
    saved = requests.post(api + "photos.saveMessagesPhoto", data={**common, **sent}).json()["response"][0]
    sent_ok = requests.post(api + "messages.send", data={**common, "peer_id": 5, "random_id": 2,
                                                        "attachment": f"photo{saved['owner_id']}_{saved['id']}"}).json()
    assert "response" in sent_ok and fake_vk.published[-1]["files"][0][1].data == b"JPEG"


def test_publish_fails_then_succeeds_with_the_same_random_id(fake_vk, vk):
    fake_vk.fail_next("messages.send", 10)
    fake_vk.fail_next("messages.send", "lost_response")  # done on VK's side, answer lost
    target = {"method": "messages.send", "peer_id": 5}
    for _ in range(2):
        with pytest.raises(TransientError):
            vk.publish_reply(target, "Ответ", [], "OKH-2026-00002/1")
    vk.publish_reply(target, "Ответ", [], "OKH-2026-00002/1")
    ids = {p["random_id"] for m, p in fake_vk.calls if m == "messages.send"}
    assert len(ids) == 1 and len(fake_vk.published) == 1


def test_wall_comment_retry_is_not_doubled(fake_vk, vk):
    fake_vk.fail_next("wall.createComment", "lost_response")
    target = {"method": "wall.createComment", "owner_id": -100, "post_id": 10, "reply_to_comment": 1}
    with pytest.raises(TransientError):
        vk.publish_reply(target, "Ответ", [], "k")
    vk.publish_reply(target, "Ответ", [], "k")
    assert len(fake_vk.published) == 1


@pytest.mark.parametrize("code, error, fragment", [
    (5, PermanentError, "ключ доступа недействителен"),
    (6, TransientError, "слишком много запросов"),
    (9, TransientError, "флуда"),
    (15, PermanentError, "доступ запрещён"),
    (901, PermanentError, "не разрешил сообщения"),
    ("http500", TransientError, "HTTP 500"),
])
def test_errors_are_translated(fake_vk, vk, code, error, fragment):
    fake_vk.fail_next("messages.send", code)
    with pytest.raises(error, match=fragment):
        vk.publish_reply({"method": "messages.send", "peer_id": 5}, "т", [], "k")


def test_flood_control_carries_retry_after(fake_vk, vk):
    fake_vk.fail_next("messages.send", 9)
    with pytest.raises(TransientError) as caught:
        vk.publish_reply({"method": "messages.send", "peer_id": 5}, "т", [], "k")
    assert caught.value.retry_after == 60


def test_closed_dms_and_deleted_comment(fake_vk, vk, cursor):
    fake_vk.denied_messages.add(5)
    with pytest.raises(PermanentError, match="не разрешил сообщения"):
        vk.publish_reply({"method": "messages.send", "peer_id": 5}, "т", [], "k")
    cid = fake_vk.post_wall_comment(10, 5, "удалю")
    fake_vk.delete_wall_comment(10, cid)
    target = {"method": "wall.createComment", "owner_id": -100, "post_id": 10, "reply_to_comment": cid}
    with pytest.raises(PermanentError, match="удалён"):
        vk.publish_reply(target, "т", [], "k")


def test_expired_token_on_intake(fake_vk):
    channel = VkChannel(fake_vk.group_id, "old-token", fake_vk.api_url, min_interval=0)
    with pytest.raises(PermanentError, match="ключ доступа"):
        channel.fetch(None)


def test_photo_comment_needs_an_admin_token(fake_vk, cursor):
    channel = VkChannel(fake_vk.group_id, fake_vk.token, fake_vk.api_url, min_interval=0)
    target = {"method": "photos.createComment", "owner_id": -100, "photo_id": 3, "reply_to_comment": 1}
    with pytest.raises(PermanentError, match=r"Ответ на комментарий к фото требует токена администратора \(vk.user_token_env\)"):
        channel.publish_reply(target, "т", [], "k")


def test_photo_video_board_comments_as_the_community_with_guid(fake_vk, vk):
    """Schema: photos/video/board.createComment take from_group as a boolean, and a guid."""
    for target in ({"method": "photos.createComment", "owner_id": -100, "photo_id": 3, "reply_to_comment": 1},
                   {"method": "video.createComment", "owner_id": -100, "video_id": 4, "reply_to_comment": 1},
                   {"method": "board.createComment", "group_id": 100, "topic_id": 6}):
        vk.publish_reply(target, "Ответ", [], f"k-{target['method']}")
        vk.publish_reply(target, "Ответ", [], f"k-{target['method']}")   # a retry
    assert [e["method"] for e in fake_vk.published] == ["photos.createComment", "video.createComment",
                                                        "board.createComment"]
    assert all(e["from_group"] == "1" and len(e["guid"]) == 32 for e in fake_vk.published)


def test_stand_in_refuses_a_group_id_as_boolean_from_group(fake_vk):
    status, body = fake_vk.call("photos.createComment", {"access_token": fake_vk.user_token, "v": "5.199",
                                                         "photo_id": "3", "from_group": "100", "message": "т"})
    assert body["error"]["error_code"] == 100 and "from_group" in body["error"]["error_msg"]


def test_informational_post(fake_vk, vk):
    published = vk.post_informational("График вывоза мусора", [], "OKH-2026-00003/info")
    (entry,) = fake_vk.published
    assert (entry["method"], entry["from_group"], entry["owner_id"]) == ("wall.post", "1", "-100")
    assert published.link.startswith("https://vk.com/wall-100_")


def test_informational_post_with_a_community_token_alone_says_which_token(fake_vk):
    channel = VkChannel(fake_vk.group_id, fake_vk.token, fake_vk.api_url, min_interval=0)
    with pytest.raises(PermanentError, match="ключа администратора"):
        channel.post_informational("т", [], "k")
    assert not any(m == "wall.post" for m, _ in fake_vk.calls)
    status, body = fake_vk.call("wall.post", {"access_token": fake_vk.token, "v": "5.199", "message": "т"})
    assert body["error"]["error_code"] == 27   # what VK answers a community token


def test_unreachable_server_is_transient(fake_vk):
    channel = VkChannel(1, "t", "http://127.0.0.1:9/method/", min_interval=0)
    with pytest.raises(TransientError):
        channel.fetch(None)


def test_a_dm_answer_with_many_files_goes_ten_to_a_message(fake_vk, vk, cursor, tmp_path):
    fake_vk.send_dm(5, "вопрос")
    (item,), _ = vk.fetch(cursor)
    paths = []
    for number in range(12):
        path = tmp_path / f"лист{number}.pdf"
        path.write_bytes(b"%%PDF %d" % number)
        paths.append(path)
    vk.publish_reply(item.reply_target, "Ответ", paths, "k")
    sent = [entry for entry in fake_vk.published if entry["method"] == "messages.send"]
    assert [len(entry["files"]) for entry in sent] == [10, 2] and sent[0]["message"] == "Ответ"
    assert [f.data for entry in sent for _, f in entry["files"]] == [b"%%PDF %d" % n for n in range(12)]


def test_a_photo_the_upload_server_refuses_is_said_clearly(fake_vk, vk, cursor, tmp_path, monkeypatch):
    import standins.vk_api as stand
    monkeypatch.setattr(stand, "MAX_PHOTO", 10)         # the stand-in's 50 MB, made small
    fake_vk.send_dm(5, "вопрос")
    (item,), _ = vk.fetch(cursor)
    photo = tmp_path / "большое.jpg"
    photo.write_bytes(b"\xff\xd8" + b"x" * 100)
    with pytest.raises(PermanentError, match="не принял вложение «большое.jpg»"):
        vk.publish_reply(item.reply_target, "Ответ", [photo], "k")
    assert not [e for e in fake_vk.published if e["method"] == "messages.send"]
