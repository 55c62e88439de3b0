"""The Odnoklassniki (OK) adapter: a thin client of the OK REST API (`fb.do`, signed calls) for
group comments and topics, and of the group Bot API (`graph/me/...`) for group messages.

Intake polls the group's discussions (`discussions.getList` + `discussions.getComments` from a
per-discussion anchor) and the Bot API's updates (marker); both positions travel in one JSON
cursor, so a restart with the saved cursor loses nothing. Errors are translated in `_translate`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence
from urllib.parse import quote

import requests

from bridge.channels.base import (
    HTTP_TIMEOUT, KIND_COMMENT, KIND_MESSAGE, AttachmentRef, IncomingItem, Published,
    guard_request, transient_from_http,
)
from bridge.core.errors import PermanentError, TransientError

log = logging.getLogger(__name__)

OK_SITE = "https://ok.ru"
# OK error code → (retry later?, operator's note)
OK_ERRORS: dict[int, tuple[bool, str]] = {
    1: (True, "OK: неизвестная ошибка сервера"),
    2: (True, "OK: сервис временно недоступен"),
    8: (True, "OK: ограничение частоты запросов (flood), повторим позже"),
    11: (True, "OK: достигнут лимит запросов"),
    7: (False, "OK: действие заблокировано социальной сетью"),
    10: (False, "OK: нет прав на это действие (проверьте права приложения и токена группы)"),
    101: (False, "OK: неверный ключ приложения (ok.app_key_env)"),
    102: (False, "OK: ключ доступа истёк — получите новый (ok.token_env)"),
    103: (False, "OK: ключ доступа недействителен (ok.token_env)"),
    104: (False, "OK: неверная подпись запроса — проверьте секретный ключ приложения (ok.app_secret_env)"),
    300: (False, "OK: комментарий или обсуждение, на которое нужно ответить, удалено"),
}


class OkChannel:
    name = "ok"

    def __init__(self, group_id: str, token: str, app_key: str, app_secret: str,
                 api_url: str = "https://api.ok.ru/", bot_token: str | None = None) -> None:
        self.group_id = str(group_id)
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self._token, self._app_key, self._app_secret = token, app_key, app_secret
        self._bot_token = bot_token
        self.session = requests.Session()

    # ---- intake -----------------------------------------------------------------------
    def fetch(self, cursor: str | None, timeout: float = 0) -> tuple[list[IncomingItem], str | None]:
        state = json.loads(cursor) if cursor else {"anchors": {}, "marker": None}
        items: list[IncomingItem] = []
        for discussion in self._rest("discussions.getList", {"gid": self.group_id}).get("discussions", []):
            items += self._read_discussion(discussion, state["anchors"])
        if self._bot_token:
            items += self._read_messages(state)
        return items, json.dumps(state, sort_keys=True)

    def _read_discussion(self, discussion: dict, anchors: dict) -> list[IncomingItem]:
        did, dtype = str(discussion["object_id"]), discussion.get("object_type", "GROUP_TOPIC")
        key, items = f"{dtype}:{did}", []
        while True:
            params = {"discussionId": did, "discussionType": dtype, "direction": "FORWARD", "count": 100}
            if anchors.get(key):
                params["anchor"] = anchors[key]
            page = self._rest("discussions.getComments", params)
            names = {u["uid"]: u.get("name", "") for u in page.get("entities", {}).get("users", [])}
            items += [_comment_item(c, did, dtype, names, self.group_id) for c in page.get("comments", [])]
            if page.get("anchor"):
                anchors[key] = page["anchor"]
            if not page.get("has_more") or not page.get("comments"):
                return items

    def _read_messages(self, state: dict) -> list[IncomingItem]:
        params = {"access_token": self._bot_token}
        if state.get("marker"):
            params["marker"] = state["marker"]
        answer = self._graph("GET", "graph/me/updates", params)
        state["marker"] = answer.get("marker") or state.get("marker")
        return [_message_item(u) for u in answer.get("updates", []) if u.get("webhookType") == "MESSAGE_CREATED"]

    # ---- publication (п. 3.4, 3.5) ---------------------------------------------------
    def publish_reply(self, target: dict, text: str, attachments: Sequence[Path], key: str) -> Published:
        _warn_attachments(attachments)
        if target.get("method") == "graph.messages":
            if not self._bot_token:
                raise PermanentError("OK: для ответа в сообщения группы нужен токен бота группы (ok.bot_token_env)")
            body = {"recipient": {"chat_id": target["chat_id"]}, "message": {"text": text}}
            answer = self._graph("POST", f"graph/me/messages/{quote(target['chat_id'])}",
                                 {"access_token": self._bot_token}, body)
            return Published(f"message:{target['chat_id']}_{answer.get('message_id', '')}", "")
        params = {"discussionId": target["discussion_id"], "discussionType": target["discussion_type"],
                  "reply_to_comment_id": target["comment_id"], "comment": text, "as_admin": "true"}
        comment_id = self._rest("discussions.comment", params)
        return Published(f"comment:{target['discussion_id']}_{comment_id}",
                         f"{OK_SITE}/group/{self.group_id}/topic/{target['discussion_id']}")

    def post_informational(self, text: str, attachments: Sequence[Path], key: str) -> Published:
        _warn_attachments(attachments)
        attachment = json.dumps({"media": [{"type": "text", "text": text}]}, ensure_ascii=False)
        topic = self._rest("mediatopic.post", {"gid": self.group_id, "type": "GROUP_THEME",
                                               "attachment": attachment})
        return Published(f"topic:{self.group_id}_{topic}", f"{OK_SITE}/group/{self.group_id}/topic/{topic}")

    def download(self, ref: AttachmentRef) -> bytes:
        response = guard_request("OK", self.session.get, ref.url, timeout=HTTP_TIMEOUT)
        if response.status_code >= 500:
            raise transient_from_http("OK", response)
        if response.status_code >= 400:
            raise PermanentError(f"OK: вложение «{ref.name}» недоступно (HTTP {response.status_code})")
        return response.content

    # ---- wire level: the one place OK errors are translated --------------------------
    def sign(self, params: dict) -> str:
        secret = hashlib.md5((self._token + self._app_secret).encode("utf-8")).hexdigest()
        pairs = "".join(f"{k}={params[k]}" for k in sorted(params) if k not in ("sig", "access_token"))
        return hashlib.md5((pairs + secret).encode("utf-8")).hexdigest()

    def _rest(self, method: str, params: dict):
        params = {**{k: str(v) for k, v in params.items()}, "method": method,
                  "application_key": self._app_key, "format": "json"}
        params["sig"] = self.sign(params)
        params["access_token"] = self._token
        response = guard_request("OK", self.session.post, self.api_url + "fb.do", data=params, timeout=HTTP_TIMEOUT)
        return _answer(response, method)

    def _graph(self, verb: str, path: str, query: dict, body: dict | None = None):
        call = self.session.get if verb == "GET" else self.session.post
        kwargs = {"params": query, "timeout": HTTP_TIMEOUT}
        if body is not None:
            kwargs["json"] = body
        return _answer(guard_request("OK", call, self.api_url + path, **kwargs), path)


def _answer(response: requests.Response, method: str):
    if response.status_code >= 500 or response.status_code == 429:
        raise transient_from_http("OK", response)
    try:
        body = response.json()
    except ValueError as exc:
        raise TransientError(f"OK: сервер вернул не JSON на {method}") from exc
    if isinstance(body, dict) and body.get("error_code"):
        raise _translate(int(body["error_code"]), method)
    return body


def _translate(code: int, method: str) -> Exception:
    transient, note = OK_ERRORS.get(code, (False, f"OK: ошибка {code} при вызове {method}"))
    return TransientError(note) if transient else PermanentError(note)


def _warn_attachments(attachments: Sequence[Path]) -> None:
    if attachments:
        log.warning("OK: вложения (%d) не публикуются — загрузка файлов в OK пока не поддерживается",
                    len(attachments))


def _comment_item(comment: dict, did: str, dtype: str, names: dict, group_id: str) -> IncomingItem:
    author = str(comment.get("author_id", ""))
    return IncomingItem(
        channel="ok", external_id=f"comment:{did}_{comment['id']}", kind=KIND_COMMENT, public=True,
        posted_at=_parse_date(comment.get("date")), author_name=names.get(author) or f"Пользователь OK {author}",
        author_link=f"{OK_SITE}/profile/{author}", text=comment.get("text", ""),
        link=f"{OK_SITE}/group/{group_id}/topic/{did}",
        reply_target={"method": "discussions.comment", "discussion_id": did, "discussion_type": dtype,
                      "comment_id": comment["id"]},
    )


def _message_item(update: dict) -> IncomingItem:
    sender, chat = update.get("sender", {}), update["recipient"]["chat_id"]
    user = str(sender.get("user_id", "")).removeprefix("user:")
    stamp = update.get("timestamp")
    return IncomingItem(
        channel="ok", external_id=f"message:{chat}_{update['message']['mid']}", kind=KIND_MESSAGE,
        public=False, posted_at=datetime.fromtimestamp(stamp / 1000, timezone.utc) if stamp else datetime.now(timezone.utc),
        author_name=sender.get("name") or "Пользователь OK", author_link=f"{OK_SITE}/profile/{user}",
        text=update["message"].get("text", ""), link="",
        reply_target={"method": "graph.messages", "chat_id": chat},
    )


def _parse_date(value: str | None) -> datetime:
    """OK gives 'yyyy-MM-dd HH:mm:ss' in Moscow time for REST comments."""
    if not value:
        return datetime.now(timezone.utc)
    from zoneinfo import ZoneInfo

    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo("Europe/Moscow"))
