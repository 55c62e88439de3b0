"""Step «отправка»: workflow effects become outbox items, and due items go out (SPEC §8).

An effect is queued in the caller's transaction, under its unique key, with everything fixed that
must not change on a retry (the Message-ID of an email, the idempotency key of a publication);
the content is composed when the item is sent. One small handler per kind, in a table:

| kind              | does                                                         | on success           |
|-------------------|--------------------------------------------------------------|----------------------|
| `email`           | composes the mail from its template, sends it (SMTP / EWS)   | —                    |
| `publish`         | the answer and the department's files where the citizen wrote (п. 3.4) | «Опубликовано» |
| `post_info`       | an informational answer on an official page (п. 3.5)         | link kept in history |
| `site`            | rewrites «Информационные сообщения» (index.html + rss.xml)   | —                    |
| `channel_message` | п. 3.8: consent and details asked in the citizen's private dialogue; under a public comment only an invitation to write privately | our message remembered |
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from datetime import datetime
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Callable

from bridge.config import Config
from bridge.core import workflow
from bridge.core.deadlines import deadline_of
from bridge.core.errors import PermanentError, TransientError
from bridge.core.model import Basis, Case
from bridge.core.workflow import Effect
from bridge.steps.conversation import reply_key
from bridge.steps.ports import Ports
from bridge.storage.files import ANSWER, CITIZEN, DataFiles
from bridge.storage.outbox import KIND_LABELS, OutboxItem, OutboxRunner, enqueue, revive_times
from bridge.storage.store import Store

MANUAL_HANDOVER = "передано оператором вручную"

# effect kind → email template
_EMAILS = {
    "email_case": "new_case",
    "email_rework": "rework",
    "email_explanation": "explanation",
    "registration_card": "registration_card",
    "email_withdrawn": "withdrawn",
}
# Templates of the mail that hands a department the case: its permanent failure means the
# department never got it (workflow.case_mail_failed).
CASE_MAILS = ("new_case", "explanation")
# п. 3.8 texts that ask for personal data: only ever sent in a private dialogue (152-ФЗ).
PRIVATE_TEXTS = ("consent_request", "details_request")


# -- effects into the outbox --------------------------------------------------------------------

def emit(store: Store, config: Config, case: Case, effect: Effect, now: datetime) -> None:
    if effect.kind in _EMAILS:
        _queue_email(store, config, case, effect, _EMAILS[effect.kind], now)
    elif effect.kind in ("publish", "post_info"):
        # What the operator approved is fixed here: the text, and the department's files as they
        # were at approval (a later answer's files are not reviewed).
        approved = {"text": effect.data.get("text", case.publish_text),
                    "files": effect.data.get("files", [p.name for p in DataFiles(config.data_dir).files(case.id, ANSWER)])}
        if effect.kind == "publish":
            enqueue(store, effect.key, "publish", {"case_id": case.id, "key": effect.key, **approved}, case.id, now)
            return
        for channel in config.channels:   # п. 3.5: the text and the files on every official page
            enqueue(store, f"{effect.key}:{channel}", "post_info",
                    {"case_id": case.id, "channel": channel, "key": effect.key, **approved}, case.id, now)
        enqueue(store, f"{effect.key}:site", "site", {"case_id": case.id}, case.id, now)
    elif effect.kind == "consent_request":
        enqueue(store, effect.key, "channel_message",
                {"case_id": case.id, "key": effect.key,
                 "template": effect.data.get("template", "consent_request")}, case.id, now)
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
    from mailer.compose import message_id
    msgid = message_id(case.id, config.host)   # SPEC §3: `<OKH-2026-00042.<random>@<host>>`
    payload = {"template": template, "case_id": case.id, "to": to, "msgid": msgid,
               "in_reply_to": case.thread_ids[-1] if case.thread_ids else None,
               "references": list(case.thread_ids), "context": context}
    if not enqueue(store, key, "email", payload, case.id, now):
        return False
    case.thread_ids = case.thread_ids + [msgid]   # all mail for a case stays in one thread
    return True


# -- the outbox run -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Send:
    """What every handler may use: the store, the configuration, the adapters and the cycle's now."""
    store: Store
    config: Config
    ports: Ports
    now: datetime

    def case(self, payload: dict) -> Case:
        case = self.store.get(payload["case_id"])
        if case is None:
            raise PermanentError(f"обращение {payload['case_id']} не найдено (удалено при очистке?)")
        return case


