"""The VK API methods the stand-in answers, one row each, from the VK API JSON schema
(github.com/VKCOM/vk-api-schema `<section>/methods.json`: parameter types and limits,
`access_token_type`) and the dev.vk.com page each row cites. Shares nothing with Otklik's client."""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # annotations only: the methods get the stand-in they answer for
    from standins.vk_api import FakeVk

ERROR_TEXTS = {   # dev.vk.com/ru/reference/errors
    1: "Unknown error occurred",
    3: "Unknown method passed",
    5: "User authorization failed: invalid access_token (4).",
    6: "Too many requests per second",
    8: "Invalid request: v (version) is required",
    9: "Flood control",
    10: "Internal server error",
    14: "Captcha needed",
    15: "Access denied",
    27: "Group authorization failed: method is unavailable with group auth.",
    29: "Rate limit reached",
    100: "One of the parameters specified was missing or invalid",
    113: "Invalid user id",
    901: "Can't send messages for users without permission",
}


class VkError(Exception):
    def __init__(self, code: int, text: str | None = None):
        super().__init__(code)
        self.code, self.text = code, text


def error_body(code: int, params: dict, text: str | None = None) -> dict:
    shown = [{"key": k, "value": v} for k, v in params.items() if k != "access_token"]
    return {"error": {"error_code": code, "error_msg": text or ERROR_TEXTS.get(code, "Error"),
                      "request_params": shown}}


# ---- parameters as the schema types them --------------------------------------------------
class Param:
    """One schema parameter: its type (`int`, `bool`, `str`), required, limits."""

    def __init__(self, name: str, kind: str = "str", required: bool = False, minimum: int | None = None,
                 maximum: int | None = None, max_length: int | None = None, max_items: int | None = None):
        self.name, self.kind, self.required = name, kind, required
        self.minimum, self.maximum, self.max_length, self.max_items = minimum, maximum, max_length, max_items

    def read(self, raw: str):
        invalid = f"One of the parameters specified was missing or invalid: {self.name} "
        if self.kind == "int":
            try:
                value = int(raw)
            except ValueError:
                raise VkError(100, invalid + "not integer") from None
            if (self.minimum is not None and value < self.minimum) or \
                    (self.maximum is not None and value > self.maximum) or not -2**63 <= value < 2**63:
                raise VkError(100, invalid + "out of range")
            return value
        if self.kind == "int32":
            value = Param(self.name, "int").read(raw)
            if not -2**31 <= value < 2**31:
                raise VkError(100, invalid + "out of int32 range")
            return value
        if self.kind == "bool":
            if raw not in ("0", "1", "true", "false"):
                raise VkError(100, invalid + "should be 0 or 1")
            return raw in ("1", "true")
        if self.kind == "list":
            items = [x for x in raw.split(",") if x]
            if self.max_items is not None and len(items) > self.max_items:
                raise VkError(100, invalid + f"too many items (max {self.max_items})")
            return items
        if self.max_length is not None and len(raw) > self.max_length:
            raise VkError(100, invalid + f"too long (max {self.max_length})")
        return raw


class Method:
    def __init__(self, doc: str, tokens: tuple[str, ...], params: list[Param], handler):
        self.doc, self.tokens, self.params, self.handler = doc, tokens, {p.name: p for p in params}, handler

    def read(self, raw: dict) -> dict:
        values = {}
        for name, param in self.params.items():
            if raw.get(name) in (None, ""):
                if param.required:
                    raise VkError(100, f"One of the parameters specified was missing or invalid: {name} is undefined")
                continue
            values[name] = param.read(raw[name])
        return values


# ---- the methods -----------------------------------------------------------------------------
def _get_lp_server(fake: FakeVk, p: dict, kind: str) -> dict:
    """dev.vk.com/ru/method/groups.getLongPollServer — group_id required (minimum 1)."""
    if p["group_id"] != fake.group_id:
        raise VkError(15, "Access denied: no access to this group")
    return {"key": fake.lp_key, "server": fake.base_url + "/lp", "ts": str(len(fake.events))}


def _get_lp_settings(fake: FakeVk, p: dict, kind: str) -> dict:
    """dev.vk.com/ru/method/groups.getLongPollSettings — {is_enabled, api_version, events}."""
    if p["group_id"] != fake.group_id:
        raise VkError(15, "Access denied: no access to this group")
    return json.loads(json.dumps(fake.long_poll))


