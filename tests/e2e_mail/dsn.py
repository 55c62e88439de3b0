"""A delivery status notification (RFC 3464) as a mail server writes it for a refused case mail."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime, make_msgid

from tests.e2e_mail.loop import BRIDGE_ADDRESS, parse

DSN = """\
From: MAILER-DAEMON@mx.adm-okha.ru
To: {to}
Subject: Undelivered Mail Returned to Sender
Message-ID: {msgid}
Date: {date}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dsn-boundary"

--dsn-boundary
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.adm-okha.ru.
Your message could not be delivered to <{failed}>: mailbox unavailable.

--dsn-boundary
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.adm-okha.ru

Final-Recipient: rfc822; {failed}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{failed}>: user unknown

--dsn-boundary
Content-Type: text/rfc822-headers

Message-ID: {original_id}
From: {to}
To: {failed}

--dsn-boundary--
"""


def bounce_for(original_raw: bytes, failed: str) -> bytes:
    """MAILER-DAEMON's report that `failed` did not get `original_raw`."""
    text = DSN.format(to=BRIDGE_ADDRESS, failed=failed, msgid=make_msgid(domain="mx.adm-okha.ru"),
                      date=format_datetime(datetime.now(timezone.utc)),
                      original_id=parse(original_raw)["Message-ID"])
    return text.replace("\n", "\r\n").encode("ascii")
