"""A local stand-in for the VK API and its Bots Long Poll server, for tests and `run.py demo`.

It speaks VK's documented wire format on 127.0.0.1: `POST /method/<name>` answers
`{"response": ...}` or `{"error": {"error_code": N, "error_msg": ..., "request_params": [...]}}`;
the long-poll server answers `{"ts": ..., "updates": [...]}` or `{"failed": 1|2|3}`.
Tests script citizens (`post_wall_comment`, `send_dm`, ...), read what the community
published (`published`), and inject faults (`fail_next`).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler

from standins.http_stand import LoopbackStand
from urllib.parse import parse_qs, urlparse

API_VERSION = "5.199"
MAX_UPDATES_PER_CHECK = 100
ERROR_TEXTS = {
    1: "Unknown error occurred",
    5: "User authorization failed: invalid access_token (4).",
    6: "Too many requests per second",
    9: "Flood control",
    10: "Internal server error",
    15: "Access denied",
    27: "Group authorization failed: method is unavailable with group auth.",
    100: "One of the parameters specified was missing or invalid",
    901: "Can't send messages for users without permission",
}
USER_TOKEN_METHODS = frozenset({"photos.createComment", "video.createComment", "board.createComment"})
PUBLISH_METHODS = frozenset(
    {"wall.createComment", "wall.post", "messages.send"} | USER_TOKEN_METHODS
)


class FakeVk(LoopbackStand):
    """One VK community with its long-poll queue; start() binds a free port on 127.0.0.1."""

    def __init__(self, group_id: int = 100, token: str = "vk-group-token", user_token: str = "vk-admin-token"):
        self.group_id = group_id
        self.token = token
        self.user_token = user_token
        self.users: dict[int, tuple[str, str]] = {}
        self.events: list[dict] = []
        self.published: list[dict] = []
        self.calls: list[tuple[str, dict]] = []
        self.lp_key = "key-1"
        self.faults: dict[str, list] = {}
        self.denied_messages: set[int] = set()
        self.deleted_comments: set[tuple[int, int, int]] = set()
        self.uploads: dict[str, bytes] = {}
        self._dedup: dict[tuple, dict] = {}
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

    def delete_wall_comment(self, post_id: int, comment_id: int) -> None:
        self.deleted_comments.add((-self.group_id, post_id, comment_id))
        obj = {"owner_id": -self.group_id, "id": comment_id, "deleter_id": 1, "post_id": post_id}
        self.push_event("wall_reply_delete", obj)

    def post_photo_comment(self, photo_id: int, from_id: int, text: str) -> int:
        cid = next(self._ids)
        obj = self._comment(cid, from_id, text, ())
        obj.update(photo_id=photo_id, photo_owner_id=-self.group_id)
        self.push_event("photo_comment_new", obj)
        return cid

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

    def event_body(self, event_type: str, obj: dict, secret: str | None = None) -> dict:
        """One event as VK sends it (long poll `updates[]` item and Callback API body)."""
        body = {"type": event_type, "object": obj, "group_id": self.group_id,
                "event_id": f"ev{len(self.events) + 1:08d}", "v": API_VERSION}
        if secret is not None:
            body["secret"] = secret
        return body

    def push_event(self, event_type: str, obj: dict) -> None:
        with self._cond:
            self.events.append(self.event_body(event_type, obj))
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
        return {"id": 0, "date": int(time.time()), "peer_id": from_id, "from_id": from_id,
                "text": text, "conversation_message_id": cmid, "attachments": list(attachments)}

    def long_poll(self, query: dict) -> dict:
        fault = self._take_fault("a_check")
        if fault:
            return fault
        if query.get("key") != self.lp_key:
            return {"failed": 2}
        ts = int(query.get("ts", "0"))
        if ts > len(self.events):
            return {"failed": 1, "ts": str(len(self.events))}
        wait = min(float(query.get("wait", "0")), 5.0)
        with self._cond:
            self._cond.wait_for(lambda: len(self.events) > ts, timeout=wait)
            updates = self.events[ts:ts + MAX_UPDATES_PER_CHECK]
        return {"ts": str(ts + len(updates)), "updates": updates}

    def call(self, method: str, params: dict) -> tuple[int, dict]:
        self.calls.append((method, params))
        fault = self._take_fault(method)
        if fault == "http500":
            return 500, {}
        if isinstance(fault, int):
            return 200, _error(fault, params)
        error = self._check_token(method, params)
        if error:
            return 200, _error(error, params)
        try:
            result = self._dispatch(method, params)
        except _VkError as exc:
            return 200, _error(exc.code, params, exc.text)
        if fault == "lost_response":
            return 502, {}
        return 200, {"response": result}

    def _check_token(self, method: str, params: dict) -> int | None:
        token = params.get("access_token")
        if method in USER_TOKEN_METHODS:
            return None if token == self.user_token else (27 if token == self.token else 5)
        return None if token in (self.token, self.user_token) else 5

    def _dispatch(self, method: str, p: dict):
        handler = _METHODS.get(method)
        if handler is None:
            raise _VkError(3, "Unknown method passed")
        return handler(self, p)


class _VkError(Exception):
    def __init__(self, code: int, text: str | None = None):
        super().__init__(code)
        self.code, self.text = code, text


def _error(code: int, params: dict, text: str | None = None) -> dict:
    shown = [{"key": k, "value": v} for k, v in params.items() if k != "access_token"]
    return {"error": {"error_code": code, "error_msg": text or ERROR_TEXTS.get(code, "Error"),
                      "request_params": shown}}


def _get_lp_server(fake: FakeVk, p: dict) -> dict:
    return {"key": fake.lp_key, "server": fake.base_url + "/lp", "ts": str(len(fake.events))}


def _users_get(fake: FakeVk, p: dict) -> list:
    ids = [int(x) for x in str(p.get("user_ids", "")).split(",") if x]
    return [{"id": i, "first_name": fake.users.get(i, ("DELETED", ""))[0],
             "last_name": fake.users.get(i, ("", ""))[1], "can_access_closed": True,
             "is_closed": False} for i in ids]


def _publish(fake: FakeVk, method: str, p: dict, dedup_key: tuple | None) -> dict:
    if dedup_key and dedup_key in fake._dedup:
        return fake._dedup[dedup_key]
    new_id = next(fake._ids)
    entry = {"method": method, "id": new_id, **{k: v for k, v in p.items() if k != "access_token"}}
    fake.published.append(entry)
    if dedup_key:
        fake._dedup[dedup_key] = entry
    return entry


def _create_comment(fake: FakeVk, p: dict) -> dict:
    key = (int(p["owner_id"]), int(p["post_id"]), int(p.get("reply_to_comment") or 0))
    if key in fake.deleted_comments:
        raise _VkError(100, "One of the parameters specified was missing or invalid: reply_to_comment is deleted")
    guid = p.get("guid")
    entry = _publish(fake, "wall.createComment", p, ("wall.createComment", guid) if guid else None)
    return {"comment_id": entry["id"], "parents_stack": []}


def _messages_send(fake: FakeVk, p: dict) -> int:
    peer = int(p["peer_id"])
    if peer in fake.denied_messages:
        raise _VkError(901)
    entry = _publish(fake, "messages.send", p, ("messages.send", peer, p.get("random_id")))
    return entry["id"]


def _simple_comment(method: str):
    """photos/video/board.createComment answer the new comment's id as a bare number."""
    return lambda fake, p: _publish(fake, method, p, None)["id"]


