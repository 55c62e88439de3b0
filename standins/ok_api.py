"""A local stand-in for the OK (Odnoklassniki) REST API and the group Bot API (Graph API), for
tests and `run.py demo`.

Written from apiok.ru (the method pages, mirrored in github.com/apiok/documentation), not from
Otklik's client. REST (apiok.ru/dev/methods/): `fb.do` with `method`, `application_key`,
`format=json`, `sig` and `access_token` (or `session_key`); an answer is JSON or
`{"error_code": N, "error_msg": "NAME : text", "error_data": null}` (apiok.ru/dev/errors). The
signature is recomputed here from the documented recipe and checked in the tests against the
worked example of the documentation, never against the client's function. Group Bot API
(apiok.ru/dev/graph_api/bot_api): `graph/me/info`, `graph/me/chats`, `graph/me/messages/<chat>`
(GET, and POST with `Content-Type: application/json;charset=utf-8`), `graph/me/subscriptions`,
with the group's own token in `access_token`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from urllib.parse import parse_qs, unquote, urlparse

from standins.http_stand import LoopbackStand, QuietHandler, Upload, parse_multipart

ERRORS = {   # apiok.ru/dev/errors
    1: "UNKNOWN : Unknown error", 2: "SERVICE : Service temporary unavailable",
    3: "METHOD : Method does not exist", 8: "FLOOD_BLOCKED : Flood blocked",
    10: "PERMISSION_DENIED : Permission denied", 100: "PARAM : Invalid parameter",
    101: "PARAM_API_KEY : Application key is invalid", 102: "PARAM_SESSION_EXPIRED : Session expired",
    103: "PARAM_SESSION_KEY : Invalid session key", 104: "PARAM_SIGNATURE : Invalid signature",
    300: "NOT_FOUND : Requested object not found",
}
MAX_PHOTO = 30 * 1024 * 1024   # the stand-in's ceiling for one image (OK names none on the method pages)
DISCUSSION_TYPES = frozenset({"GROUP_TOPIC", "USER_TOPIC", "GROUP_PHOTO", "USER_PHOTO", "MOVIE", "USER_STATUS"})


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


class FakeOk(LoopbackStand):
    def __init__(self, group_id: str = "5000", app_key: str = "CBAOKAPP", app_secret: str = "ok-secret",
                 token: str = "ok-token", bot_token: str | None = None):
        self.group_id, self.app_key, self.app_secret, self.token = group_id, app_key, app_secret, token
        self.bot_token = bot_token or token
        self.owner_uid = "555000"                       # the administrator the access token belongs to
        self.admins = {"555000"}
        self.permissions = {"GROUP_CONTENT", "VALUABLE_ACCESS", "PHOTO_CONTENT"}
        self.session_secret = ""                     # set for client-server (session_key) calls
        self.topics: dict[str, list[dict]] = {}
        self.users: dict[str, str] = {}
        self.chats: dict[str, dict] = {}
        self.published: list[dict] = []
        self.calls: list[tuple[str, dict]] = []
        self.faults: dict[str, list] = {}
        self.deleted: set[str] = set()
        self.upload_urls: dict[str, list[str]] = {}   # apiToken of an upload URL → the photo ids it may take
        self.photo_tokens: dict[str, Upload] = {}      # an upload's token → the photo it stands for
        self.served: dict[str, bytes] = {}             # citizens' pictures at their CDN-like URLs
        self.expired = False
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

    def post_comment(self, topic_id: str, user_id: str, name: str, text, date=None, reply_to=None) -> str:
        """A comment as discussions.getComments gives it; `date` 'yyyy-MM-dd HH:mm:ss' (Moscow);
        `reply_to` the id of the comment it answers (`reply_to_comment_id`)."""
        self.users[user_id] = name
        moscow_now = time.gmtime(time.time() + 3 * 3600)
        comment = {"id": f"C{next(self._ids)}", "text": text, "author_id": user_id, "author_type": "USER",
                   "date": time.strftime("%Y-%m-%d %H:%M:%S", moscow_now) if date is None else date}
        if reply_to is not None:
            comment["reply_to_comment_id"] = reply_to
        self.topics.setdefault(topic_id, []).append(comment)
        return comment["id"]

    def push_raw_comment(self, topic_id: str, comment) -> None:
        """Anything at all as one entry of `comments` (hostile-input tests)."""
        self.topics.setdefault(topic_id, []).append(comment)

    def delete_comment(self, comment_id: str) -> None:
        self.deleted.add(comment_id)

    def send_group_message(self, user_id: str, name: str, text: str, image: bytes | None = None) -> str:
        """A message to the group; `image` comes as an IMAGE attachment, its file at `payload.url`."""
        chat = f"chat:C{user_id}"
        mid = f"mid:C{user_id}.{next(self._ids):x}"
        message = {"mid": mid, "seq": next(self._ids), "text": text}
        if image is not None:
            path = f"/files/i{next(self._ids)}.jpg"
            self.served[path] = image
            message["attachments"] = [{"type": "IMAGE", "payload": {"url": self.base_url + path}}]
        self.push_raw_message(chat, {"sender": {"user_id": f"user:{user_id}", "name": name},
                                     "recipient": {"chat_id": chat}, "message": message,
                                     "timestamp": self._stamp()})
        return mid

    def push_raw_message(self, chat: str, message) -> None:
        entry = self.chats.setdefault(chat, {"messages": [], "lastEventTime": 0})
        entry["messages"].append(message)
        stamp = message.get("timestamp") if isinstance(message, dict) else None
        entry["lastEventTime"] = stamp if isinstance(stamp, int) else self._stamp()

    def _stamp(self) -> int:
        """Milliseconds, strictly increasing (two messages in one millisecond stay ordered)."""
        now = int(time.time() * 1000)
        self._last_stamp = max(now, getattr(self, "_last_stamp", 0) + 1)
        return self._last_stamp

    def fail_next(self, method: str, error) -> None:
        """Next call of `method` ('graph.messages' for the Bot API send) fails: an OK error
        code, 500 as HTTP 500, or 'lost_response' (done, answered HTTP 502)."""
        self.faults.setdefault(method, []).append(error)

    def _fault(self, method: str):
        queue = self.faults.get(method)
        return queue.pop(0) if queue else None

    # ---- REST: fb.do ------------------------------------------------------------------
    def expected_sig(self, params: dict) -> str:
        """apiok.ru «Подпись запроса»: secret_key = MD5(access_token + application_secret_key), or
        the session_secret_key for a session; sig = MD5(sorted "name=value" + secret_key), where
        access_token and session_key take no part."""
        if "session_key" in params:
            secret_key = self.session_secret
        else:
            secret_key = md5_hex(params.get("access_token", "") + self.app_secret)
        signed = sorted((k, v) for k, v in params.items() if k not in ("sig", "access_token", "session_key"))
        return md5_hex("".join(f"{k}={v}" for k, v in signed) + secret_key)

    def rest(self, params: dict) -> tuple[int, dict]:
        method = params.get("method", "")
        self.calls.append((method, params))
        fault = self._fault(method)
        if fault == 500:
            return 500, {}
        if isinstance(fault, int):
            return 200, _error(fault)
        if params.get("application_key") != self.app_key:
            return 200, _error(101)
        token = params.get("access_token") or params.get("session_key")
        if token != self.token:
            return 200, _error(103 if not self.expired else 102)
        if self.expired:
            return 200, _error(102)
        if str(params.get("sig", "")).lower() != self.expected_sig(params):
            return 200, _error(104)
        handler = REST.get(method)
        if handler is None:
            return 200, _error(3)
        try:
            result = handler(self, params)
        except _OkError as exc:
            return 200, _error(exc.code, exc.text)
        if fault == "lost_response":
            return 502, {}
        return 200, result

    # ---- Graph API: graph/me/... ------------------------------------------------------
    def graph(self, verb: str, path: str, query: dict, body: bytes, ctype: str) -> tuple[int, dict]:
        self.calls.append((f"{verb} {path}", query))
        if query.get("access_token") != self.bot_token:
            return 200, _error(102 if self.expired else 103)
        if verb == "GET" and path == "graph/me/info":
            return 200, {"name": "Администрация (стенд)", "group_id": f"group:{self.group_id}"}
        if verb == "GET" and path == "graph/me/subscriptions":
            return 200, {"subscriptions": []}
        if verb == "GET" and path == "graph/me/chats":
            return self._chats(query)
        if path.startswith("graph/me/messages/"):
            chat = unquote(path[len("graph/me/messages/"):])
            return self._get_messages(chat, query) if verb == "GET" else self._post_message(chat, body, ctype)
        return 404, {"error_code": 3, "error_msg": "METHOD : Method does not exist", "error_data": None}

    # ---- photo upload, step 2 (apiok.ru/dev/examples/photo_upload) -------------------
    def upload_image(self, query: dict, body: bytes, ctype: str) -> tuple[int, dict]:
        """POST multipart/form-data to the `upload_url` of photosV2.getUploadUrl, one file field
        per photo (`pic1`, `pic2`, …); answers {"photos": {<photo_id>: {"token": …}}}, the tokens
        that mediatopic.post takes in a `photo` block without photosV2.commit."""
        ids = self.upload_urls.get(query.get("apiToken", ""))
        if ids is None:
            return 200, _error(100, "PARAM : upload url is unknown or expired")
        try:
            fields = parse_multipart(body, ctype)
        except ValueError:
            return 200, _error(100, "PARAM : multipart/form-data expected")
        pictures = [value for value in fields.values() if isinstance(value, Upload) and value.data]
        if not pictures or len(pictures) > len(ids):
            return 200, _error(100, f"PARAM : expected 1..{len(ids)} images, got {len(pictures)}")
        if any(picture.size > MAX_PHOTO for picture in pictures):
            return 200, _error(100, "PARAM : image is too big")
        photos = {}
        for photo_id, picture in zip(ids, pictures):
            token = f"tok{next(self._ids)}"
            self.photo_tokens[token] = picture
            photos[photo_id] = {"token": token}
        return 200, {"photos": photos}

    def _chats(self, query: dict) -> tuple[int, dict]:
        """graph.user.chats GET: newest first; count 1..100; `marker` pages; no marker = the end."""
        try:
            count = int(query.get("count") or 100)
        except ValueError:
            return 200, _error(100, "PARAM : count")
        if not 1 <= count <= 100:
            return 200, _error(100, "PARAM : count must be 1..100")
        ordered = sorted(self.chats.items(), key=lambda kv: -kv[1]["lastEventTime"])
        start = int(query.get("marker") or 0)
        page = ordered[start:start + count]
        chats = [{"type": "DIALOG", "status": "ACTIVE", "chat_id": chat, "lastEventTime": entry["lastEventTime"],
                  "group_id": f"group:{self.group_id}"} for chat, entry in page]
        answer = {"chats": chats}
        if start + count < len(ordered):
            answer["marker"] = str(start + count)
        return 200, answer

    def _get_messages(self, chat: str, query: dict) -> tuple[int, dict]:
        """graph.user.messages GET: newest first; `from` (newest wanted) ≥ `to` (oldest wanted)."""
        entry = self.chats.get(chat)
        if entry is None:
            return 200, _error(300, "NOT_FOUND : chat not found")
        try:
            newest = int(query.get("from") or 2**62)
            oldest = int(query.get("to") or 0)
            count = int(query.get("count") or 100)
        except ValueError:
            return 200, _error(100, "PARAM : from/to/count")
        if newest < oldest:
            return 200, _error(100, "PARAM : from must be greater than to")

        def stamp(m):
            return m.get("timestamp") if isinstance(m, dict) and isinstance(m.get("timestamp"), int) else newest
        chosen = [m for m in entry["messages"] if oldest <= stamp(m) <= newest]
        chosen.sort(key=lambda m: -stamp(m))
        return 200, {"messages": chosen[:max(1, min(count, 100))]}

    def _post_message(self, chat: str, body: bytes, ctype: str) -> tuple[int, dict]:
        """graph.user.messages POST: JSON payload {recipient, message: {text}}; the recipient is
        the chat in the path; the header is required to be application/json;charset=utf-8."""
        fault = self._fault("graph.messages")
        if fault == 500:
            return 500, {}
        if isinstance(fault, int):
            return 200, _error(fault)
        if not ctype.lower().startswith("application/json"):
            return 200, _error(100, "PARAM : Content-Type must be application/json;charset=utf-8")
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return 200, _error(100, "PARAM : payload is not JSON")
        if not isinstance(payload, dict) or not isinstance(payload.get("message"), dict):
            return 200, _error(100, "PARAM : message")
        if chat not in self.chats:
            return 200, _error(300, "NOT_FOUND : chat not found")
        mid = f"mid:{chat.removeprefix('chat:')}.{next(self._ids):x}"
        self.published.append({"method": "graph.messages", "chat_id": chat, **payload})
        self.push_raw_message(chat, {"sender": {"user_id": f"group:{self.group_id}", "name": "Администрация"},
                                     "recipient": {"chat_id": chat}, "message": {"mid": mid, **payload["message"]},
                                     "timestamp": self._stamp()})
        if fault == "lost_response":
            return 502, {}
        return 200, {"success": True, "message_id": mid}


class _OkError(Exception):
    def __init__(self, code: int, text: str | None = None):
        super().__init__(code)
        self.code, self.text = code, text


def _error(code: int, text: str | None = None) -> dict:
    return {"error_code": code, "error_msg": text or ERRORS.get(code, "UNKNOWN"), "error_data": None}


def _need(params: dict, name: str) -> str:
    value = params.get(name)
    if value in (None, ""):
        raise _OkError(100, f"PARAM : Missing required parameter {name}")
    return value


def _group_admin(fake: FakeOk, params: dict, key: str = "gid") -> None:
    if _need(params, key) != fake.group_id:
        raise _OkError(300, "NOT_FOUND : group not found")
    if fake.owner_uid not in fake.admins:
        raise _OkError(10, "PERMISSION_DENIED : not a group administrator")


# ---- the REST methods ------------------------------------------------------------------------
def _get_current_user(fake: FakeOk, p: dict) -> dict:
    """apiok.ru/dev/methods/rest/users/users.getCurrentUser"""
    return {"uid": fake.owner_uid, "name": "Администратор группы"}


def _has_app_permission(fake: FakeOk, p: dict):
    """apiok.ru/dev/methods/rest/users/users.hasAppPermission — ext_perm; answers a boolean."""
    return _need(p, "ext_perm") in fake.permissions


def _group_info(fake: FakeOk, p: dict) -> dict:
    """apiok.ru/dev/methods/rest/group/group.getInfo — uids, fields (both required); {"groups": [...]}."""
    _need(p, "fields")
    return {"groups": [{"uid": gid, "name": "Администрация (стенд)"} for gid in _need(p, "uids").split(",")
                       if gid == fake.group_id]}


def _stat_topics(fake: FakeOk, p: dict) -> dict:
    """apiok.ru/dev/methods/rest/group/group.getStatTopics — gid, start_time/end_time (ms),
    anchor, count; only for the group's administrators; topics that have statistics."""
    _group_admin(fake, p)
    count = int(p.get("count") or 20)
    start = int(p.get("anchor") or 0)
    ids = list(fake.topics)
    page = ids[start:start + count]
    return {"topics": [{"id": t} for t in page], "anchor": str(start + len(page)),
            "has_more": start + len(page) < len(ids)}