def send_email(s: _Send, payload: dict) -> dict:
    if s.ports.sender is None:
        raise TransientError("почта не настроена")
    if not payload["to"]:
        raise PermanentError("нет адреса получателя: проверьте справочник отделов в настройках")
    case = s.case(payload) if payload.get("case_id") else None
    message = compose_email(s.store, s.config, s.ports.files, case, payload, s.now)
    s.ports.sender.send(s.config.mail["address"], payload["to"], message)
    return {"msgid": payload["msgid"]}


def publish(s: _Send, payload: dict) -> dict:
    case = s.case(payload)
    channel = s.ports.channels.get(case.channel)
    if channel is None or not case.reply_target:
        return {"link": MANUAL_HANDOVER}
    text, files = _approved(s, case, payload)
    result = channel.publish_reply(case.reply_target, text, files, payload["key"])
    return {"link": result.link or result.external_id, "external_id": result.external_id, "note": result.note}


def _approved(s: _Send, case: Case, payload: dict) -> tuple[str, list[Path]]:
    """The text and files fixed when «Опубликовать» was applied (items queued before they were
    fixed in the payload fall back to the case)."""
    if "text" not in payload:
        return case.publish_text, s.ports.files.files(case.id, ANSWER)
    folder = s.ports.files.folder(case.id, ANSWER)
    return payload["text"], [folder / name for name in payload.get("files", ()) if (folder / name).is_file()]


def post_info(s: _Send, payload: dict) -> dict:
    case = s.case(payload)
    channel = s.ports.channels.get(payload["channel"])
    if channel is None:
        raise PermanentError(f"канал {payload['channel']} не подключён")
    text, files = _approved(s, case, payload) if "files" in payload else (payload.get("text", case.publish_text), [])
    result = channel.post_informational(text, files, payload["key"])
    return {"link": result.link, "note": result.note}


def site(s: _Send, payload: dict) -> dict:
    refresh_site(s.store, s.config, s.now, force=True)
    return {}


def channel_message(s: _Send, payload: dict) -> dict:
    """A п. 3.8 message to the citizen. Those asking for name and address go to the private
    dialogue only; a public comment gets the invitation to write privately (152-ФЗ)."""
    from mailer.texts import citizen_text
    case = s.case(payload)
    template = payload.get("template", "consent_request")
    channel = s.ports.channels.get(case.channel)
    target = case.reply_target
    if template in PRIVATE_TEXTS and case.public:
        target = case.private_target
    if channel is None or not target:
        raise PermanentError("сообщение пользователю нельзя отправить автоматически: свяжитесь с пользователем сами")
    result = channel.publish_reply(target, citizen_text(template, case), [], payload["key"])
    return {"link": result.link, "external_id": result.external_id}


def message_sent(s: _Send, item: OutboxItem, result: dict) -> None:
    """A reply under our request is the citizen answering it (steps/conversation.py)."""
    _remember_publication(s, item.case_id, result)


def _remember_publication(s: _Send, case_id: str, result: dict) -> None:
    case = s.store.get(case_id)
    if case is not None and result.get("external_id"):
        s.store.set_value(reply_key(case.channel, result["external_id"]), case.id)


def published(s: _Send, item: OutboxItem, result: dict) -> None:
    case = s.store.get(item.case_id)
    done = workflow.published(case, result.get("link", ""), s.now)
    done.publish_text = item.payload.get("text", done.publish_text)   # the row shows what went out
    done.system_note = "Ответ опубликован." if result.get("link") != MANUAL_HANDOVER else \
        "Канал без автоматической публикации: передайте ответ пользователю сами."
    if result.get("note"):   # files the network could not take (OK: photos only)
        done.system_note += " " + result["note"]
    s.store.save(done, "система", "опубликовано", at=s.now)
    _remember_publication(s, item.case_id, result)   # a reply under our answer is linked to the case


def info_posted(s: _Send, item: OutboxItem, result: dict) -> None:
    s.store.record(item.case_id, "система", "информационное сообщение", "post_info", None,
                   result.get("link"), at=s.now)
    case = s.store.get(item.case_id) if result.get("note") else None
    if case is not None and result["note"] not in case.system_note:
        case.system_note = f"{case.system_note} {result['note']}".strip()
        s.store.save(case, "система", "информационное сообщение", at=s.now)


