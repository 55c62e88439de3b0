"""A mail that cannot be kept for want of room takes none of its batch (issue 14): the batch stays
in the mailbox, nothing of it stays behind, the operator reads why, and the next cycle takes it
all. A small mail's raw copy is kept in the store, in the batch's transaction; a large one's is a
file in `mail/` written before the commit (bridge/storage/files.py, RAW_IN_STORE)."""

from __future__ import annotations

import errno
from datetime import datetime, timezone

import pytest

from bridge.cycle import run_cycle
from bridge.storage.files import RAW_IN_STORE, DataFiles
from standins.department_replies import reply
from tests.e2e_mail.loop import ZHKH
from tests.storage_backend import raw_mail_rows

SCAN = b"%PDF-1.4\n" + bytes(range(256)) * (RAW_IN_STORE // 256 + 64)     # the mail is larger than the limit


def test_a_large_raw_copy_that_fails_takes_nothing_of_its_batch_and_the_next_cycle_takes_it_all(loop, monkeypatch):
    ids = loop.open_cases([f"Обращение {n}: не вывозят мусор" for n in range(5)])
    loop.route(ids)
    sent = loop.sent_by_case()
    loop.deliver(*(reply(sent[case_id][0], ZHKH, f"Ответ {n}: вывезем сегодня.", attachment=("акт.pdf", SCAN))
                   for n, case_id in enumerate(ids)))
    keep, calls = DataFiles.keep_raw_mail, []

    def third_fails(self, raw, key, now):
        calls.append(key)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return keep(self, raw, key, now)
    monkeypatch.setattr(DataFiles, "keep_raw_mail", third_fails)

    report = run_cycle(loop.app, datetime.now(timezone.utc))
    assert report.replies == 0
    assert any(p.startswith("почта: письма не удалось сохранить на диск") for p in report.problems), report.problems
    assert loop.app.files.raw_mails() == [], "no copy of a mail the store does not know stays behind"
    assert loop.app.files.set_aside_items() == [], "a full disk is no mail's fault: nothing is set aside"
    assert {loop.app.store.get(case_id).dept_answer for case_id in ids} == {""}

    monkeypatch.setattr(DataFiles, "keep_raw_mail", keep)
    assert loop.cycle().replies == 5
    assert len(loop.app.files.raw_mails()) == 5 and len(raw_mail_rows(loop.app.store)) == 0
    assert {loop.ledger_rows()[case_id]["Ответ отдела"] for case_id in ids} == {f"Ответ {n}: вывезем сегодня." for n in range(5)}


def test_a_full_store_takes_nothing_of_the_batch_and_the_next_cycle_takes_it_all(loop):
    """SQLite refuses to grow past `max_page_count` with SQLITE_FULL, the code a full disk gives
    (https://sqlite.org/pragma.html#pragma_max_page_count, https://sqlite.org/rescode.html#full)."""
    if loop.app.store.backend != "sqlite":
        pytest.skip("SQLite's own limit; PostgreSQL's disk_full is the same branch (store.is_disk_full)")
    ids = loop.open_cases([f"Обращение {n}: не горит фонарь" for n in range(5)])
    loop.route(ids)
    sent = loop.sent_by_case()
    loop.deliver(*(reply(sent[case_id][0], ZHKH, f"Ответ {n}: заменим лампу. " + "Подробности. " * 400)
                   for n, case_id in enumerate(ids)))
    store = loop.app.store
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages + 1}")
    try:
        report = run_cycle(loop.app, datetime.now(timezone.utc))
    finally:
        store.db.execute("PRAGMA max_page_count = 1073741823")
    assert report.replies == 0
    assert any("письма не удалось сохранить на диск (на диске нет места)" in p for p in report.problems), report.problems
    assert len(raw_mail_rows(store)) == 0 and loop.app.files.set_aside_items() == []
    assert {store.get(case_id).dept_answer for case_id in ids} == {""}

    assert loop.cycle().replies == 5
    assert len(raw_mail_rows(store)) == 5 and loop.app.files.raw_mails() == []
    assert {loop.ledger_rows()[case_id]["Ответ отдела"].split(" Подробности")[0] for case_id in ids} == \
        {f"Ответ {n}: заменим лампу." for n in range(5)}