def _get_comments(fake: FakeOk, p: dict) -> dict:
    """apiok.ru/dev/methods/rest/discussions/discussions.getComments — discussionId, discussionType,
    anchor (or FIRST/LAST/UNREAD), direction (FORWARD/BACKWARD/AROUND), count; answers
    {comments, anchor, has_more, entities: {users}}; removed comments are not shown."""
    topic, kind = _need(p, "discussionId"), _need(p, "discussionType")
    if kind not in DISCUSSION_TYPES:
        raise _OkError(100, "PARAM : discussionType")
    if topic not in fake.topics:
        raise _OkError(300, "NOT_FOUND : discussion not found")
    if p.get("direction", "FORWARD") not in ("FORWARD", "BACKWARD", "AROUND"):
        raise _OkError(100, "PARAM : direction")
    count = int(p.get("count") or 20)
    if not 1 <= count <= 100:
        raise _OkError(100, "PARAM : count")
    comments = fake.topics[topic]
    anchor = p.get("anchor") or "FIRST"
    start = 0 if anchor == "FIRST" else len(comments) if anchor in ("LAST", "UNREAD") else _position(anchor)
    page = comments[start:start + count]
    visible = [c for c in page if not (isinstance(c, dict) and c.get("id") in fake.deleted)]
    users = [{"uid": c["author_id"], "name": fake.users.get(c["author_id"], "")}
             for c in visible if isinstance(c, dict) and c.get("author_id") in fake.users]
    return {"discussionId": topic, "discussionType": kind, "comments": visible, "anchor": f"A{start + len(page)}",
            "has_more": start + len(page) < len(comments), "entities": {"users": users}}


