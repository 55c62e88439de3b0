"""The outbox handlers: what each kind of queued item does when its turn comes.

| kind              | does                                                         | on success           |
|-------------------|--------------------------------------------------------------|----------------------|
| `email`           | composes the mail from its template, sends it (SMTP / EWS)   | —                    |
| `publish`         | the answer where the citizen wrote (п. 3.4)                  | «Опубликовано»       |
| `post_info`       | an informational answer on an official page (п. 3.5)         | link kept in history |
| `site`            | rewrites «Информационные сообщения» (index.html + rss.xml)   | —                    |
| `channel_message` | the п. 3.8 consent request in the citizen's dialogue         | —                    |
"""

from __future__ import annotations

from datetime import datetime
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path

from bridge import workflow
from bridge.errors import PermanentError, TransientError
from bridge.model import Case
from bridge.store import utcnow
from ledger.render import deadline_of

MANUAL_HANDOVER = "передано оператором вручную"


def outbox_handlers(app):
    def case_of(payload) -> Case:
        case = app.store.get(payload["case_id"])
        if case is None:
            raise PermanentError(f"обращение {payload['case_id']} не найдено (удалено при очистке?)")
        return case

    def send_email(payload: dict) -> dict:
        if app.sender is None:
            raise TransientError("почта не настроена")
        if not payload["to"]:
            raise PermanentError("нет адреса получателя: проверьте справочник отделов в настройках")
        message = compose_email(app, case_of(payload) if payload.get("case_id") else None, payload)
        app.sender.send(app.config.mail["address"], payload["to"], message)
        return {"msgid": payload["msgid"]}

    def publish(payload: dict) -> dict:
        case = case_of(payload)
        channel = app.channels.get(case.channel)
        if channel is None or not case.reply_target:
            return {"link": MANUAL_HANDOVER}
        files = citizen_files(app, case, "answer")
        result = channel.publish_reply(case.reply_target, case.publish_text, files, payload["key"])
        return {"link": result.link or result.external_id}

    def published(item, result: dict) -> None:
        case = app.store.get(item.case_id)
        done = workflow.published(case, result.get("link", ""), utcnow())
        done.system_note = "Ответ опубликован." if result.get("link") != MANUAL_HANDOVER else \
            "Канал без автоматической публикации: передайте ответ пользователю сами."
        app.store.save(done, "система", "опубликовано")

    def post_info(payload: dict) -> dict:
        case = case_of(payload)
        channel = app.channels.get(payload["channel"])
        if channel is None:
            raise PermanentError(f"канал {payload['channel']} не подключён")
        result = channel.post_informational(case.publish_text, [], payload["key"])
        return {"link": result.link}

    def info_posted(item, result: dict) -> None:
        app.store.record(item.case_id, "система", "информационное сообщение", "post_info", None,
                         result.get("link"))

    def site(payload: dict) -> dict:
        app.refresh_site(utcnow(), force=True)
        return {}

    def channel_message(payload: dict) -> dict:
        from mailer.texts import consent_request
        case = case_of(payload)
        channel = app.channels.get(case.channel)
        if channel is None or not case.reply_target:
            raise PermanentError("запрос согласия нельзя отправить автоматически: свяжитесь с пользователем сами")
        result = channel.publish_reply(case.reply_target, consent_request(case), [], payload["key"])
        return {"link": result.link}

    def on_failure(item, error: str) -> None:
        case = app.store.get(item.case_id) if item.case_id else None
        if case is None:
            return
        if item.kind == "publish":
            case = workflow.publication_failed(case, error)
        else:
            case.system_note = f"Не отправлено: {error}"
        app.store.save(case, "система", "ошибка отправки")

    handlers = {"email": send_email, "publish": publish, "post_info": post_info, "site": site,
                "channel_message": channel_message}
    return handlers, {"publish": published, "post_info": info_posted}, on_failure


def compose_email(app, case: Case | None, payload: dict) -> bytes:
    from mailer.compose import MailCase, compose
    config = app.config
    mail_case = None
    if case is not None:
        department = config.department(case.department)
        mail_case = MailCase(case.id, case.channel_label, case.kind, case.author_name, case.link, case.text,
                             case.posted_at, deadline_of(case, config.calendar),
                             department.name if department else "")
    from bridge.reminders import revive_times   # payloads are JSON: dates travel as ISO text
    context = revive_times(dict(payload.get("context", {})))
    if case is not None:
        context.setdefault("operator_comment", case.operator_comment)
        context.setdefault("previous_answer", case.dept_answer)
        context.setdefault("reason", _reason_code(case.basis))
        context.setdefault("consent_at", _consent_time(app, case))
        context.setdefault("citizen_details", case.author_link)
        context.setdefault("operator_contact", ", ".join(config.operator_emails))
        context.setdefault("history", [f"{r['at'][:16]} {r['action']}" for r in app.store.history(case.id)
                                       if r["field"] in ("", "status")][-20:])
    message = compose(payload["template"], case=mail_case, to=payload["to"], from_addr=config.mail["address"],
                      host=config.host, tz=config.tz, context=context,
                      attachments=_outgoing(citizen_files(app, case, "citizen")) if case else (),
                      attachment_limit=config.attachment_limit, in_reply_to=payload.get("in_reply_to"),
                      references=payload.get("references", ()), msgid=payload["msgid"])
    # CRLF on the wire (RFC 5321). Long lines are allowed up to RFC 5322's 998: CPython's header
    # folder drops the space between two encoded words when it splits a Cyrillic subject
    # («огромная яма» → «огромнаяяма»); one longer encoded word decodes right in every client.
    return message.as_bytes(policy=SMTP_POLICY.clone(max_line_length=998))


def _consent_time(app, case: Case):
    """When «Согласие» = да was recorded (п. 3.8), from the history."""
    for row in reversed(app.store.history(case.id)):
        if row["field"] == "consent" and row["new"] == "True":
            return datetime.fromisoformat(row["at"])
    return utcnow()


def _reason_code(basis: str) -> str:
    from mailer.texts import EXPLANATION_TEMPLATES
    return EXPLANATION_TEMPLATES.get(basis, "")


def citizen_files(app, case: Case, which: str) -> list[Path]:
    folder = app.config.data_dir / "attachments" / case.id / which
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def _outgoing(paths: list[Path]):
    import mimetypes
    from mailer.compose import OutgoingFile
    return [OutgoingFile(p.name, mimetypes.guess_type(p.name)[0] or "application/octet-stream", p.read_bytes())
            for p in paths]

