"""check-config for a Telegram bot: the token, webhook vs. polling, privacy mode and the bot's
place in the channel and its discussion group (core.telegram.org/bots/api: getMe, getWebhookInfo,
getChat, getChatMember)."""

from __future__ import annotations

from bridge.channels.telegram import TelegramChannel
from bridge.core.errors import PermanentError, TransientError


def diagnose(channel: TelegramChannel) -> list[tuple[str, str, str]]:
    """(what, problem, note): the token, webhook vs. polling, privacy mode and the bot's place in
    the channel and its discussion group (getMe, getWebhookInfo, getChat, getChatMember)."""
    try:
        me = channel._call("getMe", {})
    except (PermanentError, TransientError) as exc:
        return [("токен бота", str(exc), "")]
    lines = [("токен бота", "", f"бот @{me.get('username', '?')}")]
    try:
        hook = channel._call("getWebhookInfo", {})
        lines.append(("получение обновлений", "задан webhook — getUpdates не работает; удалите его "
                      "(deleteWebhook) или отключите другой сервис этого бота", "") if hook.get("url")
                     else ("получение обновлений", "", "getUpdates (webhook не задан); Telegram хранит "
                           "обновления 24 часа — перерыв дольше суток отмечается как возможная потеря"))
    except (PermanentError, TransientError) as exc:
        lines.append(("получение обновлений", str(exc), ""))
    reads_all = bool(me.get("can_read_all_group_messages"))
    if channel.discussion_chat_id is not None:
        lines.append(_discussion_line(channel, me["id"], reads_all))
    if channel.channel:
        lines += _channel_lines(channel, me["id"])
    else:
        lines.append(("канал", "", "не задан (telegram.channel): информационные сообщения в Telegram не публикуются"))
    lines.append(("удаления сообщений", "", "Bot API о них не сообщает: удалённое сообщение в журнале не отметится"))
    return lines


def _member_status(channel: TelegramChannel, chat, bot_id: int) -> dict:
    return channel._call("getChatMember", {"chat_id": chat, "user_id": bot_id})


def _discussion_line(channel: TelegramChannel, bot_id: int, reads_all: bool) -> tuple[str, str, str]:
    what = "группа обсуждения"
    try:
        member = _member_status(channel, channel.discussion_chat_id, bot_id)
    except (PermanentError, TransientError) as exc:
        return (what, f"{exc} — добавьте бота в группу обсуждения канала", "")
    if member.get("status") in ("administrator", "creator"):
        return (what, "", "бот — администратор группы и видит все комментарии")
    if reads_all:
        return (what, "", "бот не администратор, но режим приватности выключен — видит все комментарии")
    return (what, "бот не видит комментарии: режим приватности включён (getMe → can_read_all_group_messages = "
            "false), а бот не администратор группы — назначьте бота администратором группы обсуждения "
            "или выключите приватность у @BotFather (/setprivacy → Disable) и добавьте бота в группу заново", "")


def _channel_lines(channel: TelegramChannel, bot_id: int) -> list[tuple[str, str, str]]:
    lines = []
    try:
        chat = channel._call("getChat", {"chat_id": channel.channel})
    except (PermanentError, TransientError) as exc:
        return [("канал", f"{exc} — проверьте telegram.channel и что бот добавлен в канал", "")]
    linked = chat.get("linked_chat_id")
    if channel.discussion_chat_id is not None and linked != channel.discussion_chat_id:
        lines.append(("связь канала и группы", f"у канала группа обсуждения {linked or 'не привязана'}, "
                      f"а в настройках discussion_chat_id = {channel.discussion_chat_id}", ""))
    elif channel.discussion_chat_id is None:
        lines.append(("связь канала и группы", "", f"discussion_chat_id не задан: комментарии берутся из любой "
                      f"группы с ботом; у канала группа {linked or 'не привязана'}"))
    else:
        lines.append(("связь канала и группы", "", f"группа обсуждения {linked}"))
    try:
        member = _member_status(channel, channel.channel, bot_id)
    except (PermanentError, TransientError) as exc:
        return lines + [("права в канале", str(exc), "")]
    if member.get("status") == "creator" or (member.get("status") == "administrator" and member.get("can_post_messages")):
        lines.append(("права в канале", "", "бот может публиковать информационные сообщения"))
    else:
        lines.append(("права в канале", "бот не администратор канала с правом «Публикация сообщений» — "
                      "информационные сообщения не будут опубликованы", ""))
    return lines