def _position(anchor: str) -> int:
    try:
        return int(anchor.removeprefix("A"))
    except ValueError:
        raise _OkError(100, "PARAM : anchor") from None


def _add_comment(fake: FakeOk, p: dict) -> dict:
    """apiok.ru/dev/methods/rest/discussions/discussions.addDiscussionComment — entityId,
    entityType, comment, reply_to_comment_id, as_admin («официальный ответ администратора группы»)."""
    topic, kind, text = _need(p, "entityId"), _need(p, "entityType"), _need(p, "comment")
    files = _photo_blocks(fake, p.get("attachments"), "attachments") if p.get("attachments") else []
    if kind not in DISCUSSION_TYPES:
        raise _OkError(100, "PARAM : entityType")
    if topic not in fake.topics:
        raise _OkError(300, "NOT_FOUND : discussion not found")
    reply_to = p.get("reply_to_comment_id")
    known = {c.get("id") for c in fake.topics[topic] if isinstance(c, dict)}
    if reply_to and (reply_to not in known or reply_to in fake.deleted):
        raise _OkError(300, "NOT_FOUND : comment not found")
    if p.get("as_admin") == "true" and fake.owner_uid not in fake.admins:
        raise _OkError(10, "PERMISSION_DENIED : as_admin needs a group administrator")
    cid = f"C{next(fake._ids)}"
    fake.published.append({"method": "discussions.addDiscussionComment", "id": cid,
                           **{k: v for k, v in p.items() if k not in ("access_token", "sig", "session_key")},
                           "files": files})
    fake.topics[topic].append({"id": cid, "text": text, "author_id": fake.group_id, "author_type": "GROUP",
                               "date": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 3 * 3600))})
    return {"id": cid}


