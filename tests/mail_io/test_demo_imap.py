"""The demo's pure-Python IMAP server (pymap) serves ImapMailbox like a real server does."""

from __future__ import annotations

import threading
import time

import pytest

from bridge.core.errors import PermanentError
from mailer.imap import ImapMailbox
from standins.imap_server import DemoImapServer
from tests.mail_io.mails import make_mail, message_id_of


@pytest.fixture
def demo_imap():
    with DemoImapServer() as server:
        yield server


def open_mailbox(server: DemoImapServer, **kwargs) -> ImapMailbox:
    return ImapMailbox(server.host, server.port, "none", server.user, server.password,
                       timeout=10, **kwargs)


def test_fetch_mark_and_idle_on_the_demo_server(demo_imap):
    demo_imap.deliver(make_mail(1))
    demo_imap.deliver(make_mail(2))
    mailbox = open_mailbox(demo_imap)
    mails, state = mailbox.fetch_new(None)
    assert [message_id_of(m.raw) for m in mails] == ["<test-1@dept.example>",
                                                     "<test-2@dept.example>"]
    mailbox.mark_processed([mails[0].uid])
    # pymap keeps no keywords, so \Seen alone marks what was processed.
    unprocessed, _ = open_mailbox(demo_imap).fetch_new(None)
    assert [m.uid for m in unprocessed] == [mails[1].uid]

    timer = threading.Timer(0.2, demo_imap.deliver, args=(make_mail(3),))
    timer.start()
    started = time.monotonic()
    assert mailbox.wait_for_change(10) is True
    assert time.monotonic() - started < 5
    timer.join()
    new, _ = mailbox.fetch_new(state)
    assert [message_id_of(m.raw) for m in new] == ["<test-3@dept.example>"]
    mailbox.close()


def test_processed_folder_and_login_check_on_the_demo_server(demo_imap):
    demo_imap.deliver(make_mail(1))
    mailbox = open_mailbox(demo_imap, processed_folder="Обработано")
    mails, _ = mailbox.fetch_new(None)
    mailbox.mark_processed([m.uid for m in mails])
    assert mailbox.fetch_new(None)[0] == []
    assert len(open_mailbox(demo_imap, folder="Обработано").fetch_new(None)[0]) == 1
    open_mailbox(demo_imap).check()
    with pytest.raises(PermanentError):
        ImapMailbox(demo_imap.host, demo_imap.port, "none", demo_imap.user, "wrong",
                    timeout=5).check()