def _set_lp_settings(fake: FakeVk, p: dict, kind: str) -> int:
    """dev.vk.com/ru/method/groups.setLongPollSettings — needs the «manage» right; answers 1."""
    if p["group_id"] != fake.group_id:
        raise VkError(15, "Access denied: no access to this group")
    if kind == "group" and "manage" not in fake.rights:
        raise VkError(15, "Access denied: no access to call this method")
    if "enabled" in p:
        fake.long_poll["is_enabled"] = p["enabled"]
    if "api_version" in p:
        fake.long_poll["api_version"] = p["api_version"]
    for name in LONG_POLL_EVENTS:
        if name in p:
            fake.long_poll["events"][name] = int(p[name])
    return 1


def _token_permissions(fake: FakeVk, p: dict, kind: str) -> dict:
    """dev.vk.com/ru/method/groups.getTokenPermissions — community token only; {mask, permissions}."""
    bits = {"manage": 262144, "messages": 4096, "photos": 4, "docs": 131072, "wall": 8192,
            "stories": 1, "app_widget": 64}
    perms = [{"name": name, "setting": bits[name]} for name in sorted(fake.rights)]
    return {"mask": sum(bits[n] for n in fake.rights), "permissions": perms}


def _groups_get_by_id(fake: FakeVk, p: dict, kind: str) -> dict:
    """dev.vk.com/ru/method/groups.getById — since 5.194 answers {groups: [...], profiles: [...]}."""
    wanted = p.get("group_id") or (p.get("group_ids") or [None])[0] or (fake.group_id if kind == "group" else None)
    if str(wanted).lstrip("-") != str(fake.group_id):
        raise VkError(100, "One of the parameters specified was missing or invalid: group_id is invalid")
    group = {"id": fake.group_id, "name": "Администрация (стенд)", "screen_name": f"club{fake.group_id}",
             "is_closed": 0, "type": "group"}
    if kind == "user" and "is_admin" in (p.get("fields") or []):
        group["is_admin"] = int(fake.user_token_owner in fake.admins)
    return {"groups": [group], "profiles": []}


def _users_get(fake: FakeVk, p: dict, kind: str) -> list:
    """dev.vk.com/ru/method/users.get — user_ids up to 1000."""
    ids = []
    for raw in p.get("user_ids") or ([str(fake.user_token_owner)] if kind == "user" else []):
        try:
            ids.append(int(raw))
        except ValueError:
            raise VkError(113, "Invalid user id") from None
        if not 0 < ids[-1] < 2**63:   # user_ids: format int64, entity profiles
            raise VkError(113, "Invalid user id")
    return [{"id": i, "first_name": fake.users.get(i, ("DELETED", ""))[0],
             "last_name": fake.users.get(i, ("", ""))[1], "can_access_closed": True,
             "is_closed": False} for i in ids]


def _publish(fake: FakeVk, method: str, p: dict) -> dict:
    """What the community published, with the form values exactly as VK received them and the
    saved photos and documents they attach (`files`: (type, Upload) pairs)."""
    files = attached_files(fake, p.get("attachments", p.get("attachment")))
    entry = {"method": method, "id": next(fake._ids), **p["_raw"], "files": files}
    fake.published.append(entry)
    return entry


def _by_guid(fake: FakeVk, method: str, p: dict, make) -> dict:
    """`guid`: "Unique identifier to avoid repeated comments" — the same guid answers the same object."""
    guid = p.get("guid")
    if guid and (method, guid) in fake._guids:
        return fake._guids[(method, guid)]
    entry = make()
    if guid:
        fake._guids[(method, guid)] = entry
    return entry


def _wall_create_comment(fake: FakeVk, p: dict, kind: str) -> dict:
    """dev.vk.com/ru/method/wall.createComment — message or attachments; from_group is a group id;
    answers {comment_id, parents_stack}; 100 for a reply to a deleted comment."""
    if "message" not in p and "attachments" not in p:
        raise VkError(100, "One of the parameters specified was missing or invalid: message is undefined")
    if p.get("from_group") not in (None, 0, fake.group_id):
        raise VkError(15, "Access denied: from_group is not a group you manage")
    key = (p.get("owner_id", 0), p["post_id"], p.get("reply_to_comment", 0))
    if key in fake.deleted_comments:
        raise VkError(100, "One of the parameters specified was missing or invalid: reply_to_comment is deleted")
    entry = _by_guid(fake, "wall.createComment", p, lambda: _publish(fake, "wall.createComment", p))
    return {"comment_id": entry["id"], "parents_stack": []}


