"""A local stand-in for the Telegram Bot API, for tests and `run.py demo`.

Written from core.telegram.org/bots/api, not from Otklik's client. «Making requests»:
`/bot<token>/<METHOD_NAME>` by GET or POST, parameters in the query string, urlencoded form,
JSON or multipart (files); the answer is `{"ok": true, "result": ...}` or `{"ok": false,
"error_code", "description", "parameters": {"retry_after", "migrate_to_chat_id"}}`; files at
`/file/bot<token>/<file_path>`. A channel with a linked discussion group: `channel_post()` makes
the automatic forward that comments reply to, `comment()` writes one; `send_dm()` writes to the
bot privately. Privacy mode (core.telegram.org/bots/features#privacy-mode): a bot that is not an
administrator of the group and has privacy on does not get the group's ordinary messages.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from urllib.parse import parse_qs, unquote, urlparse

from standins.http_stand import LoopbackStand, QuietHandler, Upload, parse_multipart

MAX_UPDATES = 100
KEEP_UPDATES = 24 * 3600      # getUpdates: "will not be kept longer than 24 hours"
MAX_TEXT = 4096               # sendMessage.text: 1-4096 characters after entities parsing
MAX_PHOTO = 10 * 1024 * 1024  # sendPhoto: "The photo must be at most 10 MB in size"
MAX_UPLOAD = 50 * 1024 * 1024 # "send files of any type of up to 50 MB in size"
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile: "bots can download files of up to 20MB in size"
MAX_CAPTION = 1024            # sendPhoto/sendDocument/InputMedia*.caption: 0-1024 characters
MAX_GROUP = 10                # sendMediaGroup.media: 2-10 items
FAULTS = {
    429: (429, "Too Many Requests: retry after 3", {"retry_after": 3}),
    401: (401, "Unauthorized", None),
    403: (403, "Forbidden: bot was blocked by the user", None),
    400: (400, "Bad Request: message to be replied not found", None),
}
BOT_ID = 1


class FakeTelegram(LoopbackStand):
    def __init__(self, token: str = "123:tg-token", channel_id: int = -1001000000001,
                 group_id: int = -1001000000002, group_username: str = "okha_talk"):
        self.token, self.channel_id, self.group_id = token, channel_id, group_id
        self.group_username = group_username
        self.channel_username = "okha_adm"
        self.updates: list[dict] = []
        self.published: list[dict] = []
        self.blocked: set[int] = set()
        self.files: dict[str, tuple[str, bytes]] = {}
        self.faults: dict[str, list] = {}
        self.privacy = True                 # @BotFather /setprivacy: on by default
        self.bot_is_group_admin = True
        self.bot_can_post_in_channel = True
        self.webhook_url = ""
        self.rate_limits = False
        self._messages: set[tuple[int, int]] = set()
        self._sent_at: dict[int, deque] = {}
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
        channel = self._channel_chat()
        mid = next(self._ids)
        forward = {"message_id": mid, "from": {"id": 777000, "is_bot": False, "first_name": "Telegram"},
                   "sender_chat": channel, "chat": self._group_chat(),
                   "date": int(time.time()), "text": text, "is_automatic_forward": True,
                   "forward_origin": {"type": "channel", "chat": channel, "message_id": mid,
                                      "date": int(time.time())}}
        self._messages.add((self.group_id, mid))
        self._push("message", forward, group=True)
        return mid

    def comment(self, thread_id: int, user: dict, text: str = "", photo: bytes | None = None,
                sender_chat: dict | None = None, reply_to: int | None = None) -> int:
        """A comment under a channel post; `sender_chat` writes it on behalf of a channel;
        `reply_to` answers a message of the thread (Message.reply_to_message: "for replies in
        the same chat and message thread, the original message"), else the post itself."""
        message = self._message(self._group_chat(), user, text, photo, None)
        original = {"message_id": thread_id, "chat": self._group_chat(), "date": int(time.time()),
                    "is_automatic_forward": True}
        if reply_to is not None:
            original = {"message_id": reply_to, "chat": self._group_chat(), "date": int(time.time()),
                        "message_thread_id": thread_id}
        message.update(message_thread_id=thread_id, reply_to_message=original)
        if sender_chat is not None:
            message["sender_chat"] = sender_chat
            message["from"] = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
        self._push("message", message, group=True)
        return message["message_id"]

    def delete_message(self, chat_id: int, message_id: int) -> None:
        self._messages.discard((chat_id, message_id))

    def push_raw(self, update) -> None:
        """Anything at all as one update (hostile-input tests)."""
        with self._cond:
            self.updates.append(update)
            self._cond.notify_all()

    def age_updates(self, seconds: float) -> None:
        """Pretend the pending updates were made `seconds` ago (they go after 24 hours)."""
        for update in self.updates:
            if isinstance(update, dict):
                update["_at"] = update.get("_at", time.time()) - seconds

    def fail_next(self, method: str, error) -> None:
        """Next call of `method` fails: 429/401/403/400 as Telegram says them, 500 as HTTP 500,
        'lost_response' does the work but answers HTTP 502."""
        self.faults.setdefault(method, []).append(error)

    # ---- internals ----------------------------------------------------------------------
    def _group_chat(self) -> dict:
        return {"id": self.group_id, "type": "supergroup", "title": "Обсуждение",
                "username": self.group_username}

    def _channel_chat(self) -> dict:
        return {"id": self.channel_id, "type": "channel", "title": "Администрация", "username": self.channel_username}

    def _message(self, chat: dict, user: dict, text: str, photo, document) -> dict:
        mid = next(self._ids)
        message = {"message_id": mid, "from": user, "chat": chat, "date": int(time.time())}
        if photo is not None:
            message["photo"] = [self._file(f"photos/p{mid}_s.jpg", photo[:10]),
                                {**self._file(f"photos/p{mid}.jpg", photo), "width": 800, "height": 600}]
            message["caption"] = text
        elif document is not None:
            # getFile's file_path is Telegram's own ("documents/file_12.pdf"), never the sender's name
            suffix = document[0].rpartition(".")[2][:8] if "." in document[0] else "bin"
            message["document"] = {**self._file(f"documents/file_{mid}.{suffix}", document[1]),
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

    def _push(self, kind: str, message: dict, group: bool = False) -> None:
        if group and self.privacy and not self.bot_is_group_admin and not message.get("is_automatic_forward"):
            return   # privacy mode: the bot does not see ordinary group messages
        with self._cond:
            self.updates.append({"update_id": next(self._update_ids), kind: message, "_at": time.time()})
            self._cond.notify_all()

    def get_updates(self, p: dict) -> tuple[int, dict]:
        """core.telegram.org/bots/api#getupdates — offset confirms every update below it; limit
        1-100; timeout (long polling); updates older than 24 hours are gone; 409 with a webhook."""
        if self.webhook_url:
            return _fail(409, "Conflict: can't use getUpdates method while webhook is active; "
                              "use deleteWebhook to delete the webhook first", None)
        try:
            offset = int(p.get("offset") or 0)
            limit = int(p.get("limit") or MAX_UPDATES)
            wait = min(float(p.get("timeout") or 0), 5.0)
        except (TypeError, ValueError):
            return _fail(400, "Bad Request: invalid parameter", None)
        if not 1 <= limit <= MAX_UPDATES:
            limit = MAX_UPDATES
        now = time.time()
        with self._cond:
            self.updates = [u for u in self.updates if not isinstance(u, dict) or not _is_int(u.get("update_id"))
                            or (u["update_id"] >= offset and now - u.get("_at", now) <= KEEP_UPDATES)]

            def pending():
                return self.updates[:limit]
            self._cond.wait_for(lambda: bool(pending()), timeout=wait)
            batch = pending()
            result = [{k: v for k, v in u.items() if k != "_at"} if isinstance(u, dict) else u for u in batch]
            # an entry without an update_id cannot be confirmed by offset: it is handed out once
            self.updates = [u for u in self.updates if u not in batch or (isinstance(u, dict)
                                                                         and _is_int(u.get("update_id")))]
        return 200, {"ok": True, "result": result}

    def call(self, method: str, p: dict) -> tuple[int, dict]:
        fault = (self.faults.get(method) or [None]).pop(0) if self.faults.get(method) else None
        if fault == 500:
            return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        if fault in FAULTS:
            return _fail(*FAULTS[fault])
        handler = METHODS.get(method)
        if handler is None:
            return _fail(404, "Not Found", None)
        status, body = handler(self, p)
        if fault == "lost_response" and status == 200:
            return 502, {}
        return status, body

    def _chat_id(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value or "")
        if text.lstrip("-").isdigit():
            return int(text)
        if text.lstrip("@").lower() == self.channel_username:
            return self.channel_id
        if text.lstrip("@").lower() == self.group_username:
            return self.group_id
        return None

    def send(self, method: str, p: dict) -> tuple[int, dict]:
        """sendMessage / sendPhoto / sendDocument (core.telegram.org/bots/api#sendmessage,
        #sendphoto, #senddocument): chat_id required; text 1-4096; caption 0-1024 characters
        after entities parsing; a photo at most 10 MB, other files at most 50 MB ("Sending
        files"); message_thread_id only in forum supergroups; reply_parameters.message_id must
        exist unless allow_sending_without_reply."""
        failed = self._check_chat(p)
        if failed:
            return failed
        chat_id = self._chat_id(p.get("chat_id"))
        files: list[dict] = []
        if method == "sendMessage":
            text = p.get("text")
            if not isinstance(text, str) or not text.strip():
                return _fail(400, "Bad Request: message text is empty", None)
            if _utf16(text) > MAX_TEXT:
                return _fail(400, "Bad Request: message is too long", None)
        else:
            kind = "photo" if method == "sendPhoto" else "document"
            taken = self._input_file(kind, p.get(kind), p)
            if isinstance(taken, tuple):
                return taken
            files.append(taken)
            if _utf16(str(p.get("caption") or "")) > MAX_CAPTION:
                return _fail(400, "Bad Request: message caption is too long", None)
        failed = self._check_reply(chat_id, p)
        if failed:
            return failed
        return _ok(self._publish(method, chat_id, p, files))

    def send_media_group(self, p: dict) -> tuple[int, dict]:
        """core.telegram.org/bots/api#sendmediagroup — media: a JSON-serialized array of 2-10
        InputMediaPhoto / InputMediaDocument (…Video, …Audio); "Documents and audio files can
        be only grouped in an album with messages of the same type"; a file to upload is named
        by "attach://<file_attach_name>" and sent as that multipart field. Answers an array of
        the Messages that were sent."""
        failed = self._check_chat(p)
        if failed:
            return failed
        chat_id = self._chat_id(p.get("chat_id"))
        media = p.get("media")
        try:
            media = json.loads(media) if isinstance(media, str) else media
        except ValueError:
            return _fail(400, "Bad Request: can't parse media JSON object", None)
        if not isinstance(media, list) or not 2 <= len(media) <= MAX_GROUP:
            return _fail(400, "Bad Request: wrong number of messages in the media group (2-10)", None)
        if not all(isinstance(m, dict) and m.get("type") in ("photo", "document", "video", "audio") for m in media):
            return _fail(400, "Bad Request: invalid media type in the media group", None)
        types = {m["type"] for m in media}
        if ("document" in types or "audio" in types) and len(types) > 1:
            return _fail(400, "Bad Request: documents and audio can be grouped only with the same type", None)
        files = []
        for item in media:
            if _utf16(str(item.get("caption") or "")) > MAX_CAPTION:
                return _fail(400, "Bad Request: message caption is too long", None)
            taken = self._input_file(item["type"], item.get("media"), p)
            if isinstance(taken, tuple):
                return taken
            files.append((item, taken))
        failed = self._check_reply(chat_id, p)
        if failed:
            return failed
        sent = [self._publish("sendMediaGroup", chat_id, {**p, "caption": item.get("caption", "")}, [taken])
                for item, taken in files]
        return _ok(sent)

    def _check_chat(self, p: dict) -> tuple[int, dict] | None:
        chat_id = self._chat_id(p.get("chat_id"))
        if chat_id is None:
            return _fail(400, "Bad Request: chat not found", None)
        if chat_id in self.blocked:
            return _fail(403, "Forbidden: bot was blocked by the user", None)
        if chat_id == self.channel_id and not self.bot_can_post_in_channel:
            return _fail(400, "Bad Request: need administrator rights in the channel chat", None)
        if p.get("message_thread_id") not in (None, ""):
            return _fail(400, "Bad Request: message thread not found", None)   # our group is not a forum
        if self.rate_limits and self._too_fast(chat_id):
            return _fail(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        return None

    def _check_reply(self, chat_id: int, p: dict) -> tuple[int, dict] | None:
        reply = p.get("reply_parameters")
        try:
            reply = json.loads(reply) if isinstance(reply, str) else reply
        except ValueError:
            return _fail(400, "Bad Request: can't parse reply parameters JSON object", None)
        if reply is not None and (not isinstance(reply, dict) or not _is_int(reply.get("message_id"))):
            return _fail(400, "Bad Request: invalid reply parameters", None)
        if reply and (chat_id, reply["message_id"]) not in self._messages \
                and not reply.get("allow_sending_without_reply"):
            return _fail(400, "Bad Request: message to be replied not found", None)
        p["reply_parameters"] = reply
        return None

    def _input_file(self, kind: str, value, p: dict):
        """InputFile or String («Sending files»): a file_id we know, an HTTP URL, or
        "attach://<name>" / the field itself as a multipart upload. Returns {kind, filename,
        data} or a failure."""
        if isinstance(value, str) and value.startswith("attach://"):
            value = p.get(value[len("attach://"):])
        if isinstance(value, Upload):
            limit = MAX_PHOTO if kind == "photo" else MAX_UPLOAD
            if not value.data:
                return _fail(400, "Bad Request: file must be non-empty", None)
            if value.size > limit:
                return _fail(400 if kind == "photo" else 413, "Bad Request: file is too big"
                             if kind == "photo" else "Request Entity Too Large", None)
            return {"kind": kind, "filename": value.filename, "data": value.data}
        if isinstance(value, str) and value in self.files:
            path, data = self.files[value]
            return {"kind": kind, "filename": path.rsplit("/", 1)[-1], "data": data}
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return {"kind": kind, "filename": value, "data": b""}
        return _fail(400, f"Bad Request: there is no {kind} in the request", None)

    def _publish(self, method: str, chat_id: int, p: dict, files: list[dict]) -> dict:
        mid = next(self._ids)
        shown = {k: ({"filename": v.filename, "size": v.size} if isinstance(v, Upload) else v)
                 for k, v in p.items() if not (isinstance(v, Upload) and method == "sendMediaGroup")}
        if shown.get("reply_parameters") is None:
            shown.pop("reply_parameters", None)
        self.published.append({"method": method, "message_id": mid, **shown, "files": files})
        self._messages.add((chat_id, mid))
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        return {"message_id": mid, "chat": chat, "date": int(time.time())}

    def _too_fast(self, chat_id: int) -> bool:
        """«Bot FAQ»: no more than one message per second in a single chat."""
        now, sent = time.monotonic(), self._sent_at.setdefault(chat_id, deque())
        while sent and now - sent[0] > 1.0:
            sent.popleft()
        if sent:
            return True
        sent.append(now)
        return False


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _utf16(text: str) -> int:
    """Telegram counts text lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _fail(code: int, description: str, parameters) -> tuple[int, dict]:
    body = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, body


def _ok(result) -> tuple[int, dict]:
    return 200, {"ok": True, "result": result}


def _get_file(fake: FakeTelegram, p: dict) -> tuple[int, dict]:
    """core.telegram.org/bots/api#getfile — File {file_id, file_unique_id, file_size, file_path}; up to 20 MB."""
    entry = fake.files.get(p.get("file_id"))
    if entry is None:
        return _fail(400, "Bad Request: invalid file_id", None)
    if len(entry[1]) > MAX_DOWNLOAD:
        return _fail(400, "Bad Request: file is too big", None)
    return _ok({"file_id": p["file_id"], "file_unique_id": "U" + p["file_id"],
                "file_size": len(entry[1]), "file_path": entry[0]})


def _get_me(fake: FakeTelegram, p: dict) -> tuple[int, dict]:
    """core.telegram.org/bots/api#getme — User with can_join_groups, can_read_all_group_messages."""
    return _ok({"id": BOT_ID, "is_bot": True, "first_name": "Отклик", "username": "otklik_bot",
                "can_join_groups": True, "can_read_all_group_messages": not fake.privacy,
                "supports_inline_queries": False})


def _get_chat(fake: FakeTelegram, p: dict) -> tuple[int, dict]:
    """core.telegram.org/bots/api#getchat — ChatFullInfo; a channel names its linked_chat_id."""
    chat_id = fake._chat_id(p.get("chat_id"))
    if chat_id == fake.channel_id:
        return _ok({**fake._channel_chat(), "linked_chat_id": fake.group_id, "accent_color_id": 0, "max_reaction_count": 11})
    if chat_id == fake.group_id:
        return _ok({**fake._group_chat(), "linked_chat_id": fake.channel_id, "accent_color_id": 0, "max_reaction_count": 11})
    return _fail(400, "Bad Request: chat not found", None)


def _get_chat_member(fake: FakeTelegram, p: dict) -> tuple[int, dict]:
    """core.telegram.org/bots/api#getchatmember — ChatMember: status creator|administrator|member|…"""
    chat_id = fake._chat_id(p.get("chat_id"))
    try:
        user_id = int(p.get("user_id"))
    except (TypeError, ValueError):
        return _fail(400, "Bad Request: invalid user_id specified", None)
    if chat_id not in (fake.channel_id, fake.group_id):
        return _fail(400, "Bad Request: chat not found", None)
    user = {"id": user_id, "is_bot": user_id == BOT_ID, "first_name": "Отклик"}
    admin = fake.bot_is_group_admin if chat_id == fake.group_id else fake.bot_can_post_in_channel
    if user_id != BOT_ID or not admin:
        return _ok({"status": "member", "user": user})
    rights = {"can_be_edited": False, "is_anonymous": False, "can_manage_chat": True, "can_delete_messages": True,
              "can_manage_video_chats": False, "can_restrict_members": False, "can_promote_members": False,
              "can_change_info": False, "can_invite_users": True, "can_post_stories": False,
              "can_edit_stories": False, "can_delete_stories": False}
    if chat_id == fake.channel_id:
        rights.update(can_post_messages=True, can_edit_messages=False)
    return _ok({"status": "administrator", "user": user, **rights})


def _get_webhook_info(fake: FakeTelegram, p: dict) -> tuple[int, dict]:
    """core.telegram.org/bots/api#getwebhookinfo — url is empty when getUpdates is used."""
    return _ok({"url": fake.webhook_url, "has_custom_certificate": False, "pending_update_count": len(fake.updates)})


METHODS = {
    "getMe": _get_me,
    "getUpdates": lambda f, p: f.get_updates(p),
    "getWebhookInfo": _get_webhook_info,
    "getChat": _get_chat,
    "getChatMember": _get_chat_member,
    "sendMessage": lambda f, p: f.send("sendMessage", p),
    "sendPhoto": lambda f, p: f.send("sendPhoto", p),
    "sendDocument": lambda f, p: f.send("sendDocument", p),
    "sendMediaGroup": lambda f, p: f.send_media_group(p),
    "getFile": _get_file,
}


def _parse_body(handler: QuietHandler) -> dict | None:
    raw = handler.read_body()
    if raw is None:
        return None
    ctype = handler.headers.get("Content-Type", "")
    try:
        if ctype.startswith("application/json"):
            body = json.loads(raw or b"{}")
            return body if isinstance(body, dict) else {}
        if ctype.startswith("multipart/form-data"):
            return parse_multipart(raw, ctype)
        return {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}
    except (ValueError, UnicodeDecodeError):
        return {"__unparsable__": True}


def _handler_for(fake: FakeTelegram):
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            self._route(urlparse(self.path), {})

        def do_POST(self) -> None:
            body = _parse_body(self)
            if body is not None:
                self._route(urlparse(self.path), body)

        def _route(self, url, params: dict) -> None:
            params.update({k: v[0] for k, v in parse_qs(url.query).items()})
            file_prefix = f"/file/bot{fake.token}/"
            if url.path.startswith(file_prefix):
                return self._file(unquote(url.path[len(file_prefix):]))
            prefix = f"/bot{fake.token}/"
            if not url.path.startswith(prefix):
                return self.answer_json(*_fail(401, "Unauthorized", None))
            if params.pop("__unparsable__", False):
                return self.answer_json(*_fail(400, "Bad Request: can't parse request body", None))
            self.answer_json(*fake.call(url.path[len(prefix):], params))

        def _file(self, path: str) -> None:
            for stored_path, data in fake.files.values():
                if stored_path == path:
                    return self.answer(200, data)
            self.answer_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    return Handler
