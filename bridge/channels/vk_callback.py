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
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20
SEEN_EVENTS = 10_000   # event_ids remembered to ignore VK's repeats


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
    """Append-only JSON-lines file of accepted events; the cursor is the number of lines read.

    VK repeats an event it got no "ok" for, with the same `event_id` ("If it passed twice or
    more - you should ignore it", VK API schema callback/objects.json `callback_base`): a
    repeated id is answered "ok" and not written again."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self._order: deque[str] = deque()
        for line in self._lines():
            try:
                self._remember(str(json.loads(line).get("event_id") or ""))
            except (ValueError, AttributeError):
                continue

    def _lines(self):
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            return list(deque(fh, maxlen=SEEN_EVENTS))

    def _remember(self, event_id: str) -> None:
        if not event_id or event_id in self._seen:
            return
        self._seen.add(event_id)
        self._order.append(event_id)
        if len(self._order) > SEEN_EVENTS:
            self._seen.discard(self._order.popleft())

    def append(self, event: dict) -> bool:
        """Write the event; False when it is a repeat of one already written."""
        event = {k: v for k, v in event.items() if k != "secret"}
        line = json.dumps(event, ensure_ascii=True) + "\n"
        event_id = str(event.get("event_id") or "")
        with self._lock:
            if event_id and event_id in self._seen:
                return False
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
            self._remember(event_id)
        return True

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
                try:
                    events.append(json.loads(line))
                except ValueError:     # a torn or foreign line: the channel sets it aside
                    events.append({"type": "otklik_unreadable_line", "line": line[:10_000]})
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