def _messages_send(fake: FakeVk, p: dict, kind: str) -> int:
    """dev.vk.com/ru/method/messages.send — random_id is required (int32) and unique "in binding
    to the API_ID and the sender": a repeated random_id answers the earlier message, not a new one."""
    if "random_id" not in p:
        raise VkError(100, "One of the parameters specified was missing or invalid: random_id is a required parameter")
    peer = p.get("peer_id") or p.get("user_id")
    if peer is None:
        raise VkError(100, "One of the parameters specified was missing or invalid: you should specify peer_id")
    if "message" not in p and "attachment" not in p:
        raise VkError(100, "One of the parameters specified was missing or invalid: message is empty or invalid")
    if peer in fake.denied_messages:
        raise VkError(901)
    if len([x for x in str(p.get("attachment") or "").split(",") if x]) > 10:   # «не более 10 вложений»
        raise VkError(100, "One of the parameters specified was missing or invalid: too many attachments")
    if p["random_id"] != 0 and p["random_id"] in fake._random_ids:
        return fake._random_ids[p["random_id"]]["id"]
    entry = _publish(fake, "messages.send", p)
    fake._messages_by_id[entry["id"]] = {"id": entry["id"], "peer_id": peer, "from_id": -fake.group_id, "out": 1,
                                         "date": int(time.time()), "text": p.get("message", ""),
                                         "conversation_message_id": next(fake._ids), "attachments": []}
    if p["random_id"] != 0:
        fake._random_ids[p["random_id"]] = entry
    return entry["id"]


def _messages_get_by_id(fake: FakeVk, p: dict, kind: str) -> dict:
    """dev.vk.com/ru/method/messages.getById — message_ids (≤ 100); answers {count, items}."""
    ids = [int(x) for x in p.get("message_ids") or [] if x.lstrip("-").isdigit()]
    items = [fake._messages_by_id[i] for i in ids if i in fake._messages_by_id]
    return {"count": len(items), "items": items}


def _media_comment(method: str):
    """photos/video/board.createComment (dev.vk.com/ru/method/<name>) — user token only; from_group
    is a boolean; answers the new comment's id as a bare number."""
    def handler(fake: FakeVk, p: dict, kind: str) -> int:
        if "message" not in p and "attachments" not in p:
            raise VkError(100, "One of the parameters specified was missing or invalid: message is undefined")
        if p.get("from_group") and fake.user_token_owner not in fake.admins:
            raise VkError(15, "Access denied: you are not an administrator of this community")
        return _by_guid(fake, method, p, lambda: _publish(fake, method, p))["id"]
    return handler


def _wall_post(fake: FakeVk, p: dict, kind: str) -> dict:
    """dev.vk.com/ru/method/wall.post — user token only; from_group boolean; answers {post_id}."""
    if "message" not in p and "attachments" not in p:
        raise VkError(100, "One of the parameters specified was missing or invalid: message is undefined")
    return {"post_id": _by_guid(fake, "wall.post", p, lambda: _publish(fake, "wall.post", p))["id"]}


def _upload_server(kind_of_file: str, target: str):
    """photos.getWallUploadServer / getMessagesUploadServer, docs.getWallUploadServer /
    getMessagesUploadServer — answer {upload_url, album_id, user_id, group_id}; the URL is good
    for the uploads of this target only (a wall upload cannot be saved as a message photo)."""
    def handler(fake: FakeVk, p: dict, kind: str) -> dict:
        if target == "wall" and p.get("group_id") not in (None, fake.group_id):
            raise VkError(15, "Access denied: no access to this group")
        server = fake.new_upload_server(kind_of_file, target)
        return {"upload_url": f"{fake.base_url}/upload/{server}", "album_id": -14 if target == "wall" else -3,
                "user_id": fake.user_token_owner if kind == "user" else 0, "group_id": fake.group_id}
    return handler


