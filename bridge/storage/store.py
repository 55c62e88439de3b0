"""The bridge's store: SQLite in WAL mode, the source of truth (SPEC §2), and the only module
with SQL in it.

Tables: `cases` (one JSON document per case plus indexed columns), `history` (every change of a
case: who, when, what, old and new value), `outbox` (everything to send or publish, see
outbox.py), `intake_keys` (dedup of channel items), `mail_seen` (dedup of incoming mail),
`mail_raw` (the raw copy of each mail taken in, large ones aside: files.RAW_IN_STORE), `counters` (case numbers per year), `kv` (cursors, mailbox state, ledger state), `alerts` (what a
person must hear of) and `ledger_writes` (the snapshot of each ledger write, ledger/service.py).
A store cannot vanish silently (issue 10): `refuse_to_recreate` stops a start that would create
an empty store in a folder that shows earlier work, `check_file` notices a store file deleted,
replaced or emptied under a running service, and a file that is not a store at all is a
`StoreDamaged` with the way back, never a traceback. `backup_store` copies a live store
through SQLite's online backup API. The schema is versioned with `PRAGMA user_version`; `MIGRATIONS[n]` (SQL text or a function of
the connection) brings version n to n+1. Statuses, decisions and reasons are stored as codes
(bridge/core/model.py) since version 5; earlier stores held the ledger's Russian words.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from bridge.core.errors import OtklikError
from bridge.core.deadlines import CASE_MOMENTS
from bridge.core.model import CASE_FIELDS, Case, Status, format_case_id
from bridge.core.vocabulary import BASIS_LABELS, DECISION_LABELS, STATUS_LABELS


def _words_to_codes(db: sqlite3.Connection) -> None:
    """4 → 5: the Russian status, decision and reason words become codes, in cases and history."""
    tables = {"status": {v: k for k, v in STATUS_LABELS.items()},
              "applied_decision": {v: k for k, v in DECISION_LABELS.items()},
              "basis": {v: k for k, v in BASIS_LABELS.items()}}
    for case_id, data in db.execute("SELECT id, data FROM cases").fetchall():
        document = json.loads(data)
        for name, table in tables.items():
            if document.get(name) in table:
                document[name] = table[document[name]]
        db.execute("UPDATE cases SET status = ?, data = ? WHERE id = ?",
                   (document["status"], json.dumps(document, ensure_ascii=False), case_id))
    for name, table in (("status", tables["status"]), ("decision", tables["applied_decision"]),
                        ("basis", tables["basis"])):
        for word, code in table.items():
            for column in ("old", "new"):
                db.execute(f"UPDATE history SET {column} = ? WHERE field = ? AND {column} = ?", (code, name, word))


Migration = str | Callable[[sqlite3.Connection], None]

# A case's latest moment as a Julian day: its closing for a closed case, else the latest of its
# other moments. The index of migration 6 and `cases_with_moments_after` share this very text
# (SQLite uses an index on an expression only for the same expression).
LATEST_MOMENT = ("CASE WHEN closed_at IS NULL THEN max("
                 + ", ".join(f"coalesce(julianday(json_extract(data, '$.{name}')), 0)"
                             for name in ("posted_at", "deadline_start", "routed_at", "answered_at", "handled_at"))
                 + ") ELSE julianday(closed_at) END")

MIGRATIONS: tuple[Migration, ...] = (
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
    # 4 → 5: codes instead of the ledger's words (bridge/core/vocabulary.py has the words).
    _words_to_codes,
    # 5 → 6: two looks of every cycle read an index instead of the JSON of thousands of cases
    # (0.3 s and 0.1 s at 50,000): moments from the future (steps/clock.py), and the published
    # informational answers of the site section (steps/outgoing.py).
    f"""
    CREATE INDEX cases_latest ON cases ({LATEST_MOMENT});
    CREATE INDEX cases_informational ON cases (status, json_extract(data, '$.informational'));
    """,
    # 6 → 7: a mail's raw copy in the store, written in its batch's transaction (issue 14: a file
    # per mail cost ~0.3-0.8 ms of the disk's journal each, more than the rest of taking a reply
    # in); a mail larger than `files.RAW_IN_STORE` stays a file in `mail/` (`mail_seen.raw_path`).
    """
    CREATE TABLE mail_raw (message_key TEXT PRIMARY KEY, raw BLOB NOT NULL);
    """,
)

PURGED_ALERT = "(персональные данные обращения удалены)"


class StoreError(OtklikError):
    """The store needs a person: missing, emptied, damaged or gone under a running service.
    Restarting cannot help, so the exit code is one systemd is told not to restart on (README)."""

    exit_code = 3


class StoreMissing(StoreError):
    """No store (or an empty file) where the data folder shows earlier work."""


class StoreDamaged(StoreError):
    """The file is not an SQLite database, or SQLite finds it malformed."""


class StoreVanished(StoreError):
    """The store file was deleted, replaced or truncated while this process had it open;
    `rescuable` when the open connection still reads the old contents (deleted or replaced)."""

    def __init__(self, message: str, rescuable: bool = False) -> None:
        super().__init__(message)
        self.rescuable = rescuable


def restore_hint(path: Path) -> str:
    """The way back, in one sentence (the README «Резервная копия и восстановление» says more)."""
    return (f"восстановите базу из резервной копии: остановите службу, скопируйте последнюю копию "
            f"(сделанную командой «python run.py backup КАТАЛОГ» или из «{path.parent / 'backups'}») "
            f"на место «{path}», удалите рядом «{path.name}-wal» и «{path.name}-shm», если они есть, "
            f"и запустите снова")


def refuse_to_recreate(path: Path, earlier_work: Callable[[], Sequence[str]]) -> None:
    """Raise `StoreMissing` when opening `path` would create an empty store over earlier work
    (`earlier_work()` names what shows it; asked only when the store is missing or empty)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = None
    if size:
        return
    earlier_work = earlier_work()
    if not earlier_work:
        return
    state = "файла базы нет" if size is None else "файл базы пуст (0 байт)"
    raise StoreMissing(f"{state} — «{path}», а в папке данных есть следы прежней работы "
                       f"({', '.join(earlier_work)}); новая пустая база начала бы номера обращений "
                       f"заново, поэтому запуск остановлен. Чтобы вернуть данные, {restore_hint(path)}. "
                       "Если нужно действительно начать с чистого листа, перенесите всю папку данных "
                       "в сторону")


