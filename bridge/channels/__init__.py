"""Channel adapters for the official pages (VK, Telegram, OK) behind one interface (`base.Channel`).

`build_channels` reads the [vk]/[telegram]/[ok] sections of the configuration (SPEC §7); an absent
section means the network is not used. Secrets come only through `secrets(env_var_name)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping

from bridge.channels.base import AttachmentRef, Channel, IncomingItem, Published
from bridge.core.errors import ConfigError

__all__ = ["AttachmentRef", "Channel", "IncomingItem", "Published", "build_channels"]


def build_channels(config_sections: Mapping[str, Mapping], secrets: Callable[[str], str]) -> list[Channel]:
    """The configured channels, in the order vk, telegram, ok."""
    builders = (("vk", _build_vk), ("telegram", _build_telegram), ("ok", _build_ok))
    channels = []
    for name, build in builders:
        section = config_sections.get(name)
        if section is not None:
            channels.append(build(section, secrets, config_sections))
    return channels


def _required(section: Mapping, key: str, where: str):
    if section.get(key) in (None, ""):
        raise ConfigError(f"[{where}] {key}: параметр обязателен")
    return section[key]


def _optional_secret(section: Mapping, key: str, secrets: Callable[[str], str]) -> str | None:
    return secrets(section[key]) if section.get(key) else None


def _build_vk(section: Mapping, secrets: Callable[[str], str], config: Mapping) -> Channel:
    from bridge.channels.vk import LIBRARY_API_URL, VkChannel
    from bridge.channels.vk_callback import CallbackJournal

    mode = section.get("mode", "longpoll")
    if mode not in ("longpoll", "callback"):
        raise ConfigError(f"[vk] mode: ожидается \"longpoll\" или \"callback\", указано «{mode}»")
    journal = listener = None
    if mode == "callback":
        data_dir = Path((config.get("general") or {}).get("data_dir", "data"))
        journal = CallbackJournal(Path(section.get("callback_journal", data_dir / "vk_callback.jsonl")))
        listener = {"host": section.get("callback_host", "127.0.0.1"),
                    "port": int(section.get("callback_port", 8080)),
                    "confirmation": str(_required(section, "confirmation", "vk")),
                    "secret": _optional_secret(section, "callback_secret_env", secrets) or ""}
    return VkChannel(
        group_id=int(_required(section, "group_id", "vk")),
        token=secrets(_required(section, "token_env", "vk")),
        api_url=section.get("api_url", LIBRARY_API_URL),
        user_token=_optional_secret(section, "user_token_env", secrets),
        min_interval=float(section.get("min_interval", 0.05)),
        callback=journal, listener=listener,
    )


def _build_telegram(section: Mapping, secrets: Callable[[str], str], config: Mapping) -> Channel:
    from bridge.channels.telegram import TelegramChannel

    discussion = section.get("discussion_chat_id")
    return TelegramChannel(
        token=secrets(_required(section, "token_env", "telegram")),
        api_url=section.get("api_url", "https://api.telegram.org"),
        channel=section.get("channel"),
        discussion_chat_id=int(discussion) if discussion not in (None, "") else None,
    )


def _build_ok(section: Mapping, secrets: Callable[[str], str], config: Mapping) -> Channel:
    from bridge.channels.ok import OkChannel

    return OkChannel(
        group_id=str(_required(section, "group_id", "ok")),
        token=secrets(_required(section, "token_env", "ok")),
        app_key=secrets(_required(section, "app_key_env", "ok")),
        app_secret=secrets(_required(section, "app_secret_env", "ok")),
        api_url=section.get("api_url", "https://api.ok.ru/"),
        bot_token=_optional_secret(section, "bot_token_env", secrets),
    )
