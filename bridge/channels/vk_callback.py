"""The VK Callback API endpoint (the `vk.mode = "callback"` alternative to long polling).

VK POSTs each event once and wants "ok" within seconds. We check the secret, append the event
to a journal file (one JSON line, flushed to disk) and only then answer "ok", so a crash after
answering loses nothing; `fetch` reads the journal from the caller's cursor (a line count).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20


def handle_callback(body: dict, confirmation: str, secret: str) -> tuple[int, str]:
    """What to answer VK for one Callback API request: (HTTP status, body text).

    `confirmation` answers the server-confirmation request; any other event must carry the
    configured `secret`, or it is refused (403) and not taken in.
    """
    if not isinstance(body, dict) or "type" not in body:
        return 400, "bad request"
    if body["type"] == "confirmation":
        return 200, confirmation
    if secret and body.get("secret") != secret:
        return 403, "forbidden"
    return 200, "ok"


class CallbackJournal:
    """Append-only JSON-lines file of accepted events; the cursor is the number of lines read."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def append(self, event: dict) -> None:
        event = {k: v for k, v in event.items() if k != "secret"}
        line = json.dumps(event, ensure_ascii=False) + "\n"
        with self._lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def read(self, cursor: str | None, limit: int = 1000) -> tuple[list[dict], str]:
        start = int(cursor or 0)
        events: list[dict] = []
        if not self.path.exists():
            return events, str(start)
        with self._lock, open(self.path, encoding="utf-8") as fh:
            for number, line in enumerate(fh):
                if number < start:
                    continue
                if len(events) >= limit or not line.endswith("\n"):
                    break
                events.append(json.loads(line))
        return events, str(start + len(events))


def serve_callback(journal: CallbackJournal, host: str, port: int, confirmation: str,
                   secret: str) -> ThreadingHTTPServer:
    """Start the endpoint in a daemon thread; returns the server (its port, `shutdown()`)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # no message text in logs (152-ФЗ)
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._answer(413, "too large")
            try:
                body = json.loads(self.rfile.read(length).decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                return self._answer(400, "bad request")
            status, text = handle_callback(body, confirmation, secret)
            if status == 200 and body.get("type") != "confirmation":
                journal.append(body)
            self._answer(status, text)

        def _answer(self, status: int, text: str) -> None:
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name="vk-callback").start()
    return server
