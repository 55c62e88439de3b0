"""SmtpSender against a real aiosmtpd server: delivery, outages and refusals."""

from __future__ import annotations

import ssl
import subprocess

import pytest

from bridge.core.errors import PermanentError, TransientError
from mailer.smtp import SmtpSender
from standins.smtp_sink import SmtpSink, find_free_port

MESSAGE = (b"From: bridge@adm.example\r\nTo: zhkh@adm.example\r\n"
           b"Subject: [OKH-2026-00001] test\r\n\r\n\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\r\n")


def sender_for(sink: SmtpSink, **kwargs) -> SmtpSender:
    options = {"security": "none", "user": None, "password": None, "timeout": 5} | kwargs
    return SmtpSender(sink.host, sink.port, **options)


def test_send_delivers_bytes_and_envelope(smtp_sink):
    sender_for(smtp_sink).send("bridge@adm.example", ["zhkh@adm.example", "b@adm.example"],
                               MESSAGE)
    assert len(smtp_sink.messages) == 1
    mail_from, rcpts, content = smtp_sink.messages[0]
    assert mail_from == "bridge@adm.example"
    assert rcpts == ["zhkh@adm.example", "b@adm.example"]
    assert content.replace(b"\r\n", b"\n") == MESSAGE.replace(b"\r\n", b"\n")
    saved = sorted(smtp_sink.folder.glob("*.eml"))
    assert len(saved) == 1 and saved[0].read_bytes() == content


def test_451_on_data_is_transient_and_next_try_succeeds(smtp_sink):
    smtp_sink.fail_next(1, code=451)
    sender = sender_for(smtp_sink)
    with pytest.raises(TransientError):
        sender.send("bridge@adm.example", ["zhkh@adm.example"], MESSAGE)
    assert smtp_sink.messages == []
    sender.send("bridge@adm.example", ["zhkh@adm.example"], MESSAGE)
    assert len(smtp_sink.messages) == 1


def test_550_recipient_is_permanent_and_names_the_address(smtp_sink):
    smtp_sink.reject_recipient("nobody@adm.example")
    with pytest.raises(PermanentError, match="nobody@adm.example") as caught:
        sender_for(smtp_sink).send("bridge@adm.example", ["nobody@adm.example"], MESSAGE)
    assert "отклонил адрес" in str(caught.value)


def test_partial_refusal_is_permanent_and_others_still_receive(smtp_sink):
    smtp_sink.reject_recipient("gone@adm.example")
    with pytest.raises(PermanentError, match="gone@adm.example"):
        sender_for(smtp_sink).send("bridge@adm.example",
                                   ["zhkh@adm.example", "gone@adm.example"], MESSAGE)
    assert [m[1] for m in smtp_sink.messages] == [["zhkh@adm.example"]]


def test_451_on_rcpt_is_transient(smtp_sink):
    smtp_sink.fail_next(1, code=451, stage="rcpt")
    with pytest.raises(TransientError):
        sender_for(smtp_sink).send("bridge@adm.example", ["zhkh@adm.example"], MESSAGE)


def test_550_on_data_is_permanent(smtp_sink):
    smtp_sink.fail_next(1, code=554)
    with pytest.raises(PermanentError):
        sender_for(smtp_sink).send("bridge@adm.example", ["zhkh@adm.example"], MESSAGE)


def test_connection_refused_is_transient():
    sender = SmtpSender("127.0.0.1", find_free_port(), "none", None, None, timeout=2)
    with pytest.raises(TransientError):
        sender.send("bridge@adm.example", ["zhkh@adm.example"], MESSAGE)
    with pytest.raises(TransientError):
        sender.check()


def test_auth_success_and_wrong_password(tmp_path):
    with SmtpSink(tmp_path, credentials={"bridge": "right"}) as sink:
        sender_for(sink, user="bridge", password="right").check()
        sender_for(sink, user="bridge", password="right").send(
            "bridge@adm.example", ["zhkh@adm.example"], MESSAGE)
        assert len(sink.messages) == 1
        with pytest.raises(PermanentError, match="bridge"):
            sender_for(sink, user="bridge", password="wrong").check()


def make_certificate(folder) -> tuple[str, str]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return str(cert), str(key)


def test_starttls_with_verified_certificate(tmp_path):
    cert, key = make_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    sink = SmtpSink(tmp_path / "sent", tls_context=server_context).start()
    port = sink.port
    try:
        client_context = ssl.create_default_context(cafile=cert)
        SmtpSender("127.0.0.1", port, "starttls", None, None, timeout=5,
                   ssl_context=client_context).send("a@b.example", ["c@d.example"], MESSAGE)
        assert len(sink.messages) == 1
        with pytest.raises(PermanentError, match="сертификат"):
            SmtpSender("127.0.0.1", port, "starttls", None, None, timeout=5).check()
        with pytest.raises(PermanentError):
            SmtpSender("127.0.0.1", port, "none", None, None, timeout=5).send(
                "a@b.example", ["c@d.example"], MESSAGE)
    finally:
        sink.stop()
