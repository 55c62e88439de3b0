"""`check-config` (SPEC §6): validate the configuration and try each connection.

`check_all` returns one (name, problem) pair per check, problem '' when all is well; every
failure is one clear Russian line, never a traceback. The checks, in order:

| check                  | fails when                                                       |
|------------------------|------------------------------------------------------------------|
| Настройки              | never here: a config that did not load never reaches this point  |
| Папка данных           | data_dir cannot be created or written                            |
| Журнал                 | the ledger's folder is not writable, or the workbook is open     |
| Переменная <NAME>      | a secret the configured adapters need is not in the environment  |
| SMTP / Exchange (отправка), IMAP / Exchange (получение) | login or connection fails           |
| Адреса с русскими буквами | a department address has Cyrillic before «@» and SMTP lacks SMTPUTF8 |
| Канал <page> · …       | the page cannot be built or reached, a token/right/setting lacks |
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

from bridge.config import Config
from bridge.core.errors import OtklikError
from ledger.workbook import lock_file

Check = tuple[str, str]
CHECK_TIMEOUT = 15.0     # seconds per connection: check-config must answer promptly


def check_all(config: Config) -> list[Check]:
    source = str(config.source) if config.source else "встроенная демонстрационная"
    results: list[Check] = [(f"Настройки ({source})", "")]
    results.append(("Папка данных", _writable(config.data_dir)))
    results.append(("Журнал", _ledger_problem(config.ledger)))
    results += [(f"Переменная {name}", "" if name in os.environ else f"не задана переменная окружения {name} "
                 f"({what})") for name, what in required_secrets(config)]
    if config.mail:
        exchange = config.mail.get("backend") == "exchange"
        results.append(("Exchange (отправка)" if exchange else "SMTP (отправка)", _probe(_sender, config)))
        results.append(("Exchange (получение)" if exchange else "IMAP (получение)", _probe(_mailbox, config)))
        results += _international_addresses(config)
    results += _channel_checks(config)
    return results


def _international_addresses(config: Config) -> list[Check]:
    """Cyrillic before «@» needs the SMTP server's SMTPUTF8; a Cyrillic domain alone is fine."""
    local = [e for d in config.departments for e in d.emails + d.head_emails if not e.split("@")[0].isascii()]
    if not local or config.mail.get("backend") == "exchange":
        return []
    try:
        sender = _sender(config)
        ok = sender is None or not hasattr(sender, "supports_smtputf8") or sender.supports_smtputf8()
    except Exception as exc:   # noqa: BLE001 - the SMTP line above already says what is wrong
        return [("Адреса с русскими буквами", f"не удалось проверить SMTPUTF8: {one_line(exc)}")]
    return [("Адреса с русскими буквами", "" if ok else
             f"почтовый сервер не принимает адреса с русскими буквами до «@» (нет SMTPUTF8): "
             f"{', '.join(local)} — укажите адреса латиницей")]


def required_secrets(config: Config) -> list[tuple[str, str]]:
    """(environment variable, what it is for) for every secret the configured adapters need."""
    mail, needed = config.mail, []
    if mail.get("backend") == "exchange" and mail.get("exchange_auth") == "oauth2":
        needed.append((mail.get("exchange_client_secret_env"), "секрет приложения Exchange (OAuth 2.0)"))
    elif mail.get("backend") == "exchange":
        needed.append((mail.get("exchange_password_env"), "пароль Exchange"))
    elif mail:
        needed.append((mail.get("imap_password_env"), "пароль IMAP"))
        if mail.get("smtp_user"):
            needed.append((mail.get("smtp_password_env"), "пароль SMTP"))
    for channel, section in config.channels.items():
        for key, value in section.items():
            if key.endswith("_env") and value:
                needed.append((value, f"[{channel}] {key}"))
    return [(name, what) for name, what in needed if name]


def _writable(folder: Path) -> str:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".otklik-check-"):
            pass
    except OSError as exc:
        return f"нельзя записать в папку {folder}: {exc.strerror or exc}"
    return ""


def _ledger_problem(ledger: Path) -> str:
    problem = _writable(ledger.parent)
    if problem:
        return problem
    lock = lock_file(ledger)
    if lock is not None:
        return (f"журнал {ledger.name} открыт (файл блокировки «{lock.name}»): закройте его в Excel/LibreOffice; "
                "если программа закрыта, удалите файл блокировки")
    return ""


def _sender(config: Config):
    from bridge.app import configured_sender
    return configured_sender(config)


def _mailbox(config: Config):
    from bridge.app import configured_mailbox
    return configured_mailbox(config)


def _probe(build: Callable[[Config], object], config: Config) -> str:
    """Build the adapter and call its `check()`; any failure becomes one line."""
    try:
        adapter = build(config)
        if adapter is None or not hasattr(adapter, "check"):
            return ""
        if hasattr(adapter, "timeout"):
            adapter.timeout = min(adapter.timeout or CHECK_TIMEOUT, CHECK_TIMEOUT)
        adapter.check()
    except Exception as exc:   # noqa: BLE001 - check-config must report, never crash
        return one_line(exc)
    return ""


def _channel_checks(config: Config) -> list[Check]:
    from bridge.app import _env_secret
    from bridge.channels.checks import channel_checks
    return channel_checks(config.channels, _env_secret, config.data_dir)


def one_line(exc: BaseException) -> str:
    """An error as one line for a person: our messages as they are, others named plainly."""
    text = " ".join(str(exc).split())
    if isinstance(exc, OtklikError):
        return text or "ошибка без описания"
    if isinstance(exc, KeyError):
        return f"в настройках не хватает параметра {text}"
    if isinstance(exc, OSError):
        return f"ошибка соединения или файла: {text}"
    return f"непредвиденная ошибка ({type(exc).__name__}): {text}"
