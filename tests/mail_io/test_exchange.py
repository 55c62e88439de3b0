"""EwsMailbox and EwsSender against the local fake EWS endpoint (real exchangelib requests)."""

from __future__ import annotations

import pytest

from bridge.core.errors import ConfigError, PermanentError, TransientError
from mailer.exchange import EwsMailbox, EwsSender
from standins.ews_server import FakeEwsServer
from tests.mail_io.mails import make_mail, message_id_of


@pytest.fixture
def ews():
    with FakeEwsServer() as server:
        yield server


def open_mailbox(server: FakeEwsServer, password: str | None = None) -> EwsMailbox:
    return EwsMailbox(server.url, server.user, password or server.password,
                      auth_type="basic", server_version="2016", timeout=10)


def test_fetch_new_is_incremental_and_state_survives_restart(ews):
    for number in range(3):
        ews.deliver(make_mail(number))
    mails, state = open_mailbox(ews).fetch_new(None)
    assert [message_id_of(m.raw) for m in mails] == [f"<test-{n}@dept.example>" for n in range(3)]
    restarted = open_mailbox(ews)
    saved = state
    assert restarted.fetch_new(saved)[0] == []
    ews.deliver(make_mail(7))
    ews.deliver(make_mail(7))
    new, _ = restarted.fetch_new(saved)
    assert [message_id_of(m.raw) for m in new] == ["<test-7@dept.example>"] * 2


def test_burst_larger_than_one_sync_page(ews):
    for number in range(250):
        ews.deliver(make_mail(number))
    mails, _ = open_mailbox(ews).fetch_new(None)
    assert len({m.uid for m in mails}) == 250
    assert ews.data.requests.count("SyncFolderItems") == 3


def test_mark_processed_and_lost_sync_state_rereads_only_unprocessed(ews):
    for number in range(3):
        ews.deliver(make_mail(number))
    mailbox = open_mailbox(ews)
    mails, state = mailbox.fetch_new(None)
    mailbox.mark_processed([mails[0].uid, mails[2].uid])
    marked = [(item.is_read, item.categories) for item in ews.data.items]
    assert marked == [(True, ["Отклик"]), (False, []), (True, ["Отклик"])]
    ews.recreate_mailbox()
    again, new_state = mailbox.fetch_new(state)
    assert [message_id_of(m.raw) for m in again] == ["<test-1@dept.example>"]
    assert new_state != state
    assert mailbox.fetch_new(new_state)[0] == []


def test_sender_posts_the_raw_mime(ews):
    raw = make_mail(42)
    EwsSender(ews.url, ews.user, ews.password, auth_type="basic",
              server_version="2016").send("bridge@adm.example", ["zhkh@dept.example"], raw)
    assert ews.sent == [raw]
    assert "CreateItem" in ews.data.requests


def test_wrong_password_is_permanent_and_server_down_transient(ews):
    with pytest.raises(PermanentError, match=ews.user):
        open_mailbox(ews, password="wrong").check()
    open_mailbox(ews).check()
    mailbox = open_mailbox(ews)
    url = ews.url
    ews.stop()
    with pytest.raises(TransientError):
        EwsMailbox(url, "u@adm.example", "p", auth_type="basic",
                   server_version="2016").fetch_new(None)
    with pytest.raises(TransientError):
        mailbox.fetch_new(None)


def test_login_without_address_is_a_config_error(ews):
    with pytest.raises(ConfigError):
        EwsMailbox(ews.url, "ADM\\bridge", "p", auth_type="basic").check()
