"""VK community events (Bots Long Poll / Callback API, v5.199) as `IncomingItem`s — pure code.

One row of `EVENT_KINDS` per event type we take in (SPEC §1 step 1): which comment object
it carries, the «Вид» label, whether the answer is public (п. 3.4), how to answer it and
whether it is new, an edit, a deletion or a restore. Object shapes follow the VK API JSON
schema (VKCOM/vk-api-schema `callback/objects.json`) and dev.vk.com/ru/api/community-events/json-schema.
Only the display name, profile link, text and attachments are kept (152-ФЗ).
An event that lacks a documented field raises `Malformed`, so the channel sets it aside.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable, Mapping

from bridge.channels.base import (
    NO_MOMENT,
    KIND_BOARD, KIND_COMMENT, KIND_MESSAGE, KIND_PHOTO_COMMENT, KIND_SUGGESTED,
    KIND_VIDEO_COMMENT, LINK, AttachmentRef, IncomingItem, Malformed, from_unix, need, text_of,
)

log = logging.getLogger(__name__)
VK_SITE = "https://vk.com"


def _wall_comment(obj: dict) -> tuple[str, str, dict]:
    owner = obj.get("post_owner_id", obj.get("owner_id"))
    if not isinstance(owner, int) or isinstance(owner, bool):
        raise Malformed("поле owner_id: нет или не число")
    post, cid = need(obj, "post_id", int), need(obj, "id", int)
    target = {"method": "wall.createComment", "owner_id": owner, "post_id": post, "reply_to_comment": cid}
    return f"wall_comment:{owner}_{post}_{cid}", f"{VK_SITE}/wall{owner}_{post}?reply={cid}", target


def _photo_comment(obj: dict) -> tuple[str, str, dict]:
    owner = obj.get("photo_owner_id", obj.get("owner_id"))
    if not isinstance(owner, int) or isinstance(owner, bool):
        raise Malformed("поле photo_owner_id: нет или не число")
    photo, cid = need(obj, "photo_id", int), need(obj, "id", int)
    target = {"method": "photos.createComment", "owner_id": owner, "photo_id": photo, "reply_to_comment": cid}
    return f"photo_comment:{owner}_{photo}_{cid}", f"{VK_SITE}/photo{owner}_{photo}", target


def _video_comment(obj: dict) -> tuple[str, str, dict]:
    owner = obj.get("video_owner_id", obj.get("owner_id"))
    if not isinstance(owner, int) or isinstance(owner, bool):
        raise Malformed("поле video_owner_id: нет или не число")
    video, cid = need(obj, "video_id", int), need(obj, "id", int)
    target = {"method": "video.createComment", "owner_id": owner, "video_id": video, "reply_to_comment": cid}
    return f"video_comment:{owner}_{video}_{cid}", f"{VK_SITE}/video{owner}_{video}", target


def _board_comment(obj: dict) -> tuple[str, str, dict]:
    owner, topic, cid = need(obj, "topic_owner_id", int), need(obj, "topic_id", int), need(obj, "id", int)
    target = {"method": "board.createComment", "group_id": abs(owner), "topic_id": topic}
    return f"board_comment:{owner}_{topic}_{cid}", f"{VK_SITE}/topic{owner}_{topic}?post={cid}", target


def _suggested_post(obj: dict) -> tuple[str, str, dict]:
    owner, pid = need(obj, "owner_id", int), need(obj, "id", int)
    author = obj.get("from_id") or obj.get("created_by")
    if not isinstance(author, int) or isinstance(author, bool):
        raise Malformed("предложенная запись без автора (from_id)")
    # A suggested post is not public until the community publishes it: answer the author privately.
    target = {"method": "messages.send", "peer_id": author}
    return f"suggested_post:{owner}_{pid}", f"{VK_SITE}/wall{owner}?w=wall{owner}_{pid}", target


Rule = tuple[Callable[[dict], tuple[str, str, dict]], str, bool, str]
# event type → (how to read ids, «Вид», public answer?, 'new'|'edit'|'delete')
EVENT_KINDS: Mapping[str, Rule] = {
    "wall_reply_new": (_wall_comment, KIND_COMMENT, True, "new"),
    "wall_reply_edit": (_wall_comment, KIND_COMMENT, True, "edit"),
    "wall_reply_restore": (_wall_comment, KIND_COMMENT, True, "new"),
    "wall_reply_delete": (_wall_comment, KIND_COMMENT, True, "delete"),
    "photo_comment_new": (_photo_comment, KIND_PHOTO_COMMENT, True, "new"),
    "photo_comment_edit": (_photo_comment, KIND_PHOTO_COMMENT, True, "edit"),
    "photo_comment_restore": (_photo_comment, KIND_PHOTO_COMMENT, True, "new"),
    "photo_comment_delete": (_photo_comment, KIND_PHOTO_COMMENT, True, "delete"),
    "video_comment_new": (_video_comment, KIND_VIDEO_COMMENT, True, "new"),
    "video_comment_edit": (_video_comment, KIND_VIDEO_COMMENT, True, "edit"),
    "video_comment_restore": (_video_comment, KIND_VIDEO_COMMENT, True, "new"),
    "video_comment_delete": (_video_comment, KIND_VIDEO_COMMENT, True, "delete"),
    "board_post_new": (_board_comment, KIND_BOARD, True, "new"),
    "board_post_edit": (_board_comment, KIND_BOARD, True, "edit"),
    "board_post_restore": (_board_comment, KIND_BOARD, True, "new"),
    "board_post_delete": (_board_comment, KIND_BOARD, True, "delete"),
    "wall_post_new": (_suggested_post, KIND_SUGGESTED, False, "new"),
}
MESSAGE_EVENTS = {"message_new": "new", "message_edit": "edit"}
# The Long Poll event types the service needs switched on (groups.setLongPollSettings).
NEEDED_EVENTS = tuple(sorted({*EVENT_KINDS, *MESSAGE_EVENTS}))


def author_ids(events: list) -> set[int]:
    """The user ids whose display names a batch of events needs (one users.get call)."""
    ids = set()
    for event in events:
        try:
            obj = _payload(event)
        except Malformed:
            continue
        author = obj.get("from_id") or obj.get("created_by")
        if isinstance(author, int) and not isinstance(author, bool) and 0 < author < 2**63:   # int64 ids
            ids.add(author)
    return ids


def parse_event(event, names: Mapping[int, str], group_id: int, channel: str = "vk") -> IncomingItem | None:
    """One VK event as an item; None for an event we do not take in or the community's own
    comment (its published answers come back as events too); Malformed for a broken event."""
    if not isinstance(event, dict):
        raise Malformed(f"событие не объект ({type(event).__name__})")
    if event.get("type") == "otklik_unreadable_line":
        raise Malformed("строка журнала Callback API не читается как JSON")
    etype, obj = event.get("type"), _payload(event)
    if etype in MESSAGE_EVENTS:
        return _message_item(obj, names, group_id, MESSAGE_EVENTS[etype], channel)
    rule = EVENT_KINDS.get(etype)
    if rule is None or (etype == "wall_post_new" and obj.get("post_type") != "suggest"):
        return None
    read_ids, kind, public, change = rule
    external_id, link, target = read_ids(obj)
    author = obj.get("from_id") or obj.get("created_by") or obj.get("user_id") or obj.get("deleter_id") or 0
    if not isinstance(author, int) or isinstance(author, bool):
        raise Malformed("поле from_id: не число")
    if change != "delete" and author == -abs(group_id):
        return None   # the community's own comment (our published answer)
    return IncomingItem(
        channel=channel, external_id=external_id, kind=kind, public=public,
        posted_at=_when(obj) if change != "delete" else NO_MOMENT,
        author_name=_name(author, names) if change != "delete" else "",
        author_link=_profile(author) if change != "delete" else "", text=text_of(obj, "text"),
        link=link, reply_target=target, attachments=parse_attachments(obj.get("attachments")),
        replies_to=_parent(external_id, obj), event=change,
    )


def _parent(external_id: str, obj: dict) -> tuple[str, ...]:
    """The comment this one answers: `reply_to_comment` of the comment object (callback
    `wall_reply_new` etc., dev.vk.com/ru/reference/objects/comment), in the same id scheme."""
    reply = obj.get("reply_to_comment")
    if not isinstance(reply, int) or isinstance(reply, bool) or reply <= 0 or "_" not in external_id:
        return ()
    return (f"{external_id.rsplit('_', 1)[0]}_{reply}",)


def _message_item(msg: dict, names: Mapping[int, str], group_id: int, change: str, channel: str) -> IncomingItem:
    peer, cmid = need(msg, "peer_id", int, "message"), need(msg, "conversation_message_id", int, "message")
    author = msg.get("from_id", peer)
    if not isinstance(author, int) or isinstance(author, bool):
        raise Malformed("поле message.from_id: не число")
    if author == -abs(group_id) or msg.get("out") == 1:
        return None   # the community's own message in the dialogue
    return IncomingItem(
        channel=channel, external_id=f"message:{peer}_{cmid}", kind=KIND_MESSAGE, public=False,
        posted_at=_when(msg), author_name=_name(author, names), author_link=_profile(author),
        text=text_of(msg, "text", "message"), link=f"{VK_SITE}/gim{group_id}?sel={peer}",
        reply_target={"method": "messages.send", "peer_id": peer},
        attachments=parse_attachments(msg.get("attachments")), event=change,
    )


def parse_attachments(items) -> tuple[AttachmentRef, ...]:
    """Photos (largest size), documents, videos and links of a VK object.

    An entry that is not an object (`attachments: [null]`) carries nothing to download: it is
    skipped, and the citizen's text is still taken in."""
    if not isinstance(items, list):
        return ()
    refs = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            log.warning("VK: вложение без описания пропущено")
            continue
        body = item.get(item["type"])
        ref = _attachment(item["type"], body if isinstance(body, dict) else {})
        if ref:
            refs.append(ref)
    return tuple(refs)


