"""check-config for an OK group: the application and its token, the group and the rights to read
its topics and post in it, the group's Bot API token; then what OK's API does not offer
(apiok.ru: users.getCurrentUser, group.getInfo, group.getStatTopics, users.hasAppPermission,
graph/me/info)."""

from __future__ import annotations

from bridge.channels.ok import OkChannel
from bridge.core.errors import PermanentError, TransientError


LIMITS = (
    ("правки и удаления комментариев", "API OK не сообщает о них: изменённый или удалённый комментарий "
     "в журнале не обновится — проверяйте тему на сайте"),
    ("вложения в ответах", "фото отдела загружаются (photosV2.getUploadUrl, право PHOTO_CONTENT); документы и "
     "файлы к ответам в сообщения группы OK не принимает — они названы в «Примечании системы», передайте их вручную"),
    ("ответ на комментарий", "публикуется как «официальный ответ администратора группы» "
     "(discussions.addDiscussionComment, as_admin) от имени владельца ключа — он должен быть администратором"),
)


def diagnose(channel: OkChannel) -> list[tuple[str, str, str]]:
    """(what, problem, note): the application and its token, the group and the rights to read its
    topics and post in it, the group's Bot API token; then what OK's API cannot do."""
    try:
        me = channel._rest("users.getCurrentUser", {"fields": "UID,NAME"})
    except (PermanentError, TransientError) as exc:
        return [("приложение и ключ доступа", f"{exc}", "")]
    lines = [("приложение и ключ доступа", "", f"владелец ключа: {me.get('name', me.get('uid', '?'))}")]
    lines.append(_probe(channel, "группа", "group.getInfo",
                        {"uids": channel.group_id, "fields": "UID,NAME"}, "группа видна",
                        "проверьте group_id"))
    lines.append(_probe(channel, "темы группы", "group.getStatTopics", {"gid": channel.group_id, "count": 1},
                        "темы группы читаются", "владелец ключа должен быть администратором группы"))
    for permission in ("GROUP_CONTENT", "VALUABLE_ACCESS", "PHOTO_CONTENT"):   # PHOTO_CONTENT: photos in answers
        try:
            granted = channel._rest("users.hasAppPermission", {"ext_perm": permission})
        except (PermanentError, TransientError) as exc:
            lines.append((f"право {permission}", str(exc), ""))
            continue
        lines.append((f"право {permission}", "" if granted is True else
                      f"у приложения нет права {permission} — запросите его у api-support@ok.ru и выпустите ключ заново", ""))
    for topic in channel.topic_ids:
        lines.append(_probe(channel, f"тема {topic}", "discussions.getComments",
                            {"discussionId": topic, "discussionType": "GROUP_TOPIC", "count": 1},
                            "комментарии читаются (принадлежность теме группы API не сообщает — проверьте номер)",
                            "проверьте номер темы в topic_ids"))
    lines.append(_bot_line(channel))
    return lines + [(what, "", note) for what, note in LIMITS]


def _probe(channel: OkChannel, what: str, method: str, params: dict, good: str, fix: str) -> tuple[str, str, str]:
    try:
        channel._rest(method, params)
    except (PermanentError, TransientError) as exc:
        return (what, f"{exc} — {fix}", "")
    return (what, "", good)


def _bot_line(channel: OkChannel) -> tuple[str, str, str]:
    what = "сообщения группы (Bot API)"
    if not channel._bot_token:
        return (what, "", "ключ не задан (bot_token_env): сообщения группы не принимаются")
    try:
        info = channel._graph("GET", "graph/me/info", {"access_token": channel._bot_token})
    except (PermanentError, TransientError) as exc:
        return (what, f"{exc} — получите ключ в «Настройки группы → Сообщения → Работа с API»", "")
    if str(info.get("group_id", "")).removeprefix("group:") != channel.group_id:
        return (what, f"ключ Bot API выдан другой группе ({info.get('group_id')}), а не {channel.group_id}", "")
    return (what, "", "ключ группы действителен")
