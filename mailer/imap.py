"""Reading the bridge's mailbox over IMAP: the only module that imports imapclient.

`ImapMailbox._connect` is the one seam that opens a connection; `translate_imap_errors` is the
one place where imapclient and socket errors become TransientError / PermanentError. The caller
saves each raw mail durably before it stores the returned `MailboxState`, so a crash re-fetches
and never skips (SPEC §8 «nothing lost»); duplicates are removed by the caller (Message-ID).
"""

from __future__ import annotations

import contextlib
import json
import logging
import ssl
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from bridge.core.errors import ConfigError, PermanentError, TransientError
from mailer.mailbox import FetchedMail, decode_state

log = logging.getLogger(__name__)

SECURITY_MODES = ("ssl", "starttls", "none")
PROCESSED_KEYWORD = "$Otklik"
FETCH_BATCH = 100
# RFC 2177: a client should re-issue IDLE at least every 29 minutes.
MAX_IDLE_SECONDS = 25 * 60
POLL_INTERVAL = 5.0
# Server answers that mean "busy right now", not "misconfigured" (RFC 5530 response codes).
TRANSIENT_MARKERS = ("UNAVAILABLE", "INUSE", "LIMIT", "SERVERBUG", "TRY AGAIN")
# A dead connection: worth one transparent reconnect.
CONNECTION_ERRORS = (IMAPClientAbortError, OSError, EOFError)

Result = TypeVar("Result")


@dataclass(frozen=True)
class MailboxState:
    """Where reading stopped: everything up to `last_uid` under `uidvalidity` was returned."""

    uidvalidity: int
    last_uid: int

    def to_json(self) -> str:
        return json.dumps({"uidvalidity": self.uidvalidity, "last_uid": self.last_uid})

    @classmethod
    def from_json(cls, text: str) -> "MailboxState":
        data = json.loads(text)
        return cls(uidvalidity=int(data["uidvalidity"]), last_uid=int(data["last_uid"]))


@contextlib.contextmanager
def translate_imap_errors(server: str, user: str) -> Iterator[None]:
    """The one place where imapclient, ssl and socket errors become Otklik errors."""
    try:
        yield
    except LoginError as error:
        raise PermanentError(f"IMAP {server}: сервер отклонил логин или пароль пользователя "
                             f"{user}") from error
    except ssl.SSLCertVerificationError as error:
        raise PermanentError(f"IMAP {server}: сертификат сервера не прошёл проверку "
                             f"({error.verify_message})") from error
    except CONNECTION_ERRORS as error:
        raise TransientError(f"IMAP {server}: сервер недоступен или разорвал соединение "
                             f"({error})") from error
    except IMAPClientError as error:
        text = str(error)
        if any(marker in text.upper() for marker in TRANSIENT_MARKERS):
            raise TransientError(f"IMAP {server}: временная ошибка сервера ({text})") from error
        raise PermanentError(f"IMAP {server}: сервер отказал ({text}); проверьте настройки "
                             "почтового ящика") from error


