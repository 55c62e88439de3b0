"""`[mail]` with `backend = "exchange"`: what the checks say about the Exchange keys (issue 11)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bridge.config import DEMO_CONFIG, parse
from bridge.core.errors import ConfigError

MAIL = re.compile(r"\[mail\].*?(?=\n\[)", re.S)


def with_mail(section: str):
    text = MAIL.sub(lambda _: "[mail]\n" + section.strip() + "\n", DEMO_CONFIG.read_text(encoding="utf-8"), count=1)
    return parse(text, source=None, base_dir=Path("."))


def test_oauth_with_folders_and_interval_is_accepted():
    config = with_mail('''
backend = "exchange"
address = "obrashcheniya@adm-okha.ru"
exchange_url = "https://outlook.office365.com/EWS/Exchange.asmx"
exchange_auth = "oauth2"
exchange_client_id = "11111111-2222-3333-4444-555555555555"
exchange_tenant_id = "adm-okha.onmicrosoft.com"
exchange_client_secret_env = "OTKLIK_EXCHANGE_APP_SECRET"
exchange_folder = "Обращения"
exchange_processed_folder = "Обращения/Обработано"
exchange_set_aside_folder = "Обращения/Отложено"
exchange_poll_interval = 15
''')
    assert config.mail["exchange_poll_interval"] == 15


@pytest.mark.parametrize("section, said", [
    ('exchange_auth = "kerberos"', "mail.exchange_auth «kerberos»: возможно ntlm, basic, oauth2"),
    ('exchange_auth = "oauth2"', "mail.exchange_client_id: нужен"),
    ('exchange_user = "u@adm-okha.ru"', "mail.exchange_password_env: нужен"),
    ('exchange_poll_interval = 0', "mail.exchange_poll_interval: нужно число секунд от 1 до 3600"),
    ('exchange_version = "2007"', "mail.exchange_version «2007»"),
    ('exchange_client_secret = "s3cr3t"', "пароли хранятся только в переменных окружения"),
    ('exchange_folders = "Обращения"', "(может быть, «exchange_folder»?)"),
])
def test_a_wrong_exchange_setting_is_named(section, said):
    with pytest.raises(ConfigError) as error:
        with_mail(f'backend = "exchange"\naddress = "o@adm-okha.ru"\nexchange_url = "https://m.adm-okha.ru/EWS/Exchange.asmx"\n{section}')
    assert said in str(error.value)
