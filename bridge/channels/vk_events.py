"""VK community events (Bots Long Poll / Callback API, v5.199) as `IncomingItem`s — pure code.

One row of `EVENT_KINDS` per event type we take in (SPEC §1 step 1): which comment object
it carries, the «Вид» label, whether the answer is public (п. 3.4) and how to answer it.
Only the display name, profile link, text and attachments are kept (152-ФЗ).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable, Mapping

from bridge.channels.base import (
    KIND_BOARD, KIND_COMMENT, KIND_MESSAGE, KIND_PHOTO_COMMENT, KIND_SUGGESTED,
    KIND_VIDEO_COMMENT, AttachmentRef, IncomingItem, from_unix,
)

VK_SITE = "https://vk.com"


def _wall_comment(obj: dict) -> tuple[str, str, dict]:
    owner, post, cid = obj.get("post_owner_id", obj.get("owner_id")), obj["post_id"], obj["id"]
    target = {"method": "wall.createComment", "owner_id": owner, "post_id": post, "reply_to_comment": cid}
    return f"wall_comment:{owner}_{post}_{cid}", f"{VK_SITE}/wall{owner}_{post}?reply={cid}", target


def _photo_comment(obj: dict) -> tuple[str, str, dict]:
    owner, photo, cid = obj["photo_owner_id"], obj["photo_id"], obj["id"]
    target = {"method": "photos.createComment", "owner_id": owner, "photo_id": photo, "reply_to_comment": cid}
    return f"photo_comment:{owner}_{photo}_{cid}", f"{VK_SITE}/photo{owner}_{photo}", target


def _video_comment(obj: dict) -> tuple[str, str, dict]:
    owner, video, cid = obj["video_owner_id"], obj["video_id"], obj["id"]
    target = {"method": "video.createComment", "owner_id": owner, "video_id": video, "reply_to_comment": cid}
    return f"video_comment:{owner}_{video}_{cid}", f"{VK_SITE}/video{owner}_{video}", target


def _board_comment(obj: dict) -> tuple[str, str, dict]:
    owner, topic, cid = obj["topic_owner_id"], obj["topic_id"], obj["id"]
    target = {"method": "board.createComment", "group_id": abs(int(owner)), "topic_id": topic}
    return f"board_comment:{owner}_{topic}_{cid}", f"{VK_SITE}/topic{owner}_{topic}?post={cid}", target


def _suggested_post(obj: dict) -> tuple[str, str, dict]:
    owner, pid = obj["owner_id"], obj["id"]
    # A suggested post is not public until the community publishes it: answer the author privately.
    target = {"method": "messages.send", "peer_id": obj.get("from_id") or obj.get("created_by")}
    return f"suggested_post:{owner}_{pid}", f"{VK_SITE}/wall{owner}?w=wall{owner}_{pid}", target


# event type → (how to read ids, «Вид», public answer?, 'new'|'edit'|'delete')
EVENT_KINDS: Mapping[str, tuple[Callable[[dict], tuple[str, str, dict]], str, bool, str]] = {
    "wall_reply_new": (_wall_comment, KIND_COMMENT, True, "new"),
    "wall_reply_edit": (_wall_comment, KIND_COMMENT, True, "edit"),
    "wall_reply_restore": (_wall_comment, KIND_COMMENT, True, "new"),
    "wall_reply_delete": (_wall_comment, KIND_COMMENT, True, "delete"),
    "photo_comment_new": (_photo_comment, KIND_PHOTO_COMMENT, True, "new"),
    "photo_comment_edit": (_photo_comment, KIND_PHOTO_COMMENT, True, "edit"),
    "video_comment_new": (_video_comment, KIND_VIDEO_COMMENT, True, "new"),
    "video_comment_edit": (_video_comment, KIND_VIDEO_COMMENT, True, "edit"),
    "board_post_new": (_board_comment, KIND_BOARD, True, "new"),
    "board_post_edit": (_board_comment, KIND_BOARD, True, "edit"),
    "wall_post_new": (_suggested_post, KIND_SUGGESTED, False, "new"),
}
MESSAGE_EVENTS = {"message_new": "new", "message_edit": "edit"}


def author_ids(events: list[dict]) -> set[int]:
    """The user ids whose display names a batch of events needs (one users.get call)."""
    ids = set()
    for event in events:
        obj = _payload(event)
        author = obj.get("from_id") or obj.get("created_by")
        if isinstance(author, int) and author > 0:
            ids.add(author)
    return ids


def parse_event(event: dict, names: Mapping[int, str], group_id: int) -> IncomingItem | None:
    """One VK event as an item, or None for an event we don't take in."""
    etype, obj = event.get("type"), _payload(event)
    if etype in MESSAGE_EVENTS:
        return _message_item(obj, names, group_id, MESSAGE_EVENTS[etype])
    rule = EVENT_KINDS.get(etype)
    if rule is None or (etype == "wall_post_new" and obj.get("post_type") != "suggest"):
        return None
    read_ids, kind, public, change = rule
    external_id, link, target = read_ids(obj)
    author = obj.get("from_id") or obj.get("created_by") or obj.get("deleter_id") or 0
    return IncomingItem(
        channel="vk", external_id=external_id, kind=kind, public=public,
        posted_at=_when(obj), author_name=_name(author, names) if change != "delete" else "",
        author_link=_profile(author) if change != "delete" else "", text=obj.get("text", ""),
        link=link, reply_target=target, attachments=parse_attachments(obj.get("attachments")),
        event=change,
    )


