"""The Telegram adapter: plain HTTP Bot API over `requests`.

Why synchronous `requests` and not an asyncio bot framework: Otklik is a synchronous service
(one cycle at a time, blocking IMAP/SMTP/workbook I/O), it needs only getUpdates, a few send
methods and getFile, and a framework would bring its own event loop, dispatcher and retry policy
where we want the outbox's. Intake: direct messages to the bot and comments in the channel's
linked discussion group (п. 1). The one seam is `TelegramChannel.session`; errors are translated
in `_raise_for` only.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Sequence

import requests

from bridge.channels.base import (
    HTTP_TIMEOUT, KIND_COMMENT, KIND_MESSAGE, AttachmentRef, IncomingItem, Published,
    from_unix, guard_request, is_image, read_attachment, transient_from_http,
)
from bridge.core.errors import PermanentError, TransientError

log = logging.getLogger(__name__)

FILE_REF = "tg-file:"  # the stored URL of a citizen's file: never the token-bearing download URL
ALLOWED_UPDATES = ["message", "edited_message"]

# (HTTP/API error code, substring of the description) → (retry later?, operator's note)
TELEGRAM_ERRORS: list[tuple[int, str, bool, str]] = [
    (401, "", False, "Telegram: токен бота недействителен (telegram.token_env) — получите новый у @BotFather"),
    (403, "blocked", False, "Telegram: пользователь заблокировал бота — ответить в личные сообщения нельзя"),
    (403, "deactivated", False, "Telegram: аккаунт пользователя удалён"),
    (403, "", False, "Telegram: у бота нет права писать в этот чат"),
    (400, "replied not found", False, "Telegram: комментарий, на который нужно ответить, удалён"),
    (400, "thread not found", False, "Telegram: ветка комментариев удалена"),
    (400, "chat not found", False, "Telegram: чат не найден (бот удалён из группы или канала?)"),
    (409, "", True, "Telegram: бота опрашивает другой процесс или задан webhook"),
]


class TelegramChannel:
    name = "telegram"

    def __init__(self, token: str, api_url: str = "https://api.telegram.org",
                 channel: str | int | None = None, discussion_chat_id: int | None = None) -> None:
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.channel = channel
        self.discussion_chat_id = discussion_chat_id
        self.session = requests.Session()

    # ---- intake -----------------------------------------------------------------------
    def fetch(self, cursor: str | None, timeout: float = 0) -> tuple[list[IncomingItem], str | None]:
        """One getUpdates; the cursor is the next `offset`. Telegram forgets updates below the
        offset only when it is sent, so a restart with the saved cursor loses nothing."""
        params = {"timeout": max(0, int(timeout)), "allowed_updates": ALLOWED_UPDATES}
        if cursor:
            params["offset"] = int(cursor)
        updates = self._call("getUpdates", params, read_timeout=int(timeout) + HTTP_TIMEOUT[1])
        items = [item for item in (self._parse(u) for u in updates) if item is not None]
        new_cursor = str(max(u["update_id"] for u in updates) + 1) if updates else cursor
        return items, new_cursor

    def _parse(self, update: dict) -> IncomingItem | None:
        message, change = update.get("message"), "new"
        if message is None and update.get("edited_message"):
            message, change = update["edited_message"], "edit"
        if not message or message.get("is_automatic_forward") or (message.get("from") or {}).get("is_bot"):
            return None  # the channel's own post forwarded into the group, or a bot
        if message.get("sender_chat"):
            return None  # written on behalf of a channel/group, not a citizen
        chat = message["chat"]
        if chat["type"] == "private":
            return _item(message, change, KIND_MESSAGE, public=False, link=_profile(message["from"]))
        if chat["type"] in ("group", "supergroup") and self._is_discussion(chat["id"]):
            return _item(message, change, KIND_COMMENT, public=True, link=_message_link(message))
        return None

    def _is_discussion(self, chat_id: int) -> bool:
        return self.discussion_chat_id is None or int(self.discussion_chat_id) == chat_id

    # ---- publication (п. 3.4, 3.5) ---------------------------------------------------
    def publish_reply(self, target: dict, text: str, attachments: Sequence[Path], key: str) -> Published:
        """Answer in the same dialogue or comment thread, as a reply to the citizen's message.

        The Bot API has no idempotency key: `key` is unused, and the outbox retries only after
        a failure that Telegram reported (a lost answer to a successful send could double it)."""
        base = {"chat_id": target["chat_id"]}
        if target.get("message_thread_id"):
            base["message_thread_id"] = target["message_thread_id"]
        reply = {"reply_parameters": {"message_id": target["reply_to"]}} if target.get("reply_to") else {}
        sent = self._call("sendMessage", {**base, **reply, "text": text})
        for path in attachments:
            self._send_file(base, path)
        return Published(f"message:{target['chat_id']}_{sent['message_id']}",
                         _published_link(target, sent["message_id"]))

    def post_informational(self, text: str, attachments: Sequence[Path], key: str) -> Published:
        if not self.channel:
            raise PermanentError("Telegram: не задан канал для информационных сообщений (telegram.channel)")
        sent = self._call("sendMessage", {"chat_id": self.channel, "text": text})
        for path in attachments:
            self._send_file({"chat_id": self.channel}, path)
        name = str(self.channel).lstrip("@")
        link = f"https://t.me/{name}/{sent['message_id']}" if not name.lstrip("-").isdigit() else ""
        return Published(f"channel_post:{self.channel}_{sent['message_id']}", link)

    def _send_file(self, base: dict, path: Path) -> dict:
        method, field = ("sendPhoto", "photo") if is_image(path) else ("sendDocument", "document")
        files = {field: (Path(path).name, read_attachment(path))}
        return self._call(method, base, files=files)

    def download(self, ref: AttachmentRef) -> bytes:
        file_id = ref.url[len(FILE_REF):] if ref.url.startswith(FILE_REF) else ref.url
        info = self._call("getFile", {"file_id": file_id})
        url = f"{self.api_url}/file/bot{self._token}/{info['file_path']}"
        response = guard_request("Telegram", self.session.get, url, timeout=HTTP_TIMEOUT)
        if response.status_code >= 500:
            raise transient_from_http("Telegram", response)
        if response.status_code >= 400:
            raise PermanentError(f"Telegram: файл «{ref.name}» недоступен (HTTP {response.status_code})")
        return response.content

    # ---- the one place Bot API errors are translated ---------------------------------
    def _call(self, method: str, params: dict, files: dict | None = None, read_timeout: float | None = None):
        url = f"{self.api_url}/bot{self._token}/{method}"
        timeout = (HTTP_TIMEOUT[0], read_timeout or HTTP_TIMEOUT[1])
        if files:  # multipart: nested values travel as JSON strings
            data = {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in params.items()}
            response = guard_request("Telegram", self.session.post, url, data=data, files=files, timeout=timeout)
        else:
            response = guard_request("Telegram", self.session.post, url, json=params, timeout=timeout)
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code == 200 and body.get("ok"):
            return body["result"]
        raise _raise_for(response, body)


def _raise_for(response: requests.Response, body: dict) -> Exception:
    code = body.get("error_code") or response.status_code
    description = str(body.get("description", ""))
    parameters = body.get("parameters") or {}
    if code == 429 or code >= 500 or not body:
        if code == 429:
            return TransientError("Telegram: слишком много запросов, повторим позже", parameters.get("retry_after"))
        return transient_from_http("Telegram", response)
    if parameters.get("migrate_to_chat_id"):
        return PermanentError(f"Telegram: группа стала супергруппой, новый id {parameters['migrate_to_chat_id']}")
    for rule_code, fragment, transient, note in TELEGRAM_ERRORS:
        if code == rule_code and fragment in description.lower():
            return TransientError(note) if transient else PermanentError(note)
    return PermanentError(f"Telegram: ошибка {code}: {description}")


def _item(message: dict, change: str, kind: str, public: bool, link: str) -> IncomingItem:
    chat, author = message["chat"], message.get("from") or {}
    target = {"chat_id": chat["id"], "reply_to": message["message_id"]}
    if public and message.get("message_thread_id"):
        target["message_thread_id"] = message["message_thread_id"]
    prefix = "message" if kind == KIND_MESSAGE else "comment"
    return IncomingItem(
        channel="telegram", external_id=f"{prefix}:{chat['id']}_{message['message_id']}", kind=kind,
        public=public, posted_at=from_unix(message["date"]), author_name=_display_name(author),
        author_link=_profile(author), text=message.get("text") or message.get("caption") or "",
        link=link, reply_target=target, attachments=_attachments(message), event=change,
    )


def _attachments(message: dict) -> tuple[AttachmentRef, ...]:
    refs = []
    if message.get("photo"):
        best = max(message["photo"], key=lambda p: p.get("file_size") or p.get("width", 0))
        refs.append(AttachmentRef(f"photo_{best['file_unique_id']}.jpg", FILE_REF + best["file_id"], "photo"))
    for field, kind in (("document", "doc"), ("video", "video"), ("audio", "audio"), ("voice", "voice")):
        body = message.get(field)
        if body:
            name = body.get("file_name") or f"{field}_{body['file_unique_id']}"
            refs.append(AttachmentRef(name, FILE_REF + body["file_id"], kind))
    return tuple(refs)


def _display_name(user: dict) -> str:
    return " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p) or "Пользователь Telegram"


def _profile(user: dict) -> str:
    if user.get("username"):
        return f"https://t.me/{user['username']}"
    return f"tg://user?id={user.get('id')}"


def _message_link(message: dict) -> str:
    chat, mid = message["chat"], message["message_id"]
    thread = message.get("message_thread_id")
    suffix = f"?thread={thread}" if thread else ""
    if chat.get("username"):
        return f"https://t.me/{chat['username']}/{mid}{suffix}"
    return f"https://t.me/c/{str(chat['id']).removeprefix('-100')}/{mid}{suffix}"


def _published_link(target: dict, message_id: int) -> str:
    chat_id = int(target["chat_id"])
    if chat_id > 0:
        return ""  # a private dialogue has no public link
    return f"https://t.me/c/{str(chat_id).removeprefix('-100')}/{message_id}"
