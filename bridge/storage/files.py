"""Every path of the data folder, in one place (the files seam).

    data_dir/
    ├── otklik.sqlite3                 the store
    ├── otklik.sqlite3.marker          written with a new store: "this folder has had a store"
    ├── otklik.lock, otklik.lock.info  one instance per folder (instance.py) and who holds it
    ├── mail/YYYY-MM/…eml              raw copies of every incoming mail (kept before it is applied)
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
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator

from bridge.core.filenames import WINDOWS_RESERVED

CITIZEN = "citizen"
ANSWER = "answer"
NAME_BYTES = 180                      # room for a counter and a temporary suffix below 255
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
        """Write one incoming mail as it came, before anything is done with it."""
        path = self.raw_mail_path(key, now)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, raw)
        return path

    @contextmanager
    def raw_mail_batch(self) -> Iterator["RawMailBatch"]:
        """Raw mails of one batch written by a thread of their own while the next mails are
        parsed (creating a file costs ~0.4 ms here, the syscall outside the GIL; issue 14). Leaving
        the block waits for every write, so a store transaction around it commits only after all
        the raw copies are on disk (the kill -9 guarantee); if one could not be written, or the
        block fails, the batch's copies are removed (nothing of a mail the store does not know
        stays behind, 152-ФЗ) and the error goes on."""
        batch = RawMailBatch(self)
        try:
            yield batch
            batch.finish()
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
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="raw-mail")
        self._writes: list[tuple[Path, Future]] = []

    def keep(self, raw: bytes, key: str, now: datetime) -> Path:
        """Where the mail will be (`DataFiles.keep_raw_mail` writes it there in the thread)."""
        path = self._files.raw_mail_path(key, now)
        self._writes.append((path, self._pool.submit(self._files.keep_raw_mail, raw, key, now)))
        return path

    def finish(self) -> None:
        self._pool.shutdown(wait=True)
        for _, write in self._writes:
            write.result()          # the first failure, raised here

    def drop(self, path: Path) -> None:
        """A mail of the batch that was set aside after its copy was started: its copy goes (the
        set-aside journal keeps its bytes), so no copy of a mail the store does not know stays."""
        for written, write in [w for w in self._writes if w[0] == path]:
            try:
                write.result()
            except OSError:
                pass
            self._writes.remove((written, write))
        path.unlink(missing_ok=True)

    def discard(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        for path, _ in self._writes:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass


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


def _write_atomically(path: Path, data: bytes) -> None:
    """A file is there whole or not at all (a kill -9 mid-write leaves only a temporary file)."""
    temporary = path.with_name(f".{path.name[:40]}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:   # a full disk: the half-written copy must not keep the space the store needs
        temporary.unlink(missing_ok=True)
        raise
