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
