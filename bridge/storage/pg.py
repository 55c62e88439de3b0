"""The store on PostgreSQL (issue 15): one administration per schema of a regional database,
leadership by an advisory lock held by the session, the hot standby waiting for it.

Why psycopg 3 and the store's own SQL rather than SQLAlchemy Core: the queries in store.py are
already portable SQL (`ON CONFLICT`, `?` / `:name` parameters, `RETURNING`), so they stay where
they are and run unchanged on both engines: one set of queries, and the SQLite path keeps the
standard library's driver with no layer in between (bench/burst.py measures it). What differs is
confined here: the parameter marks are rewritten once per query text (`?` → `%s`, `:name` →
`%(name)s`); the three SQLite functions the queries use (`json_extract`, `json_type`,
`julianday`) are created in each schema with SQLite's meaning; and the migrations of store.py
(the one definition of the schema) run with two type words translated (`INTEGER PRIMARY KEY` →
an identity column, `BLOB` → `bytea`). The schema's version lives in `schema_version` instead of
`PRAGMA user_version`.

Rows answer by position and by name, like `sqlite3.Row`. Text PostgreSQL cannot hold (NUL, a
lone surrogate) is made storable on the way in, the same way for every parameter.

Leadership: `pg_try_advisory_lock` on the store's own connection, so the lock and the writes
share one session. The leader killed -9 closes its socket; the server ends the session and frees
the lock at once, and the standby polling for it takes over (`lead`). A leader whose connection
drops stops (`check_file` → `InstanceLost`): its lock is gone, another may be working already.
"""

from __future__ import annotations

import logging
import os
import platform
import re
import time
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import urlsplit

import psycopg
from psycopg import sql as pgsql

from bridge.core.errors import OtklikError
from bridge.storage.instance import InstanceBusy, InstanceLost
from bridge.storage.store import LATEST_MOMENT, MIGRATIONS, Store, StoreError, storable

log = logging.getLogger("otklik.store")

SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
LOCK_CLASS = 0x4F544B4C          # "OTKL": the first key of every Otklik advisory lock
ITEM_CLASS = LOCK_CLASS + 1        # first key of an outbox item's claim (the item's id is the second)
BOOTSTRAP_KEY = 0                # second key while a schema is created or migrated (per database)
LEADER_POLL = 1.0                # seconds between a standby's attempts to take the leadership

# SQLite's functions as the store's queries use them, one set per schema (search_path finds them).
FUNCTIONS = (
    # json_extract(doc, '$.a.b'): the value as text (SQLite gives the SQL value; every use
    # compares it with text). PostgreSQL refuses to read a "\u0000" escape into text: it is read
    # as «\ufffd», as a NUL parameter is (`_clean`).
    r"""CREATE OR REPLACE FUNCTION {schema}.json_extract(doc text, path text) RETURNS text
       LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       AS $$ SELECT replace(doc, '\u0000', '\ufffd')::json #>> string_to_array(substr(path, 3), '.') $$""",
    # json_type(doc, path): SQLite's names ('true', 'false', 'integer', 'real', 'text', 'null', ...).
    r"""CREATE OR REPLACE FUNCTION {schema}.json_type(doc text, path text) RETURNS text
       LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       AS $$ SELECT CASE json_typeof(v) WHEN 'boolean' THEN v::text WHEN 'string' THEN 'text'
                     WHEN 'number' THEN CASE WHEN v::text ~ '^-?[0-9]+$' THEN 'integer' ELSE 'real' END
                     ELSE json_typeof(v) END
             FROM (SELECT replace(doc, '\u0000', '\ufffd')::json #> string_to_array(substr(path, 3), '.') AS v)
                  AS found $$""",
    # julianday(moment): days as SQLite counts them; NULL for text that is not a moment (SQLite
    # says NULL too: the outbox takes an unreadable `next_at` for due).
    # max(a, b, …) of several values (SQLite's scalar max; PostgreSQL's max is the aggregate
    # only): fixed arities, so the one-argument aggregate is never shadowed.
    *(rf"""CREATE OR REPLACE FUNCTION {{schema}}.max({", ".join(["double precision"] * n)}) RETURNS double precision
       LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT greatest({", ".join(f"${i}" for i in range(1, n + 1))}) $$"""
      for n in range(2, 9)),
    # PARALLEL RESTRICTED: its exception block is a subtransaction, which a parallel worker cannot open.
    r"""CREATE OR REPLACE FUNCTION {schema}.julianday(moment text) RETURNS double precision
       LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL RESTRICTED
       AS $$ BEGIN RETURN extract(epoch FROM moment::timestamptz) / 86400.0 + 2440587.5;
             EXCEPTION WHEN others THEN RETURN NULL; END $$""",
    # store.LATEST_MOMENT in one call that reads the case's JSON once (after julianday, which it
    # calls): spelled out, the `cases_latest` index parsed the whole document five times for every
    # case written. `translate` and `_ddl` put this call where that text stands.
    r"""CREATE OR REPLACE FUNCTION {schema}.latest_moment(doc text, closed text) RETURNS double precision
       LANGUAGE sql IMMUTABLE PARALLEL RESTRICTED
       AS $$ SELECT CASE WHEN closed IS NULL THEN greatest(""" + ", ".join(
        f"coalesce({{schema}}.julianday(j ->> '{name}'), 0)"
        for name in ("posted_at", "deadline_start", "routed_at", "answered_at", "handled_at")) + r""")
                     ELSE {schema}.julianday(closed) END
             FROM (SELECT replace(doc, '\u0000', '\ufffd')::json AS j) AS parsed $$""",
)

