"""What every local stand-in of a social network shares: an HTTP server on 127.0.0.1 with a free
port, started and stopped by the test or the demo (`with FakeVk() as vk: …`), restartable on the
same port (`restart()`, a server that went away and came back), with one JSON/bytes answer helper.
The stand-ins share this plumbing only; what each API accepts and answers lives in its own module,
written from that API's documentation (never from Otklik's clients)."""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_REQUEST = 64 * 1024 * 1024   # bigger bodies are refused with 413, as any front server would


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A client that hangs up mid-answer (it refused a file too big to take) is no error."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class LoopbackStand:
    """Subclasses say how requests are handled in `handler_class()`."""

    _server: ThreadingHTTPServer | None = None
    _port: int = 0

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def start(self):
        self._server = _Server(("127.0.0.1", self._port), self.handler_class())
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def restart(self) -> None:
        """Go away and come back on the same port (state kept, as a server's disk would)."""
        self.stop()
        _Server.allow_reuse_address = True
        self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"


class QuietHandler(BaseHTTPRequestHandler):
    """No request lines in the test output (they would carry tokens)."""

    def log_message(self, *args) -> None:
        pass

    def read_body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST:
            self.answer(413, b"Request Entity Too Large", "text/plain")
            return None
        return self.rfile.read(length)

    def answer_json(self, status: int, payload) -> None:
        try:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:   # a lone surrogate: JSON's \uXXXX escape keeps the bytes valid
            data = json.dumps(payload, ensure_ascii=True).encode("ascii")
        self.answer(status, data, "application/json; charset=utf-8")

    def answer(self, status: int, data: bytes, ctype: str = "application/octet-stream") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@dataclass(frozen=True)
class Upload:
    """One file of a multipart/form-data body (RFC 7578): its field's file name and bytes."""
    filename: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def parse_multipart(raw: bytes, ctype: str) -> dict[str, str | Upload]:
    """The fields of a multipart/form-data body: text as str, a part with a file name as Upload.
    Raises ValueError for a body that is not multipart (no boundary)."""
    if "boundary=" not in ctype:
        raise ValueError("multipart body without a boundary")
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + raw)
    fields: dict[str, str | Upload] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        fields[str(name)] = Upload(filename, payload) if filename is not None else payload.decode("utf-8", "replace")
    return fields
