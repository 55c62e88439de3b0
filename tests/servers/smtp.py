"""The `smtp_sink` fixture: a local aiosmtpd server that keeps every message it accepts."""

from __future__ import annotations

import pytest

from standins.smtp_sink import SmtpSink


@pytest.fixture
def smtp_sink(tmp_path):
    """A running SmtpSink saving .eml files under tmp_path/'sent'; stopped afterwards."""
    sink = SmtpSink(tmp_path / "sent")
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()
