"""Fixtures of the fault suite, imported from the suites that own them (never copied): a private
Dovecot and an SMTP sink (tests/servers), and the wired channel stand (tests/e2e_channels)."""

from __future__ import annotations

from tests.e2e_channels.conftest import mailboxes, stand  # noqa: F401
from tests.servers.dovecot import dovecot  # noqa: F401
from tests.servers.smtp import smtp_sink  # noqa: F401