def _mediatopic_post(fake: FakeOk, p: dict) -> str:
    """apiok.ru/dev/methods/rest/mediatopic/mediatopic.post — attachment (JSON, required); gid
    requires GROUP_CONTENT and type GROUP_THEME or GROUP_THEME_PROMO; answers the topic id."""
    try:
        attachment = json.loads(_need(p, "attachment"))
    except ValueError:
        raise _OkError(100, "PARAM : attachment is not JSON") from None
    if not isinstance(attachment, dict) or not isinstance(attachment.get("media"), list):
        raise _OkError(100, "PARAM : attachment.media")
    files = _photo_blocks(fake, attachment, "attachment")
    if p.get("gid"):
        if p.get("type") not in ("GROUP_THEME", "GROUP_THEME_PROMO"):
            raise _OkError(100, "PARAM : type must be GROUP_THEME with gid")
        if "GROUP_CONTENT" not in fake.permissions:
            raise _OkError(10, "PERMISSION_DENIED : GROUP_CONTENT")
        _group_admin(fake, p)
    topic = str(next(fake._ids))
    fake.topics[topic] = []
    fake.published.append({"method": "mediatopic.post", "topic": topic,
                           **{k: v for k, v in p.items() if k not in ("access_token", "sig", "session_key")},
                           "attachment": attachment, "files": files})   # as the stand-in read it
    return topic