# Networks whose publishing calls carry an idempotency key the server honours (VK `random_id`,
# `guid`); Telegram and OK have none, so their calls are marked in flight (storage/outbox.py).
IDEMPOTENT_CHANNELS = ("vk",)


def idempotent(s: _Send, item: OutboxItem) -> bool:
    if item.kind in ("email", "site"):
        return True               # an email keeps its Message-ID; the site is rewritten whole
    if item.kind == "post_info":
        channel = item.payload.get("channel", "")
    else:
        case = s.store.get(item.case_id)
        if case is None or not case.reply_target or case.channel not in s.ports.channels:
            return True           # handed over by the operator: nothing is called
        channel = case.channel
    return channel.split(":")[0] in IDEMPOTENT_CHANNELS


def on_unknown(s: _Send, item: OutboxItem, error: str) -> None:
    """A call without an idempotency key was cut by a crash: the operator looks and decides."""
    case = s.store.get(item.case_id) if item.case_id else None
    if case is None:
        return
    if item.kind == "publish":
        case = workflow.outcome_unknown(case)
    else:
        case.system_note = ("Исход неизвестен: служба прервалась во время отправки сообщения пользователю. "
                            "Проверьте диалог и при необходимости отправьте сами.")
    s.store.save(case, "система", "исход неизвестен", at=s.now)


def on_failure(s: _Send, item: OutboxItem, error: str) -> None:
    case = s.store.get(item.case_id) if item.case_id else None
    if case is None:
        return
    if item.kind == "publish":
        case = workflow.publication_failed(case, error)
    elif item.kind == "email" and item.payload.get("template") in CASE_MAILS:
        case = workflow.case_mail_failed(case, item.payload.get("context", {}).get("department", ""), error)
    elif item.kind == "email" and item.payload.get("template") == "registration_card":
        case = workflow.card_failed(case, error)
    else:
        case.system_note = f"Не отправлено: {error}"
    s.store.save(case, "система", "ошибка отправки", at=s.now)


HANDLERS: dict[str, Callable[[_Send, dict], dict]] = {
    "email": send_email, "publish": publish, "post_info": post_info, "site": site,
    "channel_message": channel_message,
}
COMPLETIONS: dict[str, Callable[[_Send, OutboxItem, dict], None]] = {
    "publish": published, "post_info": info_posted, "channel_message": message_sent}


def run_outbox(store: Store, config: Config, ports: Ports, now: datetime) -> int:
    """Send what is due; returns how many items were completed."""
    s = _Send(store, config, ports, now)
    runner = OutboxRunner(store, {kind: (lambda payload, h=h: h(s, payload)) for kind, h in HANDLERS.items()},
                          {kind: (lambda item, result, c=c: c(s, item, result)) for kind, c in COMPLETIONS.items()},
                          lambda item, error: on_failure(s, item, error),
                          on_unknown=lambda item, error: on_unknown(s, item, error),
                          idempotent=lambda item: idempotent(s, item),
                          on_retry=lambda item, error: ports.troubles.append(
                              f"отправка: {KIND_LABELS.get(item.kind, item.kind)} — {error}; будет повторено"))
    return runner.run(now)


# -- composing --------------------------------------------------------------------------------------

