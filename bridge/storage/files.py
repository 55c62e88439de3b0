"""Every path of the data folder, in one place (the files seam).

    data_dir/
    ├── otklik.sqlite3                 the store
    ├── otklik.sqlite3.marker          written with a new store: "this folder has had a store"
    ├── otklik.lock, otklik.lock.info  one instance per folder (instance.py) and who holds it
    ├── mail/YYYY-MM/…eml              raw copies of incoming mail larger than RAW_IN_STORE (a
    │                                  smaller one is kept in the store: `mail_raw`)
    ├── attachments/<case>/citizen/    the citizen's files, downloaded at intake
    ├── attachments/<case>/answer/     the department's files, taken from its reply
    ├── backups/                       dated copies of the ledger; unreadable ledgers set aside;
    │                                  a store rescued when its file vanished (cycle.py)
    ├── reports/Отчёт YYYY-MM.xlsx     the monthly reports
    └── journals/                      append-only journals (the VK callback journal)

Paths stored in the store are relative to the data folder (`relative`), so a data folder moved
or opened from another working directory still finds its files. File names from outside (a
department's attachment, a citizen's photo) are made safe here: no path separators or device
names, at most `NAME_BYTES` bytes of UTF-8 (Linux allows 255), and a counter when two differ.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator

from bridge.core.filenames import WINDOWS_RESERVED

CITIZEN = "citizen"
ANSWER = "answer"
NAME_BYTES = 180                      # room for a counter and a temporary suffix below 255
# A mail up to this size keeps its raw copy in the store, in its batch's transaction: a file per
# mail cost 0.1-0.8 ms of the disk's journal, the larger part of taking a reply in (issue 14). A
# larger one (scans, photos) is a file in `mail/`, so the store stays small enough to copy and to
# VACUUM after a purge. Most department replies are text of a few kilobytes.
RAW_IN_STORE = 256 * 1024
_UNSAFE = re.compile(r"[^\w.\-]+")


@dataclass(frozen=True)
class DataFiles:
    root: Path

    # -- fixed places ---------------------------------------------------------------------------

    @property
    def store_path(self) -> Path:
        return self.root / "otklik.sqlite3"

    @property
    def store_marker(self) -> Path:
        return self.root / "otklik.sqlite3.marker"

    @property
    def lock_path(self) -> Path:
        return self.root / "otklik.lock"

    @property
    def lock_info_path(self) -> Path:
        return self.root / "otklik.lock.info"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def journals(self) -> Path:
        return self.root / "journals"

    def report(self, year: int, month: int) -> Path:
        return self.reports / f"Отчёт {year:04d}-{month:02d}.xlsx"

    def relative(self, path: Path) -> str:
        try:
            return str(Path(path).relative_to(self.root))
        except ValueError:
            return str(path)

    def resolve(self, stored: str) -> Path:
        path = Path(stored)
        return path if path.is_absolute() else self.root / path

    def resolve_kept(self, stored: str) -> Path:
        """Where a stored path of ours is now. Stores written before paths were kept relative to
        the data folder hold them relative to the working directory of that time
        (`data/mail/2026-01/x.eml`, `../otklik/data/mail/…`): the part from the data folder's own
        subfolder (`mail/`, `attachments/`) on is looked up here."""
        path = self.resolve(stored)
        if path.exists():
            return path
        parts = Path(stored).parts
        for top in ("mail", "attachments", "journals", "backups"):
            if top in parts:
                candidate = self.root.joinpath(*parts[len(parts) - 1 - parts[::-1].index(top):])
                if candidate.exists():
                    return candidate
        return path

    def raw_mails(self) -> list[Path]:
        """Every raw mail kept in the folder, whatever the store remembers of it."""
        folder = self.root / "mail"
        return sorted(p for p in folder.rglob("*.eml") if p.is_file()) if folder.is_dir() else []

    def ledger_backups(self) -> list[Path]:
        """Dated copies of the ledger, ledgers set aside as unreadable and «Save as» copies (.ods,
        .xls) moved here (ledger/workbook.py): every file of `backups/` but the stores."""
        if not self.backups.is_dir():
            return []
        return sorted(p for p in self.backups.iterdir()
                      if p.is_file() and p.suffix != ".sqlite3" and not p.name.startswith("."))

    def store_copies(self) -> list[Path]:
        """Stores kept in `backups/` (one rescued when its file vanished, cycle.py)."""
        return sorted(p for p in self.backups.glob("*.sqlite3") if p.is_file()) if self.backups.is_dir() else []

    def set_aside_items(self) -> list[Path]:
        folder = self.journals / "set_aside"
        return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []

    def replace_file(self, path: Path, data: bytes) -> None:
        """Rewrite a file of the folder whole (a journal without a purged case's lines)."""
        _write_atomically(path, data)

    def earlier_work(self) -> list[str]:
        """What in the folder shows that a store worked here before (in Russian, for a refusal)."""
        found = ["отметка о созданной базе " + self.store_marker.name] if self.store_marker.exists() else []
        for name, what in (("mail", "копии писем"), ("attachments", "вложения"), ("reports", "отчёты"),
                           ("journals", "журналы")):
            if any(path.is_file() for path in (self.root / name).rglob("*")):
                found.append(f"{what} в {name}/")
        if any(self.backups.glob("*.sqlite3")):
            found.append("копии базы в backups/")
        return found

    # -- raw mail -------------------------------------------------------------------------------

    def raw_mail_path(self, key: str, now: datetime) -> Path:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        return self.root / "mail" / f"{now:%Y-%m}" / f"{now:%Y%m%d-%H%M%S}-{digest}.eml"

    def keep_raw_mail(self, raw: bytes, key: str, now: datetime) -> Path:
        """Write one incoming mail as it came, before anything is done with it; on disk before the
        store's commit names it (fsync: a power cut must not leave the store naming a hole)."""
        path = self.raw_mail_path(key, now)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, raw, durable=True)
        return path

    @contextmanager
    def raw_mail_batch(self) -> Iterator["RawMailBatch"]:
        """The raw copies written as files for one batch of mail (`RAW_IN_STORE`). If the block
        fails, they are removed again (nothing of a mail the store does not know stays behind,
        152-ФЗ) and the error goes on."""
        batch = RawMailBatch(self)
        try:
            yield batch
        except BaseException:
            batch.discard()
            raise

    def set_aside(self, kind: str, data: bytes, now: datetime) -> Path:
        """Keep an outside item that could not be taken in (an event, a mail) for a person."""
        folder = self.journals / "set_aside" / f"{now:%Y-%m}"
        folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(data).hexdigest()[:16]
        path = folder / f"{now:%Y%m%d-%H%M%S}-{kind}-{digest}.json"
        _write_atomically(path, data)
        return path

    def remove_set_aside_before(self, before: datetime) -> int:
        """Delete set-aside items older than `before` (their names begin with the moment)."""
        folder = self.journals / "set_aside"
        stamp = f"{before:%Y%m%d-%H%M%S}"
        removed = 0
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            if path.is_file() and path.name[:15] < stamp:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    # -- a case's files -------------------------------------------------------------------------

    def case_folder(self, case_id: str) -> Path:
        return self.root / "attachments" / case_id

    def folder(self, case_id: str, which: str) -> Path:
        if which not in (CITIZEN, ANSWER):
            raise ValueError(which)
        return self.case_folder(case_id) / which

    def files(self, case_id: str, which: str) -> list[Path]:
        folder = self.folder(case_id, which)
        return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []

    def save(self, case_id: str, which: str, files: Iterable[tuple[str, bytes]]) -> list[str]:
        """Store (name, bytes) pairs; returns the names they got. The same bytes under the same
        name are one file; different bytes under one name get «-2», «-3»."""
        folder = self.folder(case_id, which)
        names = []
        for name, data in files:
            folder.mkdir(parents=True, exist_ok=True)
            target = first = folder / safe_name(name)
            counter = 1
            while target.exists() and target.read_bytes() != data:
                counter += 1
                target = folder / f"{first.stem}-{counter}{first.suffix}"
            _write_atomically(target, data)
            names.append(target.name)
        return names

    def remove_case(self, case_id: str) -> bool:
        folder = self.case_folder(case_id)
        if not folder.exists():
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return True