def _damaged(path: Path, exc: sqlite3.Error) -> StoreError:
    text = str(exc).lower()
    if "unable to open" in text or "readonly" in text or "read-only" in text:
        # The file may be perfectly sound: never send the administrator to a restore for this.
        return StoreError(f"базу «{path}» не удаётся открыть на запись: проверьте права пользователя службы "
                          f"на папку «{path.parent}» и её файлы и что диск не только для чтения")
    why = ("это не база SQLite" if "not a database" in text else
           "структура файла повреждена" if "malformed" in text or "corrupt" in text else
           "SQLite не может его прочитать")
    return StoreDamaged(f"файл базы «{path}» повреждён ({why}); {restore_hint(path)}")


def is_store_failure(exc: BaseException) -> bool:
    """Did the database itself fail (an SQLite file truncated or replaced under us, a PostgreSQL
    connection lost), rather than our code?"""
    if isinstance(exc, sqlite3.DatabaseError):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.OperationalError)


def is_database_error(exc: BaseException) -> bool:
    """Did the database refuse or fail the statement (any SQLite or PostgreSQL error)?"""
    if isinstance(exc, sqlite3.DatabaseError):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.DatabaseError)


class TransactionLost(Exception):
    """A failure inside a savepoint ended the whole transaction (its cause says why): the block's
    caller must not go on as if only the block were undone."""


def is_disk_full(exc: BaseException) -> bool:
    """Did the database refuse a write for want of room: SQLite's SQLITE_FULL
    (https://sqlite.org/rescode.html#full), PostgreSQL's 53100 disk_full?"""
    if isinstance(exc, TransactionLost) and exc.__cause__ is not None:
        exc = exc.__cause__
    if isinstance(exc, sqlite3.OperationalError):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.errors.DiskFull)


