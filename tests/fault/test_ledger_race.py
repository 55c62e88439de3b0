"""Found by the kill -9 workload: the operator saves the workbook (lock file there, then gone)
while a cycle is between reading the ledger and writing it; the cycle then writes the ledger
from the store over the save, and the operator's decision is gone (SPEC §2 «No operator edit is
lost»). Fixed in ledger/service.py: `Ledger.read` remembers the file's `signature()` and
`Ledger.write` defers ('changed') when the file is no longer the one read, so the next cycle
reads the save first.
"""

from __future__ import annotations

import pytest

from tests.e2e_channels.sources import SOURCES

BY_NAME = {source.name: source for source in SOURCES}


def test_operator_save_during_a_cycle_is_not_overwritten(stand, monkeypatch):
    BY_NAME["vk-dm"].write(stand, "Во дворе не убран снег, пройти невозможно.")
    stand.cycle()
    case = stand.case_with("снег")
    ledger = stand.app.config.ledger
    real_take_mail = stand.app.take_mail

    def operator_saves_meanwhile(now):
        lock = ledger.with_name("~$" + ledger.name)
        lock.write_text("Петрова", encoding="utf-8")
        stand.route(case.id)                   # «Отдел» and «Направить», saved
        lock.unlink()                          # Excel closed: the book is free again
        monkeypatch.setattr(stand.app, "take_mail", real_take_mail)
        return real_take_mail(now)

    monkeypatch.setattr(stand.app, "take_mail", operator_saves_meanwhile)
    stand.cycle()
    for _ in range(2):
        stand.cycle()
    assert stand.app.store.get(case.id).status == "Направлено в отдел", "the operator's decision was lost"
