"""The Odnoklassniki (OK) adapter: the OK REST API (`fb.do`, signed calls) for the group's topics
and their comments, and the group Bot API (Graph API `graph/me/...`) for group messages.

What the documentation offers, and what this adapter does with it (apiok.ru, the method pages
mirrored in github.com/apiok/documentation):
- the group's topics: `group.getStatTopics(gid)` (topics with statistics; a topic seen only by
  its author is not listed) plus the topics named in `topic_ids` and those already read;
- their comments: `discussions.getComments(discussionId, discussionType=GROUP_TOPIC, anchor,
  direction=FORWARD)`, paged by `anchor`/`has_more`;
- a public reply: `discussions.addDiscussionComment(entityId, entityType, comment,
  reply_to_comment_id, as_admin=true)` — «официальный ответ администратора группы»;
- group messages: `GET graph/me/chats` (newest first, `marker` paging) and
  `GET graph/me/messages/<chat_id>` (`from`/`to` timestamps), answered with
  `POST graph/me/messages/<chat_id>`; webhooks (`graph/me/subscribe`) would need a public URL;
- an informational post: `mediatopic.post(gid, type=GROUP_THEME)` with `onBehalfOfGroup`.
The API reports neither edits nor deletions of comments: both are said so in check-config.
Positions travel in one JSON cursor; errors are translated in `_translate` only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Sequence
from urllib.parse import quote
from zoneinfo import ZoneInfo

import requests

from bridge.channels.base import (
    HTTP_TIMEOUT, LINK, get_file, KIND_COMMENT, KIND_MESSAGE, AttachmentRef, IncomingItem, Malformed, Published,
    clean_text, guard_request, is_image, need, parse_each, read_attachment, set_aside_item, text_of,
    transient_from_http,
)
from bridge.core.errors import PermanentError, TransientError

log = logging.getLogger(__name__)

OK_SITE = "https://ok.ru"
MOSCOW = ZoneInfo("Europe/Moscow")   # OK gives REST dates as 'yyyy-MM-dd HH:mm:ss' Moscow time
TOPIC = "GROUP_TOPIC"
PAGE = 100
MAX_PAGES = 20                      # per topic / chat list per fetch: the cycle gets its turn
# OK error code → (retry later?, operator's note); apiok.ru/dev/errors
OK_ERRORS: dict[int, tuple[bool, str]] = {
    1: (True, "OK: неизвестная ошибка сервера"),
    2: (True, "OK: сервис временно недоступен"),
    3: (False, "OK: метод не существует"),
    7: (False, "OK: действие заблокировано социальной сетью"),
    8: (True, "OK: ограничение частоты запросов (flood), повторим позже"),
    9: (False, "OK: запросы с этого IP-адреса заблокированы"),
    10: (False, "OK: нет прав на это действие (проверьте права приложения GROUP_CONTENT, VALUABLE_ACCESS "
                "и что токен принадлежит администратору группы)"),
    11: (True, "OK: достигнут лимит запросов"),
    100: (False, "OK: неверный параметр запроса"),
    101: (False, "OK: неверный ключ приложения (ok.app_key_env)"),
    102: (True, "OK: сессия истекла — получите новый «вечный» ключ доступа приложения (ok.token_env); "
                "публикация повторится"),
    103: (False, "OK: ключ доступа недействителен (ok.token_env)"),
    104: (False, "OK: неверная подпись запроса — проверьте секретный ключ приложения (ok.app_secret_env)"),
    300: (False, "OK: комментарий или обсуждение, на которое нужно ответить, удалено"),
}
RETRY_AFTER = {8: 60.0, 11: 3600.0, 102: 900.0}
UPLOAD_TIMEOUT = (HTTP_TIMEOUT[0], 120.0)   # a photo upload may take longer than an API call


class OkChannel:
    """One OK group; `name` is the page key (`ok`, `ok:<name>`): cursor key and «Канал»."""

    def __init__(self, group_id: str, token: str, app_key: str, app_secret: str,
                 api_url: str = "https://api.ok.ru/", bot_token: str | None = None,
                 session_secret: str | None = None, topic_ids: Sequence[str] = (),
                 topics_days: int | None = 30, name: str = "ok") -> None:
        self.name = name
        self.group_id = str(group_id)
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self._token, self._app_key, self._app_secret = token, app_key, app_secret
        self._session_secret = session_secret
        self._bot_token = bot_token
        self.topic_ids = tuple(topic_ids)
        self.topics_days = topics_days or 30
        self.session = requests.Session()
        self._owner: str | None = None

    # ---- intake -----------------------------------------------------------------------
    def fetch(self, cursor: str | None, timeout: float = 0) -> tuple[list[IncomingItem], str | None]:
        state = _read_state(cursor)
        items: list[IncomingItem] = []
        for topic in self._topics(state):
            try:
                items += self._read_topic(topic, state["anchors"])
            except PermanentError as exc:   # one unreadable topic must not stop the others
                items.append(set_aside_item(self.name, {"topic": topic}, f"{self.name}: тема {topic} не читается "
                                            f"({exc})", external_id=f"unreadable-topic:{topic}"))
        if self._bot_token:
            items += self._read_messages(state)
        return items, json.dumps(state, sort_keys=True)

    def _topics(self, state: dict) -> list[str]:
        """group.getStatTopics over the last `topics_days`, the configured topics, the topics seen."""
        topics = list(dict.fromkeys([*self.topic_ids, *_known_topics(state)]))
        start = int((time.time() - self.topics_days * 86400) * 1000)
        anchor = None
        for _ in range(MAX_PAGES):
            params = {"gid": self.group_id, "start_time": start, "count": PAGE, "fields": "TOPIC.ID"}
            if anchor:
                params["anchor"] = anchor
            page = self._rest("group.getStatTopics", params)
            for topic in page.get("topics") or [] if isinstance(page, dict) else []:
                if isinstance(topic, dict) and topic.get("id") is not None and str(topic["id"]) not in topics:
                    topics.append(str(topic["id"]))
            anchor = page.get("anchor") if isinstance(page, dict) else None
            if not anchor or not (isinstance(page, dict) and page.get("has_more")):
                break
        return topics

    def _read_topic(self, topic: str, anchors: dict) -> list[IncomingItem]:
        key, items = f"{TOPIC}:{topic}", []
        for _ in range(MAX_PAGES):
            params = {"discussionId": topic, "discussionType": TOPIC, "direction": "FORWARD", "count": PAGE,
                      "anchor": anchors.get(key) or "FIRST"}
            page = self._rest("discussions.getComments", params)
            if not isinstance(page, dict):
                raise TransientError("OK: discussions.getComments вернул не объект")
            comments = page.get("comments") if isinstance(page.get("comments"), list) else []
            names = _names(page)
            owner = self._token_owner()
            items += parse_each(self.name, comments,
                                lambda c: _comment_item(self.name, c, topic, names, self.group_id, owner),
                                lambda c: f"{topic}_{c.get('id')}")
            if isinstance(page.get("anchor"), str) and page["anchor"]:
                anchors[key] = page["anchor"]
            if not page.get("has_more") or not comments:
                break
        return items

    def _token_owner(self) -> str:
        """users.getCurrentUser: the administrator whose own comments are not citizens' cases."""
        if self._owner is None:
            try:
                me = self._rest("users.getCurrentUser", {"fields": "UID"})
                self._owner = str(me.get("uid", "")) if isinstance(me, dict) else ""
            except (PermanentError, TransientError):
                return ""
        return self._owner

    def _read_messages(self, state: dict) -> list[IncomingItem]:
        since, newest, items, marker = state["messages_since"], state["messages_since"], [], None
        for _ in range(MAX_PAGES):
            query = {"access_token": self._bot_token, "count": PAGE}
            if marker:
                query["marker"] = marker
            page = self._graph("GET", "graph/me/chats", query)
            chats = page.get("chats") if isinstance(page, dict) and isinstance(page.get("chats"), list) else []
            fresh = [c for c in chats if isinstance(c, dict) and _ms(c.get("lastEventTime")) > since]
            for chat in fresh:
                if not isinstance(chat.get("chat_id"), str):
                    items.append(set_aside_item(self.name, chat, f"{self.name}: чат без chat_id"))
                    continue
                try:
                    items += self._chat_messages(chat["chat_id"], _ms(chat["lastEventTime"]), since)
                except PermanentError as exc:   # one unreadable chat must not stop the others
                    items.append(set_aside_item(self.name, {"chat_id": chat["chat_id"]},
                                                f"{self.name}: чат не читается ({exc})",
                                                external_id=f"unreadable-chat:{chat['chat_id']}"))
                newest = max(newest, _ms(chat["lastEventTime"]))
            marker = page.get("marker") if isinstance(page, dict) else None
            if not marker or len(fresh) < len(chats) or not chats:
                break
        if state["messages_since"] == 0 and not items and newest == 0:
            newest = int(time.time() * 1000) - 1   # first start with no chats: from now on
        state["messages_since"] = newest
        return items

    def _chat_messages(self, chat_id: str, upto: int, since: int) -> list[IncomingItem]:
        collected, top = [], upto
        for _ in range(MAX_PAGES):
            query = {"access_token": self._bot_token, "count": PAGE, "from": top, "to": since + 1}
            page = self._graph("GET", f"graph/me/messages/{quote(chat_id, safe=':')}", query)
            messages = page.get("messages") if isinstance(page, dict) and isinstance(page.get("messages"), list) else []
            collected += messages
            stamps = [_ms(m.get("timestamp")) for m in messages if isinstance(m, dict)]
            if len(messages) < PAGE or not stamps or min(stamps) <= since + 1:
                break
            top = min(stamps) - 1
        collected.reverse()   # the API gives the newest first
        return parse_each(self.name, collected, lambda m: _message_item(self.name, m, self.group_id),
                          lambda m: (m.get("message") or {}).get("mid"))

    # ---- publication (п. 3.4, 3.5) ---------------------------------------------------
    def publish_reply(self, target: dict, text: str, attachments: Sequence[Path], key: str) -> Published:
        photos, others = _split_files(attachments)
        if target.get("method") == "graph.messages":
            return self._message_reply(target, text, attachments)
        if not text.strip():
            raise PermanentError("OK: комментарий без текста невозможен — впишите «Текст для публикации»")
        topic = target.get("topic_id") or target.get("discussion_id")
        params = {"entityId": topic, "entityType": target.get("discussion_type", TOPIC), "comment": text,
                  "reply_to_comment_id": target["comment_id"], "as_admin": "true"}
        tokens = self._upload_photos(photos)
        if tokens:
            # The method page says only «Прикрепленные к комментарию файлы в json-формате»; this is
            # the photo block that mediatopic.post and market.add document (upload tokens, no commit).
            params["attachments"] = json.dumps({"media": [_photo_block(tokens)]})
        answer = self._rest("discussions.addDiscussionComment", params)
        comment_id = answer.get("id", "") if isinstance(answer, dict) else answer
        return Published(f"comment:{topic}_{comment_id}", f"{OK_SITE}/group/{self.group_id}/topic/{topic}",
                         _not_published(others))

    def _message_reply(self, target: dict, text: str, attachments: Sequence[Path]) -> Published:
        """graph.user.messages POST: text only here — its IMAGE attachment takes a public URL
        of the picture, not an upload, so the department's files are left to the operator."""
        if not self._bot_token:
            raise PermanentError("OK: для ответа в сообщения группы нужен ключ Bot API группы (ok.bot_token_env)")
        if not text.strip():
            raise PermanentError("OK: сообщение без текста невозможно — впишите «Текст для публикации»")
        chat = target["chat_id"]
        body = {"recipient": {"chat_id": chat}, "message": {"text": text}}
        answer = self._graph("POST", f"graph/me/messages/{quote(chat, safe=':')}",
                             {"access_token": self._bot_token}, body)
        mid = answer.get("message_id", "") if isinstance(answer, dict) else ""
        return Published(f"message:{chat}_{mid}", "", _not_published(list(attachments)))

    def post_informational(self, text: str, attachments: Sequence[Path], key: str) -> Published:
        """mediatopic.post: a text block and a photo block of upload tokens (apiok.ru
        mediatopic.post: photos of a group topic are not committed)."""
        photos, others = _split_files(attachments)
        media = [{"type": "text", "text": clean_text(text)}] if text.strip() else []
        tokens = self._upload_photos(photos)
        if tokens:
            media.append(_photo_block(tokens))
        if not media:
            raise PermanentError("OK: пустое информационное сообщение")
        attachment = json.dumps({"media": media, "onBehalfOfGroup": "true"}, ensure_ascii=False)
        topic = self._rest("mediatopic.post", {"gid": self.group_id, "type": "GROUP_THEME", "attachment": attachment})
        topic = topic.get("id", "") if isinstance(topic, dict) else topic
        return Published(f"topic:{self.group_id}_{topic}", f"{OK_SITE}/group/{self.group_id}/topic/{topic}",
                         _not_published(others))

    def _upload_photos(self, photos: Sequence[Path]) -> list[str]:
        """apiok.ru/dev/examples/photo_upload: photosV2.getUploadUrl(gid, count), then one POST
        of the pictures (`pic1`…) to `upload_url`; the answer gives a token per photo id."""
        if not photos:
            return []
        server = self._rest("photosV2.getUploadUrl", {"gid": self.group_id, "count": len(photos)})
        if not isinstance(server, dict) or not isinstance(server.get("upload_url"), str) \
                or not isinstance(server.get("photo_ids"), list):
            raise TransientError("OK: photosV2.getUploadUrl ответил не по документации")
        files = {f"pic{number}": (path.name, read_attachment(path)) for number, path in enumerate(photos, 1)}
        response = guard_request("OK", self.session.post, server["upload_url"], files=files, timeout=UPLOAD_TIMEOUT)
        uploaded = _answer(response, "uploadImage")
        given = uploaded.get("photos") if isinstance(uploaded, dict) else None
        if not isinstance(given, dict):
            raise TransientError("OK: сервер загрузки фото ответил не по документации")
        tokens = [given.get(photo_id, {}).get("token") for photo_id in server["photo_ids"][:len(photos)]]
        if not all(isinstance(token, str) and token for token in tokens):
            raise TransientError("OK: сервер загрузки фото не вернул токены всех фото")
        return tokens

    def download(self, ref: AttachmentRef, limit: int = 0) -> bytes:
        """A citizen's file from the URL the event gave (at most `limit` bytes)."""
        return get_file("OK", self.session, ref.url, ref.name, limit)

    # ---- wire level: the one place OK errors are translated --------------------------
    def sign(self, params: dict) -> str:
        """apiok.ru/dev/methods/ «Подпись запроса»: md5 of the sorted `name=value` pairs (without
        `sig`, `access_token`, `session_key`) followed by the secret, in lowercase hex. The
        secret is md5(access_token + application_secret_key) for a server with an access token,
        or the session_secret_key for a client-server session (`session_secret_env`)."""
        if self._session_secret:
            secret = self._session_secret
        else:
            secret = hashlib.md5((self._token + self._app_secret).encode("utf-8")).hexdigest()
        pairs = "".join(f"{k}={params[k]}" for k in sorted(params)
                        if k not in ("sig", "access_token", "session_key"))
        return hashlib.md5((pairs + secret).encode("utf-8", "surrogatepass")).hexdigest()

    def _rest(self, method: str, params: dict):
        params = {**{k: clean_text(str(v)) for k, v in params.items()}, "method": method,
                  "application_key": self._app_key, "format": "json"}
        params["sig"] = self.sign(params)
        params["session_key" if self._session_secret else "access_token"] = self._token
        response = guard_request("OK", self.session.post, self.api_url + "fb.do", data=_encodable(params),
                                 timeout=HTTP_TIMEOUT)
        return _answer(response, method)

    def _graph(self, verb: str, path: str, query: dict, body: dict | None = None):
        call = self.session.get if verb == "GET" else self.session.post
        kwargs = {"params": query, "timeout": HTTP_TIMEOUT}
        if body is not None:   # graph.user.messages: "Content-Type: application/json;charset=utf-8"
            kwargs["data"] = json.dumps(_cleaned(body), ensure_ascii=False).encode("utf-8")
            kwargs["headers"] = {"Content-Type": "application/json;charset=utf-8"}
        return _answer(guard_request("OK", call, self.api_url + path, **kwargs), path)