def _file_identity(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_dev, stat.st_ino


log = logging.getLogger("otklik.store")

_NOT_IN_HISTORY = {"epoch", "applied_epoch"}   # bookkeeping, not something a person did


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def storable(text: str) -> str:
    """Text SQLite accepts: a lone surrogate (from a JSON "\\ud800" or a utf-7 header) becomes «�»."""
    return text if text.isascii() else text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def case_to_json(case: Case) -> str:
    # The fields as they are (no `asdict`: its deep copies of every list and dict cost more than
    # the JSON itself, issue 14); Case holds no nested dataclass, so the text is the same.
    return storable(json.dumps({name: _encode(getattr(case, name)) for name in CASE_FIELDS}, ensure_ascii=False))


_DATETIME_FIELDS = CASE_MOMENTS


def case_from_json(text: str) -> Case:
    data = json.loads(text)
    for name in _DATETIME_FIELDS:
        if data.get(name):
            data[name] = datetime.fromisoformat(data[name])
    return Case(**{k: v for k, v in data.items() if k in CASE_FIELDS})


class Store:
    """One SQLite database; every write happens inside `transaction()`. The queries are portable
    SQL (`ON CONFLICT`, `RETURNING`, `?` and `:name` marks): `PgStore` (pg.py) runs the same ones
    on PostgreSQL, so a new query written here works on both."""

    backend = "sqlite"
    _BEGIN = "BEGIN IMMEDIATE"
    leading = True              # SQLite: the data folder's lock (instance.py) is the leadership

    def __init__(self, path: Path | str, marker: Path | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._depth = 0
        self.touched: set[str] = set()   # ids added or changed through this object (see cycle.py)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        except sqlite3.Error as exc:
            raise _damaged(self.path, exc) from None
        try:
            self.db.row_factory = sqlite3.Row
            self._check_integrity()
            self._refuse_a_stranger(marker)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")   # an acknowledged answer survives a power cut
            self.db.execute("PRAGMA foreign_keys=ON")
            self.migrate()
            self.identity = _file_identity(self.path)
            if marker is not None:
                self._mark(marker)
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise _damaged(self.path, exc) from None
        except StoreError:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    # -- the file itself ------------------------------------------------------------------------

    def _check_integrity(self) -> None:
        found = self.db.execute("PRAGMA quick_check(1)").fetchone()[0]
        if found != "ok":
            raise sqlite3.DatabaseError("database disk image is malformed")

    def _refuse_a_stranger(self, marker: Path | None) -> None:
        """Before anything is written: a schema-less file where a store was (the marker says so)
        would become a new empty store, and another program's database would get our tables."""
        if self.db.execute("PRAGMA user_version").fetchone()[0]:
            return
        if self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise StoreDamaged(f"файл «{self.path}» — база другой программы, не Отклика; {restore_hint(self.path)}")
        if marker is not None and marker.exists():
            raise StoreMissing(f"файл «{self.path}» — пустая база без данных Отклика, а отметка «{marker.name}» "
                               f"говорит, что здесь работала база; {restore_hint(self.path)}")

    def _mark(self, marker: Path) -> None:
        """Leave `marker` beside the store: from now on this folder "has had a store", and a
        start that finds the store gone refuses instead of beginning anew (refuse_to_recreate)."""
        store_id = self.get_value("store.id")
        if store_id is None:
            store_id = uuid.uuid4().hex
            with self.transaction():
                self.set_value("store.id", store_id)
        if marker.exists():
            return
        note = {"store": self.path.name, "store_id": store_id,
                "note": "Папка данных Отклика: здесь работала база. Не удаляйте этот файл; если базы нет — "
                        "восстановите её из резервной копии (README, «Резервная копия и восстановление»)."}
        temporary = marker.with_name(f".{marker.name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(json.dumps(note, ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(temporary, marker)
        except OSError as exc:   # the store works without it; the next start tries again
            log.warning("store marker not written: %s", exc.strerror or type(exc).__name__)

    def check_file(self) -> None:
        """Raise `StoreVanished` when the store's file is no longer the one this object opened:
        deleted, replaced by another file, or emptied to 0 bytes.

        Only `stat`, never `open`: closing any other descriptor of the file would drop SQLite's
        POSIX locks on it, and another process could then take this live store for unused and
        remove its WAL (https://sqlite.org/howtocorrupt.html, 2.2)."""
        try:
            stat = self.path.stat()
            identity, size = (stat.st_dev, stat.st_ino), stat.st_size
        except OSError:
            identity, size = None, 0
        if identity is None:
            what = "удалён"
        elif identity != self.identity:
            what = "заменён другим файлом"
        elif size == 0:
            what = "обнулён (0 байт)"
        else:
            return
        raise StoreVanished(f"файл базы «{self.path}» {what} во время работы; работа остановлена, чтобы не "
                            f"начать новую пустую базу", rescuable=identity != self.identity)

    def rescue_to(self, target: Path) -> int:
        """Copy what this open connection still sees (an unlinked file is still readable through
        it) to `target`; returns the number of cases copied."""
        return _copy(self.db, target)

    # -- schema ---------------------------------------------------------------------------------

    def migrate(self) -> None:
        version = self.schema_version()
        for number, script in enumerate(MIGRATIONS[version:], start=version):
            with self.transaction():
                if callable(script):
                    script(self.db)
                else:
                    for statement in filter(str.strip, script.split(";")):
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Nested calls join the outer transaction; the outermost commits or rolls back."""
        if self._depth == 0:
            self.db.execute(self._BEGIN)
        self._depth += 1
        try:
            yield self.db
        except BaseException:
            self._depth -= 1
            if self._depth == 0 and self.db.in_transaction:   # SQLite may have rolled it back itself
                self.db.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self.db.execute("COMMIT")

    @contextmanager
    def savepoint(self, *, deferred: bool = False) -> Iterator[sqlite3.Connection]:
        """Inside `transaction()`: what the block wrote is undone alone when it fails, and the rest
        of the transaction goes on (one bad mail of a batch committed together, steps/answers.py).
        `deferred` lets a database that sends statements in batches (PgStore) keep the block's
        writes for the COMMIT, where a refused one fails the whole transaction; SQLite runs each
        statement at once, so here a refused write always fails its own block."""
        if self._depth == 0:
            raise RuntimeError("a savepoint needs an open transaction")
        self._savepoints = getattr(self, "_savepoints", 0) + 1
        name = f"item{self._savepoints}"
        self.db.execute(f"SAVEPOINT {name}")
        try:
            yield self.db
        except BaseException as exc:
            if not self.db.in_transaction:
                # SQLite rolled the whole transaction back (SQLITE_FULL, an I/O error:
                # https://sqlite.org/lang_transaction.html, "Response To Errors Within A
                # Transaction"): nothing of it is left to go on with.
                raise TransactionLost() from exc
            self.db.execute(f"ROLLBACK TO {name}")
            self.db.execute(f"RELEASE {name}")
            raise
        self.db.execute(f"RELEASE {name}")

    # -- cases ----------------------------------------------------------------------------------

    def next_case_id(self, prefix: str, year: int) -> str:
        """One case number (a single case); a batch counts its own with `case_numbers`."""
        with self.transaction():
            numbers = CaseNumbers(self, prefix)
            case_id = numbers.next_id(year)
            numbers.write()
        return case_id

    def get(self, case_id: str) -> Case | None:
        row = self.db.execute("SELECT data FROM cases WHERE id = ?", (case_id,)).fetchone()
        return case_from_json(row["data"]) if row else None

    def all_cases(self) -> list[Case]:
        return self._cases("1 = 1")

    def each_case(self) -> Iterator[Case]:
        """Every case in the store's order, read one by one (the ledger renders them as they come,
        so 50,000 cases are never all in memory at once)."""
        for row in self.db.execute("SELECT data FROM cases ORDER BY year, seq"):
            yield case_from_json(row[0])

    def cases_by_id(self, ids: Iterable[str]) -> list[Case]:
        return [case for batch in self.case_batches(ids) for case in batch]

    def case_batches(self, ids: Iterable[str], size: int = 500) -> Iterator[list[Case]]:
        """The cases of `ids`, decoded `size` at a time; each batch is read whole before it is
        handed out, so the caller may write to the store between batches."""
        for batch in _chunks(list(ids), size):
            yield self._cases(f"id IN ({_marks(batch)})", batch)

    def data_version(self) -> int:
        """Changes when another connection (another process) committed since the last call."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    def cases_with_status(self, *statuses: str, open_only: bool = False) -> list[Case]:
        return self._cases(*_status_filter(statuses, open_only))

    def ids_with_status(self, *statuses: str, open_only: bool = False) -> list[str]:
        """The ids alone, in the store's order: a step that looks at thousands of cases reads them
        in batches (`cases_by_id`) instead of holding every decoded case at once (issue 14)."""
        where, params = _status_filter(statuses, open_only)
        return [row[0] for row in self.db.execute(f"SELECT id FROM cases WHERE {where} ORDER BY year, seq", params)]

    def published_informational(self) -> list[Case]:
        """п. 3.5: every published informational answer, oldest first (the site section)."""
        # json_extract('true', '$') is JSON's true as each engine reads it (1 in SQLite, 'true' in
        # PgStore): the expression of migration 6's index, compared with a constant, on both.
        return self._cases("status = ? AND json_extract(data, '$.informational') = json_extract('true', '$')",
                           (Status.PUBLISHED,),
                           order="closed_at")

    def published_by_author(self, author_key: str) -> list[Case]:
        """The author's earlier answered cases (the repeated-question hint, п. 3.7); inside
        `published_read_ahead` those of its authors come from what it read."""
        ahead = getattr(self, "_published_ahead", None)
        if ahead is not None and author_key in ahead:
            return list(ahead[author_key])
        return self._cases("status = ? AND json_extract(data, '$.author_key') = ?", (Status.PUBLISHED, author_key))

    @contextmanager
    def published_read_ahead(self, author_keys: Iterable[str]) -> Iterator[None]:
        """`published_by_author` of these authors read at once (a batch of intake: one query
        instead of one per message); for the block only, in which no case gets published."""
        ahead: dict[str, list[Case]] = {key: [] for key in dict.fromkeys(author_keys) if key}
        for batch in _chunks(list(ahead)):
            for row in self.db.execute(
                    f"SELECT data FROM cases WHERE status = ? AND json_extract(data, '$.author_key') "
                    f"IN ({_marks(batch)}) ORDER BY year, seq", (Status.PUBLISHED, *batch)):
                case = case_from_json(row["data"])
                ahead[case.author_key].append(case)
        self._published_ahead = ahead
        try:
            yield
        finally:
            self._published_ahead = None

    def _cases(self, where: str, params: Sequence = (), order: str = "year, seq") -> list[Case]:
        rows = self.db.execute(f"SELECT data FROM cases WHERE {where} ORDER BY {order}", tuple(params))
        return [case_from_json(row["data"]) for row in rows]

    def cases_with_moments_after(self, moment: datetime) -> list[Case]:
        """Open cases with any moment (posted, routed, deadline start, answered, handled) after
        `moment`, and cases closed after it: a clock that ran ahead wrote them (steps/clock.py).
        A closed case is looked at by its `closed_at` only, its last moment, so a cycle reads
        the JSON of the open cases alone."""
        # No ORDER BY in SQL: with it SQLite walks the (year, seq) index past the one on the moment.
        rows = self.db.execute(f"SELECT year, seq, data FROM cases WHERE {LATEST_MOMENT} > julianday(:moment)",
                               {"moment": _iso(moment)}).fetchall()
        return [case_from_json(row["data"]) for row in sorted(rows, key=lambda row: (row["year"], row["seq"]))]

    def case_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT id FROM cases")}

    def add(self, case: Case, actor: str, action: str = "создано", *, at: datetime) -> None:
        year, seq = int(case.id.split("-")[-2]), int(case.id.split("-")[-1])
        with self.transaction():
            self.db.execute(
                "INSERT INTO cases (id, year, seq, status, department, posted_at, closed_at, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (case.id, year, seq, case.status, case.department, _iso(case.posted_at),
                 _iso(case.closed_at), case_to_json(case)))
            self.record(case.id, actor, action, at=at)
        self.touched.add(case.id)

    def save(self, case: Case, actor: str, action: str, *, at: datetime, before: Case | None = None) -> bool:
        """Write `case`; one history row per changed field. Returns False when nothing changed.
        `before` is the case as the store holds it when the caller has just read it in this
        transaction (a batch of replies reads all its cases in one query): it is not read again."""
        if before is None:
            before = self.get(case.id)
        if before is None or before.id != case.id:
            raise KeyError(case.id)
        changes = [(name, getattr(before, name), getattr(case, name)) for name in CASE_FIELDS
                   if getattr(before, name) != getattr(case, name)]
        if not changes:
            return False
        with self.transaction():
            self._write_case(case)
            self._record_changes(case.id, actor, action, [c for c in changes if c[0] not in _NOT_IN_HISTORY], at)
        self.touched.add(case.id)
        return True

    def _record_changes(self, case_id: str, actor: str, action: str, changes: list[tuple[str, Any, Any]],
                        at: datetime) -> None:
        """One history row per changed field, in one statement (a reply changes six fields: on
        PostgreSQL each statement is work of the server's, issue 15)."""
        if not changes:
            return
        rows = ", ".join("(?, ?, ?, ?, ?, ?, ?)" for _ in changes)
        moment = _iso(at)
        self.db.execute(f"INSERT INTO history (case_id, at, actor, action, field, old, new) VALUES {rows}",
                        [value for name, old, new in changes
                         for value in (case_id, moment, actor, action, name, _history_value(old), _history_value(new))])

    def overwrite(self, case: Case) -> None:
        """Write `case` leaving no history of the old values (purge: they are what must go)."""
        with self.transaction():
            self._write_case(case)
        self.touched.add(case.id)

    def _write_case(self, case: Case) -> None:
        self.db.execute(
            "UPDATE cases SET status = ?, department = ?, posted_at = ?, closed_at = ?, data = ? WHERE id = ?",
            (case.status, case.department, _iso(case.posted_at), _iso(case.closed_at), case_to_json(case), case.id))

    def record(self, case_id: str, actor: str, action: str, field: str = "",
               old: Any = None, new: Any = None, *, at: datetime) -> None:
        self.db.execute(
            "INSERT INTO history (case_id, at, actor, action, field, old, new) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (case_id, _iso(at), actor, action, field, _history_value(old), _history_value(new)))

    def history(self, case_id: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM history WHERE case_id = ? ORDER BY id", (case_id,)).fetchall()

    def history_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM history").fetchone()[0]

    def last_history_id(self) -> int:
        return self.db.execute("SELECT coalesce(max(id), 0) FROM history").fetchone()[0]

    def returned_case_ids(self) -> set[str]:
        """Cases ever sent back for rework (п. 3.3), for «Сводка» and the reports."""
        rows = self.db.execute("SELECT DISTINCT case_id FROM history WHERE field = 'status' AND new = ?",
                               (Status.REWORK,))
        return {r[0] for r in rows}

    def blank_history(self, case_id: str, fields: Iterable[str]) -> bool:
        """Forget the old and new values of `fields` in a case's history (purge)."""
        fields = tuple(fields)
        marks = ", ".join("?" for _ in fields)
        cursor = self.db.execute(
            f"UPDATE history SET old = NULL, new = NULL WHERE case_id = ? AND field IN ({marks}) "
            "AND (old IS NOT NULL OR new IS NOT NULL)", (case_id, *fields))
        return cursor.rowcount > 0

    def has_action(self, case_id: str, action: str) -> bool:
        """Whether the case's history holds `action` (the purge's mark, steps/purge.py)."""
        return self.db.execute("SELECT 1 FROM history WHERE case_id = ? AND action = ? LIMIT 1",
                               (case_id, action)).fetchone() is not None

    def blank_case_traces(self, case_id: str) -> bool:
        """Purge: what a case's mail and alerts said about it (notes may quote a subject line,
        which carries the first words of the message)."""
        changed = self.db.execute("UPDATE mail_seen SET note = '' WHERE case_id = ? AND note != ''",
                                  (case_id,)).rowcount
        changed += self.db.execute("UPDATE alerts SET text = ? WHERE case_id = ? AND text != ?",
                                   (PURGED_ALERT, case_id, PURGED_ALERT)).rowcount
        return changed > 0

    def compact(self) -> None:
        """After a purge: nothing removed may survive in the file's free pages or in the WAL
        (https://sqlite.org/pragma.html#pragma_secure_delete, #pragma_wal_checkpoint; VACUUM
        rebuilds the file in place, so the open file stays the one `check_file` knows)."""
        self.db.execute("PRAGMA secure_delete = ON")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.execute("VACUUM")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- intake dedup ---------------------------------------------------------------------------

    def case_for_item(self, channel: str, external_id: str) -> str | None:
        row = self.db.execute("SELECT case_id FROM intake_keys WHERE channel = ? AND external_id = ?",
                              (channel, external_id)).fetchone()
        return row["case_id"] if row else None

    def remember_item(self, channel: str, external_id: str, case_id: str) -> None:
        self.db.execute("INSERT INTO intake_keys (channel, external_id, case_id) VALUES (?, ?, ?)",
                        (channel, external_id, case_id))

    def cases_for_items(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """`case_for_item` of many (channel, external id) keys at once: one query per channel
        and per 500 keys (a page of channel items is read ahead in one round trip, issue 15)."""
        wanted: dict[str, list[str]] = {}
        for channel, external_id in dict.fromkeys(keys):
            wanted.setdefault(channel, []).append(external_id)
        found = {}
        for channel, ids in wanted.items():
            for batch in _chunks(ids):
                rows = self.db.execute(f"SELECT external_id, case_id FROM intake_keys WHERE channel = ? "
                                       f"AND external_id IN ({_marks(batch)})", (channel, *batch))
                found.update({(channel, row[0]): row[1] for row in rows})
        return found

    def case_numbers(self, prefix: str) -> "CaseNumbers":
        """Case ids for a batch of new cases inside one transaction (`CaseNumbers`)."""
        return CaseNumbers(self, prefix)

    # -- incoming mail --------------------------------------------------------------------------

    def known_mail_keys(self, message_keys: Sequence[str]) -> set[str]:
        """Which of `message_keys` were taken in already: one query for a batch of mail. The keys
        are matched by their position in the question, so an engine that stores a key's text
        otherwise than Python spells it (a NUL, a lone surrogate) answers for the key asked."""
        known: set[str] = set()
        for batch in _chunks(list(message_keys)):
            rows = ", ".join("(?, ?)" for _ in batch)
            params = [value for n, key in enumerate(batch) for value in (n, storable(key))]
            found = self.db.execute(f"SELECT asked.column1 FROM (VALUES {rows}) AS asked "
                                    "JOIN mail_seen ON mail_seen.message_key = asked.column2", params)
            known.update(batch[row[0]] for row in found)
        return known

    def cases_with_action(self, case_ids: Iterable[str], action: str) -> set[str]:
        """Which of `case_ids` have `action` in their history (`has_action` for a batch of mail)."""
        found = set()
        for batch in _chunks(sorted(set(case_ids))):
            found.update(row[0] for row in self.db.execute(
                f"SELECT DISTINCT case_id FROM history WHERE action = ? AND case_id IN ({_marks(batch)})",
                (action, *batch)))
        return found

    def remember_mail(self, message_key: str, case_id: str | None, kind: str, at: datetime,
                      raw_path: str, note: str, raw: bytes | None = None) -> None:
        """A mail taken in; its raw copy is `raw` (kept here, in the same transaction) or the
        file at `raw_path` (a large mail, `files.RAW_IN_STORE`), or neither."""
        key = storable(message_key)
        self.db.execute("INSERT INTO mail_seen (message_key, case_id, kind, at, raw_path, note) "
                        "VALUES (?, ?, ?, ?, ?, ?)", (key, case_id, kind, _iso(at), raw_path, storable(note)))
        if raw is not None:
            self.db.execute("INSERT INTO mail_raw (message_key, raw) VALUES (?, ?)", (key, raw))

    def raw_mail_paths(self, case_id: str) -> list[str]:
        rows = self.db.execute("SELECT raw_path FROM mail_seen WHERE case_id = ? AND raw_path != ''", (case_id,))
        return [r["raw_path"] for r in rows]

    def raw_mail_before(self, kinds: Sequence[str], before: datetime) -> list[tuple[str, str]]:
        """(message key, raw path) of kept raw mail of these kinds taken in before `before`; the
        path is '' for a copy kept in the store."""
        rows = self.db.execute(f"SELECT message_key, raw_path FROM mail_seen WHERE kind IN ({_marks(kinds)}) "
                               "AND at < ? AND (raw_path != '' OR message_key IN (SELECT message_key FROM mail_raw))",
                               (*kinds, _iso(before)))
        return [(r["message_key"], r["raw_path"]) for r in rows]

    def forget_raw_mail_of(self, message_key: str) -> None:
        self.db.execute("UPDATE mail_seen SET raw_path = '' WHERE message_key = ?", (message_key,))
        self.db.execute("DELETE FROM mail_raw WHERE message_key = ?", (message_key,))

    def forget_raw_mail(self, case_id: str) -> None:
        self.db.execute("UPDATE mail_seen SET raw_path = '' WHERE case_id = ?", (case_id,))
        self.db.execute("DELETE FROM mail_raw WHERE message_key IN "
                        "(SELECT message_key FROM mail_seen WHERE case_id = ?)", (case_id,))

    def forget_raw_mail_holding(self, needles: set[bytes]) -> int:
        """Purge: the raw copies kept here that hold any of `needles` (an auto-reply quoting a
        purged case's number, linked to no case) go too; returns how many. Read in Python, one
        copy at a time: the bytes are matched alike on both engines."""
        doomed = [key for key, raw in self.db.execute("SELECT message_key, raw FROM mail_raw")
                  if any(needle in bytes(raw) for needle in needles)]
        for key in doomed:
            self.db.execute("DELETE FROM mail_raw WHERE message_key = ?", (key,))
        return len(doomed)

    # -- outbox (bridge/storage/outbox.py runs it) ----------------------------------------------

    def enqueue(self, key: str, kind: str, payload: dict, case_id: str, at: datetime) -> bool:
        """Queue an item once per `key`; False when an item with that key exists."""
        cursor = self.db.execute(
            "INSERT INTO outbox (key, case_id, kind, payload, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (key, case_id, kind, storable(json.dumps(payload, ensure_ascii=False)), _iso(at), _iso(at)))
        return cursor.rowcount == 1

    def is_queued(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM outbox WHERE key = ?", (key,)).fetchone() is not None

    def due_or_stranded_items(self, now: datetime, latest: datetime, limit: int) -> list[sqlite3.Row]:
        """Pending items due at `now`, and those whose `next_at` lies beyond `latest` (now plus
        the longest back-off): a clock that ran ahead scheduled them. Moments compare as instants
        (julianday), whatever offset they were written with; an unreadable one counts as due."""
        return self.db.execute(
            "SELECT id, key, case_id, kind, payload, attempts, result FROM outbox WHERE state = 'pending' "
            "AND (julianday(next_at) <= julianday(?) OR julianday(next_at) > julianday(?) "
            "OR julianday(next_at) IS NULL) ORDER BY id LIMIT ?", (_iso(now), _iso(latest), limit)).fetchall()

    def claim_outbox_item(self, item_id: int, attempts: int, result: str) -> bool:
        """May this worker work the item now? SQLite has one worker (the data folder's lock), so
        yes; PgStore answers for several workers on one database."""
        return True

    def release_outbox_item(self, item_id: int) -> None:
        """The end of `claim_outbox_item`'s claim."""

    def outbox_done(self, item_id: int, result: dict, at: datetime) -> None:
        self.db.execute("UPDATE outbox SET state = 'done', done_at = ?, attempts = attempts + 1, result = ? "
                        "WHERE id = ?", (_iso(at), json.dumps(result, ensure_ascii=False), item_id))

    def outbox_in_flight(self, item_id: int, mark: str) -> None:
        self.db.execute("UPDATE outbox SET result = ? WHERE id = ?", (mark, item_id))

    def outbox_retry(self, item_id: int, attempts: int, next_at: datetime, error: str) -> None:
        self.db.execute("UPDATE outbox SET attempts = ?, next_at = ?, last_error = ?, result = '' WHERE id = ?",
                        (attempts, _iso(next_at), storable(error), item_id))

    def outbox_stop(self, item_id: int, state: str, error: str, at: datetime) -> None:
        """An item that will not be tried again: 'failed' (a person must act), 'set_aside' (it
        failed in a way nobody foresaw; its payload is kept) or 'unknown' (a crash mid-call)."""
        self.db.execute("UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ?, done_at = ?, "
                        "result = '' WHERE id = ?", (state, storable(error), _iso(at), item_id))

    def outbox_items(self, case_id: str, *, sent_only: bool = False) -> list[sqlite3.Row]:
        where = "case_id = ?" + (" AND state != 'pending'" if sent_only else "")
        return self.db.execute(f"SELECT * FROM outbox WHERE {where} ORDER BY id", (case_id,)).fetchall()

    def replace_payload(self, item_id: int, payload: dict) -> None:
        self.db.execute("UPDATE outbox SET payload = ? WHERE id = ?", (json.dumps(payload, ensure_ascii=False), item_id))

    # -- the ledger's write snapshots (ledger/service.py) ---------------------------------------

    def ledger_snapshot(self, write_id: int) -> bytes | None:
        row = self.db.execute("SELECT snapshot FROM ledger_writes WHERE write_id = ?", (write_id,)).fetchone()
        return row["snapshot"] if row else None

    def keep_ledger_snapshot(self, write_id: int, at: datetime, snapshot: bytes, kept: int) -> None:
        """Store one write's snapshot and forget all but the last `kept`."""
        with self.transaction():
            self.db.execute("INSERT INTO ledger_writes (write_id, at, snapshot) VALUES (?, ?, ?) ON CONFLICT (write_id) "
                            "DO UPDATE SET at = excluded.at, snapshot = excluded.snapshot",
                            (write_id, _iso(at), snapshot))
            self.db.execute("DELETE FROM ledger_writes WHERE write_id <= ?", (write_id - kept,))

    # -- alerts for the operator (digest, log) ---------------------------------------------------

    def alert(self, kind: str, text: str, case_id: str = "", key: str | None = None, *, at: datetime) -> None:
        """Something a person must know; `key` makes a repeated alert a no-op."""
        self.db.execute("INSERT INTO alerts (at, kind, case_id, text, key) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        (_iso(at), kind, case_id, storable(text), key and storable(key)))

    def unreported_alerts(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM alerts WHERE reported_at IS NULL ORDER BY id").fetchall()

    def recent_alerts(self, since: datetime, limit: int = 500) -> list[sqlite3.Row]:
        """Alerts not yet in a digest or raised since `since`, newest first (the workbook's
        «Оповещения»); the id of the newest alert tells whether the list changed."""
        return self.db.execute("SELECT * FROM alerts WHERE reported_at IS NULL OR at >= ? ORDER BY id DESC LIMIT ?",
                               (_iso(since), limit)).fetchall()

    def last_alert_id(self) -> int:
        return self.db.execute("SELECT coalesce(max(id), 0) FROM alerts").fetchone()[0]

    def mark_alerts_reported(self, ids: list[int], at: datetime) -> None:
        self.db.executemany("UPDATE alerts SET reported_at = ? WHERE id = ?", [(_iso(at), i) for i in ids])

    # -- key/value ------------------------------------------------------------------------------

    def get_value(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return json.loads(row["value"]) if row else default

    def set_value(self, key: str, value: Any) -> None:
        self.db.execute("INSERT INTO kv (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (key, storable(json.dumps(value, ensure_ascii=False))))

    def delete_value(self, key: str) -> None:
        self.db.execute("DELETE FROM kv WHERE key = ?", (key,))

    def get_values(self, keys: Iterable[str]) -> dict[str, Any]:
        """`get_value` of many keys at once (those present), 500 keys a query."""
        found = {}
        for batch in _chunks(list(dict.fromkeys(keys))):
            rows = self.db.execute(f"SELECT key, value FROM kv WHERE key IN ({_marks(batch)})", tuple(batch))
            found.update({row[0]: json.loads(row[1]) for row in rows})
        return found


class CaseNumbers:
    """The case numbers of one transaction's new cases (SPEC: gapless, one counter a year): the
    first number of a year reads the counter and locks its row (the upsert; another writer waits
    for this transaction), the next ones are counted here, and `write()` stores the last one
    given before the transaction commits. A number is given only to a case that is added in the
    same transaction, so a rollback takes back the numbers with the cases: no gap, no double."""

    def __init__(self, store: "Store", prefix: str) -> None:
        self.store, self.prefix, self.last = store, prefix, {}

    def next_id(self, year: int) -> str:
        if year not in self.last:
            self.last[year] = self.store.db.execute(
                "INSERT INTO counters (year, last) VALUES (?, 0) "
                "ON CONFLICT (year) DO UPDATE SET last = counters.last RETURNING last", (year,)).fetchone()[0]
        self.last[year] += 1
        return format_case_id(self.prefix, year, self.last[year])

    def write(self) -> None:
        for year, number in self.last.items():
            self.store.db.execute("UPDATE counters SET last = ? WHERE year = ?", (number, year))


def backup_store(path: Path, target: Path) -> int:
    """A consistent copy of the store at `path` into `target`, taken while a service may be
    writing: one step of SQLite's online backup API under one read transaction (WAL readers do
    not block the writer). The source is opened read-only and nothing in it changes. Returns
    the number of cases in the copy (the copy is checked by opening it)."""
    if not path.exists() or path.stat().st_size == 0:
        raise StoreMissing(f"базы «{path}» нет или она пуста: копировать нечего")
    # A folder nobody can write in has no writer to be consistent with: read the file as it is
    # (a WAL store opened read-only otherwise needs its -shm file created beside it).
    frozen = "&immutable=1" if not os.access(path.parent, os.W_OK) else ""
    try:
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro{frozen}", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise _damaged(path, exc) from None
    try:
        source.execute("PRAGMA quick_check(1)")
        return _copy(source, target)
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, exc) from None
    finally:
        source.close()


def _copy(source: sqlite3.Connection, target: Path) -> int:
    """Back `source` up into a temporary file beside `target`, check it, then move it in place."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        copy = sqlite3.connect(temporary, isolation_level=None)
        try:
            source.backup(copy)      # pages=-1: everything in one step, one consistent snapshot
            copy.execute("PRAGMA journal_mode=DELETE")   # one self-contained file, no -wal beside it
            if copy.execute("PRAGMA integrity_check(1)").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("database disk image is malformed")
            cases = copy.execute("SELECT count(*) FROM cases").fetchone()[0]
        finally:
            copy.close()
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return cases


def _marks(values: Sequence) -> str:
    return ", ".join("?" for _ in values)


def _chunks(values: list, size: int = 500) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _status_filter(statuses: Sequence[str], open_only: bool) -> tuple[str, tuple]:
    marks = ", ".join("?" for _ in statuses)
    return f"status IN ({marks})" + (" AND closed_at IS NULL" if open_only else ""), tuple(statuses)


def _history_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return storable(json.dumps(value, ensure_ascii=False, default=str))
    return storable(str(_encode(value)))
