"""A local stand-in for the VK API and its Bots Long Poll server, for tests and `run.py demo`.

Written from the documentation, not from Otklik's client: every method below cites its
dev.vk.com page, and its parameters and accepted token types are those of the VK API JSON
schema (github.com/VKCOM/vk-api-schema, `<section>/methods.json`: `parameters`,
`access_token_type`). On the wire (dev.vk.com/ru/api/api-requests): `POST /method/<name>` with
form fields, answered `{"response": ...}` or `{"error": {"error_code", "error_msg",
"request_params"}}` (dev.vk.com/ru/reference/errors); the long-poll server
(dev.vk.com/ru/api/bots-long-poll/getting-started) answers `{"ts", "updates"}` or `{"failed": 1|2|3}`
and delivers only the event types switched on in the community's Long Poll settings.

Tests script citizens (`post_wall_comment`, `send_dm`, ...), read what the community published
(`published`), and inject faults (`fail_next`), rate limits (`rate_limits = True`), a restart.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from urllib.parse import parse_qs, urlparse

from standins.http_stand import LoopbackStand, QuietHandler

API_VERSION = "5.199"
MAX_UPDATES_PER_CHECK = 100
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
    901: "Can't send messages for users without permission",
}
# dev.vk.com/ru/api/api-requests «Ограничения»: 3 requests/s with a user token, 20 with a community one
RATE = {"user": 3, "group": 20}
ALL_RIGHTS = ("manage", "messages", "photos", "docs", "wall", "stories", "app_widget")


class FakeVk(LoopbackStand):
    """One VK community with its long-poll queue; start() binds a free port on 127.0.0.1."""

    def __init__(self, group_id: int = 100, token: str = "vk-group-token", user_token: str = "vk-admin-token",
                 long_poll_enabled: bool = True):
        self.group_id = group_id
        self.token = token
        self.user_token = user_token
        self.user_token_owner = 900              # the administrator whose user token it is
        self.admins = {900}
        self.rights = set(ALL_RIGHTS)            # what the community token was issued with
        self.users: dict[int, tuple[str, str]] = {}
        self.events: list[dict] = []
        self.published: list[dict] = []
        self.calls: list[tuple[str, dict]] = []
        self.lp_key = "key-1"
        self.faults: dict[str, list] = {}
        self.denied_messages: set[int] = set()
        self.deleted_comments: set[tuple[int, int, int]] = set()
        self.uploads: dict[str, bytes] = {}
        self.rate_limits = False
        self.long_poll = {"is_enabled": long_poll_enabled, "api_version": API_VERSION if long_poll_enabled else "5.131",
                          "events": {name: int(long_poll_enabled) for name in LONG_POLL_EVENTS}}
        self._random_ids: dict[int, dict] = {}
        self._messages_by_id: dict[int, dict] = {}
        self._guids: dict[tuple, dict] = {}
        self._recent: dict[str, deque] = {}
        self._ids = itertools.count(1000)
        self._cond = threading.Condition()

    # ---- life cycle -------------------------------------------------------------------
    def handler_class(self):
        return _handler_for(self)

    @property
    def api_url(self) -> str:
        return self.base_url + "/method/"

    # ---- scripting citizens -----------------------------------------------------------
    def add_user(self, user_id: int, first_name: str, last_name: str) -> None:
        self.users[user_id] = (first_name, last_name)

    def post_wall_comment(self, post_id: int, from_id: int, text: str, attachments=(), reply_to=None) -> int:
        cid = next(self._ids)
        obj = self._comment(cid, from_id, text, attachments)
        obj.update(post_id=post_id, owner_id=-self.group_id, post_owner_id=-self.group_id)
        if reply_to:
            obj["reply_to_comment"] = reply_to
        self.push_event("wall_reply_new", obj)
        return cid

    def edit_wall_comment(self, post_id: int, comment_id: int, from_id: int, text: str) -> None:
        obj = self._comment(comment_id, from_id, text, ())
        obj.update(post_id=post_id, owner_id=-self.group_id, post_owner_id=-self.group_id)
        self.push_event("wall_reply_edit", obj)

    def delete_wall_comment(self, post_id: int, comment_id: int, user_id: int = 1) -> None:
        """callback_wall_comment_delete: owner_id, id, user_id, post_id (+ deleter_id)."""
        self.deleted_comments.add((-self.group_id, post_id, comment_id))
        obj = {"owner_id": -self.group_id, "id": comment_id, "user_id": user_id, "deleter_id": user_id,
               "post_id": post_id}
        self.push_event("wall_reply_delete", obj)

    def post_photo_comment(self, photo_id: int, from_id: int, text: str) -> int:
        cid = next(self._ids)
        obj = self._comment(cid, from_id, text, ())
        obj.update(photo_id=photo_id, photo_owner_id=-self.group_id)
        self.push_event("photo_comment_new", obj)
        return cid

    def delete_photo_comment(self, photo_id: int, comment_id: int, user_id: int) -> None:
        """callback_photo_comment_delete: id, owner_id, user_id, photo_id, deleter_id."""
        self.push_event("photo_comment_delete", {"id": comment_id, "owner_id": -self.group_id, "user_id": user_id,
                                                 "photo_id": photo_id, "deleter_id": user_id})

    def post_video_comment(self, video_id: int, from_id: int, text: str) -> int:
        cid = next(self._ids)
        obj = self._comment(cid, from_id, text, ())
        obj.update(video_id=video_id, video_owner_id=-self.group_id)
        self.push_event("video_comment_new", obj)
        return cid

    def post_board_comment(self, topic_id: int, from_id: int, text: str) -> int:
        cid = next(self._ids)
        obj = self._comment(cid, from_id, text, ())
        obj.update(topic_id=topic_id, topic_owner_id=-self.group_id)
        self.push_event("board_post_new", obj)
        return cid

    def delete_board_comment(self, topic_id: int, comment_id: int) -> None:
        """callback_board_post_delete: topic_owner_id, topic_id, id."""
        self.push_event("board_post_delete", {"topic_owner_id": -self.group_id, "topic_id": topic_id,
                                              "id": comment_id})

    def send_dm(self, from_id: int, text: str, attachments=()) -> int:
        cmid = next(self._ids)
        message = self._message(cmid, from_id, text, attachments)
        self.push_event("message_new", {"message": message, "client_info": {"keyboard": True}})
        return cmid

    def edit_dm(self, from_id: int, cmid: int, text: str) -> None:
        self.push_event("message_edit", self._message(cmid, from_id, text, ()))

    def suggest_post(self, from_id: int, text: str) -> int:
        pid = next(self._ids)
        post = {"id": pid, "owner_id": -self.group_id, "from_id": from_id, "created_by": from_id,
                "date": int(time.time()), "text": text, "post_type": "suggest", "attachments": []}
        self.push_event("wall_post_new", post)
        return pid

    def photo_attachment(self, photo_id: int, url: str) -> dict:
        sizes = [{"type": "s", "url": url + "?s", "width": 75, "height": 75},
                 {"type": "x", "url": url, "width": 604, "height": 604}]
        return {"type": "photo", "photo": {"id": photo_id, "owner_id": 1, "sizes": sizes}}

    def doc_attachment(self, doc_id: int, title: str, url: str) -> dict:
        ext = title.rsplit(".", 1)[-1]
        return {"type": "doc", "doc": {"id": doc_id, "owner_id": 1, "title": title, "ext": ext, "url": url}}

    def event_body(self, event_type: str, obj, secret: str | None = None) -> dict:
        """One event as VK sends it: callback_base (type, object, group_id, event_id, v)."""
        body = {"type": event_type, "object": obj, "group_id": self.group_id,
                "event_id": f"ev{len(self.events) + 1:08d}", "v": API_VERSION}
        if secret is not None:
            body["secret"] = secret
        return body

    def push_event(self, event_type: str, obj) -> None:
        with self._cond:
            self.events.append(self.event_body(event_type, obj))
            self._cond.notify_all()

    def push_raw(self, event) -> None:
        """Anything at all as one `updates[]` entry (hostile-input tests)."""
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    # ---- faults -----------------------------------------------------------------------
    def fail_next(self, method: str, error) -> None:
        """Next call of `method` fails: an int is a VK error code, 'http500' an HTTP 500,
        'lost_response' does the work but answers HTTP 502; for 'a_check' a dict such as
        {'failed': 2} is returned once."""
        self.faults.setdefault(method, []).append(error)

    def expire_key(self) -> None:
        self.lp_key = f"key-{next(self._ids)}"

    def _take_fault(self, method: str):
        queue = self.faults.get(method)
        return queue.pop(0) if queue else None

    # ---- wire level -------------------------------------------------------------------
    def _comment(self, cid: int, from_id: int, text: str, attachments) -> dict:
        return {"id": cid, "from_id": from_id, "date": int(time.time()), "text": text,
                "attachments": list(attachments), "parents_stack": []}

    def _message(self, cmid: int, from_id: int, text: str, attachments) -> dict:
        return {"id": 0, "date": int(time.time()), "peer_id": from_id, "from_id": from_id, "out": 0,
                "text": text, "conversation_message_id": cmid, "attachments": list(attachments)}

    def a_check(self, query: dict) -> dict:
        """dev.vk.com/ru/api/bots-long-poll/getting-started: act=a_check&key&ts&wait (≤ 90);
        failed 1 (ts out of range: new ts given), 2 (key expired), 3 (information lost)."""
        fault = self._take_fault("a_check")
        if fault:
            return fault
        if query.get("act") != "a_check" or query.get("key") != self.lp_key:
            return {"failed": 2}
        try:
            ts = int(query.get("ts", ""))
        except ValueError:
            return {"failed": 1, "ts": str(len(self.events))}
        if ts > len(self.events) or ts < 0:
            return {"failed": 1, "ts": str(len(self.events))}
        wait = min(float(query.get("wait", "0") or 0), 5.0)
        with self._cond:
            self._cond.wait_for(lambda: len(self.events) > ts, timeout=wait)
            chunk = self.events[ts:ts + MAX_UPDATES_PER_CHECK]
        updates = [e for e in chunk if self._delivered(e)]
        return {"ts": str(ts + len(chunk)), "updates": updates}

    def _delivered(self, event) -> bool:
        """Only the types switched on in groups.setLongPollSettings reach the long poll."""
        if not self.long_poll["is_enabled"]:
            return False
        etype = event.get("type") if isinstance(event, dict) else None
        return etype not in self.long_poll["events"] or bool(self.long_poll["events"][etype])

    def call(self, method: str, params: dict) -> tuple[int, dict]:
        self.calls.append((method, params))
        fault = self._take_fault(method)
        if fault == "http500":
            return 500, {}
        if isinstance(fault, int):
            return 200, _error(fault, params)
        spec = METHODS.get(method)
        if spec is None:
            return 200, _error(3, params)
        if not params.get("v"):
            return 200, _error(8, params)
        kind = self._token_kind(params.get("access_token"))
        if kind is None:
            return 200, _error(5, params)
        if kind not in spec.tokens:
            return 200, _error(27 if kind == "group" else 15, params,
                               None if kind == "group" else "Access denied: method is available only with group auth")
        if self._over_rate(kind):
            return 200, _error(6, params)
        try:
            values = spec.read(params)
            values["_raw"] = {k: v for k, v in params.items() if k not in ("access_token", "v")}
            result = spec.handler(self, values, kind)
        except _VkError as exc:
            return 200, _error(exc.code, params, exc.text)
        if fault == "lost_response":
            return 502, {}
        return 200, {"response": result}

    def _token_kind(self, token) -> str | None:
        return {self.token: "group", self.user_token: "user"}.get(token)

    def _over_rate(self, kind: str) -> bool:
        if not self.rate_limits:
            return False
        now, window = time.monotonic(), self._recent.setdefault(kind, deque())
        while window and now - window[0] > 1.0:
            window.popleft()
        if len(window) >= RATE[kind]:
            return True
        window.append(now)
        return False


class _VkError(Exception):
    def __init__(self, code: int, text: str | None = None):
        super().__init__(code)
        self.code, self.text = code, text


def _error(code: int, params: dict, text: str | None = None) -> dict:
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
                raise _VkError(100, invalid + "not integer") from None
            if (self.minimum is not None and value < self.minimum) or \
                    (self.maximum is not None and value > self.maximum) or not -2**63 <= value < 2**63:
                raise _VkError(100, invalid + "out of range")
            return value
        if self.kind == "int32":
            value = Param(self.name, "int").read(raw)
            if not -2**31 <= value < 2**31:
                raise _VkError(100, invalid + "out of int32 range")
            return value
        if self.kind == "bool":
            if raw not in ("0", "1", "true", "false"):
                raise _VkError(100, invalid + "should be 0 or 1")
            return raw in ("1", "true")
        if self.kind == "list":
            items = [x for x in raw.split(",") if x]
            if self.max_items is not None and len(items) > self.max_items:
                raise _VkError(100, invalid + f"too many items (max {self.max_items})")
            return items
        if self.max_length is not None and len(raw) > self.max_length:
            raise _VkError(100, invalid + f"too long (max {self.max_length})")
        return raw


class Method:
    def __init__(self, doc: str, tokens: tuple[str, ...], params: list[Param], handler):
        self.doc, self.tokens, self.params, self.handler = doc, tokens, {p.name: p for p in params}, handler

    def read(self, raw: dict) -> dict:
        values = {}
        for name, param in self.params.items():
            if raw.get(name) in (None, ""):
                if param.required:
                    raise _VkError(100, f"One of the parameters specified was missing or invalid: {name} is undefined")
                continue
            values[name] = param.read(raw[name])
        return values


# ---- the methods -----------------------------------------------------------------------------
def _get_lp_server(fake: FakeVk, p: dict, kind: str) -> dict:
    """dev.vk.com/ru/method/groups.getLongPollServer — group_id required (minimum 1)."""
    if p["group_id"] != fake.group_id:
        raise _VkError(15, "Access denied: no access to this group")
    return {"key": fake.lp_key, "server": fake.base_url + "/lp", "ts": str(len(fake.events))}


def _get_lp_settings(fake: FakeVk, p: dict, kind: str) -> dict:
    """dev.vk.com/ru/method/groups.getLongPollSettings — {is_enabled, api_version, events}."""
    if p["group_id"] != fake.group_id:
        raise _VkError(15, "Access denied: no access to this group")
    return json.loads(json.dumps(fake.long_poll))


def _set_lp_settings(fake: FakeVk, p: dict, kind: str) -> int:
    """dev.vk.com/ru/method/groups.setLongPollSettings — needs the «manage» right; answers 1."""
    if p["group_id"] != fake.group_id:
        raise _VkError(15, "Access denied: no access to this group")
    if kind == "group" and "manage" not in fake.rights:
        raise _VkError(15, "Access denied: no access to call this method")
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
        raise _VkError(100, "One of the parameters specified was missing or invalid: group_id is invalid")
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
            raise _VkError(113, "Invalid user id") from None
    return [{"id": i, "first_name": fake.users.get(i, ("DELETED", ""))[0],
             "last_name": fake.users.get(i, ("", ""))[1], "can_access_closed": True,
             "is_closed": False} for i in ids]


def _publish(fake: FakeVk, method: str, p: dict) -> dict:
    """What the community published, with the form values exactly as VK received them."""
    entry = {"method": method, "id": next(fake._ids), **p["_raw"]}
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
        raise _VkError(100, "One of the parameters specified was missing or invalid: message is undefined")
    if p.get("from_group") not in (None, 0, fake.group_id):
        raise _VkError(15, "Access denied: from_group is not a group you manage")
    key = (p.get("owner_id", 0), p["post_id"], p.get("reply_to_comment", 0))
    if key in fake.deleted_comments:
        raise _VkError(100, "One of the parameters specified was missing or invalid: reply_to_comment is deleted")
    entry = _by_guid(fake, "wall.createComment", p, lambda: _publish(fake, "wall.createComment", p))
    return {"comment_id": entry["id"], "parents_stack": []}


def _messages_send(fake: FakeVk, p: dict, kind: str) -> int:
    """dev.vk.com/ru/method/messages.send — random_id is required (int32) and unique "in binding
    to the API_ID and the sender": a repeated random_id answers the earlier message, not a new one."""
    if "random_id" not in p:
        raise _VkError(100, "One of the parameters specified was missing or invalid: random_id is a required parameter")
    peer = p.get("peer_id") or p.get("user_id")
    if peer is None:
        raise _VkError(100, "One of the parameters specified was missing or invalid: you should specify peer_id")
    if "message" not in p and "attachment" not in p:
        raise _VkError(100, "One of the parameters specified was missing or invalid: message is empty or invalid")
    if peer in fake.denied_messages:
        raise _VkError(901)
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
            raise _VkError(100, "One of the parameters specified was missing or invalid: message is undefined")
        if p.get("from_group") and fake.user_token_owner not in fake.admins:
            raise _VkError(15, "Access denied: you are not an administrator of this community")
        return _by_guid(fake, method, p, lambda: _publish(fake, method, p))["id"]
    return handler