def _wall_post(fake: FakeVk, p: dict) -> dict:
    guid = p.get("guid")
    return {"post_id": _publish(fake, "wall.post", p, ("wall.post", guid) if guid else None)["id"]}


def _upload_server(kind: str):
    return lambda fake, p: {"upload_url": f"{fake.base_url}/upload/{kind}", "album_id": -3,
                            "user_id": 0, "group_id": fake.group_id}


def _save_photo(fake: FakeVk, p: dict) -> list:
    if p.get("photo") not in fake.uploads:
        raise _VkError(100, "photo is undefined")
    return [{"id": next(fake._ids), "owner_id": -fake.group_id, "album_id": -3,
             "sizes": [], "text": "", "date": int(time.time())}]


def _save_doc(fake: FakeVk, p: dict) -> dict:
    if p.get("file") not in fake.uploads:
        raise _VkError(100, "file is undefined")
    return {"type": "doc", "doc": {"id": next(fake._ids), "owner_id": -fake.group_id,
                                   "title": p.get("title") or "doc", "url": ""}}


_METHODS = {
    "groups.getLongPollServer": _get_lp_server,
    "users.get": _users_get,
    "wall.createComment": _create_comment,
    "photos.createComment": _simple_comment("photos.createComment"),
    "video.createComment": _simple_comment("video.createComment"),
    "board.createComment": _simple_comment("board.createComment"),
    "messages.send": _messages_send,
    "wall.post": _wall_post,
    "photos.getMessagesUploadServer": _upload_server("photo"),
    "photos.getWallUploadServer": _upload_server("photo"),
    "docs.getMessagesUploadServer": _upload_server("doc"),
    "docs.getWallUploadServer": _upload_server("doc"),
    "photos.saveMessagesPhoto": _save_photo,
    "photos.saveWallPhoto": _save_photo,
    "docs.save": _save_doc,
}


def _handler_for(fake: FakeVk):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/lp":
                return self._json(200, fake.long_poll(query))
            if url.path.startswith("/files/"):
                return self._raw(200, fake.uploads.get(url.path, b"file:" + url.path.encode()))
            return self._json(404, {})

        def do_POST(self) -> None:
            url = urlparse(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if url.path.startswith("/upload/"):
                return self._upload(url.path.rsplit("/", 1)[-1], body)
            if not url.path.startswith("/method/"):
                return self._json(404, {})
            params = {k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()}
            params.update({k: v[0] for k, v in parse_qs(url.query).items()})
            status, payload = fake.call(url.path[len("/method/"):], params)
            self._json(status, payload)

        def _upload(self, kind: str, body: bytes) -> None:
            token = f"{kind}-{next(fake._ids)}"
            fake.uploads[token] = body
            if kind == "photo":
                return self._json(200, {"server": 1, "photo": token, "hash": "h"})
            self._json(200, {"file": token})

        def _json(self, status: int, payload: dict) -> None:
            self._raw(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json")

        def _raw(self, status: int, data: bytes, ctype: str = "application/octet-stream") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
