"""Step «соцсети»: new messages become cases, from the channels and from hand-made ledger rows
(SPEC §1 step 1).

Each channel is read page after page (a burst of 10,000 comments is taken in one cycle, not 100
a minute); the cursor is saved after each page, once every item of it was stored or set aside.
Each item is deduplicated by (channel, external id) in the same transaction that creates the
case, so an item seen twice (a restart, a long-poll repeated, a ledger read twice) is one case.
A page's items go in batches of up to 100, one transaction each (issue 15: on PostgreSQL a few
round trips a batch instead of five a message, and one commit instead of a hundred on both):
what they read is read for the batch at once, the case numbers are counted for it, and a batch
that fails is rolled back whole and taken again item by item, so the bad item alone is set aside.
The citizen's files are downloaded before the case is made and kept once it is
(steps/citizen_files.py). An edit updates the text and stays in the history; a
deletion is noted, never erases the case. An item that fails in a way nobody foresaw is set
aside (its raw form kept in `journals/set_aside/`, the operator told) and the others go on.

The citizen writing again (issue 11, steps/conversation.py): a reply under our published answer
(or under their own message) and a new message in the same private dialogue become a new case
*linked* to the earlier one (`Case.linked_to`: «Подсказка» and «Примечание системы» name it, the
department's mail shows the earlier exchange). While a case of theirs awaits consent (п. 3.8),
their private messages and replies under our request are no new cases: they are the answer,
recorded on that case (workflow.citizen_wrote).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, is_dataclass
from datetime import date, datetime, time
from typing import Callable, Iterable

from bridge.config import Config
from bridge.core.model import MANUAL_CHANNEL, Case
from bridge.core.vocabulary import channel_label
from bridge.steps.aside import set_aside
from bridge.steps.citizen_files import complete_files, download, keep_files, noted
from bridge.steps.conversation import (awaiting_by_author, awaiting_consent, dialogue_of, earlier_case, linked_note,
                                      reply_key, take_consent_reply)
from bridge.steps.ports import Ports
from bridge.storage.files import DataFiles
from bridge.storage.store import CaseNumbers, Store
from ledger.render import normalize

log = logging.getLogger("otklik.intake")

Hinter = Callable[[Case], str]          # case → the «Подсказка» text
MAX_PAGES_PER_CYCLE = 200               # a page is ~100 items: bounded so mail and the ledger get their turn


def take_channels(store: Store, config: Config, ports: Ports, now: datetime) -> int:
    """New items from every channel; a network that is down never stops the others."""
    return sum(_take_channel(store, config, ports, name, channel, now) for name, channel in ports.channels.items())


def _take_channel(store: Store, config: Config, ports: Ports, name: str, channel, now: datetime) -> int:
    created = 0
    for _ in range(MAX_PAGES_PER_CYCLE):
        cursor = store.get_value(f"cursor.{name}")
        try:
            items, new_cursor = channel.fetch(cursor)
        except Exception as exc:   # noqa: BLE001 - adapters raise DeliveryError; anything else the same way
            # Reported once by the cycle's caller (`once` prints it, `serve` logs it with back-off).
            log.info("channel %s: %s", name, type(exc).__name__)
            ports.troubles.append(f"соцсети: {name}: {exc}")
            with store.transaction():
                store.alert("outage", f"{name}: {exc}", key=f"fetch:{name}:{now:%Y-%m-%d %H}", at=now)
            break
        try:
            # The cursor moves in the page's last transaction, once every item is kept.
            created += take_items(store, config.case_prefix, items, ports.hint_text, now,
                                  files=ports.files, channel=channel, limit=config.attachment_limit,
                                  config=config, then=lambda: store.set_value(f"cursor.{name}", new_cursor))
        except NotKept:   # an item neither stored nor set aside: the cursor stays, the page comes again
            log.error("channel %s: an item could be neither stored nor set aside; cursor kept", name)
            break
        if not items or new_cursor == cursor:
            break
    return created


def open_case(store: Store, prefix: str, case: Case, actor: str, hinter: Hinter | None,
              now: datetime, *, reads: "Store | PageReads | None" = None,
              numbers: CaseNumbers | None = None) -> Case | None:
    """Create the case unless (channel, external id) is known; returns the new case or None.
    In a batch (`_take_together`) the dedup check reads what the batch read ahead (`reads`) and
    the number comes from the batch's `numbers`."""
    with store.transaction():
        if (reads or store).case_for_item(case.channel, case.external_id):
            return None
        case.id = numbers.next_id(case.posted_at.year) if numbers else store.next_case_id(prefix, case.posted_at.year)
        if hinter is not None:
            case.hint = _safe_hint(hinter, case)
        store.remember_item(case.channel, case.external_id, case.id)
        store.add(case, actor, "поступило", at=now)
        if not case.public and dialogue_of(case.channel, case.reply_target):
            store.set_value(dialogue_of(case.channel, case.reply_target), case.id)
    log.info("%s: new case from %s", case.id, case.channel)
    return case


