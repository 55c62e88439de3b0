"""Turning workflow effects into outbox items (the durable record of what must go out).

The item is queued in the caller's transaction, under the effect's unique key, with everything
fixed that must not change on a retry (the Message-ID of an email, the idempotency key of a
publication); the content is composed when the item is sent.
"""

from __future__ import annotations

from datetime import datetime

from bridge.config import Config
from bridge.model import Case
from bridge.outbox import enqueue
from bridge.store import Store
from bridge.workflow import Effect
from mailer.compose import message_id

# effect kind → (outbox kind, email template or None)
_EMAILS = {
    "email_case": "new_case",
    "email_rework": "rework",
    "email_explanation": "explanation",
    "registration_card": "registration_card",
}


def emit(store: Store, config: Config, case: Case, effect: Effect, now: datetime) -> None:
    if effect.kind in _EMAILS:
        _queue_email(store, config, case, effect, _EMAILS[effect.kind], now)
    elif effect.kind == "publish":
        enqueue(store, effect.key, "publish", {"case_id": case.id, "key": effect.key}, case.id, now)
    elif effect.kind == "post_info":
        for channel in config.channels:
            enqueue(store, f"{effect.key}:{channel}", "post_info",
                    {"case_id": case.id, "channel": channel, "key": effect.key}, case.id, now)
        enqueue(store, f"{effect.key}:site", "site", {"case_id": case.id}, case.id, now)
    elif effect.kind == "consent_request":
        enqueue(store, effect.key, "channel_message",
                {"case_id": case.id, "key": effect.key, "template": "consent_request"}, case.id, now)
    else:
        raise ValueError(f"unknown effect {effect.kind}")


def _queue_email(store: Store, config: Config, case: Case, effect: Effect, template: str, now: datetime) -> None:
    if template == "registration_card":
        to = list(config.registry_emails)
    else:
        department = config.department(effect.data.get("department") or case.department)
        to = list(department.emails) if department else []
    queue_case_email(store, config, case, effect.key, template, to, dict(effect.data), now)


def queue_case_email(store: Store, config: Config, case: Case, key: str, template: str, to: list[str],
                     context: dict, now: datetime) -> bool:
    """Queue one mail about a case in the case's thread (SPEC §3); the caller saves the case."""
    msgid = message_id(case.id, config.host)   # SPEC §3: `<OKH-2026-00042.<random>@<host>>`
    payload = {"template": template, "case_id": case.id, "to": to, "msgid": msgid,
               "in_reply_to": case.thread_ids[-1] if case.thread_ids else None,
               "references": list(case.thread_ids), "context": context}
    if not enqueue(store, key, "email", payload, case.id, now):
        return False
    case.thread_ids = case.thread_ids + [msgid]   # all mail for a case stays in one thread
    return True