def _get_upload_url(fake: FakeOk, p: dict) -> dict:
    """apiok.ru/dev/methods/rest/photosV2/photosV2.getUploadUrl — gid (a group topic's photos),
    count (default 1); needs PHOTO_CONTENT; answers {expires_ms, photo_ids, ttl_ms, upload_url}."""
    if "PHOTO_CONTENT" not in fake.permissions:
        raise _OkError(10, "PERMISSION_DENIED : PHOTO_CONTENT")
    if p.get("gid"):
        _group_admin(fake, p)
    try:
        count = int(p.get("count") or 1)
    except ValueError:
        raise _OkError(100, "PARAM : count is not an integer") from None
    if not 1 <= count <= 100:
        raise _OkError(100, "PARAM : count")
    ids = [f"P{next(fake._ids)}" for _ in range(count)]
    api_token = f"up{next(fake._ids)}"
    fake.upload_urls[api_token] = ids
    ttl = 86_400_000
    return {"photo_ids": ids, "upload_url": f"{fake.base_url}/uploadImage?apiToken={api_token}&photoIds={','.join(ids)}",
            "expires_ms": int(time.time() * 1000) + ttl, "ttl_ms": ttl}


def _photo_blocks(fake: FakeOk, value, name: str) -> list:
    """The `photo` media blocks of an attachment ({"media": [{"type": "photo", "list": [{"id":
    <upload token>}]}]}, as mediatopic.post and market.add document them); a token no upload
    gave is refused. Returns the photos, in order."""
    try:
        attachment = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        raise _OkError(100, f"PARAM : {name} is not JSON") from None
    media = attachment.get("media") if isinstance(attachment, dict) else None
    if not isinstance(media, list):
        raise _OkError(100, f"PARAM : {name}.media")
    photos = []
    for block in media:
        if not isinstance(block, dict) or block.get("type") != "photo":
            continue
        for entry in block.get("list") if isinstance(block.get("list"), list) else [None]:
            token = entry.get("id") if isinstance(entry, dict) else None
            if token not in fake.photo_tokens:
                raise _OkError(100, f"PARAM : {name}: unknown photo token")
            photos.append(fake.photo_tokens[token])
    return photos


