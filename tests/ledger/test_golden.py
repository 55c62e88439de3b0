"""The demo scenario's ledger, cell by cell, against golden/demo_ledger.json (regen_golden.py)."""

from __future__ import annotations

import json

from tests.ledger.golden_scenario import build
from tests.ledger.regen_golden import GOLDEN


def test_ledger_matches_the_golden_dump(tmp_path):
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    actual = json.loads(json.dumps(build(tmp_path), ensure_ascii=False))
    for sheet in expected:
        assert actual[sheet] == expected[sheet], f"sheet «{sheet}» differs; if intended, run tests/ledger/regen_golden.py"
    assert set(actual) == set(expected)
