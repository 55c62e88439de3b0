"""The citizen's files at intake (SPEC §1 step 1): downloaded before the case is made, kept in
`attachments/<case>/citizen/` (bridge/storage/files.py) once it is.

A file over the configured limit (`attachment_limit_mb`, fetched no further than the limit) or one
that cannot be downloaded or written stays a link, and «Вложения» and «Примечание системы» say so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bridge.channels.base import LINK, FileTooBig
from bridge.core.model import Case
from bridge.storage.files import CITIZEN, DataFiles
from bridge.storage.store import Store

log = logging.getLogger("otklik.intake")


@dataclass(frozen=True)
class Fetched:
    """One attachment at intake: its bytes, or why there are none (`shown` is the cell text)."""
    name: str
    data: bytes | None
    shown: str = ""
    note: str = ""
    where: str = ""     # the link a person can open


def download(channel, refs, limit: int, message_link: str) -> list[Fetched]:
    """Every file of the message, downloaded (at most `limit` bytes each); a web link stays a
    link, and a file over the limit or one that could not be fetched becomes its link, said in
    «Вложения» and in the row's note."""
    result = []
    for ref in refs:
        where = ref.url if ref.url.startswith(("http://", "https://")) else (message_link or "см. сообщение")
        if ref.kind == LINK or not ref.url:
            result.append(Fetched(ref.name, None, f"{ref.name} ({where})" if ref.url else ref.name))
            continue
        try:
            result.append(Fetched(ref.name, channel.download(ref, limit=limit), where=where))
        except FileTooBig as exc:
            megabytes = exc.limit // (1024 * 1024)
            result.append(Fetched(ref.name, None, f"{ref.name} (больше {megabytes} МБ, только ссылка: {where})",
                                   f"Вложение «{ref.name}» больше {megabytes} МБ: не скачано, в «Вложениях» "
                                   "ссылка на него."))
        except Exception as exc:   # noqa: BLE001 - a file we could not get is a link, not a lost case
            log.warning("attachment download failed: %s", type(exc).__name__)
            result.append(Fetched(ref.name, None, f"{ref.name} (не скачано: {where})",
                                   f"Вложение «{ref.name}» не удалось скачать ({exc}): в «Вложениях» ссылка на него."))
    return result


def keep_files(store: Store, files: DataFiles, case: Case, fetched: list[Fetched], now: datetime) -> None:
    """The downloaded files into `attachments/<case>/citizen/`; the row lists them in order. A
    file that cannot be written (a full disk) is a link too: the message itself is already kept."""
    shown, notes = [], [f.note for f in fetched if f.note]
    for item in fetched:
        if item.data is None:
            shown.append(item.shown)
            continue
        try:
            shown += files.save(case.id, CITIZEN, [(item.name, item.data)])
        except OSError as exc:
            log.error("%s: a citizen's file could not be written: %s", case.id, type(exc).__name__)
            shown.append(f"{item.name} (не сохранено: {item.where})")
            notes.append(f"Вложение «{item.name}» не удалось сохранить ({exc.strerror or exc}): "
                         "в «Вложениях» ссылка на него.")
    case.attachments = shown
    for note in notes:
        case.system_note = noted(case.system_note, note)
    store.save(case, "система", "вложения пользователя", at=now)


def complete_files(store: Store, files: DataFiles, channel, limit: int, case_id: str, item, now: datetime) -> None:
    """An item seen again whose case has none of its files yet (the service stopped between making
    the case and keeping its files): they are fetched now."""
    if not item.attachments or item.event == "delete":
        return
    case = store.get(case_id)
    if case is None or case.closed or case.attachments or files.files(case_id, CITIZEN):
        return
    keep_files(store, files, case, download(channel, item.attachments, limit, item.link), now)


def noted(note: str, addition: str) -> str:
    """NOTE with ADDITION once: a new note never hides an earlier one (a publication error)."""
    return note if addition in note else f"{note} {addition}".strip()