def _discussions_get_list(fake: FakeOk, p: dict) -> dict:
    """apiok.ru/dev/methods/rest/discussions/discussions.getList — the *token owner's* discussions
    (there is no group parameter); the stand-in's administrator took part in none."""
    return {"discussions": [], "has_more": False}


REST = {
    "users.getCurrentUser": _get_current_user,
    "users.hasAppPermission": _has_app_permission,
    "group.getInfo": _group_info,
    "group.getStatTopics": _stat_topics,
    "discussions.getComments": _get_comments,
    "discussions.addDiscussionComment": _add_comment,
    "discussions.getList": _discussions_get_list,
    "mediatopic.post": _mediatopic_post,
    "photosV2.getUploadUrl": _get_upload_url,
}


def _handler_for(fake: FakeOk):
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            self._route("GET", b"")

        def do_POST(self) -> None:
            body = self.read_body()
            if body is not None:
                self._route("POST", body)

        def _route(self, verb: str, body: bytes) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            path = url.path.lstrip("/")
            if url.path in fake.served and verb == "GET":
                return self.answer(200, fake.served[url.path], "image/jpeg")
            if path == "uploadImage" and verb == "POST":
                return self.answer_json(*fake.upload_image(query, body, self.headers.get("Content-Type", "")))
            if path.startswith("graph/"):
                return self.answer_json(*fake.graph(verb, path.rstrip("/"), query, body,
                                                    self.headers.get("Content-Type", "")))
            if path != "fb.do":
                return self.answer_json(404, {})
            try:
                form = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
            except UnicodeDecodeError:
                return self.answer_json(200, _error(100, "PARAM : request is not UTF-8"))
            self.answer_json(*fake.rest({**query, **form}))

    return Handler
