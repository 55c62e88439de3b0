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
import time
from pathlib import Path
from typing import Sequence

import requests

from bridge.channels.base import (
    HTTP_TIMEOUT, KIND_COMMENT, KIND_MESSAGE, AttachmentRef, FileTooBig, IncomingItem, Malformed, Published,
    clean_text, from_unix, gap_item, get_file, guard_request, is_image, need, parse_each, read_attachment, text_of,
    transient_from_http,
)
from bridge.channels.base import split_text as base_split
from bridge.core.errors import PermanentError, TransientError

log = logging.getLogger(__name__)

FILE_REF = "tg-file:"
UPDATES_KEPT_SECONDS = 24 * 3600   # "incoming updates ... will not be kept longer than 24 hours"
MAX_TEXT = 4096                    # sendMessage.text: 1-4096 characters after entities parsing
MAX_PHOTO = 10 * 1024 * 1024       # sendPhoto: "The photo must be at most 10 MB in size"
MAX_UPLOAD = 50 * 1024 * 1024      # "Bots can currently send files of any type of up to 50 MB"
MAX_CAPTION = 1024                 # sendPhoto/sendDocument/InputMedia*.caption: 0-1024 characters
MAX_ALBUM = 10                     # sendMediaGroup.media: 2-10 items
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
    (400, "file is too big", False, "Telegram: файл больше 20 МБ — Bot API не отдаёт такие файлы боту; "
                                    "откройте сообщение в Telegram"),
    (400, "message is too long", False, "Telegram: текст длиннее 4096 символов"),
    (409, "", True, "Telegram: бота опрашивает другой процесс или задан webhook"),
]


