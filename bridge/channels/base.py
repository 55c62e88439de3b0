"""The one small interface the cycle uses to talk to every social network (SPEC §1 steps 1 and 7).

An adapter turns a network's events into `IncomingItem`s (intake, п. 1) and publishes the
approved answer where the citizen wrote (п. 3.4) or as an informational post (п. 3.5).
Every adapter translates its library's and server's errors into `bridge.core.errors` here,
so the outbox only tells "later" (TransientError) from "tell the operator" (PermanentError).

One bad event never stops a channel (SPEC §8, issue 10). `fetch` handles events one by one;
an event it cannot read is neither dropped nor raised: it comes back as a *set-aside* item
(`event="invalid"`, the raw event as JSON in `raw`, a short `reason` free of personal data),
and the cursor moves past it only because it was returned. The cycle keeps the raw input and
alerts the operator. `event="gap"` is the other notice a channel can return: events may have
been lost on the network's side (Telegram keeps updates 24 hours; VK long poll `failed: 1`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol, Sequence

import requests

from bridge.core.errors import PermanentError, TransientError


@dataclass(frozen=True)
class AttachmentRef:
    name: str
    url: str
    kind: str  # 'photo' | 'doc' | 'video' | 'audio' | 'link' | ...


@dataclass(frozen=True)
class IncomingItem:
    channel: str  # 'vk' | 'telegram' | 'ok'
    external_id: str  # unique within the channel, e.g. 'wall_comment:-123_45_678'
    kind: str  # Russian label for the ledger «Вид»
    public: bool  # True → the answer goes publicly under it (п. 3.4); False → same dialogue
    posted_at: datetime  # timezone-aware
    author_name: str
    author_link: str
    text: str
    link: str
    reply_target: dict  # JSON-able: all that publish_reply needs later
    attachments: tuple[AttachmentRef, ...] = ()
    # The external ids (this channel's scheme, as `external_id` and `Published.external_id`)
    # of the message this one answers: a reply comment, a reply in a dialogue (issue 11).
    replies_to: tuple[str, ...] = ()
    event: str = "new"  # 'new' | 'edit' | 'delete' | 'invalid' | 'gap' (see the module docstring)
    raw: str = ""  # 'invalid' / 'gap': the raw event as JSON (ASCII-escaped, lone surrogates safe)
    reason: str = ""  # 'invalid' / 'gap': why, in Russian, without message text or names

    @property
    def set_aside(self) -> bool:
        """True for an item that is not a citizen's message but a notice for the operator."""
        return self.event in (EVENT_INVALID, EVENT_GAP)


EVENT_INVALID = "invalid"
EVENT_GAP = "gap"
MAX_RAW_CHARS = 1_000_000  # a set-aside event is kept whole up to this size, then cut with a mark


class Malformed(ValueError):
    """An event that does not have the documented shape; `str()` is the reason (no personal data)."""


def raw_json(event) -> str:
    """The event as ASCII JSON: lone surrogates and control characters survive any store."""
    try:
        text = json.dumps(event, ensure_ascii=True, sort_keys=True, default=repr)
    except (TypeError, ValueError, RecursionError):
        text = json.dumps(repr(event)[:MAX_RAW_CHARS])
    return text if len(text) <= MAX_RAW_CHARS else text[:MAX_RAW_CHARS] + "…[обрезано]"


NO_MOMENT = datetime(1970, 1, 1, tzinfo=timezone.utc)   # a set-aside record is no message: it has no time


def set_aside_item(channel: str, event, reason: str, external_id: str = "") -> IncomingItem:
    """A set-aside record for an event the channel could not read (SPEC §8)."""
    raw = raw_json(event)
    ident = external_id or "invalid:" + hashlib.sha256(raw.encode("ascii")).hexdigest()[:24]
    return IncomingItem(channel=channel, external_id=ident, kind="", public=False,
                        posted_at=NO_MOMENT, author_name="", author_link="",
                        text="", link="", reply_target={}, event=EVENT_INVALID, raw=raw,
                        reason=reason[:300])


