"""Test scopes by folder, as markers: `pytest -m pure` runs in seconds with no server and no
workbook; `-m server` adds real servers and files (Dovecot, aiosmtpd, LibreOffice, stand-ins);
`-m e2e` is the whole product end to end (kill -9, outages, a second process)."""

from __future__ import annotations

import pytest

SCOPES = {
    "pure": ("worktime", "hints", "mail_parse", "mail_compose", "test_layout_contract.py"),
    "e2e": ("e2e_mail", "e2e_channels", "e2e_conversation", "fault", "e2e"),
}


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        parts = item.path.parts[item.path.parts.index("tests") + 1:]
        scope = next((name for name, folders in SCOPES.items() if parts and parts[0] in folders), "server")
        item.add_marker(getattr(pytest.mark, scope))


# -- the store's backend (issue 15): `pytest --store=postgresql` runs the same tests on PostgreSQL

SQLITE_ONLY = {
    # the SQLite file itself: deleted, emptied, replaced, backed up, migrated from PRAGMA versions
    "tests/e2e/test_store_safety.py": "the SQLite file's own safety (deleted, emptied, replaced, backup)",
    "tests/control/test_migration.py": "PRAGMA user_version migrations of SQLite files",
    "tests/e2e/test_full_disk.py::test_a_long_message_on_a_full_disk_waits_and_is_not_lost":
        "the disk that fills is the SQLite file's (PostgreSQL's is the database server's)",
    "tests/e2e/test_purge.py::test_purge_leaves_no_byte_of_the_case_and_a_late_reply_brings_none_back":
        "it reads the bytes of the SQLite file (PostgreSQL: VACUUM, and the server's WAL retention)",
    "tests/e2e_conversation/test_reroute.py::test_a_case_routed_by_the_previous_version_can_be_rerouted":
        "the previous version, which stored no `routed_to`, ran on SQLite only (PostgreSQL came later)",
}


def pytest_addoption(parser) -> None:
    parser.addoption("--store", choices=("sqlite", "postgresql"), default="sqlite",
                     help="the store backend the tests run on (postgresql starts a throwaway cluster)")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "sqlite_only: a test of the SQLite file itself")
    if config.getoption("--store") == "postgresql":
        from tests.storage_backend import start_for_session
        config._otklik_pg = start_for_session()


def pytest_unconfigure(config) -> None:
    cluster = getattr(config, "_otklik_pg", None)
    if cluster is not None:
        cluster.stop()


def pytest_runtest_setup(item) -> None:
    if item.config.getoption("--store") != "postgresql":
        return
    path, test = item.path.as_posix(), f"{item.path.as_posix()}::{item.originalname}"
    reason = next((why for name, why in SQLITE_ONLY.items() if path.endswith(name) or test.endswith(name)), None)
    if reason or item.get_closest_marker("sqlite_only"):
        pytest.skip(f"SQLite only: {reason or 'the SQLite file itself'}")
