"""Reading and sending mail through Exchange Web Services: the only module importing exchangelib.

`connect_account` is the one seam that builds an exchangelib Account (no autodiscover, fixed
endpoint; NTLM, Basic or OAuth 2.0 client credentials); `translate_ews_errors` is the one place
where exchangelib, OAuth and network errors become TransientError / PermanentError.

Reading: SyncFolderItems on the configured folder (the Inbox, or a folder under it); its sync state
is the JSON-able position, stored by the caller only after each raw mail is saved (SPEC §8).
Processed mail is marked read with the category «Отклик» and, if configured, moved to the processed
folder; mail the bridge set aside goes to the set-aside folder, where a person looks at it.
Waiting: a pull subscription (EWS Subscribe / GetEvents) asked every `poll_interval` seconds.
Streaming notifications are not used: exchangelib holds a streaming connection for whole
minutes, longer than the service's wait slice, so a stop would wait for it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Iterable, Iterator

import requests
from exchangelib import (BASIC, DELEGATE, IMPERSONATION, NTLM, OAUTH2, Account, Build, Configuration,
                         Credentials, Folder, Message, OAuth2Credentials, Version)
from exchangelib.errors import (EWSError, ErrorExpiredSubscription, ErrorFolderExists, ErrorFolderNotFound,
                                ErrorInvalidSubscription, ErrorInvalidSyncStateData, ErrorInvalidWatermark,
                                ErrorItemNotFound, ErrorSubscriptionNotFound, ErrorToFolderNotFound,
                                MalformedResponseError, ResponseMessageError, TransportError, UnauthorizedError)
from exchangelib.properties import ItemId
from exchangelib.protocol import FailFast
from exchangelib.services import CreateFolder
from oauthlib.oauth2.rfc6749.errors import InsecureTransportError, OAuth2Error

from bridge.core.errors import ConfigError, PermanentError, TransientError
from mailer.mailbox import FetchedMail, decode_state

log = logging.getLogger(__name__)

AUTH_TYPES = {"ntlm": NTLM, "basic": BASIC, "oauth2": OAUTH2}
# Exchange versions a config may pin to skip version guessing (one request fewer per start).
SERVER_BUILDS = {"2013": Build(15, 0, 847, 32), "2016": Build(15, 1, 2507, 0),
                 "2019": Build(15, 2, 1118, 7)}
PROCESSED_CATEGORY = "Отклик"
SYNC_BATCH = 100
POLL_INTERVAL = 10.0          # seconds between two GetEvents while waiting (`exchange_poll_interval`)
SUBSCRIPTION_MINUTES = 10     # a pull subscription lives this long without a GetEvents
NEW_MAIL_EVENTS = ("NewMailEvent", "CreatedEvent", "MovedEvent")
# Response codes that mean "the server is busy or restarting": retry later.
TRANSIENT_CODES = {"ErrorServerBusy", "ErrorTimeoutExpired", "ErrorMailboxStoreUnavailable",
                   "ErrorConnectionFailed", "ErrorInternalServerTransientError",
                   "ErrorMailboxMoveInProgress", "ErrorBatchProcessingStopped"}
SUBSCRIPTION_LOST = (ErrorSubscriptionNotFound, ErrorExpiredSubscription, ErrorInvalidSubscription,
                     ErrorInvalidWatermark)


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
class OAuthApp:
    """An app registration with the right to act for the mailbox (client-credentials grant)."""

    client_id: str
    client_secret: str
    tenant_id: str
    token_url: str | None = None     # default: Microsoft's login endpoint of the tenant
    scope: str | None = None         # default: Exchange Online's «https://outlook.office365.com/.default»


@dataclass(frozen=True)
class EwsSettings:
    url: str
    user: str
    password: str
    email: str | None = None  # the mailbox's primary address; defaults to the user
    auth_type: str = "ntlm"
    server_version: str | None = None  # "2013" | "2016" | "2019" or None to let exchangelib ask
    timeout: float = 60
    oauth: OAuthApp | None = None
    folder: str = ""                   # read from: the Inbox, or «A/B» under it
    processed_folder: str = ""         # processed mail is moved here (under the Inbox), if set
    set_aside_folder: str = ""         # mail the bridge set aside is moved here, if set
    poll_interval: float = POLL_INTERVAL

    @property
    def login(self) -> str:
        return self.oauth.client_id if self.oauth else self.user


class AppCredentials(OAuth2Credentials):
    """exchangelib's client credentials with the token endpoint and scope from config (an on-site
    ADFS, a national cloud, the tests' stand-in)."""

    def __init__(self, app: OAuthApp) -> None:
        super().__init__(client_id=app.client_id, client_secret=app.client_secret, tenant_id=app.tenant_id)
        self.custom_token_url, self.custom_scope = app.token_url, app.scope

    @property
    def token_url(self) -> str:
        return self.custom_token_url or super().token_url

    @property
    def scope(self) -> list[str]:
        return [self.custom_scope] if self.custom_scope else super().scope