class TelegramChannel:
    """One bot: direct messages to it and comments in the linked discussion group of `channel`.
    `name` is the page key (`telegram`, `telegram:<name>`): its cursor key and «Канал»."""

    def __init__(self, token: str, api_url: str = "https://api.telegram.org",
                 channel: str | int | None = None, discussion_chat_id: int | None = None,
                 name: str = "telegram") -> None:
        self.name = name
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.channel = channel
        self.discussion_chat_id = discussion_chat_id
        self.session = requests.Session()
        own = str(channel or "").strip()
        self._own_chat_ids = {int(discussion_chat_id)} if discussion_chat_id is not None else set()
        self._own_usernames: set[str] = set()
        if own.lstrip("-").isdigit():
            self._own_chat_ids.add(int(own))
        elif own:
            self._own_usernames.add(own.lstrip("@").lower())

    # ---- intake -----------------------------------------------------------------------
    def fetch(self, cursor: str | None, timeout: float = 0) -> tuple[list[IncomingItem], str | None]:
        """One getUpdates (core.telegram.org/bots/api#getupdates); the cursor is the next
        `offset` and the time of the last successful call. Telegram forgets updates below the
        offset only when it is sent, so a restart with the saved cursor loses nothing; it keeps
        undelivered updates only 24 hours, so a longer silence is reported as a possible gap."""
        offset, last_at = _read_cursor(cursor)
        params = {"timeout": max(0, int(timeout)), "allowed_updates": ALLOWED_UPDATES}
        if offset:
            params["offset"] = offset
        updates = self._call("getUpdates", params, read_timeout=int(timeout) + HTTP_TIMEOUT[1])
        if not isinstance(updates, list):
            raise TransientError("Telegram: getUpdates вернул не список")
        now = time.time()
        items = []
        if last_at and now - last_at > UPDATES_KEPT_SECONDS:
            items.append(gap_item(self.name, f"{self.name}: бот не получал обновления дольше 24 часов — "
                                  "Telegram хранит их только сутки, часть сообщений могла быть потеряна; "
                                  "проверьте чаты бота вручную", {"from": last_at, "to": now}))
        items += parse_each(self.name, updates, self._parse, lambda u: u.get("update_id"))
        ids = [u["update_id"] for u in updates if isinstance(u, dict) and _is_int(u.get("update_id"))]
        next_offset = max(ids) + 1 if ids else offset
        return items, json.dumps({"offset": next_offset, "at": now})

    def _parse(self, update) -> IncomingItem | None:
        if not isinstance(update, dict) or not _is_int(update.get("update_id")):
            raise Malformed("обновление без update_id")
        message, change = update.get("message"), "new"
        if message is None and update.get("edited_message") is not None:
            message, change = update["edited_message"], "edit"
        if message is None:
            return None   # an update type we did not ask for
        need(message, "message_id", int, "message")
        need(message, "date", int, "message")
        chat = need(message, "chat", dict, "message")
        need(chat, "id", int, "message.chat")
        ctype = need(chat, "type", str, "message.chat")
        if message.get("is_automatic_forward"):
            return None   # the channel's own post forwarded into the discussion group
        sender_chat = message.get("sender_chat")
        if sender_chat is not None:
            if not isinstance(sender_chat, dict):
                raise Malformed("поле message.sender_chat: не объект")
            if self._is_own_chat(sender_chat):
                return None   # the administration writing on behalf of its channel or group
        elif (message.get("from") or {}).get("is_bot"):
            return None   # another bot
        if ctype == "private":
            author = need(message, "from", dict, "message")
            return _item(self.name, message, change, KIND_MESSAGE, public=False, link=_profile(author))
        if ctype in ("group", "supergroup") and self._is_discussion(chat["id"]):
            return _item(self.name, message, change, KIND_COMMENT, public=True, link=_message_link(message))
        return None

    def _is_own_chat(self, chat: dict) -> bool:
        username = str(chat.get("username") or "").lower()
        return chat.get("id") in self._own_chat_ids or (bool(username) and username in self._own_usernames)

    def _is_discussion(self, chat_id: int) -> bool:
        return self.discussion_chat_id is None or int(self.discussion_chat_id) == chat_id

    # ---- publication (п. 3.4, 3.5) ---------------------------------------------------
    def publish_reply(self, target: dict, text: str, attachments: Sequence[Path], key: str) -> Published:
        """Answer in the same dialogue or comment thread, as a reply to the citizen's message.

        `reply_parameters` alone keeps a comment in its thread (core.telegram.org/bots/api#replyparameters);
        `message_thread_id` is documented for forum supergroups only and is not sent. The
        department's files follow (`_send_all`). The Bot API has no idempotency key: `key` is
        unused (see README, «Гарантии по каналам»)."""
        base = {"chat_id": target["chat_id"]}
        if target.get("reply_to"):
            base["reply_parameters"] = {"message_id": target["reply_to"]}
        first = self._send_all(base, text, attachments)
        if first is None:
            raise PermanentError("Telegram: пустой ответ — нет ни текста, ни вложений")
        return Published(f"message:{target['chat_id']}_{first['message_id']}",
                         _published_link(target, first["message_id"]))

    def post_informational(self, text: str, attachments: Sequence[Path], key: str) -> Published:
        """The text and files in the channel; the bot must be its administrator with «Публикация сообщений»."""
        if not self.channel:
            raise PermanentError("Telegram: не задан канал для информационных сообщений (telegram.channel)")
        first = self._send_all({"chat_id": self.channel}, text, attachments)
        if first is None:
            raise PermanentError("Telegram: пустое информационное сообщение")
        name = str(self.channel).lstrip("@")
        link = f"https://t.me/{name}/{first['message_id']}" if not name.lstrip("-").isdigit() else ""
        return Published(f"channel_post:{self.channel}_{first['message_id']}", link)

    def _send_all(self, base: dict, text: str, attachments: Sequence[Path]) -> dict | None:
        """The text, then the files. A text that fits a caption (≤ 1024) is the caption of the
        first file, so the citizen gets the answer and the scan as one message; a longer one goes
        as messages of up to 4096 first. Returns the first message sent."""
        files = [(Path(path), read_attachment(path)) for path in attachments]
        for path, data in files:
            if len(data) > MAX_UPLOAD:
                raise PermanentError(f"Telegram: вложение «{path.name}» больше 50 МБ — бот не может его отправить")
        text = clean_text(text or "").strip()
        caption = text if files and _utf16(text) <= MAX_CAPTION else ""
        first = None
        if not caption:
            for chunk in split_text(text):
                sent = self._call("sendMessage", {**base, "text": chunk})
                first = first or sent
        for number, group in enumerate(_albums(files)):
            sent = self._send_album(base, group, caption if number == 0 else "")
            first = first or sent
        return first

    def _send_album(self, base: dict, group: list[tuple[Path, bytes]], caption: str) -> dict:
        """One file: sendPhoto (a photo up to 10 MB) or sendDocument; 2-10 of one kind:
        sendMediaGroup (core.telegram.org/bots/api#sendmediagroup, files as "attach://<field>")."""
        caption_field = {"caption": caption} if caption else {}
        if len(group) == 1:
            (path, data), = group
            method, field = ("sendPhoto", "photo") if _as_photo(path, data) else ("sendDocument", "document")
            return self._call(method, {**base, **caption_field}, files={field: (path.name, data)})
        media, uploads = [], {}
        for number, (path, data) in enumerate(group):
            field = f"file{number}"
            kind = "photo" if _as_photo(path, data) else "document"
            media.append({"type": kind, "media": f"attach://{field}", **(caption_field if number == 0 else {})})
            uploads[field] = (path.name, data)
        return self._call("sendMediaGroup", {**base, "media": media}, files=uploads)[0]

    def download(self, ref: AttachmentRef, limit: int = 0) -> bytes:
        """getFile (core.telegram.org/bots/api#getfile: files up to 20 MB), then
        `https://api.telegram.org/file/bot<token>/<file_path>`; a file whose `file_size` is over
        `limit` is not fetched at all."""
        file_id = ref.url[len(FILE_REF):] if ref.url.startswith(FILE_REF) else ref.url
        info = self._call("getFile", {"file_id": file_id})
        size = info.get("file_size") if isinstance(info, dict) else None
        if limit and _is_int(size) and size > limit:
            raise FileTooBig(ref.name, size, limit)
        if not isinstance(info, dict) or not isinstance(info.get("file_path"), str):
            raise PermanentError(f"Telegram: файл «{ref.name}» недоступен (нет file_path)")
        return get_file("Telegram", self.session, f"{self.api_url}/file/bot{self._token}/{info['file_path']}",
                        ref.name, limit)

    # ---- the one place Bot API errors are translated ---------------------------------
    def _call(self, method: str, params: dict, files: dict | None = None, read_timeout: float | None = None):
        url = f"{self.api_url}/bot{self._token}/{method}"
        params = {k: clean_text(v) for k, v in params.items()}
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


