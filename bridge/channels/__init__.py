"""Channel adapters for the official pages (VK, Telegram, OK) behind one interface (`base.Channel`).

`page_sections` reads the [vk]/[telegram]/[ok] sections of the configuration (SPEC §7): each may
be one table or an array of tables (`[[vk]]`), one per official page (the head's pages and the
administration's, as the regulation names them), each with its own `name`. A page is known to
the rest of the bridge by its key: `vk` for a table without a name, `vk:<name>` otherwise; that
key is the channel's `name`, its cursor key and the «Канал» of its cases. An absent section
means the network is not used. Secrets come only through `secrets(env_var_name)`.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Callable, Mapping

from bridge.channels.base import AttachmentRef, Channel, IncomingItem, Published
from bridge.core.errors import ConfigError

__all__ = ["AttachmentRef", "Channel", "IncomingItem", "Published", "build_channels", "page_sections",
           "network_of"]

NETWORKS = ("vk", "telegram", "ok")
KNOWN_KEYS: Mapping[str, frozenset[str]] = {
    "vk": frozenset({"name", "group_id", "token_env", "api_url", "user_token_env", "min_interval",
                     "user_min_interval", "mode", "callback_journal", "callback_host", "callback_port",
                     "confirmation", "callback_secret_env", "manage_long_poll"}),
    "telegram": frozenset({"name", "token_env", "api_url", "channel", "discussion_chat_id"}),
    "ok": frozenset({"name", "group_id", "token_env", "app_key_env", "app_secret_env",
                     "session_secret_env", "api_url", "bot_token_env", "topic_ids", "topics_days"}),
}
MAX_NAME = 40


def network_of(page_key: str) -> str:
    """`vk:glava` → `vk`."""
    return page_key.partition(":")[0]


def page_sections(raw: Mapping[str, Any], problems: list[str]) -> dict[str, dict]:
    """The configured pages, keyed `vk` / `vk:<name>`, in the order vk, telegram, ok.

    Every problem (a table that is not a table, a missing or repeated name, an unknown key) is
    appended to `problems` as one Russian line; such a page is left out."""
    pages: dict[str, dict] = {}
    for network in NETWORKS:
        value = raw.get(network)
        if value is None:
            continue
        tables = value if isinstance(value, list) else [value]
        if not tables or not all(isinstance(t, dict) for t in tables):
            problems.append(f"[{network}] должен быть разделом [{network}] или списком разделов [[{network}]]")
            continue
        for number, table in enumerate(tables, start=1):
            key = _page_key(network, table, len(tables), number, problems)
            if key is None:
                continue
            if key in pages:
                problems.append(f"[[{network}]] №{number}: имя страницы «{table.get('name')}» уже занято"
                                if key != network else
                                f"[[{network}]] №{number}: без name может быть только одна страница — "
                                f"дайте name остальным (например, name = \"Глава района\")")
                continue
            _check_keys(network, table, number, problems)
            pages[key] = dict(table)
    return pages


def _page_key(network: str, table: dict, count: int, number: int, problems: list[str]) -> str | None:
    name = table.get("name")
    if name is None:
        # One page may stay without a name: a page that worked before keeps its key (`vk`), its
        # cursor and its cases' answers when more pages are added next to it.
        return network
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME \
            or any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in name):
        problems.append(f"[[{network}]] №{number}: name — непустой текст до {MAX_NAME} символов без управляющих")
        return None
    return f"{network}:{name.strip()}"


def _check_keys(network: str, table: dict, number: int, problems: list[str]) -> None:
    known = KNOWN_KEYS[network]
    for key in table:
        if key in known:
            continue
        close = difflib.get_close_matches(key, sorted(known), n=1)
        hint = f"; возможно, имелось в виду «{close[0]}»" if close else ""
        problems.append(f"[{network}] №{number}: неизвестный параметр «{key}»{hint}")
    for key, value in table.items():
        if ("token" in key or "secret" in key) and not key.endswith("_env"):
            problems.append(f"[{network}] {key}: ключи хранятся только в переменных окружения (укажите {key}_env)")


def build_channels(config_sections: Mapping[str, Any], secrets: Callable[[str], str],
                   data_dir: Path | None = None) -> list[Channel]:
    """One adapter per configured page, in the order of `page_sections`.

    Takes either the pages as `page_sections` returns them or the raw sections (a table or a
    list of tables per network), so tests and the demo can hand in `{"vk": {...}}`."""
    if any(isinstance(v, list) for v in config_sections.values()) or \
            not all(network_of(k) in NETWORKS for k in config_sections):
        problems: list[str] = []
        config_sections = page_sections(config_sections, problems)
        if problems:
            raise ConfigError("; ".join(problems))
    builders = {"vk": _build_vk, "telegram": _build_telegram, "ok": _build_ok}
    return [builders[network_of(key)](key, section, secrets, Path(data_dir or "data"))
            for key, section in config_sections.items()]


def _required(section: Mapping, key: str, where: str):
    if section.get(key) in (None, ""):
        raise ConfigError(f"[{where}] {key}: параметр обязателен")
    return section[key]


def _integer(section: Mapping, key: str, where: str, default=None) -> int | None:
    value = section.get(key, default)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"[{where}] {key}: нужно целое число, а не «{value}»") from None


def _optional_secret(section: Mapping, key: str, secrets: Callable[[str], str]) -> str | None:
    return secrets(section[key]) if section.get(key) else None


def callback_journal_path(key: str, section: Mapping, data_dir: Path) -> Path | None:
    """Where a VK page in callback mode journals its events (None: the page long-polls)."""
    if section.get("mode", "longpoll") != "callback":
        return None
    default = data_dir / ("vk_callback.jsonl" if key == "vk" else f"vk_callback-{_file_safe(key)}.jsonl")
    return Path(section.get("callback_journal", default))


def _build_vk(key: str, section: Mapping, secrets: Callable[[str], str], data_dir: Path) -> Channel:
    from bridge.channels.vk import LIBRARY_API_URL, USER_TOKEN_INTERVAL, VkChannel
    from bridge.channels.vk_callback import CallbackJournal

    mode = section.get("mode", "longpoll")
    if mode not in ("longpoll", "callback"):
        raise ConfigError(f"[{key}] mode: ожидается \"longpoll\" или \"callback\", указано «{mode}»")
    journal = listener = None
    if mode == "callback":
        journal = CallbackJournal(callback_journal_path(key, section, data_dir))
        listener = {"host": section.get("callback_host", "127.0.0.1"),
                    "port": _integer(section, "callback_port", key, 8080),
                    "confirmation": str(_required(section, "confirmation", key)),
                    "secret": _optional_secret(section, "callback_secret_env", secrets) or ""}
    return VkChannel(
        group_id=_integer(section, "group_id", key) or int(_required(section, "group_id", key)),
        token=secrets(_required(section, "token_env", key)),
        api_url=section.get("api_url", LIBRARY_API_URL),
        user_token=_optional_secret(section, "user_token_env", secrets),
        min_interval=float(section.get("min_interval", 0.05)),
        user_min_interval=float(section.get("user_min_interval", USER_TOKEN_INTERVAL)),
        callback=journal, listener=listener, name=key,
        manage_long_poll=bool(section.get("manage_long_poll", True)),
    )


def _build_telegram(key: str, section: Mapping, secrets: Callable[[str], str], data_dir: Path) -> Channel:
    from bridge.channels.telegram import TelegramChannel

    return TelegramChannel(
        token=secrets(_required(section, "token_env", key)),
        api_url=section.get("api_url", "https://api.telegram.org"),
        channel=section.get("channel"),
        discussion_chat_id=_integer(section, "discussion_chat_id", key),
        name=key,
    )


def _build_ok(key: str, section: Mapping, secrets: Callable[[str], str], data_dir: Path) -> Channel:
    from bridge.channels.ok import OkChannel

    topics = section.get("topic_ids", [])
    if not isinstance(topics, list):
        raise ConfigError(f"[{key}] topic_ids: нужен список идентификаторов тем")
    return OkChannel(
        group_id=str(_required(section, "group_id", key)),
        token=secrets(_required(section, "token_env", key)),
        app_key=secrets(_required(section, "app_key_env", key)),
        app_secret=secrets(_required(section, "app_secret_env", key)),
        session_secret=_optional_secret(section, "session_secret_env", secrets),
        api_url=section.get("api_url", "https://api.ok.ru/"),
        bot_token=_optional_secret(section, "bot_token_env", secrets),
        topic_ids=tuple(str(t) for t in topics),
        topics_days=_integer(section, "topics_days", key, 30),
        name=key,
    )


def _file_safe(key: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in key)
