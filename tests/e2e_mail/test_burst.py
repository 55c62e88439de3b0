"""500 department replies arriving at once (SPEC §8: a burst delays nothing and loses nothing)."""

from __future__ import annotations

import time

from standins.department_replies import reply
from tests.e2e_mail.loop import ZHKH

COUNT = 500
STYLES = ("outlook", "gmail", "iphone", "thebat")


def test_500_replies_at_once_all_reach_the_ledger_in_one_cycle(fast_loop):
    loop = fast_loop
    ids = loop.open_cases([f"Обращение жителя номер {n}: нет горячей воды" for n in range(COUNT)])
    loop.route(ids)
    assert len(loop.sent()) == COUNT
    answers = {case_id: f"Ответ по обращению {n}: горячую воду дадут завтра." for n, case_id in enumerate(ids)}
    sent = loop.sent_by_case()
    loop.deliver(*(reply(sent[case_id][0], ZHKH, answers[case_id], STYLES[n % len(STYLES)])
                   for n, case_id in enumerate(ids)))

    started = time.monotonic()
    report = loop.cycle()
    elapsed = time.monotonic() - started

    assert report.replies == COUNT
    rows = loop.ledger_rows()
    assert {case_id: rows[case_id]["Ответ отдела"] for case_id in ids} == answers
    assert {rows[case_id]["Статус"] for case_id in ids} == {"Ответ получен"}
    assert loop.cycle().replies == 0, "nothing is read twice"
    print(f"\n{COUNT} replies → ledger in one cycle: {elapsed:.2f} s")
