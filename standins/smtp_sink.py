"""A local SMTP server that accepts every message and keeps it (aiosmtpd on 127.0.0.1).

The demo sends its case mail here; tests read `.messages` and can inject outages with
`fail_next` (e.g. 451 for "try later") or refuse chosen recipients with `reject_recipient`.
"""

from __future__ import annotations

import itertools
import socket
import ssl
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

STAGES = ("mail", "rcpt", "data")


def find_free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _SinkHandler:
    """aiosmtpd handler: the fault table first, then store the message."""

    def __init__(self, sink: "SmtpSink") -> None:
        self.sink = sink

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = self.sink.take_fault("mail")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.sink.take_fault("rcpt") or self.sink.rejection_for(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.sink.take_fault("data")
        if reply:
            return reply
        self.sink.store(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        return "250 Message accepted for delivery"


class SmtpSink:
    """Start with `start()`; every accepted message lands in `.messages` and in `folder`."""

    host = "127.0.0.1"

    def __init__(self, folder: Path | str | None = None,
                 credentials: dict[str, str] | None = None,
                 tls_context: ssl.SSLContext | None = None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.credentials = credentials
        self.tls_context = tls_context
        self.port = 0
        self.messages: list[tuple[str, list[str], bytes]] = []
        self._faults: list[tuple[str, str]] = []
        self._rejected: dict[str, str] = {}
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._controller: Controller | None = None

    def start(self) -> "SmtpSink":
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        self.port = find_free_port()
        extra: dict = {}
        if self.credentials is not None:
            # smtplib retries a refused PLAIN with LOGIN, which aiosmtpd 1.4 answers with a
            # stall; offering PLAIN only keeps a wrong password a quick 535.
            extra |= {"authenticator": self._authenticate, "auth_required": True,
                      "auth_exclude_mechanism": ["LOGIN"],
                      "auth_require_tls": self.tls_context is not None}
        if self.tls_context is not None:
            extra |= {"tls_context": self.tls_context, "require_starttls": True}
        self._controller = Controller(_SinkHandler(self), hostname=self.host, port=self.port,
                                      **extra)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "SmtpSink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def fail_next(self, count: int = 1, code: int = 451, stage: str = "data") -> None:
        """Answer the next `count` commands of `stage` (mail|rcpt|data) with `code`."""
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}")
        reply = f"{code} {'4.3.0 Try again later' if code < 500 else '5.0.0 Refused'}"
        with self._lock:
            self._faults.extend([(stage, reply)] * count)

    def reject_recipient(self, address: str, code: int = 550) -> None:
        """Refuse RCPT TO for `address` every time (a mailbox that does not exist)."""
        self._rejected[address.lower()] = f"{code} 5.1.1 <{address}>: user unknown"

    def take_fault(self, stage: str) -> str | None:
        with self._lock:
            for index, (fault_stage, reply) in enumerate(self._faults):
                if fault_stage == stage:
                    del self._faults[index]
                    return reply
        return None

    def rejection_for(self, address: str) -> str | None:
        return self._rejected.get(address.lower())

    def store(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> None:
        with self._lock:
            self.messages.append((mail_from, rcpt_tos, content))
            number = next(self._counter)
        if self.folder is not None:
            (self.folder / f"{number:05d}.eml").write_bytes(content)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and self.credentials.get(auth_data.login.decode()) == auth_data.password.decode())
        return AuthResult(success=ok, handled=False)