def _safe_hint(hinter: Hinter, case: Case) -> str:
    try:
        return hinter(case)
    except Exception:   # a hint is advice; its failure must never lose the message
        log.exception("hint failed for a %s message", case.channel)
        return ""


class NotKept(Exception):
    """An item could be neither stored nor set aside (a full disk): the cursor must not move."""


def take_items(store: Store, prefix: str, items: Iterable, hinter: Hinter | None, now: datetime, *,
               files: DataFiles | None = None, channel=None, limit: int = 0, config: Config | None = None,
               then: Callable[[], None] | None = None) -> int:
    """Channel items (bridge.channels.base.IncomingItem) into cases; returns new cases. Raises
    NotKept when an item could be neither stored nor set aside. Without `config` a citizen's
    answer to a consent request cannot queue what follows, so it becomes a linked case. `then`
    (the channel's cursor) is written once every item is kept: in the last batch's transaction,
    or in one of its own.

    Items go in batches of up to BATCH, each batch in one transaction (`_take_together`); an
    item with files to download, or one the channel set aside, goes alone as before. A batch
    that fails in any way is rolled back whole and its items are taken one by one, each in its
    own transaction, so the bad one is set aside and the others are kept."""
    created = 0
    items = list(items)
    awaiting = awaiting_by_author(store) if config is not None and items else {}
    groups = list(_batches(items, lambda item: _alone(item, files, channel)))
    for number, (batch, together) in enumerate(groups, start=1):
        if together:
            last = then if number == len(groups) else None
            try:
                created += _take_together(store, prefix, batch, hinter, now, config, awaiting, last)
                then = None if last else then
                continue
            except Exception as exc:   # noqa: BLE001 - rolled back whole: taken again one by one
                log.warning("a batch of %d items failed together (%s); taking them one by one",
                            len(batch), type(exc).__name__)
        for item in batch:
            try:
                created += _take_item(store, prefix, item, hinter, now, files, channel, limit, config, awaiting)
            except Exception as exc:   # noqa: BLE001 - one item never stops the others
                if not _set_aside(store, files, item, exc, now):
                    raise NotKept() from exc
    if then is not None:
        with store.transaction():
            then()
    return created


BATCH = 100     # items a transaction at most: a kill -9 takes back at most this many, taken again


def _alone(item, files: DataFiles | None, channel) -> bool:
    """Taken in its own transactions: an item the channel set aside (its raw form is written to
    a file) and one whose files are downloaded and kept beside its case. Nothing outside the
    store happens in a batch, so a batch rolled back (or killed) leaves nothing behind."""
    try:
        return bool(getattr(item, "set_aside", False)) or bool(
            files is not None and channel is not None and getattr(item, "attachments", ()))
    except Exception:   # noqa: BLE001 - an item that cannot even say: the careful way
        return True


def _batches(items: list, alone: Callable[[object], bool]) -> Iterable[tuple[list, bool]]:
    """(items, together) in the channel's order: runs of up to BATCH items, and lone items."""
    run: list = []
    for item in items:
        if alone(item):
            if run:
                yield run, True
                run = []
            yield [item], False
            continue
        run.append(item)
        if len(run) == BATCH:
            yield run, True
            run = []
    if run:
        yield run, True


