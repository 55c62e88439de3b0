"""The store on both engines (issue 15): a throwaway PostgreSQL cluster for the session, and a
`store` fixture that is each backend in turn."""

from __future__ import annotations

import itertools
import os

import pytest

from bridge.storage.store import Store
from tests.servers import postgres
from tests.servers.postgres import pg  # noqa: F401

_schemas = itertools.count(1)


def new_schema() -> str:
    return f"s{os.getpid()}_{next(_schemas)}"


def pg_store(pg, schema: str | None = None, command: str = ""):
    from bridge.storage.pg import PgStore
    return PgStore(pg.url(), schema or new_schema(), postgres.PASSWORD, command)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        opened = Store(tmp_path / "otklik.sqlite3")
    else:
        opened = pg_store(request.getfixturevalue("pg"))
    yield opened
    opened.close()
