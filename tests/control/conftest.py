"""Fixtures for the control tests (п. 4.1, 4.2): the demo config on a temp folder, an app, cases."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bridge.app import build_app
from bridge.config import load
from bridge.core.model import Case, Status

TZ = ZoneInfo("Asia/Sakhalin")


def local(*parts: int) -> datetime:
    """An aware moment in the demo zone: local(2026, 4, 13, 10) is 13.04.2026 10:00 (Сахалин)."""
    return datetime(*parts, tzinfo=TZ)


@pytest.fixture
def config(tmp_path):
    demo = load(None)
    return dataclasses.replace(demo, data_dir=tmp_path / "data", ledger=tmp_path / "data" / "Журнал.xlsx",
                               site_dir=tmp_path / "data" / "site", base_dir=tmp_path)


@pytest.fixture
def app(config):
    application = build_app(config, connect=False)
    yield application
    application.store.close()


_external = itertools.count(1)


def add_case(store, posted_at: datetime, **fields) -> Case:
    """A case written straight into the store (the fields a test cares about)."""
    case = Case(id=store.next_case_id("OKH", posted_at.year), channel=fields.pop("channel", "vk"),
                external_id=str(next(_external)), posted_at=posted_at, **fields)
    store.add(case, "тест", at=posted_at)
    return case


def add_routed(store, routed_at: datetime, department: str = "zhkh", **fields) -> Case:
    """A case sent to `department` at `routed_at` (answer term п. 3.2)."""
    fields.setdefault("posted_at", routed_at)
    fields.setdefault("status", Status.ROUTED)
    return add_case(store, fields.pop("posted_at"), department=department,
                    routed_at=routed_at, deadline_kind="answer", deadline_start=routed_at,
                    thread_ids=[f"<first-{department}@adm-okha.ru>"], **fields)


def outbox_keys(store) -> list[str]:
    return [r[0] for r in store.db.execute("SELECT key FROM outbox ORDER BY id")]