def _take_together(store: Store, prefix: str, items: list, hinter: Hinter | None, now: datetime,
                   config: Config | None, awaiting: dict[str, list[Case]], then: Callable[[], None] | None) -> int:
    """A batch of items in one transaction, reading ahead what they need: known keys, reply and
    dialogue keys, the authors' published cases (for the hint), the year's case counter. On
    PostgreSQL that is a handful of round trips a batch instead of five an item (issue 15)."""
    created = 0
    with store.transaction():
        reads = PageReads(store, items)
        numbers = store.case_numbers(prefix)
        with store.published_read_ahead(_author_key(item) for item in items if item.event != "delete"):
            for item in items:
                created += _take_item(store, prefix, item, hinter, now, None, None, 0, config, awaiting,
                                      reads=reads, numbers=numbers)
                reads.taken(item)
        numbers.write()
        if then is not None:
            then()
    return created


class PageReads:
    """What a batch of items reads from the store, read for the whole batch at once. A key that
    an item of the batch may have written (its own intake key, its dialogue) is read from the
    store again for the items after it, so every item sees what the earlier ones stored."""

    def __init__(self, store: Store, items: list) -> None:
        self.store, self.written_items, self.written_values = store, set(), set()
        item_keys = [(item.channel, item.external_id) for item in items]
        item_keys += [(item.channel, parent) for item in items for parent in getattr(item, "replies_to", ()) or ()]
        self.items = {key: None for key in item_keys} | store.cases_for_items(item_keys)
        value_keys = [reply_key(item.channel, parent) for item in items
                      for parent in getattr(item, "replies_to", ()) or ()]
        value_keys += [dialogue_of(item.channel, item.reply_target) for item in items if not item.public]
        self.values = {key: None for key in value_keys if key} | store.get_values(k for k in value_keys if k)

    def case_for_item(self, channel: str, external_id: str) -> str | None:
        key = (channel, external_id)
        if key in self.written_items or key not in self.items:
            return self.store.case_for_item(channel, external_id)
        return self.items[key]

    def get_value(self, key: str, default=None):
        if key in self.written_values or key not in self.values:
            return self.store.get_value(key, default)
        found = self.values[key]
        return default if found is None else found

    def taken(self, item) -> None:
        self.written_items.add((item.channel, item.external_id))
        if not item.public:
            self.written_values.add(dialogue_of(item.channel, item.reply_target))


def _author_key(item) -> str:
    return f"{item.channel}:{item.reply_target.get('from_id', item.author_link)}"


def _set_aside(store: Store, files: DataFiles | None, item, exc: Exception, now: datetime) -> bool:
    """An item that failed in a way nobody foresaw; the log names the error class only."""
    log.error("could not take in a %s item: %s", getattr(item, "channel", "?"), type(exc).__name__)
    raw = asdict(item) if is_dataclass(item) else {"repr": repr(item)}
    data = json.dumps(raw, ensure_ascii=False, default=str, indent=1).encode("utf-8", "surrogatepass")
    return set_aside(store, files, "item", data, "intake",
                     f"Не удалось принять сообщение {getattr(item, 'channel', '')} "
                     f"{getattr(item, 'external_id', '')} ({type(exc).__name__}).", now)