class RawMailBatch:
    def __init__(self, files: DataFiles) -> None:
        self._files = files
        self._written: list[Path] = []

    def keeper(self, written: list[Path]) -> "KeepRaw":
        """`keep`, noting each file in `written` too (what one mail of the batch wrote)."""
        def keep(raw: bytes, key: str, now: datetime) -> Path:
            path = self.keep(raw, key, now)
            written.append(path)
            return path
        return keep

    def keep(self, raw: bytes, key: str, now: datetime) -> Path:
        path = self._files.keep_raw_mail(raw, key, now)
        self._written.append(path)
        return path

    def drop(self, path: Path) -> None:
        """A mail of the batch that was set aside after its copy was written: its copy goes (the
        set-aside journal keeps its bytes), so no copy of a mail the store does not know stays."""
        path.unlink(missing_ok=True)
        if path in self._written:
            self._written.remove(path)

    def discard(self) -> None:
        for path in self._written:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass


KeepRaw = Callable[[bytes, str, datetime], Path]


def safe_name(name: str) -> str:
    """A file name that every file system of ours accepts (see the module docstring)."""
    text = _UNSAFE.sub("_", (name or "").encode("utf-8", "replace").decode("utf-8")).strip("._") or "file"
    if text.split(".")[0].upper() in WINDOWS_RESERVED:   # CON, nul.txt: devices on Windows
        text = "_" + text
    if len(text.encode("utf-8")) <= NAME_BYTES:
        return text
    stem, dot, suffix = text.rpartition(".")
    if not dot or len(suffix.encode("utf-8")) > 16:
        stem, suffix = text, ""
    budget = NAME_BYTES - len(suffix.encode("utf-8")) - 1 - 9
    short = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
    tag = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"{short}~{tag}" + (f".{suffix}" if suffix else "")


def _write_atomically(path: Path, data: bytes, durable: bool = False) -> None:
    """A file is there whole or not at all (a kill -9 mid-write leaves only a temporary file);
    `durable`: on the disk, its name too, before this returns."""
    temporary = path.with_name(f".{path.name[:40]}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(temporary, path)
        if durable:
            _sync_folder(path.parent)
    except OSError:   # a full disk: the half-written copy must not keep the space the store needs
        temporary.unlink(missing_ok=True)
        raise


def _sync_folder(folder: Path) -> None:
    """The folder's entry of a new file, on the disk (POSIX; Windows has no folder handles)."""
    if os.name != "posix":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
