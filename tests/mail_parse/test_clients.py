"""Replies of the clients Russian administrations use (fixtures/clients, issue 17).

train/ is what the rules were tuned on; heldout/ was split off before tuning and is only
measured. Every fixture's kind, case ID, answer and attachments must come out exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailer.reply import parse_reply

CLIENTS = Path(__file__).parent / "fixtures" / "clients"


def cases(split: str) -> list[tuple[str, str, dict, dict]]:
    manifest = json.loads((CLIENTS / split / "expected.json").read_text(encoding="utf-8"))
    return [(split, name, want, manifest["departments"])
            for name, want in sorted(manifest["fixtures"].items())]


ALL = cases("train") + cases("heldout")


@pytest.mark.parametrize("split, name, want, departments", ALL,
                         ids=[f"{c[0]}/{c[1]}" for c in ALL])
def test_client_reply(split, name, want, departments):
    reply = parse_reply((CLIENTS / split / name).read_bytes(), case_prefix="OKH",
                        departments=departments)
    got = {"kind": reply.kind, "case_id": reply.case_id, "answer": reply.answer,
           "attachments": [a.filename for a in reply.attachments]}
    assert got == want


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_manifest_lists_every_file(split):
    listed = {name for _, name, _, _ in cases(split)}
    assert listed == {p.name for p in (CLIENTS / split).glob("*.eml")}


def test_split_holds_out_at_least_a_third():
    train, heldout = len(cases("train")), len(cases("heldout"))
    assert heldout * 3 >= train + heldout
