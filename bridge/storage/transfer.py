"""`python run.py migrate-store --to URL`: an SQLite store copied into PostgreSQL (issue 15).

Every table of the store goes over in one transaction of the target (cases, history, outbox,
intake and mail keys, the raw copies of mail, counters, key/value state with the cursors, alerts, the ledger's write
snapshots); then each table is read back on both sides and compared by the number of rows and a
SHA-256 over the rows in primary-key order. Anything unequal rolls nothing back silently: the
command says which table differs and the service keeps running on SQLite until it is fixed.
The target schema must be empty: a second run never doubles a store.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from bridge.storage.store import Store, StoreError

# table → its primary key (the order of the checksum); identity columns get their sequence moved on.
TABLES = {
    "cases": ("id",), "history": ("id",), "outbox": ("id",), "intake_keys": ("channel", "external_id"),
    "mail_seen": ("message_key",), "mail_raw": ("message_key",), "counters": ("year",), "kv": ("key",), "alerts": ("id",),
    "ledger_writes": ("write_id",),
}
IDENTITY = {"history": "id", "outbox": "id", "alerts": "id", "ledger_writes": "write_id"}
BATCH = 2000


@dataclass(frozen=True)
class TableCheck:
    table: str
    rows: int
    digest: str
    target_rows: int
    target_digest: str

    @property
    def equal(self) -> bool:
        return (self.rows, self.digest) == (self.target_rows, self.target_digest)


def table_digest(store: Store, table: str) -> tuple[int, str]:
    """(rows, SHA-256 of the rows in primary-key order): the same figure on either engine."""
    cursor = store.db.execute(f"SELECT * FROM {table}")
    names = [column[0] for column in cursor.description]
    key = [names.index(k) for k in TABLES[table]]
    rows = sorted((tuple(row) for row in cursor.fetchall()), key=lambda row: tuple(row[i] for i in key))
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps([v.hex() if isinstance(v, (bytes, memoryview)) else v for v in
                                  (bytes(x) if isinstance(x, memoryview) else x for x in row)],
                                 ensure_ascii=False).encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
    return len(rows), digest.hexdigest()


def copy_store(source: Store, target: Store) -> list[TableCheck]:
    """Copy every table of `source` into the empty `target`, then check both by counts and digests."""
    busy = [table for table in TABLES
            if target.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]]
    if busy:
        raise StoreError(f"в базе {getattr(target, 'where', target.path)} уже есть данные (таблицы: "
                         f"{', '.join(busy)}): перенос делается только в пустую схему — назовите новую "
                         "схему или очистите эту (DROP SCHEMA … CASCADE)")
    with target.transaction():
        for table in TABLES:
            cursor = source.db.execute(f"SELECT * FROM {table}")
            names = [column[0] for column in cursor.description]
            insert = (f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})")
            while True:
                rows = cursor.fetchmany(BATCH)
                if not rows:
                    break
                target.db.executemany(insert, [tuple(row) for row in rows])
        for table, column in IDENTITY.items():
            target.db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                              f"(SELECT coalesce(max({column}), 0) + 1 FROM {table}), false)")
    checks = []
    for table in TABLES:
        rows, digest = table_digest(source, table)
        target_rows, target_digest = table_digest(target, table)
        checks.append(TableCheck(table, rows, digest, target_rows, target_digest))
    return checks