@contextlib.contextmanager
def translate_ews_errors(url: str, user: str) -> Iterator[None]:
    """The one place where exchangelib, OAuth, requests and socket errors become Otklik errors."""
    try:
        yield
    except UnauthorizedError as error:
        raise PermanentError(f"Exchange {url}: сервер отклонил вход пользователя {user}") from error
    except InsecureTransportError as error:
        raise PermanentError(f"Exchange {url}: вход по OAuth 2.0 возможен только по https") from error
    except OAuth2Error as error:
        raise PermanentError(f"Exchange {url}: сервер авторизации отказал приложению {user} "
                             f"({error.error}: {error.description or ''})") from error
    except ErrorFolderNotFound as error:
        raise PermanentError(f"Exchange {url}: папка не найдена ({error}); проверьте exchange_folder") from error
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
    if settings.auth_type == "oauth2" and settings.oauth is None:
        raise ConfigError("Exchange: для exchange_auth = \"oauth2\" нужны exchange_client_id, exchange_tenant_id "
                          "и exchange_client_secret_env")
    version = None
    if settings.server_version is not None:
        version = Version(build=SERVER_BUILDS[settings.server_version])
    credentials = AppCredentials(settings.oauth) if settings.auth_type == "oauth2" else \
        Credentials(settings.user, settings.password)
    # FailFast: the outbox owns retries; exchangelib must not sleep inside a cycle.
    config = Configuration(
        service_endpoint=settings.url, credentials=credentials,
        auth_type=AUTH_TYPES[settings.auth_type], version=version, retry_policy=FailFast(),
        max_connections=2)
    # An app-only token acts for a mailbox only through impersonation (EWS and OAuth, Microsoft).
    access = IMPERSONATION if settings.auth_type == "oauth2" else DELEGATE
    try:
        account = Account(settings.email or settings.user, config=config, autodiscover=False, access_type=access)
    except ValueError as error:
        raise ConfigError(f"Exchange: укажите адрес почтового ящика ({error})") from error
    account.protocol.TIMEOUT = settings.timeout  # exchangelib reads it per request
    return account


def folder_under(parent, path: str, create: bool):
    """The folder at `path` («A/B», names as a person sees them) under `parent`; made if asked."""
    folder = parent
    for name in (part.strip() for part in path.split("/") if part.strip()):
        try:
            folder = folder // name
        except ErrorFolderNotFound:
            if not create:
                raise
            # CreateFolder itself, not Folder.save(): that one loads the whole folder tree first.
            with contextlib.suppress(ErrorFolderExists):    # made meanwhile by a person
                CreateFolder(account=folder.account).get(parent_folder=folder, folders=[Folder(parent=folder, name=name)])
            folder = folder // name
    return folder


