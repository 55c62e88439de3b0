"""Hostile input through the real paths: a real app (tests/ledger), mail into `take_reply` or a
real Dovecot (tests/e2e_mail), citizen text through intake → cycle → ledger / email / site."""

from __future__ import annotations

from tests.ledger.conftest import app, clock  # noqa: F401 - pytest fixtures by name
from tests.ledger.conftest import add_messages
from bridge.core import workflow
from bridge.steps.decisions import decision_context
from bridge.core.model import Decision
from bridge.steps.answers import take_reply
from mailer.reply import KINDS, parse_reply

ZHKH = "zhkh@adm-okha.ru"
HEAD = "To: obrashcheniya@adm-okha.ru\r\nMIME-Version: 1.0\r\n"


def routed_case(app, clock, text: str = "Нет отопления", department: str = "zhkh") -> str:
    """A case routed to `department` (the ledger path of a decision is tests/ledger's subject)."""
    [case_id] = add_messages(app, [text], clock.now)
    case = app.store.get(case_id)
    case.department = department
    outcome = workflow.apply_decision(case, Decision.ROUTE, decision_context(app.config, app.store, clock.tick()))
    assert outcome.applied
    app.store.save(outcome.case, "оператор", "решение", at=clock.now)
    return case_id


def mail(case_id: str, body: str = "Отремонтируем до пятницы.", sender: str = ZHKH, *,
         subject: str | None = None, extra: str = "", msgid: str = "<m1@adm-okha.ru>",
         content_type: str = "text/plain; charset=utf-8", raw_body: bytes | None = None) -> bytes:
    head = (f"From: {sender}\r\n{HEAD}Subject: {subject or f'Re: [{case_id}] ответ'}\r\n"
            f"Message-ID: {msgid}\r\n{extra}Content-Type: {content_type}\r\n\r\n")
    return head.encode("utf-8") + (raw_body if raw_body is not None else body.encode("utf-8"))


def take(app, raw: bytes, now):
    """Parse and apply one mail as the mail step does; returns (outcome, parsed)."""
    parsed = parse_reply(raw, case_prefix=app.config.case_prefix, departments=app.config.allow_list())
    assert parsed.kind in KINDS
    return take_reply(app.store, app.files, raw, parsed, now), parsed