def _wall_post(fake: FakeVk, p: dict, kind: str) -> dict:
    """dev.vk.com/ru/method/wall.post — user token only; from_group boolean; answers {post_id}."""
    if "message" not in p and "attachments" not in p:
        raise _VkError(100, "One of the parameters specified was missing or invalid: message is undefined")
    return {"post_id": _by_guid(fake, "wall.post", p, lambda: _publish(fake, "wall.post", p))["id"]}


def _upload_server(kind_of_file: str):
    """photos/docs.get*UploadServer — answers {upload_url, album_id, user_id, group_id}."""
    return lambda fake, p, kind: {"upload_url": f"{fake.base_url}/upload/{kind_of_file}", "album_id": -3,
                                  "user_id": 0, "group_id": fake.group_id}


def _save_photo(fake: FakeVk, p: dict, kind: str) -> list:
    """photos.saveWallPhoto / saveMessagesPhoto — photo, server, hash from the upload; a list of photos."""
    if p["photo"] not in fake.uploads:
        raise _VkError(100, "One of the parameters specified was missing or invalid: photo is undefined")
    return [{"id": next(fake._ids), "owner_id": -fake.group_id, "album_id": -3,
             "sizes": [], "text": "", "date": int(time.time())}]


def _save_doc(fake: FakeVk, p: dict, kind: str) -> dict:
    """dev.vk.com/ru/method/docs.save — file from the upload; answers {type: doc, doc}."""
    if p["file"] not in fake.uploads:
        raise _VkError(100, "One of the parameters specified was missing or invalid: file is undefined")
    return {"type": "doc", "doc": {"id": next(fake._ids), "owner_id": -fake.group_id,
                                   "title": p.get("title") or "doc", "url": ""}}


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
                                             [Param("peer_id", "int")], _upload_server("photo")),
    "photos.getWallUploadServer": Method("https://dev.vk.com/ru/method/photos.getWallUploadServer", U,
                                         [Param("group_id", "int")], _upload_server("photo")),
    "docs.getMessagesUploadServer": Method("https://dev.vk.com/ru/method/docs.getMessagesUploadServer", UG,
                                           [Param("type"), Param("peer_id", "int32")], _upload_server("doc")),
    "docs.getWallUploadServer": Method("https://dev.vk.com/ru/method/docs.getWallUploadServer", UG,
                                       [Param("group_id", "int", minimum=0)], _upload_server("doc")),
    "photos.saveMessagesPhoto": Method("https://dev.vk.com/ru/method/photos.saveMessagesPhoto", UG,
                                       [Param("photo", required=True), Param("server", "int"), Param("hash")],
                                       _save_photo),
    "photos.saveWallPhoto": Method("https://dev.vk.com/ru/method/photos.saveWallPhoto", U,
                                   [Param("user_id", "int", minimum=0), Param("group_id", "int", minimum=0),
                                    Param("photo", required=True), Param("server", "int"), Param("hash")],
                                   _save_photo),
    "docs.save": Method("https://dev.vk.com/ru/method/docs.save", UG,
                        [Param("file", required=True), Param("title"), Param("tags")], _save_doc),
}


