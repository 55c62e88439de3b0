"""Citizens' files are fetched streamed and never past the size limit (SPEC §8, huge attachments)."""

from __future__ import annotations

import pytest
import requests

from bridge.channels.base import FileTooBig, get_file
from bridge.core.errors import PermanentError, TransientError
from standins.http_stand import LoopbackStand, QuietHandler

MB = 1024 * 1024


class Unsized(LoopbackStand):
    """A file server that sends no Content-Length (the body ends when the connection closes)."""

    def __init__(self, body: bytes, status: int = 200):
        self.body, self.status, self.sent = body, status, 0

    def handler_class(self):
        stand = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                self.send_response(stand.status)
                self.end_headers()
                for start in range(0, len(stand.body), 64 * 1024):
                    try:
                        self.wfile.write(stand.body[start:start + 64 * 1024])
                    except (BrokenPipeError, ConnectionResetError):
                        return
                    stand.sent += 64 * 1024
        return Handler


def test_a_file_without_a_declared_size_is_cut_at_the_limit():
    with Unsized(b"x" * (8 * MB)) as server:
        with pytest.raises(FileTooBig) as caught:
            get_file("VK", requests.Session(), server.base_url + "/f", "big.pdf", limit=MB)
    assert caught.value.size <= MB + 64 * 1024 and "больше 1 МБ" in str(caught.value)


def test_a_file_within_the_limit_comes_whole():
    with Unsized(b"abc" * 1000) as server:
        assert get_file("VK", requests.Session(), server.base_url + "/f", "a.txt", limit=MB) == b"abc" * 1000


@pytest.mark.parametrize("status, error", [(404, PermanentError), (503, TransientError)])
def test_a_server_error_is_said_by_its_kind(status, error):
    with Unsized(b"", status) as server:
        with pytest.raises(error):
            get_file("OK", requests.Session(), server.base_url + "/f", "a.jpg", limit=MB)
