"""A pure-Python IMAP server for `python run.py demo`, where no Dovecot is available.

It runs pymap's in-memory 'dict' backend (one user, standard flags, IDLE) on its own asyncio
loop in a background thread, listening on 127.0.0.1. Mail is delivered with IMAP APPEND, the way
a test or the demo's "department" puts a reply into the bridge's mailbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import socket
import threading
from argparse import Namespace

from pymap.backend.dict import DictBackend
from pymap.imap import IMAPService

START_TIMEOUT = 10.0


def find_free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pymap_arguments(host: str, port: int, user: str, password: str) -> Namespace:
    """What pymap's command line would produce for `pymap --port N --no-tls dict`."""
    return Namespace(
        host=[host], port=str(port), debug=False, cert=None, key=None, tls=False,
        passlib_cfg=None, proxy_protocol=None, inherited_sockets=None,
        demo_data=False, demo_user=user, demo_password=password)


def cancel_remaining_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """End the connections still open at stop, so the loop closes without complaints."""
    tasks = asyncio.all_tasks(loop)
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


class DemoImapServer:
    """`start()`, then log in on 127.0.0.1:`port` as `user`/`password`; `deliver` appends."""

    host = "127.0.0.1"

    def __init__(self, user: str = "obrashcheniya@adm.example",
                 password: str = "demo-password") -> None:
        self.user, self.password = user, password
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    def start(self) -> "DemoImapServer":
        self.port = find_free_port()
        self._thread = threading.Thread(target=self._run_loop, name="demo-imap", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise RuntimeError("демонстрационный IMAP-сервер не запустился")
        if self._failure is not None:
            raise RuntimeError(f"демонстрационный IMAP-сервер не запустился: {self._failure}")
        return self

    def _run_loop(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as error:  # reported to start() through _failure
            self._failure = error
        finally:
            self._ready.set()
            cancel_remaining_tasks(self._loop)
            self._loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        arguments = pymap_arguments(self.host, self.port, self.user, self.password)
        # No TLS on loopback, so LOGIN must be allowed in the clear; no DNSBL look-ups.
        backend, config = await DictBackend.init(
            arguments, secure_auth=False, reject_dnsbl=False,
            invalid_user_sleep=0.0)
        config.apply_context()
        async with contextlib.AsyncExitStack() as stack:
            await backend.start(stack)
            await IMAPService(backend, config).start(stack)
            self._ready.set()
            await self._stopping.wait()

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(timeout=5)
        self._thread = None

    def __enter__(self) -> "DemoImapServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put one message into the user's folder (IMAP APPEND over loopback)."""
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            client.login(self.user, self.password)
            status, detail = client.append(folder, None, None, raw)
            if status != "OK":
                raise RuntimeError(f"APPEND failed: {detail!r}")
        finally:
            with contextlib.suppress(Exception):
                client.logout()
