"""`python run.py demo` tells what happened: every count it prints equals what the SMTP sink and
the social stand-ins received, and the control part (reminder, overdue mail, the operator's digest,
the deputy head's weekly summary) shows whatever weekday the demo starts on (issue 11: it printed
two answers «published» where three were, 4 mails where 5 went, and the weekly summary came only
on the first working day of a week)."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime, time, timedelta

import pytest

import bridge.demo as demo
from bridge.app import utcnow
from bridge.config import load


def _friday_evening() -> datetime:
    """The coming Friday 17:30 in the demo's zone: the case mails go out before a weekend."""
    config = load(None)
    day = config.calendar.local(utcnow()).date() + timedelta(days=1)
    while day.weekday() != 4:
        day += timedelta(days=1)
    return datetime.combine(day, time(17, 30), config.tz)


@pytest.mark.parametrize("start", [None, "friday"], ids=["now", "friday-evening"])
def test_printed_counts_are_what_the_stand_ins_received(tmp_path, monkeypatch, capsys, start):
    servers = {}
    real_start = demo._start_servers

    def keep(out):
        servers.update(real_start(out))
        return servers
    monkeypatch.setattr(demo, "_start_servers", keep)
    out = tmp_path / "demo-output"
    assert demo.run_demo(out, start=_friday_evening() if start == "friday" else None) == 0
    printed = capsys.readouterr().out

    mails = servers["smtp"].messages
    published = servers["vk"].published + servers["tg"].published + servers["ok"].published
    assert sum(map(int, re.findall(r"(?:Писем|Напоминаний и сводок) ушло: (\d+)\.", printed))) == len(mails)
    assert len(list((out / "Отправленные письма").glob("*.eml"))) == len(mails)
    assert sum(map(int, re.findall(r"Опубликовано на стендах соцсетей: (\d+)\.", printed))) == len(published)
    assert len(re.findall(r"^    → ", printed, re.M)) == len(mails)
    # Every reply the operator approved reached the citizen: four answers, three informational posts.
    answers = [p for p in published if p.get("method") in ("wall.createComment", "messages.send",
                                                           "discussions.addDiscussionComment")
               or (p.get("method") == "sendMessage" and str(p.get("chat_id")) == "7")]
    assert len(answers) == 4

    control = printed.split("5. Контроль", 1)[1]
    rubbish = re.search(r"(OKH-\d{4}-\d{5}): Направлено в отдел", control).group(1)   # never answered
    assert "zam@adm-okha.ru: Отклик: сводка по сообщениям граждан" in control       # weekly summary
    assert re.search(r"oso@adm-okha\.ru: Отклик: сводка для оператора на .* — требуют внимания", control)
    assert len(re.findall(rf"zhkh@adm-okha\.ru: \[{rubbish}\]", control)) >= 2      # reminder and overdue
    digest = [raw for _, rcpt, raw in mails if rcpt == ["oso@adm-okha.ru"]][-1]
    body = email.message_from_bytes(digest, policy=email.policy.default).get_body(("plain",)).get_content()
    assert "Отделы просрочили ответ (п. 3.2)" in body and rubbish in body