def _save_photo(target: str):
    """photos.saveWallPhoto / saveMessagesPhoto (dev.vk.com/ru/api/upload/…): `photo`, `server`
    and `hash` exactly as the upload server answered them; answers a list of photo objects."""
    def handler(fake: FakeVk, p: dict, kind: str) -> list:
        upload = fake.uploaded.get(p["photo"])
        if upload is None or upload["kind"] != "photo" or upload["target"] != target:
            raise VkError(100, "One of the parameters specified was missing or invalid: photos_list is invalid")
        if str(p.get("server", "")) != str(upload["server"]) or p.get("hash") != upload["hash"]:
            raise VkError(121, "Invalid hash")
        photo_id = next(fake._ids)
        fake.photos[f"photo{-fake.group_id}_{photo_id}"] = upload["file"]
        return [{"id": photo_id, "owner_id": -fake.group_id, "album_id": -14 if target == "wall" else -3,
                 "sizes": [], "text": "", "date": int(time.time())}]
    return handler


def _save_doc(fake: FakeVk, p: dict, kind: str) -> dict:
    """dev.vk.com/ru/method/docs.save — `file` as the upload server answered it; answers {type: doc, doc}."""
    upload = fake.uploaded.get(p["file"])
    if upload is None or upload["kind"] != "doc":
        raise VkError(100, "One of the parameters specified was missing or invalid: file is undefined")
    doc_id = next(fake._ids)
    fake.docs[f"doc{-fake.group_id}_{doc_id}"] = upload["file"]
    return {"type": "doc", "doc": {"id": doc_id, "owner_id": -fake.group_id,
                                   "title": p.get("title") or upload["file"].filename,
                                   "size": upload["file"].size, "url": ""}}


ATTACHMENT = re.compile(r"^(photo|doc|video|audio|wall|market|poll)(-?\d+)_(\d+)(?:_[0-9a-f]+)?$")


def attached_files(fake: FakeVk, value) -> list:
    """The `attachments` of a comment / `attachment` of a message: "<type><owner_id>_<media_id>"
    separated by commas (dev.vk.com/ru/method/wall.createComment); a photo or document this
    community never saved is refused, as VK refuses a media id it does not know."""
    items = value if isinstance(value, list) else [x for x in str(value or "").split(",") if x]
    files = []
    for item in items:
        found = ATTACHMENT.match(item.strip())
        store = {"photo": fake.photos, "doc": fake.docs}.get(found.group(1)) if found else None
        key = f"{found.group(1)}{found.group(2)}_{found.group(3)}" if found else ""
        if store is None or key not in store:
            raise VkError(100, "One of the parameters specified was missing or invalid: attachments is invalid")
        files.append((found.group(1), store[key]))
    return files


LONG_POLL_EVENTS = (   # groups.setLongPollSettings boolean parameters, VK API schema
    "message_new", "message_reply", "message_allow", "message_deny", "message_edit", "message_typing_state",
    "photo_new", "audio_new", "video_new", "wall_reply_new", "wall_reply_edit", "wall_reply_delete",
    "wall_reply_restore", "wall_post_new", "wall_repost", "board_post_new", "board_post_edit",
    "board_post_restore", "board_post_delete", "photo_comment_new", "photo_comment_edit",
    "photo_comment_delete", "photo_comment_restore", "video_comment_new", "video_comment_edit",
    "video_comment_delete", "video_comment_restore", "market_comment_new", "market_comment_edit",
    "market_comment_delete", "market_comment_restore", "poll_vote_new", "group_join", "group_leave",
    "group_change_settings", "group_change_photo", "group_officers_edit", "user_block", "user_unblock",
    "like_add", "like_remove", "message_event", "message_reaction_event")
