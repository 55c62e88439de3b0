"""EwsMailbox and EwsSender against the local fake EWS endpoint (real exchangelib requests)."""

from __future__ import annotations

import threading
import time

import pytest

from bridge.core.errors import ConfigError, PermanentError, TransientError
from mailer.exchange import EwsMailbox, EwsSender, OAuthApp
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


# -- folders, pull notifications, OAuth (issue 11) --------------------------------------------------

def test_folder_under_the_inbox_is_read_and_processed_mail_moves_to_its_folder(ews):
    ews.make_folder("Обращения")
    ews.deliver(make_mail(1))                                   # the Inbox: not ours to read
    ews.deliver(make_mail(2), folder=ews.make_folder("Обращения"))
    mailbox = EwsMailbox(ews.url, ews.user, ews.password, auth_type="basic", server_version="2016",
                         folder="Обращения", processed_folder="Обращения/Обработано",
                         set_aside_folder="Отложено")
    mails, _ = mailbox.fetch_new(None)
    assert [message_id_of(m.raw) for m in mails] == ["<test-2@dept.example>"]
    mailbox.mark_processed([mails[0].uid])
    assert ews.folder_items("Обращения") == []
    [moved] = ews.folder_items("Обращения/Обработано")          # created on first use (CreateFolder)
    assert (moved.is_read, moved.categories) == (True, ["Отклик"])
    ews.deliver(make_mail(3), folder=ews.make_folder("Обращения"))
    mails, _ = mailbox.fetch_new(_)
    mailbox.mark_set_aside([mails[0].uid])
    assert [message_id_of(i.mime) for i in ews.folder_items("Отложено")] == ["<test-3@dept.example>"]
    assert "CreateFolder" in ews.data.requests and "MoveItem" in ews.data.requests
    assert not any(b'Traversal="Deep"' in body for body in ews.bodies)   # never the whole folder tree


def test_a_missing_folder_to_read_is_a_clear_permanent_error(ews):
    mailbox = EwsMailbox(ews.url, ews.user, ews.password, auth_type="basic", server_version="2016",
                         folder="Нет такой")
    with pytest.raises(PermanentError, match="папка не найдена"):
        mailbox.fetch_new(None)


def test_wait_for_change_uses_a_pull_subscription(ews):
    mailbox = EwsMailbox(ews.url, ews.user, ews.password, auth_type="basic", server_version="2016",
                         poll_interval=0.2)
    mailbox.fetch_new(None)
    started = time.monotonic()
    assert mailbox.wait_for_change(0.6) is False
    assert 0.5 <= time.monotonic() - started < 3
    assert ews.data.requests.count("Subscribe") == 1 and "GetEvents" in ews.data.requests
    threading.Timer(0.3, ews.deliver, [make_mail(5)]).start()
    assert mailbox.wait_for_change(5) is True
    assert ews.data.requests.count("Subscribe") == 1             # the same subscription, kept
    mailbox.fetch_new(None)
    ews.data.subscriptions.clear()                              # expired on the server's side
    assert mailbox.wait_for_change(1) is True                   # may have missed mail: look again
    assert ews.data.requests.count("Subscribe") == 2
    mailbox.close()
    assert "Unsubscribe" in ews.data.requests and not ews.data.subscriptions


@pytest.fixture
def oauth_http(monkeypatch):
    """oauthlib refuses plain http; the stand-in is http on 127.0.0.1 (production uses https)."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def oauth_mailbox(ews, secret=None):
    app = OAuthApp(ews.client_id, secret or ews.client_secret, ews.tenant, token_url=ews.token_url,
                   scope="https://outlook.office365.com/.default")
    return EwsMailbox(ews.url, "", "", ews.user, auth_type="oauth2", server_version="2016", oauth=app)


def test_oauth_client_credentials_with_impersonation(ews, oauth_http):
    ews.deliver(make_mail(9))
    mails, _ = oauth_mailbox(ews).fetch_new(None)
    assert [message_id_of(m.raw) for m in mails] == ["<test-9@dept.example>"]
    assert any(b"ExchangeImpersonation" in body for body in ews.bodies)
    with pytest.raises(PermanentError, match="invalid_client"):
        oauth_mailbox(ews, secret="wrong").check()


def test_oauth_over_plain_http_is_refused_with_a_reason(ews, monkeypatch):
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    with pytest.raises(PermanentError, match="https"):
        oauth_mailbox(ews).check()


def test_processed_folder_deleted_by_a_person_is_made_again(ews):
    mailbox = EwsMailbox(ews.url, ews.user, ews.password, auth_type="basic", server_version="2016",
                         processed_folder="Обработано")
    ews.deliver(make_mail(1))
    mails, state = mailbox.fetch_new(None)
    mailbox.mark_processed([mails[0].uid])
    ews.delete_folder("Обработано")
    ews.deliver(make_mail(2))
    mails, _ = mailbox.fetch_new(state)
    mailbox.mark_processed([mails[0].uid])
    assert [message_id_of(i.mime) for i in ews.folder_items("Обработано")] == ["<test-2@dept.example>"]


def test_the_stand_in_refuses_what_ews_and_the_token_endpoint_refuse(ews):
    import requests
    form = {"grant_type": "password", "client_id": ews.client_id, "client_secret": ews.client_secret,
            "scope": "https://outlook.office365.com/.default"}
    assert requests.post(ews.token_url, data=form, timeout=5).json()["error"] == "unsupported_grant_type"
    token = requests.post(ews.token_url, data={**form, "grant_type": "client_credentials"}, timeout=5).json()
    soap = ('<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" '
            'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Body>{}</s:Body></s:Envelope>')
    get_folder = soap.format('<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>'
                             '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')
    bearer = {"Authorization": f"Bearer {token['access_token']}", "Content-Type": "text/xml"}
    answer = requests.post(ews.url, data=get_folder.encode(), headers=bearer, timeout=5)
    assert "ErrorInvalidExchangeImpersonationHeaderData" in answer.text     # app-only: impersonation required
    unknown = requests.post(ews.url, data=soap.format("<m:FindPeople/>").encode(), auth=(ews.user, ews.password),
                            headers={"Content-Type": "text/xml"}, timeout=5)
    assert unknown.status_code == 500 and "ErrorSchemaValidation" in unknown.text
    assert requests.post(ews.url, data=get_folder.encode(), headers={"Authorization": "Bearer forged"},
                         timeout=5).status_code == 401


def test_oauth_sender_keeps_its_token_between_mails(ews, oauth_http):
    app = OAuthApp(ews.client_id, ews.client_secret, ews.tenant, token_url=ews.token_url)
    sender = EwsSender(ews.url, "", "", ews.user, auth_type="oauth2", server_version="2016", oauth=app)
    for number in range(3):
        sender.send(ews.user, ["zhkh@dept.example"], make_mail(number))
    assert len(ews.sent) == 3 and len(ews.tokens) == 1
