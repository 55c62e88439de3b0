"""Sending mail over SMTP: the only module that imports smtplib.

`SmtpSender._connect` is the one seam that opens (and authenticates) a connection; every
smtplib/socket error is translated in `translate_smtp_errors` into TransientError (the outbox
retries later, §8) or PermanentError (a person must fix an address or the password).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from typing import Iterator

from bridge.core.errors import ConfigError, PermanentError, TransientError
from mailer.addresses import ascii_domain

SECURITY_MODES = ("ssl", "starttls", "none")


def is_transient_code(code: int) -> bool:
    """RFC 5321 §4.2.1: 4yz is a transient negative reply, 5yz a permanent one."""
    return 400 <= code < 500


def describe_reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def translate_refused(refused: dict[str, tuple[int, bytes]], delivered_any: bool) -> Exception:
    """Recipients the server refused → one error naming every address."""
    listed = "; ".join(f"{addr} ({describe_reply(*reply)})" for addr, reply in refused.items())
    all_transient = all(is_transient_code(code) for code, _ in refused.values())
    if all_transient and not delivered_any:
        return TransientError(f"Почтовый сервер временно не принимает адреса: {listed}")
    prefix = "Письмо доставлено не всем получателям. " if delivered_any else ""
    return PermanentError(f"{prefix}Почтовый сервер отклонил адрес получателя: {listed}. "
                          "Проверьте адрес в настройках отдела.")


@contextlib.contextmanager
def translate_smtp_errors(server: str, user: str | None, from_addr: str = "") -> Iterator[None]:
    """The one place where smtplib and socket errors become Otklik errors."""
    try:
        yield
    except smtplib.SMTPRecipientsRefused as error:
        raise translate_refused(error.recipients, delivered_any=False) from error
    except smtplib.SMTPAuthenticationError as error:
        if is_transient_code(error.smtp_code):
            raise TransientError(f"SMTP {server}: вход временно невозможен "
                                 f"({describe_reply(error.smtp_code, error.smtp_error)})") from error
        raise PermanentError(f"SMTP {server}: сервер отклонил логин или пароль пользователя "
                             f"{user} ({describe_reply(error.smtp_code, error.smtp_error)})") from error
    except smtplib.SMTPSenderRefused as error:
        reply = describe_reply(error.smtp_code, error.smtp_error)
        if is_transient_code(error.smtp_code):
            raise TransientError(f"SMTP {server}: отправитель {from_addr} временно не принят "
                                 f"({reply})") from error
        raise PermanentError(f"SMTP {server}: сервер отклонил адрес отправителя {from_addr} "
                             f"({reply})") from error
    except smtplib.SMTPNotSupportedError as error:
        raise PermanentError(f"SMTP {server}: сервер не поддерживает нужную команду ({error}); "
                             "проверьте smtp_security и smtp_port") from error
    except smtplib.SMTPServerDisconnected as error:
        raise TransientError(f"SMTP {server}: соединение разорвано ({error})") from error
    except smtplib.SMTPResponseException as error:
        reply = describe_reply(error.smtp_code, error.smtp_error)
        if is_transient_code(error.smtp_code):
            raise TransientError(f"SMTP {server}: временная ошибка ({reply})") from error
        raise PermanentError(f"SMTP {server}: сервер отклонил письмо ({reply})") from error
    except ssl.SSLCertVerificationError as error:
        raise PermanentError(f"SMTP {server}: сертификат сервера не прошёл проверку "
                             f"({error.verify_message})") from error
    except UnicodeError as error:
        raise PermanentError(f"SMTP {server}: адрес или заголовок письма содержит символы, которые нельзя "
                             "передать серверу; проверьте адреса в справочнике отделов") from error
    except (smtplib.SMTPException, OSError) as error:
        # Refused connection, timeout, DNS failure, broken TLS: the server may come back.
        raise TransientError(f"SMTP {server}: сервер недоступен ({error})") from error


class SmtpSender:
    """Sends ready MIME bytes; one connection per call (the outbox sends rarely)."""

    def __init__(self, host: str, port: int, security: str, user: str | None,
                 password: str | None, timeout: float = 30,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        if security not in SECURITY_MODES:
            raise ConfigError(f"smtp_security должен быть одним из {SECURITY_MODES}, "
                              f"а не «{security}»")
        self.host, self.port, self.security = host, port, security
        self.user, self.password, self.timeout = user, password, timeout
        self.ssl_context = ssl_context

    @property
    def server_name(self) -> str:
        return f"{self.host}:{self.port}"

    def _connect(self) -> smtplib.SMTP:
        """The seam: open, secure and authenticate one SMTP connection."""
        if self.security != "none" and self.ssl_context is None:   # built once, only for TLS
            self.ssl_context = ssl.create_default_context()
        context = self.ssl_context
        if self.security == "ssl":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            client.ehlo()
            if self.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if self.user:
                client.login(self.user, self.password or "")
        except BaseException:
            client.close()
            raise
        return client

    def send(self, from_addr: str, to_addrs: list[str], message: bytes) -> None:
        """Send `message` as is; raises TransientError or PermanentError on failure.

        A Cyrillic domain (`отдел@администрация-охи.рф`) travels as its ASCII form (IDNA,
        `xn--…`), as every server accepts; Cyrillic before «@» needs the server's SMTPUTF8
        (RFC 6531), and without it the mail is refused here with the reason, never retried."""
        if not to_addrs:
            raise PermanentError("Письмо без получателей: укажите адрес отдела")
        envelope = [ascii_domain(address) for address in to_addrs]
        international = [a for a in envelope if not a.isascii()]
        with translate_smtp_errors(self.server_name, self.user, from_addr):
            client = self._connect()
            try:
                options = []
                if international:
                    if not client.has_extn("smtputf8"):
                        raise PermanentError(
                            f"адрес «{international[0]}» содержит русские буквы до «@», а почтовый сервер "
                            f"{self.server_name} такие адреса не принимает (нет SMTPUTF8): укажите адрес "
                            "латиницей в справочнике отделов")
                    options = ["SMTPUTF8"]
                refused = client.sendmail(ascii_domain(from_addr), envelope, message, mail_options=options)
            finally:
                close_quietly(client)
        if refused:
            raise translate_refused(refused, delivered_any=True)

    def supports_smtputf8(self) -> bool:
        """Does the server take Cyrillic before «@» (RFC 6531)? For `check-config`."""
        with translate_smtp_errors(self.server_name, self.user):
            client = self._connect()
            try:
                return bool(client.has_extn("smtputf8"))
            finally:
                close_quietly(client)

    def check(self) -> None:
        """Connect, authenticate and quit (for `check-config`)."""
        with translate_smtp_errors(self.server_name, self.user):
            close_quietly(self._connect())


def close_quietly(client: smtplib.SMTP) -> None:
    """QUIT after the work is done; a failing QUIT must not turn a sent mail into an error."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
