"""Reading and sending mail through Exchange Web Services: the only module importing exchangelib.

`connect_account` is the one seam that builds an exchangelib Account (no autodiscover, fixed
endpoint); `translate_ews_errors` is the one place where exchangelib and network errors become
TransientError / PermanentError. Reading uses SyncFolderItems: its sync-state string is the
JSON-able position, stored by the caller only after each raw mail is saved (SPEC §8).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Iterable, Iterator

import requests
from exchangelib import BASIC, DELEGATE, NTLM, Account, Build, Configuration, Credentials, Version
from exchangelib import Message
from exchangelib.errors import (EWSError, ErrorInvalidSyncStateData, ErrorItemNotFound,
                                MalformedResponseError, ResponseMessageError, TransportError,
                                UnauthorizedError)
from exchangelib.properties import ItemId
from exchangelib.protocol import FailFast

from bridge.core.errors import ConfigError, PermanentError, TransientError
from mailer.mailbox import FetchedMail, decode_state

log = logging.getLogger(__name__)

AUTH_TYPES = {"ntlm": NTLM, "basic": BASIC}
# Exchange versions a config may pin to skip version guessing (one request fewer per start).
SERVER_BUILDS = {"2013": Build(15, 0, 847, 32), "2016": Build(15, 1, 2507, 0),
                 "2019": Build(15, 2, 1118, 7)}
PROCESSED_CATEGORY = "Отклик"
SYNC_BATCH = 100
POLL_INTERVAL = 10.0          # seconds between two looks at the inbox while waiting
# Response codes that mean "the server is busy or restarting": retry later.
TRANSIENT_CODES = {"ErrorServerBusy", "ErrorTimeoutExpired", "ErrorMailboxStoreUnavailable",
                   "ErrorConnectionFailed", "ErrorInternalServerTransientError",
                   "ErrorMailboxMoveInProgress", "ErrorBatchProcessingStopped"}


@dataclass(frozen=True)
class EwsState:
    """Where reading stopped: Exchange's own SyncFolderItems position."""

    sync_state: str

    def to_json(self) -> str:
        return json.dumps({"sync_state": self.sync_state})

    @classmethod
    def from_json(cls, text: str) -> "EwsState":
        return cls(sync_state=str(json.loads(text)["sync_state"]))




@dataclass(frozen=True)
class EwsSettings:
    url: str
    user: str
    password: str
    email: str | None = None  # the mailbox's primary address; defaults to the user
    auth_type: str = "ntlm"
    server_version: str | None = None  # "2013" | "2016" | "2019" or None to let exchangelib ask
    timeout: float = 60


@contextlib.contextmanager
def translate_ews_errors(url: str, user: str) -> Iterator[None]:
    """The one place where exchangelib, requests and socket errors become Otklik errors."""
    try:
        yield
    except UnauthorizedError as error:
        raise PermanentError(f"Exchange {url}: сервер отклонил логин или пароль пользователя "
                             f"{user}") from error
    except ResponseMessageError as error:
        code = type(error).__name__
        if code in TRANSIENT_CODES:
            raise TransientError(f"Exchange {url}: сервер временно недоступен ({code})") from error
        raise PermanentError(f"Exchange {url}: сервер отказал ({code}: {error})") from error
    except (TransportError, MalformedResponseError, requests.RequestException, OSError) as error:
        raise TransientError(f"Exchange {url}: сервер недоступен ({error})") from error
    except EWSError as error:
        raise PermanentError(f"Exchange {url}: ошибка EWS ({error})") from error


def connect_account(settings: EwsSettings) -> Account:
    """The seam: an Account bound to a fixed EWS endpoint, without autodiscover."""
    if settings.auth_type not in AUTH_TYPES:
        raise ConfigError(f"Тип входа Exchange должен быть одним из {tuple(AUTH_TYPES)}")
    version = None
    if settings.server_version is not None:
        version = Version(build=SERVER_BUILDS[settings.server_version])
    # FailFast: the outbox owns retries; exchangelib must not sleep inside a cycle.
    config = Configuration(
        service_endpoint=settings.url, credentials=Credentials(settings.user, settings.password),
        auth_type=AUTH_TYPES[settings.auth_type], version=version, retry_policy=FailFast(),
        max_connections=2)
    try:
        account = Account(settings.email or settings.user, config=config, autodiscover=False,
                          access_type=DELEGATE)
    except ValueError as error:
        raise ConfigError(f"Exchange: укажите адрес почтового ящика ({error})") from error
    account.protocol.TIMEOUT = settings.timeout  # exchangelib reads it per request
    return account


