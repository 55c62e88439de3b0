"""The VK community adapter: intake through the Bots Long Poll API (or the Callback API) and
publication of answers with a community token, via the `vk-api` library.

The one seam is `ApiSession`: vk-api posts to a fixed `https://api.vk.ru/method/`; the session
rewrites that prefix to the configured `api_url` (identical in production, a local stand-in in
tests and the demo). Every VK error is translated in `_translate` (one table, `VK_ERRORS`).

Which token each feature needs follows the `access_token_type` of each method in the VK API
JSON schema (VKCOM/vk-api-schema): a community token answers wall comments and messages and
uploads documents; `wall.post`, `photos.getWallUploadServer`/`saveWallPhoto` and
`photos/video/board.createComment` accept only a user token (an administrator's, `user_token_env`).
`FEATURES` says so at start and in check-config.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Sequence

import requests
import vk_api
from vk_api.exceptions import ApiError, ApiHttpError, VkApiError

from bridge.channels import vk_events
from bridge.channels.base import (
    HTTP_TIMEOUT, get_file, AttachmentRef, IncomingItem, Published, clean_text, gap_item, guard_request, is_image,
    parse_each, random_id_from_key, read_attachment, split_text, transient_from_http,
)
from bridge.channels.vk_callback import CallbackJournal, serve_callback
from bridge.core.errors import PermanentError, TransientError

log = logging.getLogger(__name__)

API_VERSION = "5.199"
LIBRARY_API_URL = "https://api.vk.ru/method/"
# dev.vk.com/ru/api/api-requests#Ограничения и рекомендации: 3 requests a second for a user
# token (the vk-api library's own RPS_DELAY is 0.34 s), 20 a second for a community token.
USER_TOKEN_INTERVAL = 0.34
COMMUNITY_TOKEN_INTERVAL = 0.05
ADMIN_TOKEN_NOTE = "требует токена администратора (vk.user_token_env)"
# feature → (token it needs, what happens without it) — said at start and in check-config
FEATURES = {
    "Ответы на комментарии на стене и в личные сообщения": ("ключ сообщества", ""),
    "Ответы на комментарии к фото, видео и в обсуждениях": (
        "ключ администратора (user_token_env)", "без него такие ответы передаются оператору"),
    "Информационные сообщения на стене (wall.post)": (
        "ключ администратора (user_token_env)", "без него запись на стене не публикуется"),
    "Фото во вложениях ответа на стене": (
        "ключ администратора (user_token_env)", "без него фото прикладываются как документы"),
}
NEEDS_USER_TOKEN = {
    "photos.createComment": f"Ответ на комментарий к фото {ADMIN_TOKEN_NOTE}",
    "video.createComment": f"Ответ на комментарий к видео {ADMIN_TOKEN_NOTE}",
    "board.createComment": f"Ответ в обсуждении {ADMIN_TOKEN_NOTE}",
}

# VK error code → (retry later?, message for the operator's row note)
VK_ERRORS: dict[int, tuple[bool, str]] = {
    1: (True, "VK: неизвестная ошибка сервера"),
    5: (False, "VK: ключ доступа недействителен или истёк — выпустите новый ключ сообщества"),
    6: (True, "VK: слишком много запросов в секунду"),
    7: (False, "VK: у ключа доступа нет прав на это действие"),
    9: (True, "VK: сработал контроль флуда, повторим позже"),
    10: (True, "VK: внутренняя ошибка сервера"),
    15: (False, "VK: доступ запрещён (нет прав у сообщества или комментарии закрыты)"),
    14: (False, "VK: требуется ввод капчи — сервис не может её пройти; уменьшите частоту публикаций "
                "и повторите решение позже"),
    27: (False, "VK: метод недоступен с ключом сообщества — нужен токен администратора (vk.user_token_env)"),
    29: (True, "VK: достигнут дневной лимит запросов"),
    212: (False, "VK: комментирование этой записи закрыто"),
    213: (False, "VK: комментирование этой записи закрыто"),
    901: (False, "VK: пользователь не разрешил сообщения от сообщества — ответить в личные сообщения нельзя"),
    902: (False, "VK: пользователь ограничил круг тех, кто может ему писать"),
}
RETRY_AFTER = {6: 1.0, 9: 60.0, 29: 3600.0}
RANDOM_ID_TRIES = 3
MAX_MESSAGE = 9000   # messages.send.message: maxLength 9000 in the VK API JSON schema
MAX_MESSAGE_ATTACHMENTS = 10   # messages.send.attachment: «не более 10 вложений» (dev.vk.com/ru/method/messages.send)


class ApiSession(requests.Session):
    """Routes vk-api's fixed API URL to `api_url` and gives every request a timeout."""

    def __init__(self, api_url: str) -> None:
        super().__init__()
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"

    def request(self, method, url, *args, **kwargs):
        if isinstance(url, str) and url.startswith(LIBRARY_API_URL):
            url = self.api_url + url[len(LIBRARY_API_URL):]
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return super().request(method, url, *args, **kwargs)


