"""check-config for a VK page: the community token and the page, its rights, the Long Poll
settings, the administrator's token and which feature each token gives (dev.vk.com method pages:
groups.getById, groups.getTokenPermissions, groups.getLongPollSettings)."""

from __future__ import annotations

from bridge.channels import vk_events
from bridge.channels.vk import API_VERSION, FEATURES, VkChannel
from bridge.core.errors import PermanentError, TransientError


NEEDED_RIGHTS = {"messages": "сообщения сообщества", "manage": "управление сообществом (настройка Long Poll)",
                 "docs": "документы", "wall": "стена"}


def diagnose(channel: VkChannel) -> list[tuple[str, str, str]]:
    """(what, problem, note) lines: the community token and the page, its rights, the Long Poll
    settings, the administrator's token and which feature each token gives."""
    lines: list[tuple[str, str, str]] = []
    try:
        groups = channel._call(channel._group, "groups.getById", group_id=channel.group_id)
        group = (groups.get("groups") if isinstance(groups, dict) else groups or [{}])[0]
        lines.append(("ключ сообщества и страница", "", f"видна страница «{group.get('name', '?')}» (club{channel.group_id})"))
    except (PermanentError, TransientError) as exc:
        return [("ключ сообщества и страница", f"{exc} — проверьте group_id и ключ (token_env)", "")]
    lines.append(_rights_line(channel))
    if channel.callback is None:
        problem = channel.ensure_long_poll(fix=False)   # check-config reports; the service switches on
        lines.append(("Long Poll API", problem, "" if problem else f"включён, версия {API_VERSION}, "
                      f"типов событий: {len(vk_events.NEEDED_EVENTS)}"))
    else:
        lines.append(("Callback API", "", "адрес сервера и секрет задаются в «Управление → Работа с API → "
                      "Callback API»; проверьте, что VK получает ответ «ok»"))
    lines.append(_admin_line(channel))
    for feature, (needs, without) in FEATURES.items():
        missing = without and channel._admin is None
        lines.append((feature, "", f"нужен {needs}" + (f": не задан — {without}" if missing else "")))
    return lines


def _rights_line(channel: VkChannel) -> tuple[str, str, str]:
    try:
        answer = channel._call(channel._group, "groups.getTokenPermissions")
    except PermanentError as exc:
        return ("права ключа сообщества", f"{exc} — нужен ключ доступа сообщества, а не пользователя", "")
    except TransientError as exc:
        return ("права ключа сообщества", str(exc), "")
    have = {p.get("name") for p in answer.get("permissions", []) if isinstance(p, dict)}
    missing = [f"«{label}»" for right, label in NEEDED_RIGHTS.items() if right not in have]
    if missing:
        return ("права ключа сообщества", "не хватает прав: " + ", ".join(missing) +
                " — создайте ключ заново в «Управление → Работа с API → Ключи доступа»", "")
    return ("права ключа сообщества", "", "сообщения, управление, документы, стена")


def _admin_line(channel: VkChannel) -> tuple[str, str, str]:
    if channel._admin is None:
        return ("ключ администратора (user_token_env)", "", "не задан")
    try:
        groups = channel._call(channel._admin, "groups.getById", group_id=channel.group_id, fields="is_admin")
    except PermanentError as exc:
        text = str(exc)
        if "недействителен" in text:
            text = "ключ администратора недействителен или истёк — получите новый ключ пользователя-администратора"
        return ("ключ администратора (user_token_env)", text, "")
    except TransientError as exc:
        return ("ключ администратора (user_token_env)", str(exc), "")
    group = (groups.get("groups") if isinstance(groups, dict) else groups or [{}])[0]
    if not group.get("is_admin"):
        return ("ключ администратора (user_token_env)", "владелец ключа не администратор сообщества — "
                "назначьте его администратором или выпустите ключ от имени администратора", "")
    return ("ключ администратора (user_token_env)", "", "владелец ключа — администратор сообщества")
