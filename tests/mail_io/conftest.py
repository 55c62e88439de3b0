"""Fixtures for the mail transport tests: real Dovecot and aiosmtpd servers on 127.0.0.1."""

from tests.servers.dovecot import dovecot  # noqa: F401
from tests.servers.smtp import smtp_sink  # noqa: F401