class VkChannel:
    """One VK community (`group_id`) seen through its community token; `name` is the page key
    (`vk`, `vk:<name>`): its cursor key and the «Канал» of its cases."""

    def __init__(self, group_id: int, token: str, api_url: str = LIBRARY_API_URL,
                 user_token: str | None = None, min_interval: float = COMMUNITY_TOKEN_INTERVAL,
                 callback: CallbackJournal | None = None, listener: dict | None = None,
                 name: str = "vk", user_min_interval: float = USER_TOKEN_INTERVAL,
                 manage_long_poll: bool = True) -> None:
        self.name = name
        self.group_id = abs(int(group_id))
        self.session = ApiSession(api_url)
        self._group = self._client(token, min_interval)
        self._admin = self._client(user_token, user_min_interval) if user_token else None
        self.callback = callback
        self._listener_args = listener  # host, port, confirmation, secret for callback mode
        self.listener = None
        self.manage_long_poll = manage_long_poll
        self.long_poll_problem = ""      # what check-config and the log say about the settings
        self._settings_checked = False
        if user_token is None:
            for feature, (needs, without) in FEATURES.items():
                if without:
                    log.info("VK %s: %s — %s; %s", self.name, feature, needs, without)

    def _client(self, token: str, min_interval: float) -> vk_api.VkApi:
        client = vk_api.VkApi(token=token, api_version=API_VERSION, session=self.session)
        client.RPS_DELAY = min_interval
        client.error_handlers.pop(6, None)  # "too many requests" is a TransientError, not a busy loop
        client.error_handlers.pop(14, None)  # captcha: a service cannot solve it; never retry forever
        return client

    # ---- intake -----------------------------------------------------------------------
    def fetch(self, cursor: str | None, timeout: float = 0) -> tuple[list[IncomingItem], str | None]:
        if self.callback is not None:
            self._start_listener()
            events, new_cursor = self.callback.read(cursor)
        else:
            events, new_cursor = self._poll(cursor, timeout)
        return self._items(events), new_cursor

    def _start_listener(self) -> None:
        if self.listener is None and self._listener_args is not None:
            self.listener = serve_callback(self.callback, **self._listener_args)

    def _poll(self, cursor: str | None, timeout: float) -> tuple[list[dict], str]:
        """One long-poll check; the cursor is {server, key, ts} as JSON (п. 1: nothing skipped)."""
        state = json.loads(cursor) if cursor else self._new_session(keep_ts=None)
        gaps: list[dict] = []
        for _ in range(3):
            answer = self._check(state, timeout)
            failed = answer.get("failed")
            if failed is None:
                updates = answer.get("updates")
                if "ts" not in answer or not isinstance(updates, (list, type(None))):
                    raise TransientError("VK: сервер long poll ответил не по документации (нет ts/updates)")
                state["ts"] = str(answer["ts"])
                return gaps + (updates or []), json.dumps(state)
            if failed == 1:  # history partly lost on VK's side: go on from the ts it gives, say so
                log.warning("VK long poll: история событий устарела, продолжаем с ts=%s", answer.get("ts"))
                gaps.append({"type": "otklik_gap", "from_ts": state["ts"], "to_ts": str(answer.get("ts"))})
                state["ts"] = str(answer.get("ts", state["ts"]))
            elif failed == 2:  # key expired: a new key, the same ts, so nothing is skipped
                state = self._new_session(keep_ts=state["ts"])
            else:  # 3: information lost, VK requires a new key and ts
                log.warning("VK long poll: сессия потеряна (failed=3), начинаем заново")
                state = self._new_session(keep_ts=None)
        return gaps, json.dumps(state)

    def _new_session(self, keep_ts: str | None) -> dict:
        if not self._settings_checked:
            self._settings_checked = True
            self.long_poll_problem = self.ensure_long_poll()
            if self.long_poll_problem:
                log.warning("VK %s: %s", self.name, self.long_poll_problem)
        server = self._call(self._group, "groups.getLongPollServer", group_id=self.group_id)
        return {"server": server["server"], "key": server["key"], "ts": keep_ts or str(server["ts"])}

    def _check(self, state: dict, timeout: float) -> dict:
        wait = max(0, int(timeout))
        params = {"act": "a_check", "key": state["key"], "ts": state["ts"], "wait": wait}
        response = guard_request("VK", self.session.get, state["server"], params=params,
                                 timeout=(HTTP_TIMEOUT[0], wait + HTTP_TIMEOUT[1]))
        if response.status_code >= 500 or response.status_code == 429:
            raise transient_from_http("VK", response)
        try:
            return response.json()
        except ValueError as exc:
            raise TransientError("VK: сервер long poll вернул не JSON") from exc

    # ---- Long Poll settings (dev.vk.com/ru/method/groups.getLongPollSettings, setLongPollSettings)
    def ensure_long_poll(self, fix: bool | None = None) -> str:
        """Long Poll on, our API version, every event type we take in switched on (switched on
        here when `fix`, by default `manage_long_poll`); returns what is still wrong (for the log
        and check-config), '' when all is well."""
        try:
            settings = self._call(self._group, "groups.getLongPollSettings", group_id=self.group_id)
        except (PermanentError, TransientError) as exc:
            return f"не удалось прочитать настройки Long Poll API ({exc})"
        events = settings.get("events") if isinstance(settings.get("events"), dict) else {}
        off = [e for e in vk_events.NEEDED_EVENTS if not events.get(e)]
        wrong = not settings.get("is_enabled") or settings.get("api_version") != API_VERSION or off
        if not wrong:
            return ""
        if not (self.manage_long_poll if fix is None else fix):
            return _long_poll_advice(settings, off)
        try:
            self._call(self._group, "groups.setLongPollSettings", group_id=self.group_id, enabled=1,
                       api_version=API_VERSION, **{e: 1 for e in vk_events.NEEDED_EVENTS})
        except (PermanentError, TransientError) as exc:
            return f"{_long_poll_advice(settings, off)} (включить автоматически не удалось: {exc})"
        log.info("VK %s: Long Poll API включён, версия %s, типы событий: %d", self.name, API_VERSION,
                 len(vk_events.NEEDED_EVENTS))
        return ""

    def _items(self, events: list) -> list[IncomingItem]:
        names = self._names(vk_events.author_ids(events))
        gaps = [e for e in events if isinstance(e, dict) and e.get("type") == "otklik_gap"]
        items = [gap_item(self.name, f"{self.name}: VK сообщил, что часть событий Long Poll утеряна "
                                     "(failed=1) — проверьте сообщество вручную за время перерыва", gap)
                 for gap in gaps]
        events = [e for e in events if e not in gaps]
        return items + parse_each(self.name, events,
                                  lambda event: vk_events.parse_event(event, names, self.group_id, self.name),
                                  _event_ident)

    def _names(self, ids: set[int]) -> dict[int, str]:
        """dev.vk.com/ru/method/users.get: up to 1000 `user_ids` per call."""
        names: dict[int, str] = {}
        ordered = sorted(ids)
        for start in range(0, len(ordered), 1000):
            chunk = ",".join(str(i) for i in ordered[start:start + 1000])
            try:
                users = self._call(self._group, "users.get", user_ids=chunk) or []
            except PermanentError as exc:   # a bad id in one event must not stop the channel
                log.warning("VK %s: имена авторов не получены (%s); показываем id", self.name, exc)
                continue
            for user in users:
                if isinstance(user, dict) and isinstance(user.get("id"), int):
                    full = f"{user.get('first_name') or ''} {user.get('last_name') or ''}".strip()
                    names[user["id"]] = full
        return names

    # ---- publication (п. 3.4, 3.5) ---------------------------------------------------
    def publish_reply(self, target: dict, text: str, attachments: Sequence[Path], key: str) -> Published:
        method = target.get("method")
        if method == "messages.send":
            return self._send_message(int(target["peer_id"]), text, attachments, key)
        if method == "wall.createComment":
            return self._comment_on_wall(target, text, attachments, key)
        if method in NEEDS_USER_TOKEN:
            return self._comment_as_admin(method, target, text, attachments, key)
        raise PermanentError(f"VK: неизвестный способ ответа «{method}»")

    def post_informational(self, text: str, attachments: Sequence[Path], key: str) -> Published:
        """dev.vk.com/ru/method/wall.post — user token only (schema `access_token_type: [user]`)."""
        if self._admin is None:
            raise PermanentError("VK: информационное сообщение на стене сообщества требует ключа "
                                 "администратора (vk.user_token_env) — ключом сообщества wall.post недоступен")
        uploaded = self._upload_for_wall(attachments)
        answer = self._call(self._admin, "wall.post", owner_id=-self.group_id,
                            from_group=1, message=text, attachments=",".join(uploaded), guid=_guid(key))
        post = answer["post_id"]
        return Published(f"wall_post:-{self.group_id}_{post}",
                         f"{vk_events.VK_SITE}/wall-{self.group_id}_{post}")

    def _send_message(self, peer: int, text: str, attachments: Sequence[Path], key: str) -> Published:
        """messages.send with `random_id` from the outbox key (a retry is the same message).

        VK keeps one message per random_id and sender (dev.vk.com/ru/method/messages.send), so
        two different answers whose ids collide would make the second look sent. After each
        send the message is read back (messages.getById); if it is another dialogue's or another
        text, the answer is sent again under the next derived id."""
        pieces = split_text(clean_text(text), MAX_MESSAGE) or [""]
        files = list(attachments)
        groups = [files[i:i + MAX_MESSAGE_ATTACHMENTS] for i in range(0, len(files), MAX_MESSAGE_ATTACHMENTS)] or [[]]
        # the files go with the last piece of text, ten to a message (messages.send `attachment`)
        plan = [(piece, []) for piece in pieces[:-1]] + [(pieces[-1], groups[0])] + [("", g) for g in groups[1:]]
        first = None
        for number, (piece, group) in enumerate(plan):
            part_key = key if number == 0 else f"{key}/{number + 1}"
            sent = self._send_piece(peer, piece, group, part_key)
            first = first or sent
        return first

    def _send_piece(self, peer: int, text: str, attachments: Sequence[Path], key: str) -> Published:
        uploaded = self._upload_for_message(peer, attachments)
        for attempt in range(RANDOM_ID_TRIES):
            random_id = random_id_from_key(key if attempt == 0 else f"{key}#{attempt}")
            message_id = self._call(self._group, "messages.send", peer_id=peer, message=text,
                                    random_id=random_id, attachment=",".join(uploaded))
            if self._is_ours(message_id, peer, text):
                return Published(f"message:{peer}_{message_id}",
                                 f"{vk_events.VK_SITE}/gim{self.group_id}?sel={peer}")
            log.warning("VK %s: random_id совпал с ранее отправленным сообщением — отправляем с другим", self.name)
        raise PermanentError("VK: не удалось подобрать уникальный random_id — повторите публикацию")

    def _is_ours(self, message_id, peer: int, text: str) -> bool:
        """dev.vk.com/ru/method/messages.getById: the message VK holds under `message_id`."""
        if not isinstance(message_id, int):
            return True   # nothing to compare with; VK answered as documented otherwise
        answer = self._call(self._group, "messages.getById", message_ids=message_id, group_id=self.group_id)
        found = answer.get("items") if isinstance(answer, dict) else None
        if not found or not isinstance(found[0], dict):
            return True
        return found[0].get("peer_id") == peer and (found[0].get("text") or "") == (text or "")

    def _comment_on_wall(self, target: dict, text: str, attachments: Sequence[Path], key: str) -> Published:
        owner, post = int(target["owner_id"]), int(target["post_id"])
        uploaded = self._upload_for_wall(attachments)
        # wall.createComment.from_group is the group id (schema: integer, format int64, "Group ID")
        answer = self._call(self._group, "wall.createComment", owner_id=owner, post_id=post,
                            from_group=self.group_id, reply_to_comment=target.get("reply_to_comment"),
                            message=text, attachments=",".join(uploaded), guid=_guid(key))
        cid = answer["comment_id"]
        return Published(f"wall_comment:{owner}_{post}_{cid}", f"{vk_events.VK_SITE}/wall{owner}_{post}?reply={cid}")

    def _comment_as_admin(self, method: str, target: dict, text: str, attachments: Sequence[Path],
                          key: str) -> Published:
        if self._admin is None:
            raise PermanentError(NEEDS_USER_TOKEN[method])
        params = {k: v for k, v in target.items() if k != "method"}
        uploaded = self._upload_for_wall(attachments)
        # photos/video/board.createComment: from_group is a boolean (1 = as the community) in
        # the schema, unlike wall.createComment; guid keeps a retry from doubling the comment.
        params["from_group"] = 1
        answer = self._call(self._admin, method, message=text, attachments=",".join(uploaded),
                            guid=_guid(key), **params)
        cid = answer.get("comment_id") if isinstance(answer, dict) else answer
        return Published(f"{method.split('.')[0]}_comment:{cid}", "")

    # ---- attachments ------------------------------------------------------------------
    def _upload_for_message(self, peer: int, files: Sequence[Path]) -> list[str]:
        out = []
        for path in files:
            if is_image(path):
                server = self._call(self._group, "photos.getMessagesUploadServer", peer_id=peer)
                sent = self._post_file(server["upload_url"], "photo", path)
                saved = self._call(self._group, "photos.saveMessagesPhoto", **sent)[0]
                out.append(f"photo{saved['owner_id']}_{saved['id']}")
            else:
                server = self._call(self._group, "docs.getMessagesUploadServer", type="doc", peer_id=peer)
                out.append(self._save_doc(server, path, self._group))
        return out

    def _upload_for_wall(self, files: Sequence[Path]) -> list[str]:
        """Photos need a user token (photos.getWallUploadServer); with the community token
        alone an image goes as a document (docs.getWallUploadServer accepts both)."""
        client, out = self._admin or self._group, []
        for path in files:
            if is_image(path) and self._admin is not None:
                server = self._call(client, "photos.getWallUploadServer", group_id=self.group_id)
                sent = self._post_file(server["upload_url"], "photo", path)
                saved = self._call(client, "photos.saveWallPhoto", group_id=self.group_id, **sent)[0]
                out.append(f"photo{saved['owner_id']}_{saved['id']}")
            else:
                server = self._call(client, "docs.getWallUploadServer", group_id=self.group_id)
                out.append(self._save_doc(server, path, client))
        return out

    def _save_doc(self, server: dict, path: Path, client: vk_api.VkApi) -> str:
        sent = self._post_file(server["upload_url"], "file", path)
        doc = self._call(client, "docs.save", title=Path(path).name, **sent)["doc"]
        return f"doc{doc['owner_id']}_{doc['id']}"

    def _post_file(self, url: str, field: str, path: Path) -> dict:
        files = {field: (Path(path).name, read_attachment(path))}
        response = guard_request("VK", self.session.post, url, files=files)
        if response.status_code >= 500 or response.status_code == 429:
            raise transient_from_http("VK", response)
        try:
            body = response.json()
        except ValueError as exc:
            raise TransientError("VK: сервер загрузки ответил не JSON") from exc
        # dev.vk.com/ru/api/upload: a refused file is {"error": …}, a photo nobody received "photo": "[]"
        if response.status_code >= 400 or not isinstance(body, dict) or body.get("error") \
                or body.get("photo") == "[]":
            reason = body.get("error") if isinstance(body, dict) else response.status_code
            raise PermanentError(f"VK: сервер загрузки не принял вложение «{Path(path).name}» ({reason})")
        return body

    def download(self, ref: AttachmentRef, limit: int = 0) -> bytes:
        """A citizen's file from the URL the event gave (at most `limit` bytes)."""
        return get_file("VK", self.session, ref.url, ref.name, limit)

    # ---- the one place VK errors are translated --------------------------------------
    def _call(self, client: vk_api.VkApi, method: str, **params):
        params = {k: clean_text(v) for k, v in params.items() if v not in (None, "")}
        try:
            return client.method(method, params)
        except ApiError as exc:
            raise _translate(exc.code, exc.error.get("error_msg", ""), method) from exc
        except ApiHttpError as exc:
            raise transient_from_http("VK", exc.response) from exc
        except requests.Timeout as exc:
            raise TransientError("VK: сервер не ответил вовремя") from exc
        except (requests.RequestException, VkApiError) as exc:
            raise TransientError(f"VK: нет связи с сервером ({type(exc).__name__})") from exc