def gap_item(channel: str, reason: str, details) -> IncomingItem:
    """A notice that events may have been lost on the network's side."""
    raw = raw_json(details)
    ident = "gap:" + hashlib.sha256(raw.encode("ascii")).hexdigest()[:24]
    return IncomingItem(channel=channel, external_id=ident, kind="", public=False,
                        posted_at=NO_MOMENT, author_name="", author_link="",
                        text="", link="", reply_target={}, event=EVENT_GAP, raw=raw, reason=reason[:300])


def parse_each(channel: str, events, parse, ident=lambda event: "") -> list[IncomingItem]:
    """`parse(event)` for each event (an item, or None for an event we do not take in);
    an event that raises becomes a set-aside item instead of stopping the others."""
    items: list[IncomingItem] = []
    for event in events:
        try:
            item = parse(event)
        except Malformed as exc:
            items.append(set_aside_item(channel, event, f"{channel}: {exc}", _safe_ident(ident, event)))
            continue
        except Exception as exc:  # noqa: BLE001 - one bad event must not stop the channel
            reason = f"{channel}: событие не разобрано ({type(exc).__name__})"
            items.append(set_aside_item(channel, event, reason, _safe_ident(ident, event)))
            continue
        if item is not None:
            items.append(_cleaned_item(item))
    return items


def _cleaned_item(item: IncomingItem) -> IncomingItem:
    """Lone surrogates out of everything a person reads or the store indexes (issue 10)."""
    fields = {name: clean_text(getattr(item, name)) for name in
              ("external_id", "author_name", "author_link", "text", "link")}
    refs = tuple(AttachmentRef(clean_text(a.name), clean_text(a.url), a.kind) for a in item.attachments)
    return replace(item, attachments=refs, **fields)


def _safe_ident(ident, event) -> str:
    try:
        value = ident(event)
    except Exception:  # noqa: BLE001
        return ""
    return f"invalid:{value}" if value else ""


@dataclass(frozen=True)
class Published:
    external_id: str
    link: str
    note: str = ""   # what the operator must still do (files this network could not take), Russian


class Channel(Protocol):
    name: str

    def fetch(
        self, cursor: str | None, timeout: float = 0
    ) -> tuple[list[IncomingItem], str | None]: ...

    def publish_reply(
        self, target: dict, text: str, attachments: Sequence[Path], key: str
    ) -> Published: ...

    def post_informational(
        self, text: str, attachments: Sequence[Path], key: str
    ) -> Published: ...

    def download(self, ref: AttachmentRef, limit: int = 0) -> bytes: ...


LINK = "link"   # AttachmentRef.kind of a web page (a VK video, a shared link): kept as a link, never fetched


class FileTooBig(PermanentError):
    """A citizen's file over the configured limit (`attachment_limit_mb`): it stays a link."""

    def __init__(self, name: str, size: int, limit: int) -> None:
        super().__init__(f"файл «{name}» больше {limit // (1024 * 1024)} МБ")
        self.size, self.limit = size, limit


def get_file(network: str, session: requests.Session, url: str, name: str, limit: int = 0) -> bytes:
    """GET one file, streamed, never holding more than `limit` bytes (0: no limit): a huge
    attachment is refused by its Content-Length or as soon as it passes the limit (SPEC §8)."""
    response = guard_request(network, session.get, url, timeout=HTTP_TIMEOUT, stream=True)
    with response:
        if response.status_code >= 500 or response.status_code == 429:
            raise transient_from_http(network, response)
        if response.status_code >= 400:
            raise PermanentError(f"{network}: файл «{name}» недоступен (HTTP {response.status_code})")
        declared = response.headers.get("Content-Length", "")
        if limit and declared.isdigit() and int(declared) > limit:
            raise FileTooBig(name, int(declared), limit)
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if limit and size > limit:
                    raise FileTooBig(name, size, limit)
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise TransientError(f"{network}: файл «{name}» не получен ({type(exc).__name__})") from exc
    return b"".join(chunks)


# The «Вид» labels of the ledger, kept in one place so they can be reviewed.
KIND_COMMENT = "Комментарий"
KIND_MESSAGE = "Личное сообщение"
KIND_SUGGESTED = "Предложенная запись"
KIND_PHOTO_COMMENT = "Комментарий к фото"
KIND_VIDEO_COMMENT = "Комментарий к видео"
KIND_BOARD = "Обсуждение"