def _message_item(msg: dict, names: Mapping[int, str], group_id: int, change: str) -> IncomingItem:
    peer, cmid, author = msg["peer_id"], msg["conversation_message_id"], msg.get("from_id", msg["peer_id"])
    return IncomingItem(
        channel="vk", external_id=f"message:{peer}_{cmid}", kind=KIND_MESSAGE, public=False,
        posted_at=_when(msg), author_name=_name(author, names), author_link=_profile(author),
        text=msg.get("text", ""), link=f"{VK_SITE}/gim{group_id}?sel={peer}",
        reply_target={"method": "messages.send", "peer_id": peer},
        attachments=parse_attachments(msg.get("attachments")), event=change,
    )


def parse_attachments(items: list | None) -> tuple[AttachmentRef, ...]:
    """Photos (largest size), documents, videos and links of a VK object."""
    refs = []
    for item in items or ():
        kind = item.get("type")
        body = item.get(kind) or {}
        ref = _attachment(kind, body)
        if ref:
            refs.append(ref)
    return tuple(refs)


def _attachment(kind: str, body: dict) -> AttachmentRef | None:
    ident = f"{body.get('owner_id')}_{body.get('id')}"
    if kind == "photo":
        sizes = sorted(body.get("sizes") or [], key=lambda s: s.get("width", 0) * s.get("height", 0))
        return AttachmentRef(f"photo{ident}.jpg", sizes[-1]["url"], "photo") if sizes else None
    if kind == "doc":
        title, ext = body.get("title") or f"doc{ident}", body.get("ext") or ""
        name = title if not ext or title.lower().endswith("." + ext.lower()) else f"{title}.{ext}"
        return AttachmentRef(name, body.get("url", ""), "doc")
    if kind == "video":
        return AttachmentRef(body.get("title") or f"video{ident}", f"{VK_SITE}/video{ident}", "video")
    if kind == "link":
        return AttachmentRef(body.get("title") or body.get("url", ""), body.get("url", ""), "link")
    if kind in ("audio", "audio_message", "sticker", "graffiti"):
        return AttachmentRef(f"{kind}{ident}", _first_url(body), kind)
    return None


def _first_url(body: dict) -> str:
    for key in ("url", "link_mp3", "link_ogg"):
        if body.get(key):
            return body[key]
    return ""


def _payload(event: dict) -> dict:
    obj = event.get("object") or {}
    return obj.get("message", obj) if event.get("type") == "message_new" else obj


def _when(obj: dict) -> datetime:
    return from_unix(obj["date"]) if obj.get("date") else datetime.now(timezone.utc)


def _name(author: int, names: Mapping[int, str]) -> str:
    if author < 0:
        return f"Сообщество {abs(author)}"
    return names.get(author) or f"id{author}"


def _profile(author: int) -> str:
    return f"{VK_SITE}/club{abs(author)}" if author < 0 else f"{VK_SITE}/id{author}"
