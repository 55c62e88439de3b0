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


def _coming(weekday: int, hour: int, minute: int = 0) -> datetime:
    """The coming `weekday` (0 = Monday) at `hour:minute` in the demo's zone."""
    config = load(None)
    day = config.calendar.local(utcnow()).date() + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), config.tz)


STARTS = {"now": lambda: None, "friday-evening": lambda: _coming(4, 17, 30),   # mails out before a weekend
          "tuesday-night": lambda: _coming(1, 3, 0)}                           # the operator comes at 10:00


@pytest.mark.parametrize("start", list(STARTS))
def test_printed_counts_are_what_the_stand_ins_received(tmp_path, monkeypatch, capsys, start):
    servers = {}
    real_start = demo._start_servers

    def keep(out):
        servers.update(real_start(out))
        return servers
    monkeypatch.setattr(demo, "_start_servers", keep)
    out = tmp_path / "demo-output"
    assert demo.run_demo(out, start=STARTS[start]()) == 0
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
    assert "срок ответа ЖКХ о вывозе мусора истекает" in control
    assert len(re.findall(rf"zhkh@adm-okha\.ru: \[{rubbish}\]", control)) == 2      # reminder and overdue
    digest = [raw for _, rcpt, raw in mails if rcpt == ["oso@adm-okha.ru"]][-1]
    body = email.message_from_bytes(digest, policy=email.policy.default).get_body(("plain",)).get_content()
    assert "Отделы просрочили ответ (п. 3.2)" in body and rubbish in body