class ImapMailbox:
    """One IMAP folder read incrementally by UID; reconnects once after a dropped connection."""

    def __init__(self, host: str, port: int, security: str, user: str, password: str,
                 folder: str = "INBOX", processed_folder: str | None = None,
                 timeout: float = 60, ssl_context: ssl.SSLContext | None = None,
                 max_messages: int | None = None) -> None:
        if security not in SECURITY_MODES:
            raise ConfigError(f"imap_security должен быть одним из {SECURITY_MODES}, "
                              f"а не «{security}»")
        self.host, self.port, self.security = host, port, security
        self.user, self.password = user, password
        self.folder, self.processed_folder = folder, processed_folder
        self.timeout, self.ssl_context = timeout, ssl_context
        self.max_messages = max_messages
        self._client: IMAPClient | None = None
        self._uidnext_seen = 0
        self._uidvalidity_seen = 0
        self._keywords_allowed = True

    @property
    def server_name(self) -> str:
        return f"{self.host}:{self.port}"

    # -- the seam -------------------------------------------------------------------------

    def _connect(self) -> IMAPClient:
        """The seam: open, secure and log in one IMAP connection."""
        context = self.ssl_context or ssl.create_default_context()
        client = IMAPClient(self.host, self.port, ssl=self.security == "ssl",
                            ssl_context=context, timeout=self.timeout)
        try:
            if self.security == "starttls":
                client.starttls(context)
            client.login(self.user, self.password)
        except BaseException:
            shutdown_quietly(client)
            raise
        return client

    def _with_connection(self, action: Callable[[IMAPClient], Result]) -> Result:
        """Run `action` on a live connection; after a drop, reconnect once and run it again."""
        with translate_imap_errors(self.server_name, self.user):
            for attempt in (1, 2):
                if self._client is None:
                    self._client = self._connect()
                try:
                    return action(self._client)
                except CONNECTION_ERRORS:
                    self._discard_client()
                    if attempt == 2:
                        raise
                    log.info("IMAP %s: connection lost, reconnecting", self.server_name)
        raise AssertionError("unreachable")

    def _discard_client(self) -> None:
        if self._client is not None:
            shutdown_quietly(self._client)
            self._client = None

    # -- reading --------------------------------------------------------------------------

    def fetch_new(self, state: str | None) -> tuple[list[FetchedMail], str]:
        """Mail that arrived after `state` (everything unprocessed when the state is unknown)."""
        known = decode_state(state, MailboxState.from_json, "IMAP")
        mails, new_state = self._with_connection(lambda client: self._fetch_new(client, known))
        return mails, new_state.to_json()

    def _fetch_new(self, client: IMAPClient, state: MailboxState | None
                   ) -> tuple[list[FetchedMail], MailboxState]:
        selected = client.select_folder(self.folder)
        uidvalidity = self._uidvalidity_seen = int(selected[b"UIDVALIDITY"])
        self._uidnext_seen = int(selected.get(b"UIDNEXT", 0))
        self._keywords_allowed = allows_keyword(selected)
        if state is not None and state.uidvalidity == uidvalidity:
            uids = [uid for uid in client.search(["UID", f"{state.last_uid + 1}:*"])
                    if uid > state.last_uid]
            known_max = state.last_uid
        else:
            if state is not None:
                log.warning("IMAP %s: UIDVALIDITY of %s changed, re-reading unprocessed mail",
                            self.server_name, self.folder)
            uids, known_max = self._search_unprocessed(client)
        uids = sorted(uids)
        if self.max_messages is not None and len(uids) > self.max_messages:
            uids = uids[:self.max_messages]
            known_max = 0
        mails = fetch_bodies(client, uids)
        last_uid = max([known_max, *uids])
        return mails, MailboxState(uidvalidity=uidvalidity, last_uid=last_uid)

    def start_position(self) -> str:
        """The position "everything here now is old": the first start takes only what comes later."""
        def look(client: IMAPClient) -> MailboxState:
            selected = client.select_folder(self.folder, readonly=True)
            return MailboxState(uidvalidity=int(selected[b"UIDVALIDITY"]),
                                last_uid=max(0, int(selected.get(b"UIDNEXT", 1)) - 1))
        return self._with_connection(look).to_json()

    def _search_unprocessed(self, client: IMAPClient) -> tuple[list[int], int]:
        """All UIDs not yet processed, and the highest UID present when we looked."""
        everything = client.search(["ALL"])
        if self.processed_folder is not None:
            return list(everything), max(everything, default=0)
        criteria = ["UNKEYWORD", PROCESSED_KEYWORD] if self._keywords_allowed else ["UNSEEN"]
        return list(client.search(criteria)), max(everything, default=0)

    def mark_processed(self, uids: Iterable[int]) -> None:
        """Move the mails to `processed_folder`, or flag them \\Seen and $Otklik."""
        uids = sorted(set(uids))
        if uids:
            self._with_connection(lambda client: self._mark_processed(client, uids))

    def _mark_processed(self, client: IMAPClient, uids: list[int]) -> None:
        selected = client.select_folder(self.folder)
        if int(selected[b"UIDVALIDITY"]) != self._uidvalidity_seen:
            # Renumbered since the fetch: these UIDs may name other (unread) mail. Flag nothing;
            # the next fetch re-reads what is unprocessed and Message-IDs drop the repeats.
            log.warning("IMAP %s: UIDVALIDITY changed before flagging; not flagged", self.server_name)
            return
        if self.processed_folder is None:
            flags = [b"\\Seen"]
            if allows_keyword(selected):
                flags.append(PROCESSED_KEYWORD.encode())
            for batch in batched(uids, FETCH_BATCH):
                client.add_flags(batch, flags, silent=True)
            return
        if not client.folder_exists(self.processed_folder):
            client.create_folder(self.processed_folder)
        for batch in batched(uids, FETCH_BATCH):
            move_messages(client, batch, self.processed_folder)

    # -- waiting --------------------------------------------------------------------------

    def wait_for_change(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True when new mail may have arrived."""
        return self._with_connection(lambda client: self._wait(client, timeout))

    def _wait(self, client: IMAPClient, timeout: float) -> bool:
        selected = client.select_folder(self.folder)
        if int(selected.get(b"UIDNEXT", 0)) > self._uidnext_seen:
            return True  # arrived between the last fetch and now: IDLE would not announce it
        deadline = time.monotonic() + timeout
        if b"IDLE" in client.capabilities():
            return idle_until(client, deadline)
        return poll_until(client, deadline)

    # -- lifecycle ------------------------------------------------------------------------

    def check(self) -> None:
        """Log in, open the folder and log out (for `check-config`)."""
        def probe(client: IMAPClient) -> None:
            client.select_folder(self.folder, readonly=True)
        self._with_connection(probe)
        self.close()

    def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            try:
                client.logout()
            except (IMAPClientError, OSError, EOFError):
                shutdown_quietly(client)


def allows_keyword(selected: dict) -> bool:
    """Can $Otklik be stored? RFC 3501 §7.1: PERMANENTFLAGS lists it or offers \\*.

    Servers without keywords (pymap, some Exchange set-ups) fall back to \\Seen alone,
    so a person opening a mail there makes the bridge treat it as processed.
    """
    permanent = selected.get(b"PERMANENTFLAGS")
    if permanent is None:
        return True  # not announced: RFC 3501 says all flags can be changed permanently
    return b"\\*" in permanent or PROCESSED_KEYWORD.encode() in permanent


def fetch_bodies(client: IMAPClient, uids: list[int]) -> list[FetchedMail]:
    """BODY.PEEK[] in batches, so reading never sets \\Seen and a burst stays bounded."""
    mails: list[FetchedMail] = []
    for batch in batched(uids, FETCH_BATCH):
        response = client.fetch(batch, [b"BODY.PEEK[]"])
        for uid in batch:
            body = response.get(uid, {}).get(b"BODY[]")
            if body is not None:
                mails.append(FetchedMail(uid=uid, raw=bytes(body)))
    return mails


def move_messages(client: IMAPClient, uids: list[int], folder: str) -> None:
    """RFC 6851 MOVE when offered; otherwise COPY + \\Deleted + (UID) EXPUNGE."""
    capabilities = client.capabilities()
    if b"MOVE" in capabilities:
        client.move(uids, folder)
        return
    client.copy(uids, folder)
    client.add_flags(uids, [b"\\Deleted"], silent=True)
    if b"UIDPLUS" in capabilities:
        client.uid_expunge(uids)
    else:
        client.expunge()


def idle_until(client: IMAPClient, deadline: float) -> bool:
    """IDLE (RFC 2177) until new mail is announced or the deadline passes."""
    while (remaining := deadline - time.monotonic()) > 0:
        client.idle()
        try:
            responses = client.idle_check(timeout=min(remaining, MAX_IDLE_SECONDS))
        finally:
            _, done_responses = client.idle_done()
        if announces_new_mail([*responses, *done_responses]):
            return True
    return False


def poll_until(client: IMAPClient, deadline: float) -> bool:
    """NOOP every few seconds for servers without IDLE."""
    while True:
        _, responses = client.noop()
        if announces_new_mail(responses):
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(POLL_INTERVAL, remaining))


def announces_new_mail(responses: list) -> bool:
    """An untagged EXISTS or RECENT means a message was added (RFC 3501 §7.3)."""
    return any(isinstance(item, tuple) and len(item) >= 2 and item[1] in (b"EXISTS", b"RECENT")
               for item in responses)


def batched(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def shutdown_quietly(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):
        client.shutdown()
