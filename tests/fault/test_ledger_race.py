"""Found by the kill -9 workload: the operator saves the workbook (lock file there, then gone)
while a cycle is between reading the ledger and writing it; the cycle then writes the ledger
from the store over the save, and the operator's decision is gone (SPEC §2 «No operator edit is
lost»). Fixed in ledger/service.py: `Ledger.read` remembers the file's `signature()` and
`Ledger.write` defers ('changed') when the file is no longer the one read, so the next cycle
reads the save first.
"""

from __future__ import annotations

from bridge.core.model import Status

import pytest

from tests.e2e_channels.sources import SOURCES

BY_NAME = {source.name: source for source in SOURCES}


def test_operator_save_during_a_cycle_is_not_overwritten(stand, monkeypatch):
    BY_NAME["vk-dm"].write(stand, "Во дворе не убран снег, пройти невозможно.")
    stand.cycle()
    case = stand.case_with("снег")
    ledger = stand.app.config.ledger
    mailbox = stand.app.mailbox
    real_fetch = mailbox.fetch_new

    def operator_saves_meanwhile(state):       # while the cycle reads the mailbox
        lock = ledger.with_name("~$" + ledger.name)
        lock.write_text("Петрова", encoding="utf-8")
        stand.route(case.id)                   # «Отдел» and «Направить», saved
        lock.unlink()                          # Excel closed: the book is free again
        monkeypatch.setattr(mailbox, "fetch_new", real_fetch)
        return real_fetch(state)

    monkeypatch.setattr(mailbox, "fetch_new", operator_saves_meanwhile)
    stand.cycle()
    for _ in range(2):
        stand.cycle()
    assert stand.app.store.get(case.id).status == Status.ROUTED, "the operator's decision was lost"