def _take_item(store: Store, prefix: str, item, hinter: Hinter | None, now: datetime,
               files: DataFiles | None, channel, limit: int, config: Config | None = None,
               awaiting: dict[str, list[Case]] | None = None, *, reads: PageReads | None = None,
               numbers: CaseNumbers | None = None) -> int:
    if getattr(item, "set_aside", False):   # an event without its documented shape, or a possible gap
        if not _keep_set_aside(store, files, item, now):
            raise NotKept()
        return 0
    known = (reads or store).case_for_item(item.channel, item.external_id)
    if known:
        _update_known(store, known, item, now)
        if files is not None and channel is not None:
            complete_files(store, files, channel, limit, known, item, now)
        return 0
    if item.event == "delete":
        return 0
    author_key = _author_key(item)
    earlier = earlier_case(reads or store, item)
    answered = awaiting_consent(awaiting or {}, item, author_key, earlier) if config is not None else None
    if answered is not None and take_consent_reply(store, config, answered.id, item, now, files, channel, limit):
        return 0
    case = Case(id="", channel=item.channel, external_id=item.external_id, posted_at=item.posted_at,
                kind=item.kind, public=item.public, author_name=item.author_name,
                author_link=item.author_link, text=item.text, link=item.link,
                reply_target=dict(item.reply_target), author_key=author_key)
    if earlier:
        case.linked_to = earlier
        case.system_note = linked_note(store.get(earlier))
    downloaded = download(channel, item.attachments, limit, item.link) if files is not None and channel else None
    if downloaded is None:
        case.attachments = [f"{a.name} ({a.url})" for a in item.attachments]
    made = open_case(store, prefix, case, "пользователь", hinter, now, reads=reads, numbers=numbers)
    if made is None:
        return 0
    if downloaded:
        keep_files(store, files, made, downloaded, now)
    return 1


# -- what the channel set aside ----------------------------------------------------------------

def _keep_set_aside(store: Store, files: DataFiles | None, item, now: datetime) -> bool:
    """The channel returned the event as set aside (bridge/channels/base.set_aside_item)."""
    return set_aside(store, files, item.event, (item.raw or "").encode("utf-8", "replace"), "intake",
                     f"{item.reason}.", now, key=f"set_aside:{item.channel}:{item.external_id}")


def _update_known(store: Store, case_id: str, item, now: datetime) -> None:
    case = store.get(case_id)
    if case.external_id != item.external_id:   # a reply recorded on the case (п. 3.8): history keeps it
        return
    if item.event == "edit" and item.text != case.text:
        case.text = item.text              # the old text stays in the history
        case.system_note = noted(case.system_note, "Пользователь изменил сообщение (прежний текст — в истории).")
        store.save(case, "пользователь", "изменено пользователем", at=now)
    elif item.event == "delete" and "удалил" not in case.system_note:
        case.system_note = noted(case.system_note, "Пользователь удалил сообщение; ответить под ним может быть нельзя.")
        store.save(case, "пользователь", "удалено пользователем", at=now)


# -- hand-made ledger rows ----------------------------------------------------------------------

def typed_moment(value, tz) -> datetime | None:
    """«Поступило» as the operator typed it: an Excel date, or text like 28.11.2026 10:00."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, time(), tz)
    for pattern in ("%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(normalize(value), pattern).replace(tzinfo=tz)
        except ValueError:
            continue
    return None


def case_from_row(row: dict, tz, now: datetime, external_id: str) -> Case:
    """A hand-made ledger row (phone call, «Медиалогия», …) as a new case."""
    posted_at = typed_moment(row.get("posted"), tz) or now
    # A hand-made case keeps the channel as typed: it has no reply target, so its answer is
    # handed over by the operator (phone, «Медиалогия»), never published automatically.
    channel = normalize(row.get("channel")) or channel_label(MANUAL_CHANNEL)
    return Case(id="", channel=channel, external_id=external_id, posted_at=posted_at,
                kind="Внесено вручную", public=False, author_name=normalize(row.get("author")),
                text=normalize(row.get("text")))


def manual_key(row: dict, base_write: int) -> str:
    """The intake key of a hand-made row: the same row of the same save read twice (a crash
    between making the case and the ledger absorbing the read) is one case, while the same words
    typed again after the ledger was rewritten (the same phone call a week later) are a new one.
    `base_write`: the bridge's write the saved file is based on; `_nth` (ledger/sync.py): how many
    rows with the same words stand above this one in that save."""
    parts = [str(base_write), str(row.get("_nth", 0))]
    parts += [normalize(row.get(k)) for k in ("posted", "channel", "author", "text")]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]
