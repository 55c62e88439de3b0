"""The one small interface the cycle uses to talk to every social network (SPEC §1 steps 1 and 7).

An adapter turns a network's events into `IncomingItem`s (intake, п. 1) and publishes the
approved answer where the citizen wrote (п. 3.4) or as an informational post (п. 3.5).
Every adapter translates its library's and server's errors into `bridge.core.errors` here,
so the outbox only tells "later" (TransientError) from "tell the operator" (PermanentError).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
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
    event: str = "new"  # 'new' | 'edit' | 'delete'


@dataclass(frozen=True)
class Published:
    external_id: str
    link: str


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

    def download(self, ref: AttachmentRef) -> bytes: ...


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
    """A stable positive 31-bit id derived from the idempotency key (VK `random_id`, `guid`).

    The same key always gives the same number, so a retried publication is recognised by the
    network as the same message and never doubled (SPEC §8).
    """
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF or 1


def from_unix(seconds: float | int | str) -> datetime:
    """A network's Unix timestamp as an aware UTC datetime."""
    return datetime.fromtimestamp(float(seconds), tz=timezone.utc)


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