def _handler_for(fake: FakeVk):
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/lp":
                return self.answer_json(200, fake.a_check(query))
            if url.path.startswith("/files/"):
                return self.answer(200, fake.uploads.get(url.path, b"file:" + url.path.encode()))
            if url.path.startswith("/method/"):   # "GET and POST HTTP methods are supported"
                return self.answer_json(*fake.call(url.path[len("/method/"):], query))
            return self.answer_json(404, {})

        def do_POST(self) -> None:
            url = urlparse(self.path)
            body = self.read_body()
            if body is None:
                return None
            if url.path.startswith("/upload/"):
                return self._upload(url.path.rsplit("/", 1)[-1], body)
            if not url.path.startswith("/method/"):
                return self.answer_json(404, {})
            try:
                params = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
            except UnicodeDecodeError:
                return self.answer_json(200, _error(100, {}, "One of the parameters specified was missing "
                                                            "or invalid: not UTF-8"))
            params.update({k: v[0] for k, v in parse_qs(url.query).items()})
            self.answer_json(*fake.call(url.path[len("/method/"):], params))

        def _upload(self, kind: str, body: bytes) -> None:
            token = f"{kind}-{next(fake._ids)}"
            fake.uploads[token] = body
            if kind == "photo":
                return self.answer_json(200, {"server": 1, "photo": token, "hash": "h"})
            self.answer_json(200, {"file": token})

    return Handler
