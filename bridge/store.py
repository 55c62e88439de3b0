"""The bridge's store: SQLite in WAL mode, the source of truth (SPEC §2).

Tables: `cases` (one JSON document per case plus indexed columns), `history` (every change of a
case: who, when, what, old and new value), `outbox` (everything to send or publish, see
bridge/outbox.py), `intake_keys` (dedup of channel items), `mail_seen` (dedup of incoming mail),
`counters` (case numbers per year) and `kv` (cursors, mailbox state, ledger fingerprints).
The schema is versioned with `PRAGMA user_version`; `MIGRATIONS[n]` brings version n to n+1.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from bridge.model import CASE_FIELDS, Case, format_case_id

MIGRATIONS: tuple[str, ...] = (
    # 0 → 1: the first schema.
    """
    CREATE TABLE cases (
        id TEXT PRIMARY KEY, year INTEGER NOT NULL, seq INTEGER NOT NULL,
        status TEXT NOT NULL, department TEXT NOT NULL DEFAULT '',
        posted_at TEXT NOT NULL, closed_at TEXT, data TEXT NOT NULL
    );
    CREATE INDEX cases_order ON cases (year, seq);
    CREATE TABLE history (
        id INTEGER PRIMARY KEY, case_id TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL,
        action TEXT NOT NULL, field TEXT NOT NULL DEFAULT '', old TEXT, new TEXT
    );
    CREATE INDEX history_case ON history (case_id, id);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, case_id TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0, next_at TEXT NOT NULL, last_error TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL, done_at TEXT, result TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX outbox_due ON outbox (state, next_at);
    CREATE TABLE intake_keys (
        channel TEXT NOT NULL, external_id TEXT NOT NULL, case_id TEXT NOT NULL,
        PRIMARY KEY (channel, external_id)
    );
    CREATE TABLE mail_seen (
        message_key TEXT PRIMARY KEY, case_id TEXT, kind TEXT NOT NULL, at TEXT NOT NULL,
        raw_path TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE counters (year INTEGER PRIMARY KEY, last INTEGER NOT NULL);
    CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE ledger_rows (case_id TEXT PRIMARY KEY, cells TEXT NOT NULL);
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, case_id TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL, key TEXT UNIQUE, reported_at TEXT
    );
    """,
    # 1 → 2: the reports' and the «Сводка» query «which cases were ever returned for rework».
    """
    CREATE INDEX history_field ON history (field, new);
    """,
    # 2 → 3: the repeated-question hint (п. 3.7) looks up earlier cases of the same author.
    """
    CREATE INDEX cases_author ON cases (json_extract(data, '$.author_key'));
    """,
    # 3 → 4: the ledger's snapshots are kept per write (the last few), so a file saved from an
    # earlier write is compared with what that write contained (ledger/service.py).
    """
    CREATE TABLE ledger_writes (write_id INTEGER PRIMARY KEY, at TEXT NOT NULL, snapshot BLOB NOT NULL);
    DROP TABLE ledger_rows;
    """,
)

_NOT_IN_HISTORY = {"epoch", "applied_epoch"}   # bookkeeping, not something a person did


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def case_to_json(case: Case) -> str:
    return json.dumps({k: _encode(v) for k, v in asdict(case).items()}, ensure_ascii=False)


_DATETIME_FIELDS = ("posted_at", "deadline_start", "routed_at", "answered_at", "handled_at", "closed_at")


def case_from_json(text: str) -> Case:
    data = json.loads(text)
    for name in _DATETIME_FIELDS:
        if data.get(name):
            data[name] = datetime.fromisoformat(data[name])
    return Case(**{k: v for k, v in data.items() if k in CASE_FIELDS})


class Store:
    """One SQLite database; every write happens inside `transaction()`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")   # an acknowledged answer survives a power cut
        self.db.execute("PRAGMA foreign_keys=ON")
        self._depth = 0
        self.touched: set[str] = set()   # ids added or changed through this object (see cycle.py)
        self.migrate()

    def close(self) -> None:
        self.db.close()

    # -- schema ---------------------------------------------------------------------------------

    def migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version):
            with self.transaction():
                for statement in filter(str.strip, script.split(";")):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Nested calls join the outer transaction; the outermost commits or rolls back."""
        if self._depth == 0:
            self.db.execute("BEGIN IMMEDIATE")
        self._depth += 1
        try:
            yield self.db
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self.db.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self.db.execute("COMMIT")

    # -- cases ----------------------------------------------------------------------------------

    def next_case_id(self, prefix: str, year: int) -> str:
        with self.transaction():
            row = self.db.execute("SELECT last FROM counters WHERE year = ?", (year,)).fetchone()
            number = (row["last"] if row else 0) + 1
            self.db.execute("INSERT INTO counters (year, last) VALUES (?, ?) "
                            "ON CONFLICT (year) DO UPDATE SET last = excluded.last", (year, number))
        return format_case_id(prefix, year, number)

    def get(self, case_id: str) -> Case | None:
        row = self.db.execute("SELECT data FROM cases WHERE id = ?", (case_id,)).fetchone()
        return case_from_json(row["data"]) if row else None

    def all_cases(self) -> list[Case]:
        rows = self.db.execute("SELECT data FROM cases ORDER BY year, seq")
        return [case_from_json(row["data"]) for row in rows]

    def case_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT id FROM cases")}

    def add(self, case: Case, actor: str, action: str = "создано", at: datetime | None = None) -> None:
        at = at or utcnow()
        year, seq = int(case.id.split("-")[-2]), int(case.id.split("-")[-1])
        with self.transaction():
            self.db.execute(
                "INSERT INTO cases (id, year, seq, status, department, posted_at, closed_at, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (case.id, year, seq, case.status, case.department, _iso(case.posted_at),
                 _iso(case.closed_at), case_to_json(case)))
            self.record(case.id, actor, action, at=at)
        self.touched.add(case.id)

    def save(self, case: Case, actor: str, action: str, at: datetime | None = None) -> bool:
        """Write `case`; one history row per changed field. Returns False when nothing changed."""
        before = self.get(case.id)
        if before is None:
            raise KeyError(case.id)
        changes = [(name, getattr(before, name), getattr(case, name)) for name in CASE_FIELDS
                   if getattr(before, name) != getattr(case, name)]
        if not changes:
            return False
        at = at or utcnow()
        with self.transaction():
            self.db.execute(
                "UPDATE cases SET status = ?, department = ?, posted_at = ?, closed_at = ?, data = ? "
                "WHERE id = ?",
                (case.status, case.department, _iso(case.posted_at), _iso(case.closed_at),
                 case_to_json(case), case.id))
            for name, old, new in changes:
                if name not in _NOT_IN_HISTORY:
                    self.record(case.id, actor, action, name, old, new, at=at)
        self.touched.add(case.id)
        return True

    def record(self, case_id: str, actor: str, action: str, field: str = "",
               old: Any = None, new: Any = None, at: datetime | None = None) -> None:
        self.db.execute(
            "INSERT INTO history (case_id, at, actor, action, field, old, new) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (case_id, _iso(at or utcnow()), actor, action, field, _history_value(old), _history_value(new)))

    def history(self, case_id: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM history WHERE case_id = ? ORDER BY id", (case_id,)).fetchall()

    def history_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM history").fetchone()[0]

    # -- intake dedup ---------------------------------------------------------------------------

    def case_for_item(self, channel: str, external_id: str) -> str | None:
        row = self.db.execute("SELECT case_id FROM intake_keys WHERE channel = ? AND external_id = ?",
                              (channel, external_id)).fetchone()
        return row["case_id"] if row else None

    def remember_item(self, channel: str, external_id: str, case_id: str) -> None:
        self.db.execute("INSERT INTO intake_keys (channel, external_id, case_id) VALUES (?, ?, ?)",
                        (channel, external_id, case_id))

    # -- alerts for the operator (digest, log) ---------------------------------------------------

    def alert(self, kind: str, text: str, case_id: str = "", key: str | None = None,
              at: datetime | None = None) -> None:
        """Something a person must know; `key` makes a repeated alert a no-op."""
        self.db.execute("INSERT OR IGNORE INTO alerts (at, kind, case_id, text, key) VALUES (?, ?, ?, ?, ?)",
                        (_iso(at or utcnow()), kind, case_id, text, key))

    def unreported_alerts(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM alerts WHERE reported_at IS NULL ORDER BY id").fetchall()

    def mark_alerts_reported(self, ids: list[int], at: datetime | None = None) -> None:
        self.db.executemany("UPDATE alerts SET reported_at = ? WHERE id = ?",
                            [(_iso(at or utcnow()), i) for i in ids])

    # -- key/value ------------------------------------------------------------------------------

    def get_value(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return json.loads(row["value"]) if row else default

    def set_value(self, key: str, value: Any) -> None:
        self.db.execute("INSERT INTO kv (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (key, json.dumps(value, ensure_ascii=False)))


def _history_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(_encode(value))