def _cleaned(value):
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    return clean_text(value) if isinstance(value, str) else value


def _encodable(params: dict) -> dict:
    """Form values as UTF-8 bytes (texts already cleaned of lone surrogates before signing)."""
    return {k: v.encode("utf-8") if isinstance(v, str) else v for k, v in params.items()}


def _answer(response: requests.Response, method: str):
    if response.status_code >= 500 or response.status_code == 429:
        raise transient_from_http("OK", response)
    try:
        body = response.json()
    except ValueError as exc:
        raise TransientError(f"OK: сервер вернул не JSON на {method}") from exc
    if isinstance(body, dict) and body.get("error_code"):
        try:
            code = int(body["error_code"])
        except (TypeError, ValueError):
            code = 0
        raise _translate(code, method)
    return body


def _translate(code: int, method: str) -> Exception:
    transient, note = OK_ERRORS.get(code, (False, f"OK: ошибка {code} при вызове {method}"))
    return TransientError(note, RETRY_AFTER.get(code)) if transient else PermanentError(note)


def _split_files(attachments: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """(photos, other files): OK takes photos through its photo upload only."""
    files = [Path(path) for path in attachments]
    return [f for f in files if is_image(f)], [f for f in files if not is_image(f)]


def _photo_block(tokens: list[str]) -> dict:
    return {"type": "photo", "list": [{"id": token} for token in tokens]}


def _not_published(files: Sequence[Path]) -> str:
    """What the operator must hand over: OK has no upload for documents (and none for messages)."""
    if not files:
        return ""
    names = ", ".join(f"«{Path(f).name}»" for f in files)
    return f"В OK не опубликованы вложения {names} (OK принимает только фото): передайте их пользователю сами."


def _read_state(cursor: str | None) -> dict:
    try:
        state = json.loads(cursor) if cursor else {}
    except ValueError:
        state = {}
    state = state if isinstance(state, dict) else {}
    anchors = state.get("anchors") if isinstance(state.get("anchors"), dict) else {}
    return {"anchors": anchors, "messages_since": _ms(state.get("messages_since"))}


def _known_topics(state: dict) -> list[str]:
    return [key.split(":", 1)[1] for key in state["anchors"] if key.startswith(TOPIC + ":")]


def _ms(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _names(page: dict) -> dict[str, str]:
    users = (page.get("entities") or {}).get("users") if isinstance(page.get("entities"), dict) else None
    return {str(u.get("uid")): str(u.get("name") or "") for u in users or [] if isinstance(u, dict)}


def _comment_item(channel: str, comment, topic: str, names: dict, group_id: str, owner: str) -> IncomingItem | None:
    if not isinstance(comment, dict):
        raise Malformed(f"комментарий не объект ({type(comment).__name__})")
    cid = comment.get("id")
    if not isinstance(cid, (str, int)) or isinstance(cid, bool) or cid == "":
        raise Malformed("комментарий без id")
    author = str(comment.get("author_id") or "")
    if comment.get("author_type") == "GROUP" or author in (group_id, owner) and author:
        return None   # the group's own answer, or the administrator's
    text = text_of(comment, "text", "comment")
    return IncomingItem(
        channel=channel, external_id=f"comment:{topic}_{cid}", kind=KIND_COMMENT, public=True,
        posted_at=_parse_date(comment.get("date")), author_name=names.get(author) or f"Пользователь OK {author}",
        author_link=f"{OK_SITE}/profile/{author}", text=text, link=f"{OK_SITE}/group/{group_id}/topic/{topic}",
        reply_target={"method": "discussions.addDiscussionComment", "topic_id": topic,
                      "discussion_type": TOPIC, "comment_id": str(cid)},
        replies_to=_replied(comment, topic),
    )


def _replied(comment: dict, topic: str) -> tuple[str, ...]:
    """apiok.ru/dev/methods/rest/discussions/discussions.getComments: a reply carries
    `reply_to_comment_id`, the comment it answers (ours or a citizen's)."""
    parent = comment.get("reply_to_comment_id")
    if not isinstance(parent, (str, int)) or isinstance(parent, bool) or parent == "":
        return ()
    return (f"comment:{topic}_{parent}",)


def _message_item(channel: str, update, group_id: str) -> IncomingItem | None:
    """One message as graph.user.messages (GET) documents it: sender, recipient, message, timestamp."""
    if not isinstance(update, dict):
        raise Malformed(f"сообщение не объект ({type(update).__name__})")
    sender = need(update, "sender", dict)
    user = need(sender, "user_id", str, "sender")
    if not user.startswith("user:"):
        return None   # written by the group (our own answer)
    chat = need(need(update, "recipient", dict), "chat_id", str, "recipient")
    message = need(update, "message", dict)
    mid = need(message, "mid", str, "message")
    stamp = need(update, "timestamp", int)
    try:
        posted = datetime.fromtimestamp(stamp / 1000, ZoneInfo("UTC"))
    except (OverflowError, OSError, ValueError) as exc:
        raise Malformed("timestamp вне допустимого диапазона") from exc
    uid = user.removeprefix("user:")
    return IncomingItem(
        channel=channel, external_id=f"message:{chat}_{mid}", kind=KIND_MESSAGE, public=False,
        posted_at=posted, author_name=str(sender.get("name") or "Пользователь OK"),
        author_link=f"{OK_SITE}/profile/{uid}", text=text_of(message, "text", "message"), link="",
        reply_target={"method": "graph.messages", "chat_id": chat}, attachments=_message_attachments(message, mid),
    )


def _message_attachments(message: dict, mid: str) -> tuple[AttachmentRef, ...]:
    """graph.user.messages GET: `message.attachments` [{type: VIDEO|AUDIO|SHARE|IMAGE, payload:
    {url}}]; an IMAGE is a file to download, the others stay links. An entry without a URL
    carries nothing and is skipped."""
    items = message.get("attachments")
    refs = []
    for number, item in enumerate(items if isinstance(items, list) else [], 1):
        payload = item.get("payload") if isinstance(item, dict) else None
        url = payload.get("url") if isinstance(payload, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            continue
        if item.get("type") == "IMAGE":
            refs.append(AttachmentRef(f"image_{hashlib.sha256(f'{mid}:{number}'.encode()).hexdigest()[:12]}.jpg",
                                      url, "photo"))
        else:
            refs.append(AttachmentRef(url, url, LINK))
    return tuple(refs)


def _parse_date(value) -> datetime:
    """'yyyy-MM-dd HH:mm:ss' in Moscow time, as OK gives REST dates; anything else is Malformed."""
    if not isinstance(value, str):
        raise Malformed(f"поле comment.date: не строка даты ({type(value).__name__})")
    try:
        return datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=MOSCOW)
    except ValueError as exc:
        raise Malformed("поле comment.date: не дата ГГГГ-ММ-ДД ЧЧ:ММ:СС") from exc