_GROUP_ID = Param("group_id", "int", required=True, minimum=1)
_COMMENT = [Param("message"), Param("attachments", "list"), Param("guid"), Param("sticker_id", "int", minimum=0)]
U, G, UG = ("user",), ("group",), ("user", "group")
METHODS: dict[str, Method] = {
    "groups.getLongPollServer": Method("https://dev.vk.com/ru/method/groups.getLongPollServer", UG,
                                       [_GROUP_ID], _get_lp_server),
    "groups.getLongPollSettings": Method("https://dev.vk.com/ru/method/groups.getLongPollSettings", UG,
                                         [_GROUP_ID], _get_lp_settings),
    "groups.setLongPollSettings": Method("https://dev.vk.com/ru/method/groups.setLongPollSettings", UG,
                                         [_GROUP_ID, Param("enabled", "bool"), Param("api_version"),
                                          *[Param(e, "bool") for e in LONG_POLL_EVENTS]], _set_lp_settings),
    "groups.getTokenPermissions": Method("https://dev.vk.com/ru/method/groups.getTokenPermissions", G, [],
                                         _token_permissions),
    "groups.getById": Method("https://dev.vk.com/ru/method/groups.getById", ("user", "group"),
                             [Param("group_ids", "list"), Param("group_id"), Param("fields", "list")],
                             _groups_get_by_id),
    "users.get": Method("https://dev.vk.com/ru/method/users.get", UG,
                        [Param("user_ids", "list", max_items=1000), Param("fields", "list"), Param("name_case")],
                        _users_get),
    "wall.createComment": Method("https://dev.vk.com/ru/method/wall.createComment", UG,
                                 [Param("owner_id", "int"), Param("post_id", "int", required=True, minimum=0),
                                  Param("from_group", "int", minimum=0), Param("reply_to_comment", "int"), *_COMMENT],
                                 _wall_create_comment),
    "photos.createComment": Method("https://dev.vk.com/ru/method/photos.createComment", U,
                                   [Param("owner_id", "int"), Param("photo_id", "int", required=True),
                                    Param("from_group", "bool"), Param("reply_to_comment", "int"),
                                    Param("access_key"), *_COMMENT], _media_comment("photos.createComment")),
    "video.createComment": Method("https://dev.vk.com/ru/method/video.createComment", U,
                                  [Param("owner_id", "int"), Param("video_id", "int", required=True, minimum=0),
                                   Param("from_group", "bool"), Param("reply_to_comment", "int", minimum=0),
                                   *_COMMENT], _media_comment("video.createComment")),
    "board.createComment": Method("https://dev.vk.com/ru/method/board.createComment", U,
                                  [Param("group_id", "int", required=True, minimum=1),
                                   Param("topic_id", "int", required=True, minimum=0), Param("from_group", "bool"),
                                   *_COMMENT], _media_comment("board.createComment")),
    "messages.send": Method("https://dev.vk.com/ru/method/messages.send", UG,
                            [Param("user_id", "int"), Param("random_id", "int32"), Param("peer_id", "int"),
                             Param("message", max_length=9000), Param("attachment", max_length=9000),
                             Param("reply_to", "int"), Param("dont_parse_links", "bool")], _messages_send),
    "messages.getById": Method("https://dev.vk.com/ru/method/messages.getById", UG,
                               [Param("message_ids", "list", max_items=100), Param("group_id", "int"),
                                Param("preview_length", "int"), Param("extended", "bool")], _messages_get_by_id),
    "wall.post": Method("https://dev.vk.com/ru/method/wall.post", U,
                        [Param("owner_id", "int"), Param("from_group", "bool"), Param("message"),
                         Param("attachments", "list"), Param("guid")], _wall_post),
    "photos.getMessagesUploadServer": Method("https://dev.vk.com/ru/method/photos.getMessagesUploadServer", UG,
                                             [Param("peer_id", "int")], _upload_server("photo", "messages")),
    "photos.getWallUploadServer": Method("https://dev.vk.com/ru/method/photos.getWallUploadServer", U,
                                         [Param("group_id", "int")], _upload_server("photo", "wall")),
    "docs.getMessagesUploadServer": Method("https://dev.vk.com/ru/method/docs.getMessagesUploadServer", UG,
                                           [Param("type"), Param("peer_id", "int32")], _upload_server("doc", "messages")),
    "docs.getWallUploadServer": Method("https://dev.vk.com/ru/method/docs.getWallUploadServer", UG,
                                       [Param("group_id", "int", minimum=0)], _upload_server("doc", "wall")),
    "photos.saveMessagesPhoto": Method("https://dev.vk.com/ru/method/photos.saveMessagesPhoto", UG,
                                       [Param("photo", required=True), Param("server", "int"), Param("hash")],
                                       _save_photo("messages")),
    "photos.saveWallPhoto": Method("https://dev.vk.com/ru/method/photos.saveWallPhoto", U,
                                   [Param("user_id", "int", minimum=0), Param("group_id", "int", minimum=0),
                                    Param("photo", required=True), Param("server", "int"), Param("hash")],
                                   _save_photo("wall")),
    "docs.save": Method("https://dev.vk.com/ru/method/docs.save", UG,
                        [Param("file", required=True), Param("title"), Param("tags")], _save_doc),
}


