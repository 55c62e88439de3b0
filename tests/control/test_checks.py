"""`check_all`: one line per check; real aiosmtpd and Dovecot for success, a closed port for failure."""

from __future__ import annotations

import dataclasses
import socket

from bridge.checks import check_all
from tests.servers.dovecot import dovecot  # noqa: F401
from tests.servers.smtp import smtp_sink  # noqa: F401

IMAP_USER = "obrashcheniya@adm-okha.ru"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]     # closed again when the block ends: nothing listens


def with_mail(config, **mail):
    return dataclasses.replace(config, mail={**config.mail, **mail})


def problems(results) -> dict[str, str]:
    return {name: problem for name, problem in results if problem}


def test_everything_reachable(config, smtp_sink, dovecot, monkeypatch):
    dovecot.add_user(IMAP_USER, "imap-secret")
    monkeypatch.setenv("OTKLIK_IMAP_PASSWORD", "imap-secret")
    checked = with_mail(config, smtp_port=smtp_sink.port, imap_port=dovecot.port)
    results = check_all(checked)
    assert problems(results) == {}
    assert [name for name, _ in results] == ["Настройки (встроенная демонстрационная)", "Папка данных", "Журнал",
                                             "Переменная OTKLIK_IMAP_PASSWORD", "SMTP (отправка)",
                                             "IMAP (получение)"]


def test_closed_ports_and_missing_secret_are_clear_lines(config, monkeypatch):
    monkeypatch.delenv("OTKLIK_IMAP_PASSWORD", raising=False)
    port = closed_port()
    found = problems(check_all(with_mail(config, smtp_port=port, imap_port=port)))
    assert set(found) == {"Переменная OTKLIK_IMAP_PASSWORD", "SMTP (отправка)", "IMAP (получение)"}
    assert found["Переменная OTKLIK_IMAP_PASSWORD"] == ("не задана переменная окружения OTKLIK_IMAP_PASSWORD "
                                                       "(пароль IMAP)")
    assert found["SMTP (отправка)"].startswith(f"SMTP 127.0.0.1:{port}: сервер недоступен")
    assert found["IMAP (получение)"].startswith(f"IMAP 127.0.0.1:{port}")
    for line in found.values():
        assert "\n" not in line and "Traceback" not in line


def test_wrong_imap_password(config, dovecot, smtp_sink, monkeypatch):
    dovecot.add_user(IMAP_USER, "imap-secret")
    monkeypatch.setenv("OTKLIK_IMAP_PASSWORD", "wrong")
    found = problems(check_all(with_mail(config, smtp_port=smtp_sink.port, imap_port=dovecot.port)))
    assert list(found) == ["IMAP (получение)"]


def test_locked_ledger_and_unwritable_data_dir(config, tmp_path, monkeypatch):
    monkeypatch.setenv("OTKLIK_IMAP_PASSWORD", "x")
    config.ledger.parent.mkdir(parents=True, exist_ok=True)
    config.ledger.with_name("~$" + config.ledger.name).write_bytes(b"lock")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    port = closed_port()
    found = problems(check_all(dataclasses.replace(with_mail(config, smtp_port=port, imap_port=port),
                                                   data_dir=blocker / "data")))
    assert "открыт" in found["Журнал"] and "~$Журнал.xlsx" in found["Журнал"]
    assert found["Папка данных"].startswith(f"нельзя записать в папку {blocker / 'data'}")


def test_channel_without_token_is_one_line(config, monkeypatch):
    monkeypatch.setenv("OTKLIK_IMAP_PASSWORD", "x")
    monkeypatch.delenv("OTKLIK_TG_TOKEN", raising=False)
    port = closed_port()
    checked = dataclasses.replace(with_mail(config, smtp_port=port, imap_port=port),
                                  channels={"telegram": {"token_env": "OTKLIK_TG_TOKEN",
                                                         "api_url": f"http://127.0.0.1:{port}"}})
    found = problems(check_all(checked))
    assert found["Переменная OTKLIK_TG_TOKEN"].startswith("не задана переменная окружения OTKLIK_TG_TOKEN")
    assert found["Канал telegram"] == "токен: не задана переменная окружения OTKLIK_TG_TOKEN"
