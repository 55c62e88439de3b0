"""A local stand-in for the OK (Odnoklassniki) REST API and its group Bot API, for tests and
`run.py demo`.

REST: `POST /fb.do` with `method`, `application_key`, `sig`, `access_token`; answers JSON or
`{"error_code": N, "error_msg": "...", "error_data": null}`; the signature is checked as OK
does it. Bot API (group messages): `GET /graph/me/updates`, `POST /graph/me/messages/<chat_id>`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from http.server import BaseHTTPRequestHandler

from standins.http_stand import LoopbackStand
from urllib.parse import parse_qs, unquote, urlparse

ERRORS = {
    1: "UNKNOWN : Unknown error", 2: "SERVICE : Service temporary unavailable",
    8: "FLOOD_BLOCKED : Flood blocked", 10: "PERMISSION_DENIED : Permission denied",
    100: "PARAM : Invalid parameter", 102: "PARAM_SESSION_EXPIRED : Session expired",
    104: "PARAM_SIGNATURE : Invalid signature", 300: "NOT_FOUND : Comment not found",
}


def signature(params: dict, token: str, secret_key: str) -> str:
    """OK's `sig`: md5 of the sorted `k=v` pairs (without access_token) + md5(token + secret)."""
    secret = hashlib.md5((token + secret_key).encode("utf-8")).hexdigest()
    pairs = "".join(f"{k}={params[k]}" for k in sorted(params) if k not in ("sig", "access_token"))
    return hashlib.md5((pairs + secret).encode("utf-8")).hexdigest()


class FakeOk(LoopbackStand):
    def __init__(self, group_id: str = "5000", app_key: str = "CBAOKAPP", app_secret: str = "ok-secret",
                 token: str = "ok-token", bot_token: str | None = None):
        self.group_id, self.app_key, self.app_secret, self.token = group_id, app_key, app_secret, token
        self.bot_token = bot_token or token
        self.topics: dict[str, list[dict]] = {}
        self.users: dict[str, str] = {}
        self.messages: list[dict] = []
        self.published: list[dict] = []
        self.faults: dict[str, list] = {}
        self.deleted: set[str] = set()
        self._ids = itertools.count(9000)

    def handler_class(self):
        return _handler_for(self)

    @property
    def api_url(self) -> str:
        return self.base_url + "/"

    # ---- scripting citizens -----------------------------------------------------------
    def add_topic(self) -> str:
        topic = str(next(self._ids))
        self.topics[topic] = []
        return topic

    def post_comment(self, topic_id: str, user_id: str, name: str, text: str) -> str:
        self.users[user_id] = name
        moscow_now = time.gmtime(time.time() + 3 * 3600)  # OK writes dates in Moscow time
        comment = {"id": f"C{next(self._ids)}", "text": text, "author_id": user_id,
                   "date": time.strftime("%Y-%m-%d %H:%M:%S", moscow_now), "author_type": "USER"}
        self.topics.setdefault(topic_id, []).append(comment)
        return comment["id"]

    def delete_comment(self, comment_id: str) -> None:
        self.deleted.add(comment_id)

    def send_group_message(self, user_id: str, name: str, text: str) -> str:
        mid = f"mid.{next(self._ids)}"
        self.messages.append({"webhookType": "MESSAGE_CREATED", "timestamp": int(time.time() * 1000),
                              "sender": {"user_id": f"user:{user_id}", "name": name},
                              "recipient": {"chat_id": f"chat:C{user_id}"},
                              "message": {"mid": mid, "text": text}})
        return mid

    def fail_next(self, method: str, error) -> None:
        """Next call of `method` ('discussions.comment', 'graph.messages', ...) fails with the OK
        error code given, or 500 for an HTTP 500."""
        self.faults.setdefault(method, []).append(error)

    # ---- REST -------------------------------------------------------------------------
    def rest(self, params: dict) -> tuple[int, dict | list | str]:
        method = params.get("method", "")
        fault = self.faults[method].pop(0) if self.faults.get(method) else None
        if fault == 500:
            return 500, {}
        if fault:
            return 200, _error(fault)
        if params.get("application_key") != self.app_key:
            return 200, _error(101)
        if params.get("access_token") != self.token:
            return 200, _error(102)
        if params.get("sig") != signature(params, self.token, self.app_secret):
            return 200, _error(104)
        handler = _REST.get(method)
        return (200, handler(self, params)) if handler else (200, _error(3))

    def graph(self, verb: str, path: str, query: dict, body: dict) -> tuple[int, dict]:
        name = "graph.updates" if path.endswith("/updates") else "graph.messages"
        fault = self.faults[name].pop(0) if self.faults.get(name) else None
        if fault == 500:
            return 500, {}
        if fault:
            return 200, _error(fault)
        if query.get("access_token") != self.bot_token:
            return 200, _error(102)
        if name == "graph.updates":
            start = int(query.get("marker") or 0)
            return 200, {"updates": self.messages[start:start + 100],
                         "marker": str(min(start + 100, len(self.messages)))}
        chat_id = unquote(path.rsplit("/", 1)[-1])
        mid = f"mid.{next(self._ids)}"
        self.published.append({"method": "graph.messages", "chat_id": chat_id, "mid": mid, **body})
        return 200, {"success": True, "message_id": mid}


def _error(code: int) -> dict:
    return {"error_code": code, "error_msg": ERRORS.get(code, "ERROR"), "error_data": None}


def _discussions(fake: FakeOk, p: dict) -> dict:
    return {"discussions": [{"object_id": t, "object_type": "GROUP_TOPIC", "new_comments_count": len(c)}
                            for t, c in fake.topics.items()]}


def _comments(fake: FakeOk, p: dict) -> dict:
    comments = [c for c in fake.topics.get(p["discussionId"], []) if c["id"] not in fake.deleted]
    anchor = p.get("anchor")
    start = next((i + 1 for i, c in enumerate(comments) if c["id"] == anchor), 0) if anchor else 0
    page = comments[start:start + int(p.get("count", 100))]
    users = [{"uid": c["author_id"], "name": fake.users.get(c["author_id"], "")} for c in page]
    return {"comments": page, "anchor": page[-1]["id"] if page else anchor,
            "has_more": start + len(page) < len(comments), "entities": {"users": users}}


def _comment(fake: FakeOk, p: dict):
    if p.get("reply_to_comment_id") in fake.deleted:
        return _error(300)
    entry = {"method": "discussions.comment", "id": f"C{next(fake._ids)}",
             **{k: v for k, v in p.items() if k not in ("sig", "access_token", "application_key")}}
    fake.published.append(entry)
    return entry["id"]


def _mediatopic(fake: FakeOk, p: dict) -> str:
    topic = str(next(fake._ids))
    fake.published.append({"method": "mediatopic.post", "id": topic, "gid": p.get("gid"),
                           "attachment": json.loads(p.get("attachment", "{}"))})
    return topic


_REST = {
    "discussions.getList": _discussions,
    "discussions.getComments": _comments,
    "discussions.comment": _comment,
    "mediatopic.post": _mediatopic,
}


def _handler_for(fake: FakeOk):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path.startswith("/graph/"):
                return self._json(*fake.graph("GET", url.path, query, {}))
            self._json(404, {})

        def do_POST(self) -> None:
            url = urlparse(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path.startswith("/graph/"):
                return self._json(*fake.graph("POST", url.path, query, json.loads(raw or b"{}")))
            if url.path == "/fb.do":
                params = {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}
                return self._json(*fake.rest({**query, **params}))
            self._json(404, {})

        def _json(self, status: int, payload) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
