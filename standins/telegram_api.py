"""A local stand-in for the Telegram Bot API, for tests and `run.py demo`.

Speaks the documented wire format on 127.0.0.1: `/bot<token>/<method>` answers
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": N, "description": ...,
"parameters": {"retry_after": S}}`; files are served at `/file/bot<token>/<file_path>`.
A channel with a linked discussion group: `channel_post()` makes the automatic forward that
comments reply to, `comment()` writes one; `send_dm()` writes to the bot privately.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler

from standins.http_stand import LoopbackStand
from urllib.parse import parse_qs, unquote, urlparse

MAX_UPDATES = 100
FAULTS = {
    429: (429, "Too Many Requests: retry after 3", {"retry_after": 3}),
    401: (401, "Unauthorized", None),
    403: (403, "Forbidden: bot was blocked by the user", None),
    400: (400, "Bad Request: message to be replied not found", None),
}


class FakeTelegram(LoopbackStand):
    def __init__(self, token: str = "123:tg-token", channel_id: int = -1001000000001,
                 group_id: int = -1001000000002, group_username: str = "okha_talk"):
        self.token, self.channel_id, self.group_id = token, channel_id, group_id
        self.group_username = group_username
        self.updates: list[dict] = []
        self.published: list[dict] = []
        self.blocked: set[int] = set()
        self.files: dict[str, tuple[str, bytes]] = {}
        self.faults: dict[str, list] = {}
        self._messages: set[tuple[int, int]] = set()
        self._ids = itertools.count(500)
        self._update_ids = itertools.count(700000)
        self._cond = threading.Condition()

    def handler_class(self):
        return _handler_for(self)

    @property
    def api_url(self) -> str:
        return self.base_url

    # ---- scripting citizens -----------------------------------------------------------
    def user(self, user_id: int, first_name: str, last_name: str = "", username: str | None = None) -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        return user

    def send_dm(self, user: dict, text: str = "", photo: bytes | None = None,
                document: tuple[str, bytes] | None = None) -> int:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message = self._message(chat, user, text, photo, document)
        self._push("message", message)
        return message["message_id"]

    def edit_dm(self, user: dict, message_id: int, text: str) -> None:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message = {"message_id": message_id, "from": user, "chat": chat, "date": int(time.time()),
                   "edit_date": int(time.time()), "text": text}
        self._push("edited_message", message)

    def channel_post(self, text: str) -> int:
        """A channel post and its automatic forward into the discussion group; returns the
        forward's id (the thread id that comments carry)."""
        channel = {"id": self.channel_id, "type": "channel", "title": "Администрация"}
        mid = next(self._ids)
        forward = {"message_id": mid, "sender_chat": channel, "chat": self._group_chat(),
                   "date": int(time.time()), "text": text, "is_automatic_forward": True,
                   "forward_origin": {"type": "channel", "chat": channel, "message_id": mid,
                                      "date": int(time.time())}}
        self._messages.add((self.group_id, mid))
        self._push("message", forward)
        return mid

    def comment(self, thread_id: int, user: dict, text: str = "", photo: bytes | None = None) -> int:
        message = self._message(self._group_chat(), user, text, photo, None)
        message.update(message_thread_id=thread_id, is_topic_message=False,
                       reply_to_message={"message_id": thread_id, "chat": self._group_chat(),
                                         "date": int(time.time()), "is_automatic_forward": True})
        self._push("message", message)
        return message["message_id"]

    def delete_message(self, chat_id: int, message_id: int) -> None:
        self._messages.discard((chat_id, message_id))

    def fail_next(self, method: str, error) -> None:
        """Next call of `method` fails: 429/401/403/400 as Telegram says them, 500 as HTTP 500,
        'lost_response' does the work but answers HTTP 502."""
        self.faults.setdefault(method, []).append(error)

    # ---- internals ----------------------------------------------------------------------
    def _group_chat(self) -> dict:
        return {"id": self.group_id, "type": "supergroup", "title": "Обсуждение",
                "username": self.group_username}

    def _message(self, chat: dict, user: dict, text: str, photo, document) -> dict:
        mid = next(self._ids)
        message = {"message_id": mid, "from": user, "chat": chat, "date": int(time.time())}
        if photo is not None:
            message["photo"] = [self._file(f"photos/p{mid}_s.jpg", photo[:10]),
                                {**self._file(f"photos/p{mid}.jpg", photo), "width": 800, "height": 600}]
            message["caption"] = text
        elif document is not None:
            message["document"] = {**self._file(f"documents/{document[0]}", document[1]),
                                   "file_name": document[0]}
            message["caption"] = text
        else:
            message["text"] = text
        self._messages.add((chat["id"], mid))
        return message

    def _file(self, path: str, data: bytes) -> dict:
        file_id = f"FID{next(self._ids)}"
        self.files[file_id] = (path, data)
        return {"file_id": file_id, "file_unique_id": "U" + file_id, "file_size": len(data)}

    def _push(self, kind: str, message: dict) -> None:
        with self._cond:
            self.updates.append({"update_id": next(self._update_ids), kind: message})
            self._cond.notify_all()

    def get_updates(self, p: dict) -> list:
        offset = int(p.get("offset") or 0)
        wait = min(float(p.get("timeout") or 0), 5.0)
        limit = min(int(p.get("limit") or MAX_UPDATES), MAX_UPDATES)

        def pending():
            return [u for u in self.updates if u["update_id"] >= offset][:limit]

        with self._cond:
            self._cond.wait_for(lambda: bool(pending()), timeout=wait)
            return pending()

    def call(self, method: str, p: dict) -> tuple[int, dict]:
        fault = (self.faults.get(method) or [None]).pop(0) if self.faults.get(method) else None
        if fault == 500:
            return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        if fault in FAULTS:
            return _fail(*FAULTS[fault])
        handler = _METHODS.get(method)
        if handler is None:
            return _fail(404, "Not Found", None)
        status, body = handler(self, p)
        if fault == "lost_response" and status == 200:
            return 502, {}
        return status, body

    def send(self, method: str, p: dict) -> tuple[int, dict]:
        chat_id = int(p["chat_id"]) if str(p.get("chat_id", "")).lstrip("-").isdigit() else p.get("chat_id")
        if chat_id in self.blocked:
            return _fail(403, "Forbidden: bot was blocked by the user", None)
        reply = p.get("reply_parameters")
        reply = json.loads(reply) if isinstance(reply, str) else reply
        if reply and (chat_id, int(reply["message_id"])) not in self._messages \
                and not reply.get("allow_sending_without_reply"):
            return _fail(400, "Bad Request: message to be replied not found", None)
        mid = next(self._ids)
        self.published.append({"method": method, "message_id": mid, **p})
        chat = {"id": chat_id, "type": "private" if isinstance(chat_id, int) and chat_id > 0 else "supergroup"}
        return 200, {"ok": True, "result": {"message_id": mid, "chat": chat, "date": int(time.time())}}


