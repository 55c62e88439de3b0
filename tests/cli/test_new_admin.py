"""A new administrator follows only the README and docs/install.md: copies config.example.toml to
config.toml, writes the mailbox's servers and the pages' numbers into it, puts the passwords and
tokens into the environment, and runs `python run.py check-config`, which must reach every server:
a real Dovecot (IMAP), a real aiosmtpd (SMTP) and the VK, Telegram and OK stand-ins on 127.0.0.1
(the real APIs' addresses replaced through `api_url`, as the example's comments say)."""

from __future__ import annotations

import shutil

from standins.ok_api import FakeOk
from standins.telegram_api import FakeTelegram
from standins.vk_api import FakeVk
from tests.cli.configs import EXAMPLE, fill, run
from tests.servers.dovecot import dovecot  # noqa: F401
from tests.servers.smtp import smtp_sink  # noqa: F401

MAILBOX = "obrashcheniya@adm-okha.ru"


def test_the_example_filled_in_as_the_guide_says_reaches_every_server(tmp_path, dovecot, smtp_sink):
    dovecot.add_user(MAILBOX, "imap-secret")
    home = tmp_path / "otklik"
    home.mkdir()
    shutil.copyfile(EXAMPLE, home / "config.toml")             # step 1 of docs/install.md «Настройка»
    with FakeVk() as vk, FakeTelegram() as tg, FakeOk() as ok:
        text = (home / "config.toml").read_text(encoding="utf-8")
        for section, key, value in [
            ("mail", "imap_host", "127.0.0.1"), ("mail", "imap_port", dovecot.port), ("mail", "imap_security", "none"),
            ("mail", "smtp_host", "127.0.0.1"), ("mail", "smtp_port", smtp_sink.port),
            ("mail", "smtp_security", "none"), ("mail", "smtp_user", ""),   # the relay takes mail without a login
            ("vk", "group_id", vk.group_id), ("vk", "api_url", vk.api_url),
            ("vk", "user_token_env", "OTKLIK_VK_USER_TOKEN"),
            ("telegram", "channel", f"@{tg.channel_username}"), ("telegram", "discussion_chat_id", tg.group_id),
            ("telegram", "api_url", tg.api_url),
            ("ok", "group_id", ok.group_id), ("ok", "api_url", ok.api_url),
        ]:
            text = fill(text, section, key, value)
        (home / "config.toml").write_text(text, encoding="utf-8")
        secrets = {"OTKLIK_IMAP_PASSWORD": "imap-secret", "OTKLIK_SMTP_PASSWORD": "",
                   "OTKLIK_VK_TOKEN": vk.token, "OTKLIK_VK_USER_TOKEN": vk.user_token,
                   "OTKLIK_TG_TOKEN": tg.token, "OTKLIK_OK_TOKEN": ok.token, "OTKLIK_OK_APP_KEY": ok.app_key,
                   "OTKLIK_OK_APP_SECRET": ok.app_secret, "OTKLIK_OK_BOT_TOKEN": ok.bot_token}
        result = run("check-config", cwd=home, env=secrets, timeout=120)
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(line.startswith("ок ") for line in lines), result.stdout
    checked = " | ".join(line.split(None, 1)[1] for line in lines)
    for reached in ("Настройки (config.toml)", "SMTP (отправка)", "IMAP (получение)", "Канал vk", "Канал telegram",
                    "Канал ok"):
        assert reached in checked, checked
    assert (home / "data").is_dir()                             # the data folder next to config.toml
