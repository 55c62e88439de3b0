"""The ledger as the cycle sees it: read the operator's work, write the view, skip what is unchanged.

Zero work when nothing changed: the cycle remembers the file's signature after its own write, the
store's last history id and the next moment a «Контроль срока» label flips; when none of them
moved, the file is neither read nor written (its timestamp only moves when its content does).

What a read applied is absorbed (SPEC §2, a decision is applied once): while the workbook stays
open the same saved file is read every cycle, and each read is compared with the write it is
based on *plus* what earlier reads of it found (`absorb`, kept in the store beside that write), so
re-reading an unchanged save applies nothing, and a later save applies only what changed in it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

from bridge.core.model import Case
from bridge.storage.store import Store
from ledger.columns import BY_KEY, COLUMNS, PRINT_SHEET, SHEET
from ledger.package import join, write_zip
from ledger.render import RenderContext, fingerprint, render_row
from ledger.rowcache import Layouts, Piece, RowCache, Snapshot, Template
from ledger.sheet_xml import Frame, Layout, build_frame
from ledger.sync import Reconciliation, manual_entry, reconcile
from ledger.locks import STALE_LOCK_HOURS, lock_owner, owner_gone, stale_lock_advice
from ledger.view import SheetView, read_view
from ledger.workbook import NOTICE_DAYS, SHEET_ROW, DirectoryRow, LedgerRead, LedgerUnreadable, Notice
from ledger.workbook import PRINT_COLUMNS, build_ledger, install_ledger, lock_file, read_ledger, set_aside, signature

log = logging.getLogger("otklik.ledger")

_STATE_KEY = "ledger.state"
_ABSORBED_KEY = "ledger.absorbed"     # {"write": id, "rows": {case id: entry}, "manual": [entry]}
_VIEW_KEY = "ledger.view"             # the operator's view last read (ledger/view.py SheetView)
_LOCK_ADVICE = {   # the log's words for an administrator (the operator's are in ledger/locks.py)
    True: "the program that took it is not running any more; delete the lock file, the next cycle writes the ledger",
    False: "the program that took it still runs on this computer; ask the operator to close the ledger",
    None: "taken on another computer; if the ledger is closed there, delete the lock file"}
LOOK_AGAIN = timedelta(minutes=10)    # how often a stale lock's program is looked for again
_COPY_KEY = "ledger.copy"             # {"name", "signature"}: the version of a «Save as» copy read
COPY_SUFFIXES = (".ods", ".xls")      # what «Сохранить как» makes beside the .xlsx
_SAVE_AS_XLSX = ("Сохраняйте журнал кнопкой «Сохранить» в формате Excel (.xlsx); LibreOffice спрашивает "
                 "о формате — выберите «Использовать формат Excel 2007-365!».")
# Alert kinds (store.alert) as the operator reads them in «Оповещения».
NOTICE_KINDS = {"ledger": "Журнал", "outage": "Нет связи", "bounce": "Письмо не доставлено",
                "unknown_sender": "Неизвестный отправитель", "no_case": "Письмо без номера обращения",
                "failure": "Сбой", "clock": "Часы сервера"}
SNAPSHOTS_KEPT = 2      # the latest write, and one more for a kill between snapshot and file


@dataclass(frozen=True)
class ReadResult:
    changes: Reconciliation | None      # None: nothing to take from the file
    modified_by: str = ""
    rebuilt_from: Path | None = None    # an unreadable ledger was set aside here
    stale: bool = False                 # the file is a copy of an older write (a restored backup)
    base_write: int = 0                 # the write the file is based on (what `absorb` is kept with)
    converted: bool = False             # .ods/.xls content under the .xlsx name: written back as .xlsx
    copy: Path | None = None            # read from the ledger saved as .ods/.xls beside it
    copy_signature: list[int] | None = None

    @property
    def needs_rewrite(self) -> bool:
        return (self.rebuilt_from is not None or self.stale or self.converted or self.copy is not None
                or bool(self.changes and self.changes.needs_rewrite))


class Ledger:
    def __init__(self, path: Path, backup_dir: Path, store: Store, directory: Sequence[DirectoryRow],
                 zone: tzinfo | None = None) -> None:
        self.path = path
        self.zone = zone                    # the administration's zone: «Оповещения» in local time
        self.backup_dir = backup_dir
        self.store = store
        self.directory = list(directory)
        self._latest: tuple[int, Snapshot] | None = None   # (write id, snapshot) cache
        self._seen: list[int] | None = None    # the file's signature when this cycle read it
        self._lock_told: tuple = ()            # the stale lock last logged, and its verdict
        self._lock_looked: tuple = ("", None)  # the stale lock last looked at, and when
        self.rows: RowCache | None = None      # «Журнал»'s rows as this process last rendered them
        self._store_version: int | None = None
        self._layout: Layout | None = None

    # -- state ----------------------------------------------------------------------------------

    def _state(self) -> dict:
        return self.store.get_value(_STATE_KEY, {}) or {}

    def _snapshot(self, write_id: int | None) -> Snapshot | None:
        """What write `write_id` contained (None: the latest); None when it is no longer kept."""
        latest = self._state().get("write_id", 0)
        wanted = latest if write_id is None else write_id
        if self._latest and self._latest[0] == wanted:
            return self._latest[1]
        blob = self.store.ledger_snapshot(wanted)
        if blob is None:
            return {} if wanted == latest else None
        snapshot = Snapshot.from_blob(blob)
        if wanted == latest:
            self._latest = (wanted, snapshot)
        return snapshot

    def is_locked(self) -> Path | None:
        """The ledger open in Excel/LibreOffice, or its copy saved as .ods/.xls open there (the
        operator works in the copy: the ledger is not rewritten under it)."""
        copy = self._copy()
        return lock_file(self.path) or (lock_file(copy) if copy else None)

    def has_news(self) -> bool:
        """Something saved to read: the ledger changed since our write, or a «Save as» copy of it
        appeared beside it (even with the .xlsx gone)."""
        return self._new_copy() is not None or (self.path.exists() and not self.untouched_since_write())

    def untouched_since_write(self) -> bool:
        """Nothing new can be in the file: it is our last write, or the very file version a
        read already applied in full (the operator keeps a saved workbook open for hours: it
        is not read, compared and re-rendered every cycle)."""
        found = signature(self.path)
        if self._new_copy() is not None:
            return False
        return found == self._state().get("signature") or (found is not None and found == self._applied_version())

    def _applied_version(self) -> list[int] | None:
        """The signature of the file version whose every row a read applied (see `absorb`)."""
        return (self.store.get_value(_ABSORBED_KEY) or {}).get("signature")

    # -- read -----------------------------------------------------------------------------------

    def read(self, cases: dict[str, Case], render: Callable[[Case], dict], now: datetime) -> ReadResult:
        copy = self._new_copy()
        if copy is not None:
            return self._read_copy(copy, cases, render, now)
        if not self.path.exists() or self.untouched_since_write():
            return ReadResult(None)
        self._seen = signature(self.path)   # taken before reading: a later save means "read again"
        try:
            found: LedgerRead = read_ledger(self.path)
        except LedgerUnreadable as exc:
            return self._unreadable(exc, now)
        found, noted = _noting(found)
        if found.saved_as != "xlsx":
            self.store.alert("ledger", f"Журнал был сохранён в формате .{found.saved_as} под именем «{self.path.name}». "
                             f"Правки из него прочитаны и применены, журнал снова записан в формате Excel. "
                             f"{_SAVE_AS_XLSX}", key=f"format:{self._seen}", at=now)
        try:
            result = replace(self._compare(found, cases, render, now), converted=found.saved_as != "xlsx")
            self._keep_view(noted.finish(), self.path)
        except LedgerUnreadable as exc:     # found further down: the rows are read as they are compared
            return self._unreadable(exc, now)
        return result

    def _compare(self, found: LedgerRead, cases: dict[str, Case], render: Callable[[Case], dict],
                 now: datetime) -> ReadResult:
        # Only a file based on our latest write can hold new work: an older one is a copy (a backup
        # put back, a window left open while we wrote) whose differences were applied long ago.
        if found.write_id is not None and found.write_id < self._state().get("write_id", 0):
            return self._stale(found, now)
        base = self._snapshot(found.write_id)
        if base is None:
            return self._stale(found, now)
        base_write = self._state().get("write_id", 0) if found.write_id is None else found.write_id
        changes = reconcile(found.rows, set(cases), base, lambda case_id: render(cases[case_id]),
                            self._absorbed(base_write))
        return ReadResult(changes, found.modified_by, base_write=base_write)

    def _keep_view(self, ids: dict[int, str], path: Path) -> None:
        """The operator's order, hidden rows, filter and widths, for the next write to put back
        (from an .ods or .xls only the order: ledger/view.py reads the .xlsx view); `ids`: sheet
        row → case id, noted as the read went through the rows."""
        view = read_view(path, ids)
        with self.store.transaction():
            self.store.set_value(_VIEW_KEY, view.to_json())

    def view(self) -> SheetView:
        return SheetView.from_json(self.store.get_value(_VIEW_KEY))

    # -- the ledger saved as another file («Сохранить как» .ods / .xls) ---------------------------

    def _copy(self) -> Path | None:
        """`Журнал обращений.ods` (or .xls) beside the ledger: the operator's «Save as»."""
        return next((p for p in (self.path.with_suffix(s) for s in COPY_SUFFIXES) if p.exists()), None)

    def _new_copy(self) -> Path | None:
        """The copy, unless this very version of it was read already."""
        copy = self._copy()
        done = self.store.get_value(_COPY_KEY) or {}
        if copy is None or (done.get("name") == copy.name and done.get("signature") == signature(copy)):
            return None
        return copy

    def _read_copy(self, copy: Path, cases: dict[str, Case], render: Callable[[Case], dict],
                   now: datetime) -> ReadResult:
        """Read what the operator saved in the copy as if saved in the ledger (the same write is its
        base, so nothing is applied twice), and say in the workbook where the work must go on."""
        seen = signature(copy)
        try:
            found = read_ledger(copy)
        except LedgerUnreadable as exc:
            if lock_file(copy):
                return ReadResult(None)            # probably being saved: read next cycle
            self.store.alert("ledger", f"Рядом с журналом сохранён «{copy.name}», но он не читается ({exc}): "
                             f"правки из него не применены. Работайте в «{self.path.name}».",
                             key=f"copy:{copy.name}:{seen}", at=now)
            self._remember_copy(copy, seen)
            return ReadResult(None)
        log.warning("ledger saved as %s: read from there", copy.suffix)
        found, noted = _noting(found)
        self.store.alert("ledger", f"Журнал сохранён как «{copy.name}». Правки из него прочитаны и применены, "
                         f"но служба ведёт только «{self.path.name}»: закройте «{copy.name}» и откройте "
                         f"«{self.path.name}»; после закрытия копия будет перенесена в папку резервных копий. "
                         f"{_SAVE_AS_XLSX}", key=f"copy:{copy.name}:{seen}", at=now)
        result = replace(self._compare(found, cases, render, now), copy=copy, copy_signature=seen)
        self._keep_view(noted.finish(), copy)
        return result

    def _remember_copy(self, copy: Path, seen: list[int] | None) -> None:
        with self.store.transaction():
            self.store.set_value(_COPY_KEY, {"name": copy.name, "signature": seen})

    def _put_copy_aside(self, now: datetime) -> None:
        """Once the copy read in full is closed, it goes to the backups (it is no ledger any more)."""
        copy, done = self._copy(), self.store.get_value(_COPY_KEY) or {}
        if copy is None or lock_file(copy) or done.get("signature") != signature(copy):
            return
        set_aside(copy, self.backup_dir, now, "сохранён как " + copy.suffix, label="КОПИЯ")
        with self.store.transaction():
            self.store.delete_value(_COPY_KEY)

    # -- what reads applied -----------------------------------------------------------------------

    def _absorbed(self, write_id: int) -> dict:
        value = self.store.get_value(_ABSORBED_KEY) or {}
        return value if value.get("write") == write_id else {}

    def absorb(self, result: ReadResult, *, refused: dict[str, int], failed: set[str],
               created: Sequence[tuple[dict, str]]) -> None:
        """Remember what `result`'s read found, once it was applied. `refused`: case → the epoch
        at which its decision was refused (it counts again when its row changes while the case
        stays there, ledger/sync.py); `failed`: cases whose edits could not be applied (read
        again next time); `created`: hand-made rows and the cases they became."""
        changes = result.changes
        if changes is None:
            return
        old = self._absorbed(result.base_write)
        decided = {e.case_id for e in changes.edits if e.key == "decision"}

        def flagged(case_id: str, entry: dict, before: dict | None) -> dict:
            if case_id in decided:
                return _flagged(entry, refused.get(case_id))
            # Not taken again this time: a refusal stays one while the decision stays the same.
            same = before is not None and before.get("d") == entry["d"]
            return _flagged(entry, before.get("r") if same else None)

        rows = dict(old.get("rows", {}))          # rows not in this file (deleted) keep theirs
        for case_id in changes.present - failed:
            entry = changes.seen.get(case_id)
            if entry is None:
                rows.pop(case_id, None)
            else:
                rows[case_id] = flagged(case_id, entry, rows.get(case_id))
        before = {e.get("case"): e for e in old.get("manual", [])}
        matched = {e["case"] for e in changes.manual if e["case"] not in failed}
        manual = [e for e in old.get("manual", []) if e.get("case") not in matched]
        manual += [flagged(e["case"], e, before.get(e["case"])) for e in changes.manual if e["case"] in matched]
        manual += [_flagged(manual_entry(row, case_id), refused.get(case_id)) for row, case_id in created
                   if case_id not in failed]
        record = {"write": result.base_write, "rows": rows, "manual": manual}
        if not failed and self._seen is not None:   # a row that failed is read again next cycle
            record["signature"] = self._seen
        with self.store.transaction():
            self.store.set_value(_ABSORBED_KEY, record)
        if result.copy is not None and not failed:
            self._remember_copy(result.copy, result.copy_signature)

    def _unreadable(self, exc: LedgerUnreadable, now: datetime) -> ReadResult:
        if self.is_locked():
            log.info("ledger unreadable while open (probably being saved): %s", exc)
            return ReadResult(None)
        moved = set_aside(self.path, self.backup_dir, now, str(exc))
        self.store.alert("ledger", f"Журнал не читается ({exc}); он отложен как «{moved.name}» "
                                   "и собран заново из базы.", at=now)
        self._seen = None
        return ReadResult(None, rebuilt_from=moved)

    def _stale(self, found: LedgerRead, now: datetime) -> ReadResult:
        """A copy of a write we no longer remember (an old backup put back): its cells can't be
        told from edits, so nothing in it is applied; the store's newer state is written back."""
        self.store.alert("ledger", "Журнал заменён старой копией: правки и решения из неё не применены, "
                         "журнал восстановлен из базы. Старая копия сохранена в папке резервных копий; "
                         "перенесите нужные правки в новый журнал.",
                         key=f"stale:{found.write_id}:{self._seen}", at=now)
        return ReadResult(None, found.modified_by, stale=True)

    # -- write ----------------------------------------------------------------------------------

    def fingerprint(self, now: datetime, extra: str = "") -> list:
        copy = self._copy()   # a copy read and closed since: a write puts it aside
        return [self.store.last_history_id(), signature(self.path), extra, self.store.last_alert_id(),
                signature(copy) if copy else None]

    def notices(self, now: datetime) -> list[Notice]:
        """What «Оповещения» shows: the alerts of the last NOTICE_DAYS days and any not yet sent."""
        found = []
        for alert in self.store.recent_alerts(now - timedelta(days=NOTICE_DAYS)):
            at = datetime.fromisoformat(alert["at"])
            local = at.astimezone(self.zone) if self.zone and at.tzinfo else at
            found.append(Notice(local.replace(tzinfo=None, microsecond=0), NOTICE_KINDS.get(alert["kind"], "Сбой"),
                                alert["case_id"] or "", alert["text"]))
        return found

    def needs_write(self, now: datetime, force: bool, extra: str = "") -> bool:
        """Whether the cycle has to look at the rows at all: the store, the file or the month
        moved since the last write, or a «Контроль срока» flip is due."""
        state = self._state()
        if force or state.get("fingerprint") != self.fingerprint(now, extra):
            return True
        next_flip = state.get("next_flip")
        return next_flip is not None and now >= datetime.fromisoformat(next_flip)

    def layouts(self, view: SheetView) -> Layouts:
        """Each column's cell style in both sheets, learnt once from a write of the book's frame,
        and the widths the row heights follow (the operator's, ledger/view.py)."""
        if self._layout is None:
            frame = self._frame([["-"]], datetime(2000, 1, 1), 0, 0, 0, SheetView(), ())
            self._layout = (frame.layout, frame.print_layout)
        widths = {c.key: view.widths.get(c.key, c.width) for c in COLUMNS}
        return Layouts(*self._layout, tuple(widths.items()))

    def refresh(self, render: Callable[[Case, Layouts], tuple[Piece, Template]], now: datetime) -> RowCache:
        """Bring the kept rows up to date: all of them the first time in a process (or when
        another process wrote the store, or the operator changed column widths, which the row
        heights follow), else the cases this process changed and the rows whose «Контроль
        срока» flipped. Cases are read from the store as they are rendered."""
        layouts = self.layouts(self.view())
        version = self.store.data_version()
        if self.rows is None or version != self._store_version or layouts != self.rows.layouts:
            cache = RowCache(layouts)
            self.store.touched.clear()
            cache.fill((case.id, render(case, layouts)) for case in self.store.each_case())
            view = self.view()
            cache.arrange(view.order)
            cache.streams(view.hidden)           # compressed now (at a service's start), not in its first write
            self.rows = cache
        else:
            wanted = set(self.store.touched) | set(self.rows.flipped(now))
            self.store.touched.clear()
            self.rows.update({case.id: render(case, layouts) for case in self.store.cases_by_id(wanted)})
        self._store_version = self.store.data_version()
        return self.rows

    def write(self, summary: list[list], now: datetime, force: bool = False, extra: str = "") -> str:
        """Write the kept rows and `summary` when they differ from the last write (or `force`).
        'written'; 'unchanged' when the file already shows all of it; 'locked' while the
        workbook is open; 'changed' when someone saved it after this cycle read it (it is
        read again next cycle, so the save is never overwritten)."""
        rows, state, view = self.rows, self._state(), self.view()
        notices = self.notices(now)
        rows.arrange(view.order)
        digest = self._digest(summary, view, notices)
        found = signature(self.path)
        if not (force or rows.changed or digest != state.get("digest") or found is None
                or found != state.get("signature")):
            self._settle(now, extra)
            return "unchanged"
        lock = self.is_locked()
        if lock:
            self._look_at_lock(lock, now)
            return "locked"
        expected = self._seen if self._seen is not None else state.get("signature")
        if self.path.exists() and found != expected and found != self._applied_version():
            return "changed"
        write_id = state.get("write_id", 0) + 1
        temp = self._build(summary, now, write_id, view, notices)
        snapshot = rows.snapshot()
        # The snapshot first: a copy of this write is understood.
        self.store.keep_ledger_snapshot(write_id, now, snapshot.to_blob(), SNAPSHOTS_KEPT)
        install_ledger(temp, self.path, self.backup_dir, now)
        self._put_copy_aside(now)
        with self.store.transaction():
            self.store.delete_value(_ABSORBED_KEY)   # the new write shows all of it
            self.store.set_value(_STATE_KEY, {
                "signature": signature(self.path), "write_id": write_id, "digest": digest,
                "fingerprint": self.fingerprint(now, extra),
                "next_flip": rows.next_flip.isoformat() if rows.next_flip else None,
            })
        rows.changed = False
        self._latest, self._seen = (write_id, snapshot), None
        return "written"

    def _settle(self, now: datetime, extra: str) -> None:
        """Nothing to write: remember that the store and the flips were looked at."""
        state = self._state()
        flip = self.rows.next_flip.isoformat() if self.rows.next_flip else None
        fingerprint = self.fingerprint(now, extra)
        if state.get("fingerprint") != fingerprint or state.get("next_flip") != flip:
            with self.store.transaction():
                self.store.set_value(_STATE_KEY, {**state, "fingerprint": fingerprint, "next_flip": flip})

    def _digest(self, summary: list[list], view: SheetView, notices: Sequence[Notice]) -> list[int]:
        """What the workbook shows, as checksums: the rows' streams, «Сводка», «Отделы», the
        operator's view put back, «Оповещения»."""
        streams = [join(parts)[1] for parts in self.rows.streams(view.hidden)]
        return [*streams, len(self.rows),
                fingerprint(repr((summary, self.directory, sorted(view.to_json().items()), notices)))]

    def _frame(self, summary: list[list], now: datetime, write_id: int, count: int, print_count: int,
               view: SheetView, notices: Sequence[Notice]) -> Frame:
        """The workbook without the rows of «Журнал» and «Для печати» (XlsxWriter), cut open
        where they go."""
        scratch = self.path.with_name(f".{self.path.stem}.frame{self.path.suffix}")

        def write(probe) -> bytes:
            temp = build_ledger(scratch, probe, self.directory, summary, now, write_id, view=view, notices=notices)
            try:
                return temp.read_bytes()
            finally:
                temp.unlink(missing_ok=True)
        return build_frame(write, SHEET, COLUMNS, count, PRINT_SHEET, [BY_KEY[key] for key, _ in PRINT_COLUMNS],
                           print_count)

    def _build(self, summary: list[list], now: datetime, write_id: int, view: SheetView,
               notices: Sequence[Notice]) -> Path:
        """The whole ledger in a temporary file beside it: the frame around the kept rows."""
        self.rows.streams(view.hidden)            # «Для печати»'s row count is known after it
        frame = self._frame(summary, now, write_id, len(self.rows), self.rows.printed_count(), view, notices)
        if (frame.layout, frame.print_layout) != (self.rows.layouts.journal, self.rows.layouts.printed):
            self.rows = None                      # the styles moved: every row is serialised again
            raise LedgerLayoutChanged("the workbook's cell styles changed; the rows are rendered again")
        members = self.rows.members(frame, view.hidden)
        temp = self.path.with_name(f".{self.path.stem}.writing{self.path.suffix}")
        try:
            with open(temp, "wb") as handle:
                write_zip(handle, members, now)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return temp

    def _look_at_lock(self, lock: Path, now: datetime) -> None:
        """A lock older than STALE_LOCK_HOURS: who took it, whether that program is gone, and what
        to do, in the digest and «Оповещения» (once per lock file) and in the log."""
        try:
            taken = datetime.fromtimestamp(lock.stat().st_mtime, timezone.utc)
        except OSError:
            return
        key = f"stale-lock:{lock.name}:{taken.isoformat()}"
        if now - taken < timedelta(hours=STALE_LOCK_HOURS) or (
                self._lock_looked[0] == key and now - self._lock_looked[1] < LOOK_AGAIN):
            return
        self._lock_looked = (key, now)   # the process list is not read every cycle
        owner = lock_owner(lock)
        gone = owner_gone(owner)
        if (key, gone) != self._lock_told:
            self._lock_told = (key, gone)
            log.warning("ledger lock %s is older than %d h: %s", lock, STALE_LOCK_HOURS, _LOCK_ADVICE[gone])
        if gone is False:
            return                      # still open there: the lock alarm (bridge/cycle.py) asks to close it
        with self.store.transaction():
            self.store.alert("ledger", stale_lock_advice(lock, owner, gone, STALE_LOCK_HOURS), key=key, at=now)