_TOKENS = re.compile(r"'(?:[^']|'')*'|\?|(?<![:\w]):([A-Za-z_]\w*)|%")


LATEST_MOMENT_CALL = "latest_moment(data, closed_at)"


def translate(text: str) -> str:
    """A query of store.py with PostgreSQL's parameter marks (string literals left alone)."""
    text = text.replace(LATEST_MOMENT, LATEST_MOMENT_CALL)
    def mark(found: re.Match) -> str:
        token = found.group(0)
        if token.startswith("'"):
            return token.replace("%", "%%")
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        return f"%({found.group(1)})s"
    return _TOKENS.sub(mark, text)


# PostgreSQL's B-tree holds at most ~2.7 KB per entry, SQLite's any size: `history.new` can be a
# whole answer. The one query this index serves asks for field = 'status' (returned_case_ids),
# so on PostgreSQL it holds those rows only (same name, same use).
_INDEXES = {"CREATE INDEX history_field ON history (field, new)":
            "CREATE INDEX history_field ON history (field, new) WHERE field = 'status'"}


def _ddl(statement: str) -> str:
    """A migration's statement in PostgreSQL's words for the two types SQLite spells otherwise
    (and an index on a CASE expression in the parentheses PostgreSQL asks for)."""
    statement = _INDEXES.get(statement.strip(), statement).replace(LATEST_MOMENT, LATEST_MOMENT_CALL)
    statement = re.sub(r"^(\s*CREATE INDEX \w+ ON \w+ )\((CASE\b.*\bEND)\)\s*$", r"\1((\2))", statement, flags=re.S)
    statement = re.sub(r"\bINTEGER PRIMARY KEY\b", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", statement)
    return re.sub(r"\bBLOB\b", "BYTEA", statement)


def _clean(value: Any) -> Any:
    if isinstance(value, str) and not value.isascii():
        value = storable(value)
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


def _params(params: Any) -> Any:
    if not params:
        return None
    if isinstance(params, dict):
        return {k: _clean(v) for k, v in params.items()}
    return [_clean(v) for v in params]


class Row(tuple):
    """A result row read by position or by column name, like `sqlite3.Row`."""

    def __new__(cls, values: Iterable, index: dict[str, int]) -> "Row":
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _rows(cursor) -> Callable[[Any], Row]:
    index = {column.name: n for n, column in enumerate(cursor.description or ())}
    return lambda values: Row(values, index)


# What the PostgreSQL store sent, for bench/burst.py's profile: statements, and round trips (a
# statement sent alone, or a pipeline of them together). Two integers, always counted.
SENT = {"statements": 0, "round_trips": 0}

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b(?!.*\bRETURNING\b)", re.IGNORECASE | re.DOTALL)


class _Deferred:
    """A write sent later, with the next read or the COMMIT, in one round trip (pipeline mode);
    asking for its outcome (`rowcount`, rows) sends it at once."""

    def __init__(self, connection: "Connection", text: str, values: Any) -> None:
        self.connection, self.text, self.values, self.cursor = connection, text, values, None

    def _sent(self) -> psycopg.Cursor:
        self.connection.flush()
        return self.cursor

    @property
    def rowcount(self) -> int:
        return self._sent().rowcount

    def fetchone(self):
        return self._sent().fetchone()

    def fetchall(self):
        return self._sent().fetchall()

    def __iter__(self):
        return iter(self._sent())


def _place(waiting: list[_Deferred], mark: _Deferred) -> int | None:
    """Where `mark` waits (looked for from the end: a block's statements are the last), or None
    when it was sent."""
    for number in range(len(waiting) - 1, -1, -1):
        if waiting[number] is mark:
            return number
    return None


class Connection:
    """The part of `sqlite3.Connection` the store uses, over one psycopg connection.

    Inside a transaction, writes whose outcome nobody asks for wait and go together with the
    next read or the COMMIT in one round trip (psycopg's pipeline mode): a batch of cases taken
    in (steps/intake.py) is a handful of round trips in all. `SENT` counts them. A read always sees the writes before it (they are sent
    first); an error of a waiting write surfaces at that read or at the COMMIT, and the whole
    transaction is rolled back as for any other error."""

    def __init__(self, raw: psycopg.Connection) -> None:
        self.raw = raw
        self._texts: dict[str, str] = {}
        self.deferring = False
        self._waiting: list[_Deferred] = []

    def flush(self, then: tuple[str, Any] | None = None) -> psycopg.Cursor | None:
        """Send the waiting writes, and `then` (a read) in the same round trip; its cursor."""
        if not self._waiting:
            if then:
                SENT["round_trips"] += 1
            return self._now(*then) if then else None
        waiting, self._waiting = self._waiting, []
        SENT["round_trips"] += 1
        if len(waiting) == 1 and then is None:
            waiting[0].cursor = self._now(waiting[0].text, waiting[0].values)
            return None
        with self.raw.pipeline():
            for write in waiting:
                write.cursor = self._now(write.text, write.values)
            read = self._now(*then) if then else None
        return read

    def discard(self) -> None:
        self._waiting = []

    def _now(self, text: str, values: Any) -> psycopg.Cursor:
        SENT["statements"] += 1
        cursor = self.raw.cursor()
        cursor.execute(self._text(text) if values is not None else text, values)
        return cursor

    def _text(self, text: str) -> str:
        found = self._texts.get(text)
        if found is None:
            found = self._texts[text] = translate(text)
        return found

    def execute(self, text: str, params: Any = ()) -> psycopg.Cursor | _Deferred:
        values = _params(params)
        if self.deferring and _WRITE.match(text):
            write = _Deferred(self, text, values)
            self._waiting.append(write)
            return write
        return self.flush((text, values))

    def executemany(self, text: str, rows: Iterable) -> psycopg.Cursor:
        self.flush()
        cursor, rows = self.raw.cursor(), [_params(r) for r in rows]
        SENT["statements"] += len(rows)
        SENT["round_trips"] += 1         # psycopg sends them in one pipeline
        cursor.executemany(self._text(text), rows)
        return cursor

    def close(self) -> None:
        self.raw.close()


def describe(url: str, schema: str) -> str:
    """Where the store is, for messages: host, database and schema, never the password."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"PostgreSQL {host}{port}/{parts.path.lstrip('/') or '(база по умолчанию)'}, схема «{schema}»"


class StoreUnreachable(OtklikError):
    """The PostgreSQL server does not answer (yet): a restart a little later may well succeed,
    so the exit code is one systemd restarts on (README, «Региональное развёртывание»)."""

    exit_code = 6


def _connect(url: str, password: str | None, schema: str, command: str) -> psycopg.Connection:
    application = f"otklik {command} {platform.node()} {os.getpid()}"[:63]
    try:
        return psycopg.connect(url, password=password or None, autocommit=True, row_factory=_rows,
                               connect_timeout=10, application_name=application,
                               options=f"-c search_path={schema} -c TimeZone=UTC")
    except psycopg.Error as exc:
        raise StoreUnreachable(f"к базе {describe(url, schema)} не удаётся подключиться ({_why(exc)}): проверьте "
                         "адрес в [store] url, пароль в переменной окружения из [store] password_env "
                         "и что сервер PostgreSQL работает") from None


def _why(exc: psycopg.Error) -> str:
    text = str(exc).lower()
    if "password" in text or "authentication" in text:
        return "пароль не подходит или не задан"
    if "does not exist" in text:
        return "такой базы или пользователя нет"
    if "connection refused" in text or "timeout" in text or "could not" in text:
        return "сервер не отвечает"
    return type(exc).__name__


class PgStore(Store):
    """The store in one schema of a PostgreSQL database; everything else is `Store`'s."""

    backend = "postgresql"
    _BEGIN = "BEGIN"

    def __init__(self, url: str, schema: str, password: str | None = None, command: str = "") -> None:
        if not SCHEMA_NAME.match(schema):
            raise StoreError(f"[store] schema «{schema}»: нужны строчные латинские буквы, цифры и «_»")
        self.url, self.schema, self.path = url, schema, None
        self.where = describe(url, schema)
        self._depth = 0
        self.touched: set[str] = set()
        self.leading = False
        self.db = Connection(_connect(url, password, schema, command))
        try:
            self.migrate()
        except psycopg.Error as exc:
            self.db.close()
            raise StoreError(f"схему в базе {self.where} не удаётся подготовить ({type(exc).__name__}): "
                             "у пользователя базы должно быть право создавать схемы и таблицы") from None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """As `Store.transaction`, with the writes of the transaction sent together (Connection);
        a COMMIT that fails (a waiting write refused, the connection lost) rolls back and raises."""
        if self._depth:
            self._depth += 1
            try:
                yield self.db
            finally:
                self._depth -= 1
            return
        self.db._waiting.append(_Deferred(self.db, "BEGIN", None))   # goes with the first read
        self._depth, self.db.deferring = 1, True
        try:
            yield self.db
            self.db._waiting.append(_Deferred(self.db, "COMMIT", None))
            self.db.flush()
        except BaseException:
            self.db.discard()
            try:
                self.db.raw.execute("ROLLBACK")
            except psycopg.Error:
                pass   # the connection is gone: the server has rolled back already
            raise
        finally:
            self._depth, self.db.deferring = 0, False

    @contextmanager
    def savepoint(self, *, deferred: bool = False) -> Iterator[Connection]:
        """As `Store.savepoint`, without a round trip of its own: the SAVEPOINT waits with the
        block's writes, and the RELEASE sends them (so an error of one of them surfaces here, in
        the block, and undoes it alone). `deferred`: the block's writes wait for the next read or
        the COMMIT (a batch of mail in one round trip; a refused write then fails the
        transaction), and a block of which nothing was sent needs no savepoint on the server at
        all (a mail is then three statements, not five). A block that fails before anything of
        it was sent takes its waiting statements back; one that fails later is rolled back to
        the savepoint."""
        if self._depth == 0:
            raise RuntimeError("a savepoint needs an open transaction")
        self._savepoints = getattr(self, "_savepoints", 0) + 1
        name = f"item{self._savepoints}"
        mark = _Deferred(self.db, f"SAVEPOINT {name}", None)
        self.db._waiting.append(mark)
        try:
            yield self.db
            if not deferred:
                self.db.flush((f"RELEASE {name}", None))
        except BaseException:
            place = _place(self.db._waiting, mark)
            if place is None:
                self.db.raw.execute(f"ROLLBACK TO {name}")
                self.db.raw.execute(f"RELEASE {name}")
            else:
                del self.db._waiting[place:]
            raise
        if deferred:
            place = _place(self.db._waiting, mark)
            if place is None:
                self.db._waiting.append(_Deferred(self.db, f"RELEASE {name}", None))
            else:
                del self.db._waiting[place]

    # -- the schema -----------------------------------------------------------------------------

    def migrate(self) -> None:
        """Create the schema and bring it to the last version, under a lock of the database
        (two instances starting together must not both create it)."""
        schema = pgsql.Identifier(self.schema)
        with self.transaction():
            # Through `db`, so the waiting BEGIN goes first: the lock must be the transaction's.
            self.db.execute("SELECT pg_advisory_xact_lock(?, ?)", (LOCK_CLASS, BOOTSTRAP_KEY)).fetchone()
            if not self.db.execute("SELECT 1 FROM pg_namespace WHERE nspname = ?", (self.schema,)).fetchone():
                self.db.raw.execute(pgsql.SQL("CREATE SCHEMA {}").format(schema))   # else: made for us (README)
            for function in FUNCTIONS:
                self.db.raw.execute(pgsql.SQL(function).format(schema=schema))
            self.db.raw.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
            row = self.db.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                self.db.execute("INSERT INTO schema_version (version) VALUES (0)")
            version = row[0] if row else 0
            for number, script in enumerate(MIGRATIONS[version:], start=version):
                if callable(script):
                    script(self.db)
                else:
                    for statement in filter(str.strip, script.split(";")):
                        self.db.raw.execute(_ddl(statement))
                self.db.execute("UPDATE schema_version SET version = ?", (number + 1,))
            found = self.db.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = ? AND indexname = "
                                    "'cases_latest'", (self.schema,)).fetchone()
            if found and "latest_moment" not in found[0]:     # made before `latest_moment`: the same, faster
                self.db.raw.execute("DROP INDEX cases_latest")
                self.db.raw.execute(f"CREATE INDEX cases_latest ON cases ({LATEST_MOMENT_CALL})")

    def schema_version(self) -> int:
        return self.db.execute("SELECT version FROM schema_version").fetchone()[0]

    # -- what a file store checks, for a database -----------------------------------------------

    def check_file(self) -> None:
        """The connection must be the one that holds the leadership: a lost session freed the
        advisory lock, and a standby may be working already."""
        try:
            self.db.raw.execute("SELECT 1")
        except psycopg.Error:
            raise InstanceLost(f"соединение с базой {self.where} потеряно во время работы: блокировка "
                               "ведущего экземпляра снята, работу мог продолжить резервный; этот "
                               "экземпляр остановлен, запустите его снова — он станет резервным") from None

    def data_version(self) -> int:
        """Another process never changes the cases under this one here: writing takes the
        leadership (a standby that takes it over builds its caches anew, serve.py), and extra
        outbox workers touch the outbox only. So the version stays as it is."""
        return 0

    def compact(self) -> None:
        """After a purge: VACUUM the store's tables, so the removed versions of rows leave the
        data files (outside a transaction, as PostgreSQL requires). The WAL and the base backups
        keep them until they age out: that is the database service's retention (README)."""
        for table in ("cases", "history", "outbox", "mail_seen", "mail_raw", "alerts", "kv", "ledger_writes"):
            self.db.raw.execute(pgsql.SQL("VACUUM {}").format(pgsql.Identifier(table)))

    def rescue_to(self, target: Path) -> int:
        raise StoreError(f"база {self.where} не файл: её копию делает pg_dump (README)")

    # -- several outbox workers on one database ------------------------------------------------

    def claim_outbox_item(self, item_id: int, attempts: int, result: str) -> bool:
        """A session-level advisory lock on the item, then a look at it again: another worker
        neither works it at the same time (its lock) nor after (it is no longer as it was read:
        done, retried or marked in flight). The lock dies with the session, so a worker killed
        mid-call leaves the item to the next one at once (its in-flight mark decides, outbox.py).
        `FOR UPDATE SKIP LOCKED` would hold a transaction open across the network call, which the
        runner's committed in-flight mark rules out; a skipped lock here is the same skip."""
        if not self.db.execute("SELECT pg_try_advisory_lock(?, ?)", (ITEM_CLASS, item_id)).fetchone()[0]:
            return False
        if self.db.execute("SELECT 1 FROM outbox WHERE id = ? AND state = 'pending' AND attempts = ? AND result = ?",
                           (item_id, attempts, result)).fetchone():
            return True
        self.release_outbox_item(item_id)
        return False

    def release_outbox_item(self, item_id: int) -> None:
        self.db.execute("SELECT pg_advisory_unlock(?, ?)", (ITEM_CLASS, item_id))

    # -- leadership -----------------------------------------------------------------------------

    def _leader_key(self) -> tuple[int, int]:
        return LOCK_CLASS, zlib.crc32(self.schema.encode()) - 2 ** 31

    def try_lead(self) -> bool:
        if not self.leading:
            self.leading = bool(self.db.execute("SELECT pg_try_advisory_lock(?, ?)", self._leader_key()).fetchone()[0])
        return self.leading

    def leader(self) -> str:
        """Who holds the leadership of this schema (its application name), for the message."""
        row = self.db.execute(
            "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.classid::bigint = ? AND l.objid::bigint = ? AND l.objsubid = 2",
            (self._leader_key()[0] & 0xFFFFFFFF, self._leader_key()[1] & 0xFFFFFFFF)).fetchone()
        return f"{row[0]} с {row[2]:%d.%m.%Y %H:%M} UTC" if row else "сведений нет"

    def lead(self, *, wait: bool, stopping: Callable[[], bool] = lambda: False,
             poll: float = LEADER_POLL) -> bool:
        """Take the leadership of this administration. Without `wait`, raise `InstanceBusy`
        when another instance holds it; with `wait` (the standby), poll until it is free or
        `stopping()`; returns whether it was taken."""
        if self.try_lead():
            return True
        if not wait:
            raise InstanceBusy(f"с базой {self.where} уже работает другой экземпляр Отклика "
                               f"({self.leader()}); два сразу удвоили бы письма и публикации")
        log.info("резервный экземпляр: ведущий работает (%s), ожидание", self.leader())
        while not stopping():
            time.sleep(poll)
            try:
                taken = self.try_lead()
            except psycopg.Error:
                raise StoreUnreachable(f"соединение с базой {self.where} потеряно, пока этот экземпляр ждал "
                                       "как резервный; запустите его снова, когда база доступна") from None
            if taken:
                log.warning("ведущий экземпляр пропал: работу продолжает этот экземпляр")
                return True
        return False