class EwsMailbox:
    """The bridge's Exchange folder, read by SyncFolderItems, waited on by a pull subscription."""

    def __init__(self, url: str, user: str, password: str, email: str | None = None,
                 auth_type: str = "ntlm", server_version: str | None = None,
                 timeout: float = 60, **options) -> None:
        self.settings = EwsSettings(url, user, password, email, auth_type, server_version, timeout, **options)
        self._account: Account | None = None
        self._folders: dict[str, object] = {}
        self._total_seen: int | None = None
        self._subscription: tuple[str, str] | None = None    # (id, watermark)

    def _connect(self) -> Account:
        """The seam tests may override."""
        return connect_account(self.settings)

    @property
    def account(self) -> Account:
        if self._account is None:
            self._account = self._connect()
        return self._account

    @property
    def inbox(self):
        """The folder read (`exchange_folder` under the Inbox); it must exist."""
        return self._folder(self.settings.folder, create=False)

    def _folder(self, path: str, create: bool):
        if path not in self._folders:
            self._folders[path] = folder_under(self.account.inbox, path, create)
        return self._folders[path]

    def _translated(self):
        return translate_ews_errors(self.settings.url, self.settings.login)

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
            self._total_seen = self._count()
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
            self._total_seen = self._count()
            return mails, new_state

    def _count(self) -> int:
        folder = self.inbox
        folder.refresh()
        return folder.total_count

    def _sync(self, state: EwsState | None) -> tuple[list[ItemId], EwsState]:
        inbox = self.inbox
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
        """Mark read and add the category «Отклик» (what a person sees in Outlook); then move to
        the processed folder when one is configured."""
        self._mark(uids, self.settings.processed_folder)

    def mark_set_aside(self, uids: Iterable[str]) -> None:
        """Mail the bridge could not take: marked like processed mail, moved to the set-aside
        folder when one is configured (else where processed mail goes)."""
        self._mark(uids, self.settings.set_aside_folder or self.settings.processed_folder)

    def _mark(self, uids: Iterable[str], move_to: str) -> None:
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
            _raise_failures(results)
            if move_to and items:
                self._move(items, move_to)

    def _move(self, items: list, path: str) -> None:
        ids = [(item.id, item.changekey) for item in items]
        try:
            results = self.account.bulk_move(ids, self._folder(path, create=True))
        except ErrorToFolderNotFound:
            # A person deleted the folder since it was found: find (or make) it again, once.
            self._folders.pop(path, None)
            results = self.account.bulk_move(ids, self._folder(path, create=True))
        _raise_failures(results)

    def wait_for_change(self, timeout: float) -> bool:
        """Block up to `timeout` seconds on a pull subscription to the folder, asking GetEvents
        every `poll_interval`; True when mail arrived (or may have: the subscription was lost)."""
        deadline = time.monotonic() + timeout
        with self._translated():
            if self._subscription is None:
                self._subscribe()
                if self._count() != self._total_seen:   # arrived before the subscription
                    return True
        while True:
            with self._translated():
                if self._new_mail_events():
                    return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(self.settings.poll_interval, left))

    def _subscribe(self) -> None:
        self._subscription = self.inbox.subscribe_to_pull(event_types=list(NEW_MAIL_EVENTS),
                                                          timeout=SUBSCRIPTION_MINUTES)

    def _new_mail_events(self) -> bool:
        subscription_id, watermark = self._subscription
        arrived = False
        try:
            for notification in self.inbox.get_events(subscription_id, watermark):
                for event in notification.events:
                    watermark = event.watermark or watermark
                    arrived |= type(event).__name__ in NEW_MAIL_EVENTS
        except SUBSCRIPTION_LOST:
            log.info("Exchange %s: the pull subscription expired; subscribing again", self.settings.url)
            self._subscribe()
            return True
        self._subscription = (subscription_id, watermark)
        return arrived

    def check(self) -> None:
        """Log in and open the folders (for `check-config`)."""
        with self._translated():
            self._count()

    def close(self) -> None:
        if self._account is not None:
            with contextlib.suppress(Exception):
                if self._subscription is not None:
                    self.inbox.unsubscribe(self._subscription[0])
            with contextlib.suppress(Exception):
                self._account.protocol.close()
            self._account, self._folders, self._subscription = None, {}, None


def _raise_failures(results) -> None:
    for result in results:
        if isinstance(result, Exception) and not isinstance(result, ErrorItemNotFound):
            raise result


class EwsSender:
    """Sends ready MIME bytes through Exchange (CreateItem, SendOnly)."""

    def __init__(self, url: str, user: str, password: str, email: str | None = None,
                 auth_type: str = "ntlm", server_version: str | None = None,
                 timeout: float = 60, **options) -> None:
        self.settings = EwsSettings(url, user, password, email, auth_type, server_version, timeout, **options)
        self._account: Account | None = None

    def _connect(self) -> Account:
        return connect_account(self.settings)

    def send(self, from_addr: str, to_addrs: list[str], message: bytes) -> None:
        """Exchange takes the recipients from the MIME headers; `to_addrs` must match them. The
        account (and an OAuth token) is kept between mails; a failure drops it."""
        if not to_addrs:
            raise PermanentError("Письмо без получателей: укажите адрес отдела")
        with translate_ews_errors(self.settings.url, self.settings.login):
            try:
                self._account = self._account or self._connect()
                Message(account=self._account, mime_content=message).send(save_copy=False)
            except Exception:
                self._account = None
                raise

    def check(self) -> None:
        with translate_ews_errors(self.settings.url, self.settings.login):
            self._connect().inbox.refresh()
