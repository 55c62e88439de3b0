"""The two mail interfaces the cycle uses; `imap.py`, `exchange.py` and `smtp.py` implement them.

A mailbox's position is an opaque string: the cycle stores what `fetch_new` returned and hands it
back unread, so each backend keeps its own format (IMAP: UIDVALIDITY and the last UID; Exchange:
its SyncFolderItems state) and one backend's state never reaches the other's decoder. The caller
saves every returned mail durably before it stores the new state, so a crash re-fetches and
never skips (SPEC §8).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Iterable, Protocol, TypeVar

log = logging.getLogger(__name__)
State = TypeVar("State")


@dataclass(frozen=True)
class FetchedMail:
    uid: int | str        # the backend's id of the mail (an IMAP UID, an EWS item id)
    raw: bytes


class Mailbox(Protocol):
    def fetch_new(self, state: str | None) -> tuple[list[FetchedMail], str]:
        """Mail that arrived after `state` (None: everything not yet processed) and the new state."""

    def start_position(self) -> str:
        """The state meaning "all mail here now is old" (the first start skips it)."""

    def mark_processed(self, uids: Iterable[int | str]) -> None:
        """Flag (or move) mail that was stored, so a person sees it was taken."""

    def wait_for_change(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True when new mail may have arrived."""

    def check(self) -> None:
        """Log in and open the folder (check-config); raises a DeliveryError when it cannot."""

    def close(self) -> None: ...


class Sender(Protocol):
    def send(self, from_addr: str, to_addrs: list[str], message: bytes) -> None:
        """Hand one ready message to the server; raises TransientError or PermanentError."""

    def check(self) -> None: ...


def decode_state(state: str | None, from_json: Callable[[str], State], backend: str) -> State | None:
    """A backend's own state back; anything else (another backend's, damaged) reads as unknown,
    which makes the backend re-read what is not yet processed."""
    if not state:
        return None
    try:
        return from_json(state)
    except (ValueError, KeyError, TypeError):
        log.warning("%s: the stored mailbox position is not ours; re-reading unprocessed mail", backend)
        return None