def _fail(code: int, description: str, parameters) -> tuple[int, dict]:
    body = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, body


def _get_file(fake: FakeTelegram, p: dict) -> tuple[int, dict]:
    entry = fake.files.get(p.get("file_id"))
    if entry is None:
        return _fail(400, "Bad Request: invalid file_id", None)
    return 200, {"ok": True, "result": {"file_id": p["file_id"], "file_unique_id": "U" + p["file_id"],
                                        "file_size": len(entry[1]), "file_path": entry[0]}}


_METHODS = {
    "getMe": lambda f, p: (200, {"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "Отклик"}}),
    "getUpdates": lambda f, p: (200, {"ok": True, "result": f.get_updates(p)}),
    "sendMessage": lambda f, p: f.send("sendMessage", p),
    "sendPhoto": lambda f, p: f.send("sendPhoto", p),
    "sendDocument": lambda f, p: f.send("sendDocument", p),
    "getFile": _get_file,
}


def _parse_body(handler: BaseHTTPRequestHandler) -> dict:
    raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
    ctype = handler.headers.get("Content-Type", "")
    if ctype.startswith("application/json"):
        return json.loads(raw or b"{}")
    if ctype.startswith("multipart/form-data"):
        return _parse_multipart(raw, ctype)
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}


def _parse_multipart(raw: bytes, ctype: str) -> dict:
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        filename = part.get_filename()
        fields[name] = {"filename": filename, "size": len(payload)} if filename else payload.decode("utf-8")
    return fields


def _handler_for(fake: FakeTelegram):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            self._route(urlparse(self.path), {})

        def do_POST(self) -> None:
            self._route(urlparse(self.path), _parse_body(self))

        def _route(self, url, params: dict) -> None:
            params.update({k: v[0] for k, v in parse_qs(url.query).items()})
            file_prefix = f"/file/bot{fake.token}/"
            if url.path.startswith(file_prefix):
                return self._file(unquote(url.path[len(file_prefix):]))
            prefix = f"/bot{fake.token}/"
            if not url.path.startswith(prefix):
                return self._json(*_fail(401, "Unauthorized", None))
            self._json(*fake.call(url.path[len(prefix):], params))

        def _file(self, path: str) -> None:
            for stored_path, data in fake.files.values():
                if stored_path == path:
                    return self._raw(200, data)
            self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})

        def _json(self, status: int, payload: dict) -> None:
            self._raw(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))

        def _raw(self, status: int, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
