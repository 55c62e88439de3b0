"""The ledger as the cycle sees it: read the operator's work, write the view, skip what is unchanged.

Zero work when nothing changed: the cycle remembers the file's signature after its own write, the
store's last history id and the next moment a «Контроль срока» label flips; when none of them
moved, the file is neither read nor written (its timestamp only moves when its content does).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Sequence

from bridge.model import Case
from bridge.store import Store
from ledger.render import RenderContext, render_row, row_hashes
from ledger.sync import Reconciliation, reconcile
from ledger.workbook import DirectoryRow, LedgerRead, LedgerUnreadable, lock_file, read_ledger
from ledger.workbook import set_aside, signature, write_ledger

log = logging.getLogger("otklik.ledger")

_STATE_KEY = "ledger.state"


@dataclass(frozen=True)
class ReadResult:
    changes: Reconciliation | None      # None: the file is as we wrote it (or absent)
    modified_by: str = ""
    rebuilt_from: Path | None = None    # an unreadable ledger was set aside here


class Ledger:
    def __init__(self, path: Path, backup_dir: Path, store: Store, directory: Sequence[DirectoryRow]) -> None:
        self.path = path
        self.backup_dir = backup_dir
        self.store = store
        self.directory = list(directory)
        self._snapshot: dict[str, list[int]] | None = None   # the rows as last written, loaded once

    # -- state ----------------------------------------------------------------------------------

    def _state(self) -> dict:
        return self.store.get_value(_STATE_KEY, {}) or {}

    def _written_rows(self) -> dict[str, list[int]]:
        if self._snapshot is None:
            self._snapshot = {r["case_id"]: json.loads(r["cells"])
                              for r in self.store.db.execute("SELECT * FROM ledger_rows")}
        return self._snapshot

    def is_locked(self) -> Path | None:
        return lock_file(self.path)

    def untouched_since_write(self) -> bool:
        return signature(self.path) == self._state().get("signature")

    # -- read -----------------------------------------------------------------------------------

    def read(self, cases: dict[str, Case], render: Callable[[Case], dict], now: datetime) -> ReadResult:
        if not self.path.exists() or self.untouched_since_write():
            return ReadResult(None)
        try:
            found: LedgerRead = read_ledger(self.path)
        except LedgerUnreadable as exc:
            if self.is_locked():
                log.info("ledger unreadable while open (probably being saved): %s", exc)
                return ReadResult(None)
            moved = set_aside(self.path, self.backup_dir, now, str(exc))
            self.store.alert("ledger", f"Журнал не читается ({exc}); он отложен как «{moved.name}» "
                                       "и собран заново из базы.", at=now)
            with self.store.transaction():
                self.store.db.execute("DELETE FROM ledger_rows")
                self._snapshot = {}
                self.store.set_value(_STATE_KEY, {})
            return ReadResult(None, rebuilt_from=moved)
        changes = reconcile(found.rows, set(cases), self._written_rows(),
                            lambda case_id: render(cases[case_id]))
        return ReadResult(changes, found.modified_by)

    # -- write ----------------------------------------------------------------------------------

    def fingerprint(self, now: datetime, extra: str = "") -> list:
        last_history = self.store.db.execute("SELECT coalesce(max(id), 0) FROM history").fetchone()[0]
        return [last_history, signature(self.path), extra]

    def needs_write(self, now: datetime, force: bool, extra: str = "") -> bool:
        state = self._state()
        if force or state.get("fingerprint") != self.fingerprint(now, extra):
            return True
        next_flip = state.get("next_flip")
        return next_flip is not None and now >= datetime.fromisoformat(next_flip)

    def write(self, rows: list[dict], summary: list[list], now: datetime, next_flip: datetime | None,
              extra: str = "") -> bool:
        """Write unless the workbook is open; returns False when it was locked."""
        if self.is_locked():
            return False
        write_ledger(self.path, rows, self.directory, summary, self.backup_dir, now)
        written = {row["id"]: row_hashes(row) for row in rows}
        with self.store.transaction():
            self._save_snapshot(written)
            self.store.set_value(_STATE_KEY, {
                "signature": signature(self.path),
                "fingerprint": self.fingerprint(now, extra),
                "next_flip": next_flip.isoformat() if next_flip else None,
            })
        return True

    def _save_snapshot(self, written: dict[str, list[str]]) -> None:
        old = self._written_rows()
        changed = [(k, json.dumps(v)) for k, v in written.items() if old.get(k) != v]
        self.store.db.executemany(
            "INSERT INTO ledger_rows (case_id, cells) VALUES (?, ?) "
            "ON CONFLICT (case_id) DO UPDATE SET cells = excluded.cells", changed)
        gone = [(k,) for k in old if k not in written]
        self.store.db.executemany("DELETE FROM ledger_rows WHERE case_id = ?", gone)
        self._snapshot = written


def render_all(cases: Sequence[Case], ctx: RenderContext) -> list[dict]:
    rows = []
    for case in cases:
        row = render_row(case, ctx)
        row["link"] = case.link
        rows.append(row)
    return rows


def lock_age(first_seen: str | None, now: datetime) -> timedelta:
    return now - datetime.fromisoformat(first_seen) if first_seen else timedelta()