class LedgerLayoutChanged(OSError):
    """The book's styles differ from those the kept rows were serialised with (never expected)."""


class _Noted:
    """A read's rows passed on one by one (they are streamed, ledger/workbook.py), each row's
    «№» noted on the way for the operator's view."""

    def __init__(self, rows) -> None:
        self.rows = iter(rows)
        self.ids: dict[int, str] = {}

    def __iter__(self):
        for row in self.rows:
            case_id = str(row.get("id") or "").strip()
            if case_id:
                self.ids[row[SHEET_ROW]] = case_id
            yield row

    def finish(self) -> dict[int, str]:
        for _ in self:       # rows a comparison did not need (a stale copy) are noted too
            pass
        return self.ids


def _noting(found: LedgerRead) -> tuple[LedgerRead, _Noted]:
    noted = _Noted(found.rows)
    return replace(found, rows=noted), noted


def _flagged(entry: dict, refused_at: int | None) -> dict:
    """The entry with «its decision was refused at this case epoch» (`r`), or without it."""
    plain = {k: v for k, v in entry.items() if k != "r"}
    return plain if refused_at is None else {**plain, "r": refused_at}


class StoredCases(Mapping):
    """The store's cases as a read of the workbook needs them: every id at once, a case read
    only when its row has to be rendered for comparing (SPEC §2)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.ids = store.case_ids()

    def __contains__(self, case_id: object) -> bool:
        return case_id in self.ids

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, case_id: str) -> Case:
        case = self.store.get(case_id) if case_id in self.ids else None
        if case is None:
            raise KeyError(case_id)
        return case


def render_all(cases: Sequence[Case], ctx: RenderContext) -> list[dict]:
    rows = []
    for case in cases:
        row = render_row(case, ctx)
        row["link"] = case.link
        rows.append(row)
    return rows
