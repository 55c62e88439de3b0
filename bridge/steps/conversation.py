"""The citizen writes again (issue 11): which earlier case a new message continues, and the
citizen's answer to a consent request (п. 3.8), which goes on the waiting case, never a new one.

A reply under our published answer (or under their own message) and a new message in the same
private dialogue become a new case *linked* to the earlier one (steps/intake.py makes it); the
store keys here are also what purge (steps/purge.py) forgets and what a publication writes
(steps/outgoing.py).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bridge.config import Config
from bridge.core import workflow
from bridge.core.model import Case, Status
from bridge.core.vocabulary import status_label
from bridge.steps.citizen_files import download
from bridge.storage.files import CITIZEN, DataFiles
from bridge.storage.store import Store

if TYPE_CHECKING:
    from bridge.steps.intake import PageReads

log = logging.getLogger("otklik.intake")


def dialogue_of(channel: str, target: dict) -> str:
    """The store key of a private dialogue: VK `peer_id`, Telegram and OK `chat_id`."""
    peer = target.get("peer_id", target.get("chat_id")) if isinstance(target, dict) else None
    return f"dialogue.{channel}.{peer}" if peer not in (None, "") else ""


def reply_key(channel: str, external_id: str) -> str:
    """The store key under which our publication (answer, consent request) names its case."""
    return f"published.{channel}.{external_id}"


def earlier_case(store: "Store | PageReads", item) -> str | None:
    """The case this message continues: the one whose message or published answer it replies
    to, else, in a private dialogue, the dialogue's latest case (`store` may be a batch's
    PageReads: the same two reads)."""
    for parent in getattr(item, "replies_to", ()) or ():
        found = store.get_value(reply_key(item.channel, parent)) or store.case_for_item(item.channel, parent)
        if found:
            return found
    if not item.public:
        return store.get_value(dialogue_of(item.channel, item.reply_target)) or None
    return None


def linked_note(earlier: Case | None) -> str:
    if earlier is None:
        return ""
    what = ("ответ опубликован" if earlier.published else
            f"закрыто: «{status_label(earlier.status)}»" if earlier.closed else "ответа ещё нет")
    return f"Продолжение разговора: связано с обращением {earlier.id} ({what})."


def awaiting_by_author(store: Store) -> dict[str, list[Case]]:
    """Open cases that await consent (п. 3.8), by author: read once per page of items (few
    cases wait at a time; the status is a column, so no case JSON is read for the others)."""
    found: dict[str, list[Case]] = {}
    for case in store.cases_with_status(Status.AWAITING_CONSENT, open_only=True):
        found.setdefault(case.author_key, []).append(case)
    return found


def awaiting_consent(awaiting: dict[str, list[Case]], item, author_key: str, earlier: str | None) -> Case | None:
    """The citizen's case that awaits their consent (п. 3.8) and that this message answers: a
    private message from them, or a reply under our request."""
    waiting = [c for c in awaiting.get(author_key, ()) if c.id]
    for case in waiting:
        if case.id == earlier:
            return case
    return waiting[-1] if waiting and not item.public else None


def take_consent_reply(store: Store, config: Config, case_id: str, item, now: datetime,
                        files: DataFiles | None, channel, limit: int) -> bool:
    """The citizen's answer to the consent request goes on their case, never a new one. False
    when the case no longer waits (an earlier message of the same page completed it)."""
    from bridge.steps.outgoing import emit
    case = store.get(case_id)
    if case is None or case.status != Status.AWAITING_CONSENT or case.closed:
        return False
    outcome = workflow.citizen_wrote(case, item.text, {} if item.public else dict(item.reply_target), now)
    changed = outcome.case
    if files is not None and channel is not None and item.attachments:
        got = [(f.name, f.data) for f in download(channel, item.attachments, limit, item.link) if f.data is not None]
        changed.attachments = changed.attachments + files.save(case.id, CITIZEN, got)
    with store.transaction():
        if store.case_for_item(item.channel, item.external_id):
            return True
        store.remember_item(item.channel, item.external_id, case.id)
        changed.system_note = outcome.note
        for effect in outcome.effects:
            emit(store, config, changed, effect, now)
        store.save(changed, "пользователь", "ответ на запрос согласия", at=now)
    log.info("%s: the citizen answered the consent request", case.id)
    return True
