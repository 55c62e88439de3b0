"""A raw copy that cannot be written (a full disk) takes none of its batch: the raw copies are
written by a thread while the batch is parsed (DataFiles.raw_mail_batch), and the store commits
only after every one is on disk (issue 14)."""

from __future__ import annotations

import errno
from datetime import datetime, timezone

from bridge.cycle import run_cycle
from bridge.storage.files import DataFiles
from standins.department_replies import reply
from tests.e2e_mail.loop import ZHKH


def test_a_raw_copy_that_fails_takes_nothing_of_its_batch_and_the_next_cycle_takes_it_all(loop, monkeypatch):
    ids = loop.open_cases([f"Обращение {n}: не вывозят мусор" for n in range(5)])
    loop.route(ids)
    sent = loop.sent_by_case()
    loop.deliver(*(reply(sent[case_id][0], ZHKH, f"Ответ {n}: вывезем сегодня.") for n, case_id in enumerate(ids)))
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
    assert {loop.app.store.get(case_id).dept_answer for case_id in ids} == {""}

    monkeypatch.setattr(DataFiles, "keep_raw_mail", keep)
    assert loop.cycle().replies == 5
    assert len(loop.app.files.raw_mails()) == 5
    assert {loop.ledger_rows()[case_id]["Ответ отдела"] for case_id in ids} == {f"Ответ {n}: вывезем сегодня." for n in range(5)}