def compose_email(store: Store, config: Config, files: DataFiles, case: Case | None, payload: dict,
                  now: datetime) -> bytes:
    from mailer.compose import MailCase, compose
    mail_case = None
    if case is not None:
        department = config.department(workflow.holder(case))   # a reminder names the one that has it
        mail_case = MailCase(case.id, case.channel_label, case.kind, case.author_name, case.link, case.text,
                             case.posted_at, deadline_of(case, config.calendar),
                             department.name if department else "")
    context = revive_times(dict(payload.get("context", {})))
    citizen_files = files.files(case.id, CITIZEN) if case is not None else []
    if case is not None:
        stored = {p.name for p in citizen_files + files.files(case.id, ANSWER)}
        context.setdefault("links", [a for a in case.attachments if a not in stored])   # kept as links at intake
        context.setdefault("operator_comment", case.operator_comment)
        context.setdefault("previous_answer", case.dept_answer)
        context.setdefault("reason", case.basis if case.basis in Basis.EXPLANATIONS else "")
        context.setdefault("consent_at", _consent_time(store, case, now))
        context.setdefault("citizen_details", case.citizen_details)
        context.setdefault("author_link", case.author_link)
        context.setdefault("earlier", earlier_exchange(store, config, case))
        for key in ("from_department", "new_department"):
            if context.get(key):
                context[key] = getattr(config.department(context[key]), "name", context[key])
        context.setdefault("operator_contact", ", ".join(config.operator_emails))
        context.setdefault("history", [f"{r['at'][:16]} {r['action']}" for r in store.history(case.id)
                                       if r["field"] in ("", "status")][-20:])
    message = compose(payload["template"], case=mail_case, to=payload["to"], from_addr=config.mail["address"],
                      host=config.host, tz=config.tz, context=context,
                      attachments=_outgoing(citizen_files),
                      attachment_limit=config.attachment_limit, in_reply_to=payload.get("in_reply_to"),
                      references=payload.get("references", ()), msgid=payload["msgid"], date=now)
    # CRLF on the wire (RFC 5321). Long lines are allowed up to RFC 5322's 998: CPython's header
    # folder drops the space between two encoded words when it splits a Cyrillic subject
    # («огромная яма» → «огромнаяяма»); one longer encoded word decodes right in every client.
    return message.as_bytes(policy=SMTP_POLICY.clone(max_line_length=998))


EARLIER_SHOWN = 3   # how far back a follow-up's mail shows the conversation


def earlier_exchange(store: Store, config: Config, case: Case) -> list[dict]:
    """The earlier cases of the conversation, newest first: what the citizen wrote and what
    was answered, so the department sees the exchange a follow-up continues (issue 11)."""
    shown, seen, earlier_id = [], {case.id}, case.linked_to
    while earlier_id and earlier_id not in seen and len(shown) < EARLIER_SHOWN:
        seen.add(earlier_id)
        earlier = store.get(earlier_id)
        if earlier is None:
            break
        department = config.department(earlier.department)
        shown.append({"case_id": earlier.id, "posted_at": earlier.posted_at, "text": earlier.text,
                      "answer": earlier.publish_text if earlier.published else earlier.dept_answer,
                      "published": bool(earlier.published), "department": department.name if department else ""})
        earlier_id = earlier.linked_to
    return shown


def _consent_time(store: Store, case: Case, now: datetime) -> datetime:
    """When «Согласие» = да was recorded (п. 3.8), from the history."""
    for row in reversed(store.history(case.id)):
        if row["field"] == "consent" and row["new"] == "True":
            return datetime.fromisoformat(row["at"])
    return now


def _outgoing(paths: list[Path]):
    from mailer.compose import OutgoingFile
    return [OutgoingFile(p.name, mimetypes.guess_type(p.name)[0] or "application/octet-stream", p.read_bytes())
            for p in paths]


# -- the site section (п. 3.5) ----------------------------------------------------------------------

def refresh_site(store: Store, config: Config, now: datetime, force: bool = False) -> int:
    """Rewrite «Информационные сообщения» when an informational answer was published; the
    department's files of each answer are published with it (issue 11)."""
    from bridge.channels.site import SiteItem, write_site
    files = DataFiles(config.data_dir)
    items = [SiteItem(c.id, c.closed_at or c.posted_at, c.publish_text,
                      getattr(config.department(c.department), "name", ""), tuple(files.files(c.id, ANSWER)))
             for c in store.published_informational() if c.publish_text]   # a purged one has none
    marker = [len(items), items[-1].case_id if items else "", sum(len(i.files) for i in items)]
    if not force and (not items or store.get_value("site.marker") == marker):
        return 0
    write_site(config.site_dir, items, config.site_title, now, tz=config.tz, base_url=site_base_url(config))
    with store.transaction():
        store.set_value("site.marker", marker)
    return len(items)


def site_base_url(config: Config) -> str:
    """`[site] base_url`: where the section is on the web (the feed's links must be absolute)."""
    section = config.raw.get("site", {}) if isinstance(config.raw, dict) else {}
    value = section.get("base_url", "") if isinstance(section, dict) else ""
    return value if isinstance(value, str) else ""
