"""The six places a citizen can write (SPEC §1 step 1), as one reviewable table.

For each: how the citizen writes in the stand-in, what the case must look like, which call of
the network publishes the answer, the publication the stand-in must then hold (п. 3.4: public
reply under the comment vs. private message in the same dialogue), and a transient failure of
that very call (a 5xx or a rate limit) for the retry tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from tests.e2e_channels.conftest import Stand

# What the citizen did: ids the expected publication refers to.
Written = dict[str, Any]


@dataclass(frozen=True)
class Source:
    name: str
    channel: str
    kind: str                                  # «Вид»
    public: bool                               # п. 3.4
    author: str                                # «Автор»
    write: Callable[[Stand, str], Written]
    fake: str                                  # attribute of Stand holding the network's fake
    method: str                                # the publishing call, as `fail_next` names it
    transient: Any                             # its 5xx / rate-limit fault
    expected: Callable[[Stand, Written, str], dict]   # the fake's `published` entry (subset)

    def __str__(self) -> str:
        return self.name


def _vk_wall_comment(stand: Stand, text: str) -> Written:
    stand.vk.add_user(1, "Анна", "Смирнова")
    return {"post": 10, "comment": stand.vk.post_wall_comment(10, 1, text)}


def _vk_dm(stand: Stand, text: str) -> Written:
    stand.vk.add_user(2, "Олег", "Ким")
    return {"message": stand.vk.send_dm(2, text)}


def _tg_comment(stand: Stand, text: str) -> Written:
    thread = stand.tg.channel_post("Администрация: график вывоза снега")
    return {"thread": thread, "message": stand.tg.comment(thread, stand.tg.user(8, "Гость"), text)}


def _tg_dm(stand: Stand, text: str) -> Written:
    return {"message": stand.tg.send_dm(stand.tg.user(7, "Ирина"), text)}


def _ok_comment(stand: Stand, text: str) -> Written:
    topic = stand.ok.add_topic()
    return {"topic": topic, "comment": stand.ok.post_comment(topic, "501", "Пётр Н.", text)}


def _ok_message(stand: Stand, text: str) -> Written:
    return {"message": stand.ok.send_group_message("502", "Мария Л.", text)}


SOURCES = [
    Source("vk-wall-comment", "vk", "Комментарий", True, "Анна Смирнова", _vk_wall_comment,
           "vk", "wall.createComment", "http500",
           lambda s, w, text: {"method": "wall.createComment", "owner_id": str(-s.vk.group_id),
                               "post_id": str(w["post"]), "reply_to_comment": str(w["comment"]),
                               "from_group": str(s.vk.group_id), "message": text}),
    Source("vk-dm", "vk", "Личное сообщение", False, "Олег Ким", _vk_dm,
           "vk", "messages.send", 6,                       # «Too many requests per second»
           lambda s, w, text: {"method": "messages.send", "peer_id": "2", "message": text}),
    Source("telegram-comment", "telegram", "Комментарий", True, "Гость", _tg_comment,
           "tg", "sendMessage", 500,
           lambda s, w, text: {"method": "sendMessage", "chat_id": s.tg.group_id,
                               "reply_parameters": {"message_id": w["message"]}, "text": text}),
    Source("telegram-dm", "telegram", "Личное сообщение", False, "Ирина", _tg_dm,
           "tg", "sendMessage", 429,                       # «Too Many Requests: retry after 3»
           lambda s, w, text: {"method": "sendMessage", "chat_id": 7,
                               "reply_parameters": {"message_id": w["message"]}, "text": text}),
    Source("ok-comment", "ok", "Комментарий", True, "Пётр Н.", _ok_comment,
           "ok", "discussions.addDiscussionComment", 500,
           lambda s, w, text: {"method": "discussions.addDiscussionComment", "entityId": w["topic"],
                               "entityType": "GROUP_TOPIC", "reply_to_comment_id": w["comment"],
                               "comment": text, "as_admin": "true"}),
    Source("ok-group-message", "ok", "Личное сообщение", False, "Мария Л.", _ok_message,
           "ok", "graph.messages", 8,                      # «FLOOD_BLOCKED»
           lambda s, w, text: {"method": "graph.messages", "chat_id": "chat:C502",
                               "recipient": {"chat_id": "chat:C502"}, "message": {"text": text}}),
]


def publications(stand: Stand, source: Source) -> list[dict]:
    return getattr(stand, source.fake).published


def subset(entry: dict, expected: dict) -> dict:
    """The part of a published entry the expectation speaks of (for a readable assert diff)."""
    return {key: entry.get(key) for key in expected}
