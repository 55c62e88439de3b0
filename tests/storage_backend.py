"""Which store the tests run on: SQLite (the default) or PostgreSQL (`pytest --store=postgresql`).

With PostgreSQL every app the tests build — in this process and in the children they start
(`run.py`, tests/*/child_*.py) — opens its store through the product's own `PgStore` in a
schema of its own, named after its data folder, in one throwaway cluster (tests/servers/
postgres.py). The configuration is left as the test wrote it; only `bridge.app.open_store`
answers with the database. Children find the same through tests/pg_site/sitecustomize.py, put
on their PYTHONPATH with the cluster's address.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

URL_ENV = "OTKLIK_TEST_PG_URL"
ROOT = Path(__file__).resolve().parent.parent
SITE = Path(__file__).resolve().parent / "pg_site"


def on_postgres() -> bool:
    return bool(os.environ.get(URL_ENV))


def schema_for(data_dir: Path) -> str:
    return "t_" + hashlib.sha1(str(Path(data_dir).resolve()).encode()).hexdigest()[:24]


def open_test_store(data_dir: Path):
    """The store of a data folder, on the backend of this run (for tests that read it after a child)."""
    if on_postgres():
        from bridge.storage.pg import PgStore
        from tests.servers.postgres import PASSWORD_ENV
        return PgStore(os.environ[URL_ENV], schema_for(data_dir), os.environ[PASSWORD_ENV])
    from bridge.storage.store import Store
    return Store(Path(data_dir) / "otklik.sqlite3")


def install_into(app_module) -> None:
    """Make `open_store` of the product answer with PostgreSQL when this run is on it."""
    if not on_postgres() or getattr(app_module.open_store, "_test_backend", False):
        return
    original = app_module.open_store

    def open_store(config, files, command=""):
        if config.store_url:
            return original(config, files, command)
        from bridge.storage.pg import PgStore
        from tests.servers.postgres import PASSWORD_ENV
        return PgStore(os.environ[URL_ENV], schema_for(files.root), os.environ[PASSWORD_ENV], command)

    open_store._test_backend = True
    app_module.open_store = open_store


def start_for_session():
    """Start the cluster for a `--store=postgresql` run and point this process and its children at it."""
    from tests.servers import postgres
    cluster = postgres.start()
    os.environ[URL_ENV] = cluster.url()
    os.environ[postgres.PASSWORD_ENV] = postgres.PASSWORD
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SITE), os.environ.get("PYTHONPATH")]))
    import bridge.app
    install_into(bridge.app)
    return cluster


def query(data_dir: Path, text: str, params=(), *, url: str | None = None, schema: str | None = None) -> list | None:
    """Rows of one read-only query on the store of `data_dir` (the test's own look, beside a
    running service); None when the store cannot be read yet."""
    if url or on_postgres():
        import psycopg
        from bridge.storage.pg import translate
        from tests.servers.postgres import PASSWORD
        try:
            with psycopg.connect(url or os.environ[URL_ENV], password=PASSWORD, connect_timeout=5,
                                 options=f"-c search_path={schema or schema_for(data_dir)}") as db:
                return db.execute(translate(text) if params else text, params or None).fetchall()
        except psycopg.Error:
            return None
    import sqlite3
    try:
        with sqlite3.connect(Path(data_dir) / "otklik.sqlite3", timeout=5) as db:
            return db.execute(text, params).fetchall()
    except sqlite3.Error:
        return None


def raw_mail_rows(store) -> dict[str, bytes]:
    """The raw copies of mail an open store keeps (`mail_raw`), by message key."""
    return {row[0]: bytes(row[1]) for row in store.db.execute("SELECT message_key, raw FROM mail_raw")}