def _attachment(kind: str, body: dict) -> AttachmentRef | None:
    ident = f"{body.get('owner_id')}_{body.get('id')}"
    if kind == "photo":
        sizes = [s for s in body.get("sizes") or [] if isinstance(s, dict) and isinstance(s.get("url"), str)]
        sizes.sort(key=lambda s: _number(s.get("width")) * _number(s.get("height")))
        return AttachmentRef(f"photo{ident}.jpg", sizes[-1]["url"], "photo") if sizes else None
    if kind == "doc":
        title, ext = str(body.get("title") or f"doc{ident}"), str(body.get("ext") or "")
        name = title if not ext or title.lower().endswith("." + ext.lower()) else f"{title}.{ext}"
        return AttachmentRef(name, str(body.get("url") or ""), "doc")
    if kind == "video":
        # a video is a page on VK, not a file the bot may fetch: it stays a link
        return AttachmentRef(str(body.get("title") or f"video{ident}"), f"{VK_SITE}/video{ident}", LINK)
    if kind == "link":
        return AttachmentRef(str(body.get("title") or body.get("url") or ""), str(body.get("url") or ""), LINK)
    if kind in ("audio", "audio_message", "sticker", "graffiti"):
        return AttachmentRef(f"{kind}{ident}", _first_url(body), kind)
    return None


def _number(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _first_url(body: dict) -> str:
    for key in ("url", "link_mp3", "link_ogg"):
        if isinstance(body.get(key), str) and body[key]:
            return body[key]
    return ""


def _payload(event) -> dict:
    if not isinstance(event, dict):
        raise Malformed(f"событие не объект ({type(event).__name__})")
    obj = event.get("object")
    if not isinstance(obj, dict):
        raise Malformed("поле object: нет или не объект")
    if event.get("type") == "message_new" and "message" in obj:
        obj = obj["message"]
        if not isinstance(obj, dict):
            raise Malformed("поле object.message: не объект")
    return obj


def _when(obj: dict) -> datetime:
    if not isinstance(obj.get("date"), (int, float)) or isinstance(obj.get("date"), bool):
        raise Malformed("поле date: время события не указано или неверное время")   # never guess a moment: deadlines count from it
    return from_unix(obj["date"])


def _name(author: int, names: Mapping[int, str]) -> str:
    if author < 0:
        return f"Сообщество {abs(author)}"
    return names.get(author) or f"id{author}"


def _profile(author: int) -> str:
    return f"{VK_SITE}/club{abs(author)}" if author < 0 else f"{VK_SITE}/id{author}"
