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

import hashlib
import itertools
import json
import threading
import time
from collections import deque
from urllib.parse import parse_qs, urlparse

from standins.http_stand import LoopbackStand, QuietHandler, Upload, parse_multipart
from standins.vk_methods import LONG_POLL_EVENTS, METHODS, VkError, error_body

API_VERSION = "5.199"
MAX_UPDATES_PER_CHECK = 100
# dev.vk.com/ru/api/api-requests «Ограничения»: 3 requests/s with a user token, 20 with a community one
RATE = {"user": 3, "group": 20}
MAX_PHOTO = 50 * 1024 * 1024    # dev.vk.com/ru/api/upload/wall-photo: «не более 50 МБ»
MAX_DOC = 200 * 1024 * 1024     # dev.vk.com/ru/api/upload/document: «не более 200 МБ»
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
        self.uploads: dict[str, bytes] = {}       # upload server → the raw bodies it received
        self.upload_servers: dict[str, tuple[str, str]] = {}   # server id → (photo|doc, wall|messages)
        self.uploaded: dict[str, dict] = {}       # what an upload answered → the file, for *.save*
        self.photos: dict[str, Upload] = {}       # "photo<owner>_<id>" → the saved photo
        self.docs: dict[str, Upload] = {}         # "doc<owner>_<id>" → the saved document
        self.served: dict[str, bytes] = {}        # citizens' files at their userapi-like URLs
        self.file_requests: list[str] = []        # every GET of a file URL, in order
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

    def citizen_photo(self, data: bytes) -> dict:
        """A photo a citizen attached, its file served at the size URLs (objects/photo)."""
        photo_id = next(self._ids)
        url = f"{self.base_url}/files/photo{photo_id}.jpg"
        self.served[urlparse(url).path] = data
        self.served[urlparse(url).path + "?s"] = data[:16]
        return self.photo_attachment(photo_id, url)

    def citizen_doc(self, title: str, data: bytes) -> dict:
        """A document a citizen attached, its file served at `url` (objects/doc)."""
        doc_id = next(self._ids)
        url = f"{self.base_url}/files/doc{doc_id}"
        self.served[urlparse(url).path] = data
        return self.doc_attachment(doc_id, title, url)

    def new_upload_server(self, kind: str, target: str) -> str:
        server = f"{kind}-{target}-{next(self._ids)}"
        self.upload_servers[server] = (kind, target)
        return server

    def take_upload(self, server: str, fields: dict) -> tuple[int, dict]:
        """dev.vk.com/ru/api/upload: a photo goes in the field `photo`, a document in `file`
        (multipart/form-data); a photo answers {server, photo, hash}, a document {file}; a photo
        is at most 50 MB, a document 200 MB."""
        if server not in self.upload_servers:
            return 200, {"error": "upload server is unknown or expired"}
        kind, target = self.upload_servers[server]
        upload = fields.get("photo" if kind == "photo" else "file")
        if not isinstance(upload, Upload) or not upload.data:
            return 200, ({"server": 1, "photo": "[]", "hash": ""} if kind == "photo"
                         else {"error": "file_not_found", "error_descr": "no file in the request"})
        if upload.size > (MAX_PHOTO if kind == "photo" else MAX_DOC):
            return 200, {"error": "file_too_big"}
        token = f"{kind}:{next(self._ids)}"
        answer_field = json.dumps([{"photo": token, "sizes": []}]) if kind == "photo" else token
        digest = hashlib.md5(f"{server}:{answer_field}".encode()).hexdigest()
        self.uploaded[answer_field] = {"kind": kind, "target": target, "file": upload, "server": 1,
                                       "hash": digest}
        if kind == "photo":
            return 200, {"server": 1, "photo": answer_field, "hash": digest}
        return 200, {"file": answer_field}

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
                key = url.path + (f"?{url.query}" if url.query else "")
                fake.file_requests.append(key)
                data = fake.served.get(key, fake.served.get(url.path))
                return self.answer(200, data) if data is not None else self.answer(404, b"Not Found", "text/plain")
            if url.path.startswith("/method/"):   # "GET and POST HTTP methods are supported"
                return self.answer_json(*fake.call(url.path[len("/method/"):], query))
            return self.answer_json(404, {})

        def do_POST(self) -> None:
            url = urlparse(self.path)
            body = self.read_body()
            if body is None:
                return None
            if url.path.startswith("/upload/"):
                server = url.path.rsplit("/", 1)[-1]
                fake.uploads[server] = body
                try:
                    fields = parse_multipart(body, self.headers.get("Content-Type", ""))
                except ValueError:
                    fields = {}
                return self.answer_json(*fake.take_upload(server, fields))
            if not url.path.startswith("/method/"):
                return self.answer_json(404, {})
            try:
                params = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
            except UnicodeDecodeError:
                return self.answer_json(200, error_body(100, {}, "One of the parameters specified was missing "
                                                            "or invalid: not UTF-8"))
            params.update({k: v[0] for k, v in parse_qs(url.query).items()})
            self.answer_json(*fake.call(url.path[len("/method/"):], params))

    return Handler
