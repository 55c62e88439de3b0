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
import threading
import time
from collections import deque
from urllib.parse import parse_qs, urlparse

from standins.http_stand import LoopbackStand, QuietHandler
from standins.vk_methods import LONG_POLL_EVENTS, METHODS, VkError, error_body

API_VERSION = "5.199"
MAX_UPDATES_PER_CHECK = 100
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
            return 200, error_body(fault, params)
        spec = METHODS.get(method)
        if spec is None:
            return 200, error_body(3, params)
        if not params.get("v"):
            return 200, error_body(8, params)
        kind = self._token_kind(params.get("access_token"))
        if kind is None:
            return 200, error_body(5, params)
        if kind not in spec.tokens:
            return 200, error_body(27 if kind == "group" else 15, params,
                               None if kind == "group" else "Access denied: method is available only with group auth")
        if self._over_rate(kind):
            return 200, error_body(6, params)
        try:
            values = spec.read(params)
            values["_raw"] = {k: v for k, v in params.items() if k not in ("access_token", "v")}
            result = spec.handler(self, values, kind)
        except VkError as exc:
            return 200, error_body(exc.code, params, exc.text)
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
                return self.answer_json(200, error_body(100, {}, "One of the parameters specified was missing "
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