def _translate(code: int, text: str, method: str) -> Exception:
    if code == 100 and "comment" in text.lower():
        return PermanentError("VK: комментарий, на который нужно ответить, удалён")
    if code == 27 and method in NEEDS_USER_TOKEN:
        return PermanentError(NEEDS_USER_TOKEN[method])
    transient, message = VK_ERRORS.get(code, (False, f"VK: ошибка {code} при вызове {method}"))
    if transient:
        return TransientError(message, RETRY_AFTER.get(code))
    return PermanentError(message)


def _long_poll_advice(settings: dict, off: list[str]) -> str:
    parts = []
    if not settings.get("is_enabled"):
        parts.append("Long Poll API выключен")
    if settings.get("api_version") != API_VERSION:
        parts.append(f"версия API {settings.get('api_version') or 'не задана'} вместо {API_VERSION}")
    if off:
        parts.append("выключены типы событий: " + ", ".join(off))
    return ("; ".join(parts) + " — включите в «Управление → Работа с API → Long Poll API» "
            "(сервис включает это сам при запуске, если у ключа сообщества есть право «управление сообществом»)")


def _event_ident(event) -> str:
    return str(event.get("event_id") or "") if isinstance(event, dict) else ""


def _guid(key: str) -> str:
    """VK's `guid` keeps a retried wall post or comment from being published twice."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
