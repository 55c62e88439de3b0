"""A store written by the previous version (schema 4, the ledger's Russian words as identities)
opens in place as schema 5 with codes; the history is translated too (issue 9)."""

from __future__ import annotations

import json
import sqlite3

from bridge.core.model import Basis, Decision, Status
from bridge.storage.store import MIGRATIONS, Store


def old_store(path) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:4]:
        for statement in filter(str.strip, script.split(";")):
            db.execute(statement)
    db.execute("PRAGMA user_version = 4")
    data = {"id": "OKH-2026-00001", "channel": "vk", "external_id": "x", "posted_at": "2026-03-12T11:00:00+11:00",
            "status": "На доработке", "basis": "вне компетенции", "applied_decision": "На доработку",
            "applied_epoch": 1, "epoch": 1}
    db.execute("INSERT INTO cases VALUES ('OKH-2026-00001', 2026, 1, 'На доработке', '', ?, NULL, ?)",
               (data["posted_at"], json.dumps(data, ensure_ascii=False)))
    for field, old, new in (("status", "Ответ получен", "На доработке"), ("decision", None, "На доработку"),
                            ("basis", None, "вне компетенции")):
        db.execute("INSERT INTO history (case_id, at, actor, action, field, old, new) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   ("OKH-2026-00001", data["posted_at"], "оператор", "правка", field, old, new))
    db.close()


def test_schema_4_store_migrates_to_codes(tmp_path):
    path = tmp_path / "otklik.sqlite3"
    old_store(path)
    store = Store(path)
    case = store.get("OKH-2026-00001")
    assert (case.status, case.basis, case.applied_decision) == (Status.REWORK, Basis.OUT_OF_COMPETENCE,
                                                                Decision.REWORK)
    assert store.cases_with_status(Status.REWORK)[0].id == case.id
    assert store.returned_case_ids() == {case.id}
    assert [(r["field"], r["old"], r["new"]) for r in store.history(case.id)] == [
        ("status", Status.ANSWERED, Status.REWORK), ("decision", None, Decision.REWORK),
        ("basis", None, Basis.OUT_OF_COMPETENCE)]
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    store.close()