# How long one HTTP call may take beyond a long-poll wait (connect, read) in seconds.
HTTP_TIMEOUT = (10.0, 30.0)


def random_id_from_key(key: str) -> int:
    """A stable VK `random_id` derived from the idempotency key, over the whole documented range.

    The same key always gives the same number, so a retried publication is recognised by VK as
    the same message and never doubled (SPEC §8). `messages.send.random_id` is an `integer`
    without `format` in the VK API JSON schema (messages/methods.json), i.e. int32: we use all
    of it but 0 (which VK treats as "no random_id"), 2^32 - 1 values instead of 2^31.
    """
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    value = int.from_bytes(digest[:4], "big", signed=True)
    return value or 1


def clean_text(text: str) -> str:
    """Text fit to send: a lone surrogate (a broken emoji from a mail client) becomes U+FFFD
    instead of an encoding error that no network's error table knows."""
    if not isinstance(text, str):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def split_text(text: str, limit: int, measure=len) -> list[str]:
    """The text in pieces of at most `limit` (as `measure` counts), cut at a paragraph, line or
    word boundary when there is one in the second half of the piece."""
    pieces, rest = [], text.strip()
    while rest:
        if measure(rest) <= limit:
            pieces.append(rest)
            break
        cut = _fit(rest, limit, measure)
        for separator in ("\n\n", "\n", " "):
            at = rest.rfind(separator, 0, cut)
            if at > cut // 2:
                cut = at
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [p for p in pieces if p]


def _fit(text: str, limit: int, measure) -> int:
    """The longest prefix length (in characters) that `measure` counts as at most `limit`."""
    low, high = 1, len(text)
    while low < high:               # binary search: `measure` may count UTF-16 code units
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def from_unix(seconds) -> datetime:
    """A network's Unix timestamp (an integer, as the docs define it) as an aware UTC datetime."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise Malformed(f"время события не число ({type(seconds).__name__})")
    try:
        return datetime.fromtimestamp(float(seconds), tz=timezone.utc)
    except (OverflowError, OSError, ValueError) as exc:
        raise Malformed("время события вне допустимого диапазона") from exc


def need(obj, key: str, kind: type | tuple[type, ...], where: str = ""):
    """`obj[key]` if it is of the documented type, else Malformed naming the field (not its value)."""
    if not isinstance(obj, dict):
        raise Malformed(f"{where or 'событие'}: ожидался объект, а не {type(obj).__name__}")
    value = obj.get(key)
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise Malformed(f"поле {where + '.' if where else ''}{key}: неверный тип (bool)")
    if not isinstance(value, kind):
        shown = "нет" if value is None else f"неверный тип ({type(value).__name__})"
        raise Malformed(f"поле {where + '.' if where else ''}{key}: {shown}")
    return value


def text_of(obj: dict, key: str, where: str = "") -> str:
    """An optional text field: absent or null is "", anything but a string is Malformed."""
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Malformed(f"поле {where + '.' if where else ''}{key}: не строка ({type(value).__name__})")
    return value


def transient_from_http(network: str, response: requests.Response) -> TransientError:
    """A 5xx or 429 answer of a network's server as a retry-later error."""
    retry = response.headers.get("Retry-After")
    retry_after = float(retry) if retry and retry.isdigit() else None
    return TransientError(
        f"{network}: сервер временно недоступен (HTTP {response.status_code})", retry_after
    )


def guard_request(network: str, call, *args, **kwargs) -> requests.Response:
    """Run one `requests` call; connection failures and timeouts become TransientError."""
    try:
        return call(*args, **kwargs)
    except requests.Timeout as exc:
        raise TransientError(f"{network}: сервер не ответил вовремя") from exc
    except requests.RequestException as exc:
        raise TransientError(f"{network}: нет связи с сервером ({type(exc).__name__})") from exc


def read_attachment(path: Path) -> bytes:
    """The bytes of a file to attach; a missing file is the operator's problem, not a retry."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise PermanentError(f"Не удалось прочитать вложение «{Path(path).name}»: {exc}") from exc


IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp"})


def is_image(path: Path) -> bool:
    """Photos go through a network's photo upload, everything else as a document."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES
