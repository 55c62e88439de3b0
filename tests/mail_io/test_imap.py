"""ImapMailbox against a private Dovecot: incremental reading, restarts, IDLE, drops, bursts."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from imapclient import IMAPClient

from bridge.core.errors import PermanentError, TransientError
from mailer.imap import ImapMailbox, MailboxState
from mailer.mailbox import FetchedMail
from tests.mail_io.mails import make_mail, message_id_of

BRIDGE = "bridge@adm.example"


@pytest.fixture
def user(dovecot):
    return dovecot.add_user(BRIDGE, "pass-1")


def open_mailbox(dovecot, **kwargs) -> ImapMailbox:
    return ImapMailbox(dovecot.host, dovecot.port, "none", BRIDGE, "pass-1", timeout=10, **kwargs)


def admin_client(dovecot) -> IMAPClient:
    client = IMAPClient(dovecot.host, dovecot.port, ssl=False, timeout=10)
    client.login(BRIDGE, "pass-1")
    return client


def ids(mails: list[FetchedMail]) -> list[str]:
    return [message_id_of(mail.raw) for mail in mails]


def test_fetch_new_reads_each_mail_once_and_state_survives_restart(dovecot, user):
    dovecot.deliver_many([make_mail(1), make_mail(2)], user)
    mailbox = open_mailbox(dovecot)
    mails, state = mailbox.fetch_new(None)
    assert ids(mails) == ["<test-1@dept.example>", "<test-2@dept.example>"]
    assert MailboxState.from_json(state).last_uid == max(mail.uid for mail in mails)
    assert mailbox.fetch_new(state) == ([], state)
    mailbox.close()

    saved = state
    dovecot.deliver(make_mail(3), user)
    restarted = open_mailbox(dovecot)
    mails, state2 = restarted.fetch_new(saved)
    assert ids(mails) == ["<test-3@dept.example>"]
    assert MailboxState.from_json(state2) == MailboxState(MailboxState.from_json(state).uidvalidity, mails[0].uid)
    restarted.close()


def test_fetch_uses_peek_and_flag_mode_marks_seen_and_keyword(dovecot, user):
    dovecot.deliver_many([make_mail(1), make_mail(2)], user)
    mailbox = open_mailbox(dovecot)
    mails, _ = mailbox.fetch_new(None)
    with admin_client(dovecot) as client:
        client.select_folder("INBOX")
        assert all(b"\\Seen" not in flags for flags in client.get_flags([m.uid for m in mails]).values())
    mailbox.mark_processed([mails[0].uid])
    with admin_client(dovecot) as client:
        client.select_folder("INBOX")
        flags = client.get_flags([m.uid for m in mails])
        assert set(flags[mails[0].uid]) >= {b"\\Seen", b"$Otklik"}
        assert b"$Otklik" not in flags[mails[1].uid]
    # Without a state (lost or first start) only the unprocessed mail is read again.
    again, state = open_mailbox(dovecot).fetch_new(None)
    assert ids(again) == ["<test-2@dept.example>"]
    assert MailboxState.from_json(state).last_uid == mails[1].uid


def test_processed_folder_receives_moved_mail(dovecot, user):
    dovecot.deliver_many([make_mail(1), make_mail(2), make_mail(3)], user)
    mailbox = open_mailbox(dovecot, processed_folder="Обработано")
    mails, _ = mailbox.fetch_new(None)
    mailbox.mark_processed([mails[0].uid, mails[2].uid])
    with admin_client(dovecot) as client:
        assert client.select_folder("Обработано")[b"EXISTS"] == 2
        assert client.select_folder("INBOX")[b"EXISTS"] == 1
    again, _ = open_mailbox(dovecot, processed_folder="Обработано").fetch_new(None)
    assert ids(again) == ["<test-2@dept.example>"]


def test_duplicate_message_id_is_returned_twice(dovecot, user):
    dovecot.deliver_many([make_mail(7), make_mail(7)], user)
    mails, _ = open_mailbox(dovecot).fetch_new(None)
    assert ids(mails) == ["<test-7@dept.example>"] * 2
    assert mails[0].uid != mails[1].uid


def test_burst_of_500_in_batches(dovecot, user):
    dovecot.deliver_many([make_mail(n) for n in range(500)], user)
    mailbox = open_mailbox(dovecot)
    mails, state = mailbox.fetch_new(None)
    assert sorted(ids(mails)) == sorted(f"<test-{n}@dept.example>" for n in range(500))
    assert MailboxState.from_json(state).last_uid == 500
    mailbox.mark_processed([mail.uid for mail in mails])
    assert open_mailbox(dovecot).fetch_new(None)[0] == []


def test_max_messages_limits_one_call_and_the_rest_follows(dovecot, user):
    dovecot.deliver_many([make_mail(n) for n in range(5)], user)
    mailbox = open_mailbox(dovecot, max_messages=3)
    first, state = mailbox.fetch_new(None)
    second, state = mailbox.fetch_new(state)
    assert len(first) == 3 and len(second) == 2
    assert sorted(ids(first + second)) == sorted(f"<test-{n}@dept.example>" for n in range(5))


def test_uidvalidity_change_rereads_unprocessed_mail(dovecot, user):
    with admin_client(dovecot) as client:
        client.create_folder("Отклик")
        client.append("Отклик", make_mail(1))
    mailbox = open_mailbox(dovecot, folder="Отклик")
    mails, state = mailbox.fetch_new(None)
    assert ids(mails) == ["<test-1@dept.example>"]
    mailbox.close()
    with admin_client(dovecot) as client:
        client.delete_folder("Отклик")
        client.create_folder("Отклик")
        client.append("Отклик", make_mail(1))
        client.append("Отклик", make_mail(2))
    dovecot.doveadm("mailbox", "update", "-u", BRIDGE, "--uid-validity",
                    str(MailboxState.from_json(state).uidvalidity + 7), "Отклик")
    mails, new_state = mailbox.fetch_new(state)
    assert MailboxState.from_json(new_state).uidvalidity == MailboxState.from_json(state).uidvalidity + 7
    assert ids(mails) == ["<test-1@dept.example>", "<test-2@dept.example>"]


def test_idle_push_wakes_wait_for_change(dovecot, user):
    mailbox = open_mailbox(dovecot)
    _, state = mailbox.fetch_new(None)
    assert mailbox.wait_for_change(0.3) is False
    timer = threading.Timer(0.3, dovecot.deliver, args=(make_mail(1), user))
    timer.start()
    started = time.monotonic()
    assert mailbox.wait_for_change(10) is True
    assert time.monotonic() - started < 5
    timer.join()
    mails, _ = mailbox.fetch_new(state)
    assert ids(mails) == ["<test-1@dept.example>"]


def test_mail_arriving_between_fetch_and_wait_is_not_missed(dovecot, user):
    mailbox = open_mailbox(dovecot)
    _, state = mailbox.fetch_new(None)
    dovecot.deliver(make_mail(1), user)
    started = time.monotonic()
    assert mailbox.wait_for_change(10) is True
    assert time.monotonic() - started < 1


class NoIdleMailbox(ImapMailbox):
    """A server without IDLE, made through the connection seam."""

    def _connect(self):
        client = super()._connect()
        real = client.capabilities
        client.capabilities = lambda: tuple(c for c in real() if c != b"IDLE")
        return client


def test_polling_without_idle_sees_new_mail(dovecot, user, monkeypatch):
    monkeypatch.setattr("mailer.imap.POLL_INTERVAL", 0.1)
    mailbox = NoIdleMailbox(dovecot.host, dovecot.port, "none", BRIDGE, "pass-1", timeout=10)
    mailbox.fetch_new(None)
    assert mailbox.wait_for_change(0.3) is False
    timer = threading.Timer(0.2, dovecot.deliver, args=(make_mail(1), user))
    timer.start()
    assert mailbox.wait_for_change(10) is True
    timer.join()


class KickedMidFetchMailbox(ImapMailbox):
    """The connection drops before the second FETCH batch, once. The socket is shut down under the
    client rather than by `doveadm kick`, whose effect is asynchronous: on a loaded machine the
    FETCH could complete before the server closed the connection."""

    def __init__(self, dovecot, **kwargs):
        super().__init__(dovecot.host, dovecot.port, "none", BRIDGE, "pass-1", timeout=10)
        self.dovecot, self.connects, self.kicked = dovecot, 0, False

    def _connect(self):
        self.connects += 1
        client = super()._connect()
        real_fetch = client.fetch

        def fetch(uids, parts):
            if uids[0] > 100 and not self.kicked:
                self.kicked = True
                client.socket().shutdown(socket.SHUT_RDWR)
            return real_fetch(uids, parts)
        client.fetch = fetch
        return client


def test_connection_dropped_mid_fetch_reconnects_and_loses_nothing(dovecot, user):
    dovecot.deliver_many([make_mail(n) for n in range(250)], user)
    mailbox = KickedMidFetchMailbox(dovecot)
    mails, state = mailbox.fetch_new(None)
    assert mailbox.kicked and mailbox.connects == 2
    assert sorted(ids(mails)) == sorted(f"<test-{n}@dept.example>" for n in range(250))
    assert len({mail.uid for mail in mails}) == 250 and MailboxState.from_json(state).last_uid == 250


def test_socket_closed_under_the_client_between_calls(dovecot, user):
    mailbox = open_mailbox(dovecot)
    _, state = mailbox.fetch_new(None)
    mailbox._client.socket().close()
    dovecot.deliver(make_mail(1), user)
    mails, _ = mailbox.fetch_new(state)
    assert ids(mails) == ["<test-1@dept.example>"]


def test_server_down_is_transient_and_wrong_password_permanent(dovecot, user):
    with pytest.raises(PermanentError, match=BRIDGE):
        ImapMailbox(dovecot.host, dovecot.port, "none", BRIDGE, "wrong", timeout=5).check()
    with pytest.raises(PermanentError):
        open_mailbox(dovecot, folder="НетТакой").fetch_new(None)
    open_mailbox(dovecot).check()
    mailbox = open_mailbox(dovecot)
    mailbox.fetch_new(None)
    dovecot.stop()
    with pytest.raises(TransientError):
        mailbox.fetch_new(None)
    with pytest.raises(TransientError):
        mailbox.wait_for_change(1)