class EwsMailbox:
    """The bridge's Exchange inbox, read by polling SyncFolderItems."""

    def __init__(self, url: str, user: str, password: str, email: str | None = None,
                 auth_type: str = "ntlm", server_version: str | None = None,
                 timeout: float = 60) -> None:
        self.settings = EwsSettings(url, user, password, email, auth_type, server_version,
                                    timeout)
        self._account: Account | None = None
        self._total_seen: int | None = None

    def _connect(self) -> Account:
        """The seam tests may override."""
        return connect_account(self.settings)

    @property
    def account(self) -> Account:
        if self._account is None:
            self._account = self._connect()
        return self._account

    def _translated(self):
        return translate_ews_errors(self.settings.url, self.settings.user)

    def fetch_new(self, state: str | None) -> tuple[list[FetchedMail], str]:
        """Items created since `state`; everything not yet processed when the state is lost."""
        mails, new_state = self._fetch_new(decode_state(state, EwsState.from_json, "Exchange"))
        return mails, new_state.to_json()

    def start_position(self) -> str:
        """The position "everything here now is old": synced through without reading the mail."""
        with self._translated():
            ids, state = self._sync(None)
            while len(ids) >= SYNC_BATCH:
                ids, state = self._sync(state)
            self._total_seen = self.account.inbox.total_count
        return state.to_json()

    def _fetch_new(self, state: EwsState | None) -> tuple[list[FetchedMail], EwsState]:
        with self._translated():
            try:
                ids, new_state = self._sync(state)
            except ErrorInvalidSyncStateData:
                log.warning("Exchange %s: sync state rejected, re-reading unprocessed mail",
                            self.settings.url)
                state = None
                ids, new_state = self._sync(None)
            mails = self._fetch_mime(ids, skip_processed=state is None)
            self._total_seen = self.account.inbox.total_count
            return mails, new_state

    def _sync(self, state: EwsState | None) -> tuple[list[ItemId], EwsState]:
        inbox = self.account.inbox
        # exchangelib falls back to the folder's remembered state when given None: reset it.
        inbox.item_sync_state = state.sync_state if state else None
        ids = [item for change, item in inbox.sync_items(
            sync_state=inbox.item_sync_state, only_fields=["id", "changekey"],
            max_changes_returned=SYNC_BATCH) if change == "create"]
        return ids, EwsState(sync_state=inbox.item_sync_state)

    def _fetch_mime(self, ids: list, skip_processed: bool) -> list[FetchedMail]:
        mails = []
        fields = ["mime_content", "categories"]
        for item in self.account.fetch(ids, only_fields=fields, chunk_size=SYNC_BATCH):
            if isinstance(item, Exception):
                log.info("Exchange: an item vanished before it was read (%s)", type(item).__name__)
                continue
            if skip_processed and PROCESSED_CATEGORY in (item.categories or []):
                continue
            mails.append(FetchedMail(uid=item.id, raw=bytes(item.mime_content)))
        return mails

    def mark_processed(self, uids: Iterable[str]) -> None:
        """Mark read and add the category «Отклик» (what a person sees in Outlook)."""
        ids = [ItemId(id=uid) for uid in dict.fromkeys(uids)]
        if not ids:
            return
        with self._translated():
            items = [item for item in self.account.fetch(ids, only_fields=["categories"])
                     if not isinstance(item, ErrorItemNotFound)]
            for item in items:
                if isinstance(item, Exception):
                    raise item
                item.is_read = True
                item.categories = sorted({*(item.categories or []), PROCESSED_CATEGORY})
            results = self.account.bulk_update(
                [(item, ["is_read", "categories"]) for item in items])
            for result in results:
                if isinstance(result, Exception) and not isinstance(result, ErrorItemNotFound):
                    raise result

    def wait_for_change(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds, asking the inbox's item count (GetFolder) every
        `POLL_INTERVAL`; True when it moved. EWS has no IDLE here: without this wait the service
        loop would spin."""
        deadline = time.monotonic() + timeout
        while True:
            time.sleep(max(0.0, min(POLL_INTERVAL, deadline - time.monotonic())))
            with self._translated():
                inbox = self.account.inbox
                inbox.refresh()
                total = inbox.total_count
            if self._total_seen is None or total != self._total_seen:
                self._total_seen = total
                return True
            if time.monotonic() >= deadline:
                return False

    def check(self) -> None:
        """Log in and open the inbox (for `check-config`)."""
        with self._translated():
            self.account.inbox.refresh()

    def close(self) -> None:
        if self._account is not None:
            with contextlib.suppress(Exception):
                self._account.protocol.close()
            self._account = None


class EwsSender:
    """Sends ready MIME bytes through Exchange (CreateItem, SendOnly)."""

    def __init__(self, url: str, user: str, password: str, email: str | None = None,
                 auth_type: str = "ntlm", server_version: str | None = None,
                 timeout: float = 60) -> None:
        self.settings = EwsSettings(url, user, password, email, auth_type, server_version,
                                    timeout)

    def _connect(self) -> Account:
        return connect_account(self.settings)

    def send(self, from_addr: str, to_addrs: list[str], message: bytes) -> None:
        """Exchange takes the recipients from the MIME headers; `to_addrs` must match them."""
        if not to_addrs:
            raise PermanentError("Письмо без получателей: укажите адрес отдела")
        with translate_ews_errors(self.settings.url, self.settings.user):
            Message(account=self._connect(), mime_content=message).send(save_copy=False)

    def check(self) -> None:
        with translate_ews_errors(self.settings.url, self.settings.user):
            self._connect().inbox.refresh()
