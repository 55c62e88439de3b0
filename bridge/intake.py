"""New messages become cases: from the channels and from hand-made ledger rows (SPEC §1 step 1).

Each item is deduplicated by (channel, external id) in the same transaction that creates the
case, so an item seen twice (a restart, a long-poll repeated, a ledger read twice) is one case.
An edit updates the text and stays in the history; a deletion is noted, never erases the case.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from typing import Callable, Iterable

from bridge.model import CHANNEL_LABELS, Case
from bridge.store import Store
from ledger.render import normalize

log = logging.getLogger("otklik.intake")

Hinter = Callable[[Case], str]          # case → the «Подсказка» text


def open_case(store: Store, prefix: str, case: Case, actor: str, hinter: Hinter | None,
              now: datetime) -> Case | None:
    """Create the case unless (channel, external id) is known; returns the new case or None."""
    with store.transaction():
        if store.case_for_item(case.channel, case.external_id):
            return None
        case.id = store.next_case_id(prefix, case.posted_at.year)
        if hinter is not None:
            case.hint = _safe_hint(hinter, case)
        store.remember_item(case.channel, case.external_id, case.id)
        store.add(case, actor, "поступило", at=now)
    log.info("%s: new case from %s", case.id, case.channel)
    return case


def _safe_hint(hinter: Hinter, case: Case) -> str:
    try:
        return hinter(case)
    except Exception:   # a hint is advice; its failure must never lose the message
        log.exception("hint failed for a %s message", case.channel)
        return ""


def take_items(store: Store, prefix: str, items: Iterable, hinter: Hinter | None, now: datetime) -> int:
    """Channel items (bridge.channels.base.IncomingItem) into cases; returns new cases."""
    created = 0
    for item in items:
        if getattr(item, "set_aside", False):   # issue 10: an unreadable event, or a possible gap
            key = f"set_aside.{item.channel}.{item.external_id}"
            with store.transaction():
                store.set_value(key, {"raw": item.raw, "reason": item.reason, "at": now.isoformat()})
                store.alert("intake", f"{item.reason} (исходное событие сохранено: {key}).", key=key, at=now)
            continue
        try:
            created += _take_item(store, prefix, item, hinter, now)
        except Exception:
            log.exception("could not take in a %s item", getattr(item, "channel", "?"))
            store.alert("intake", f"Не удалось принять сообщение {getattr(item, 'channel', '')} "
                                  f"{getattr(item, 'external_id', '')}; подробности в журнале работы.", at=now)
    return created


def _take_item(store: Store, prefix: str, item, hinter: Hinter | None, now: datetime) -> int:
    known = store.case_for_item(item.channel, item.external_id)
    if known:
        _update_known(store, known, item, now)
        return 0
    if item.event == "delete":
        return 0
    case = Case(id="", channel=item.channel, external_id=item.external_id, posted_at=item.posted_at,
                kind=item.kind, public=item.public, author_name=item.author_name,
                author_link=item.author_link, text=item.text, link=item.link,
                reply_target=dict(item.reply_target),
                attachments=[f"{a.name} ({a.url})" for a in item.attachments],
                author_key=f"{item.channel}:{item.reply_target.get('from_id', item.author_link)}")
    return 1 if open_case(store, prefix, case, "пользователь", hinter, now) else 0


def _update_known(store: Store, case_id: str, item, now: datetime) -> None:
    case = store.get(case_id)
    if item.event == "edit" and item.text != case.text:
        case.text = item.text              # the old text stays in the history
        case.system_note = _noted(case.system_note, "Пользователь изменил сообщение (прежний текст — в истории).")
        store.save(case, "пользователь", "изменено пользователем", at=now)
    elif item.event == "delete" and "удалил" not in case.system_note:
        case.system_note = _noted(case.system_note, "Пользователь удалил сообщение; ответить под ним может быть нельзя.")
        store.save(case, "пользователь", "удалено пользователем", at=now)


def _noted(note: str, addition: str) -> str:   # an edit never hides an earlier note (a publication error)
    return note if addition in note else f"{note} {addition}".strip()


def _typed_moment(value, tz) -> datetime | None:
    """«Поступило» as the operator typed it: an Excel date, or text like 28.11.2026 10:00."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, time(), tz)
    for pattern in ("%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(normalize(value), pattern).replace(tzinfo=tz)
        except ValueError:
            continue
    return None


def case_from_row(row: dict, tz, now: datetime, external_id: str) -> Case:
    """A hand-made ledger row (phone call, «Медиалогия», …) as a new case."""
    posted_at = _typed_moment(row.get("posted"), tz) or now
    # A hand-made case keeps the channel as typed: it has no reply target, so its answer is
    # handed over by the operator (phone, «Медиалогия»), never published automatically.
    channel = normalize(row.get("channel")) or CHANNEL_LABELS["manual"]
    return Case(id="", channel=channel, external_id=external_id, posted_at=posted_at,
                kind="Внесено вручную", public=False, author_name=normalize(row.get("author")),
                text=normalize(row.get("text")))