def _item(channel: str, message: dict, change: str, kind: str, public: bool, link: str) -> IncomingItem:
    chat, author = message["chat"], message.get("from") or {}
    sender_chat = message.get("sender_chat")
    target = {"chat_id": chat["id"], "reply_to": message["message_id"]}
    prefix = "message" if kind == KIND_MESSAGE else "comment"
    if sender_chat:   # a citizen commenting on behalf of their own channel
        name = str(sender_chat.get("title") or "Канал Telegram")
        profile = f"https://t.me/{sender_chat['username']}" if sender_chat.get("username") else ""
    else:
        name, profile = _display_name(author), _profile(author)
    return IncomingItem(
        channel=channel, external_id=f"{prefix}:{chat['id']}_{message['message_id']}", kind=kind,
        public=public, posted_at=from_unix(message["date"]), author_name=name,
        author_link=profile, text=text_of(message, "text", "message") or text_of(message, "caption", "message"),
        link=link, reply_target=target, attachments=_attachments(message), event=change,
        replies_to=_replied(message),
    )


def _replied(message: dict) -> tuple[str, ...]:
    """core.telegram.org/bots/api#message `reply_to_message`: "for replies in the same chat and
    message thread, the original message" — a citizen's comment or one of the bot's own."""
    original = message.get("reply_to_message")
    if not isinstance(original, dict) or not _is_int(original.get("message_id")):
        return ()
    chat, mid = message["chat"]["id"], original["message_id"]
    return (f"comment:{chat}_{mid}", f"message:{chat}_{mid}")


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most 4096 UTF-16 code units (Telegram counts them so)."""
    return base_split(clean_text(text), limit, _utf16)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _as_photo(path: Path, data: bytes) -> bool:
    return is_image(path) and len(data) <= MAX_PHOTO


def _albums(files: list[tuple[Path, bytes]]) -> list[list[tuple[Path, bytes]]]:
    """Photos together, documents together (a media group may not mix documents with photos),
    at most 10 in one group."""
    photos = [f for f in files if _as_photo(*f)]
    documents = [f for f in files if not _as_photo(*f)]
    return [kind[i:i + MAX_ALBUM] for kind in (photos, documents) for i in range(0, len(kind), MAX_ALBUM)]


def _read_cursor(cursor: str | None) -> tuple[int | None, float | None]:
    """The saved cursor: JSON {"offset", "at"}, or the bare offset of earlier versions."""
    if not cursor:
        return None, None
    try:
        value = json.loads(cursor)
    except ValueError:
        return None, None
    if isinstance(value, int):
        return value, None
    if isinstance(value, dict):
        offset, at = value.get("offset"), value.get("at")
        return (offset if _is_int(offset) else None), (float(at) if isinstance(at, (int, float)) else None)
    return None, None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _attachments(message: dict) -> tuple[AttachmentRef, ...]:
    """The largest PhotoSize of `photo`, and document/video/audio/voice (core.telegram.org/bots/api#message).
    An entry without a `file_id` carries nothing to download and is skipped."""
    refs = []
    photos = [p for p in message.get("photo") or [] if isinstance(p, dict) and isinstance(p.get("file_id"), str)] \
        if isinstance(message.get("photo"), list) else []
    if photos:
        best = max(photos, key=lambda p: _size(p.get("file_size")) or _size(p.get("width")))
        unique = str(best.get("file_unique_id") or best["file_id"])[:64]
        refs.append(AttachmentRef(f"photo_{unique}.jpg", FILE_REF + best["file_id"], "photo"))
    for field, kind in (("document", "doc"), ("video", "video"), ("audio", "audio"), ("voice", "voice")):
        body = message.get(field)
        if isinstance(body, dict) and isinstance(body.get("file_id"), str):
            unique = str(body.get("file_unique_id") or body["file_id"])[:64]
            name = body.get("file_name") if isinstance(body.get("file_name"), str) else ""
            refs.append(AttachmentRef(name or f"{field}_{unique}", FILE_REF + body["file_id"], kind))
    return tuple(refs)


def _size(value) -> int:
    return value if _is_int(value) else 0


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
