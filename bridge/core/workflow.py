"""The case state machine: what an operator's decision or a department's answer does to a case.

Pure functions: a case and the moment in, an `Outcome` out (the changed copy, the effects to put
in the outbox, a note for «Примечание системы»). No I/O here; bridge/steps/outgoing.py turns the effects
into outbox items. Decisions, statuses and reasons are codes (model.py); the words below are the
ledger's (vocabulary.py).

| decision                | allowed when                                   | п.       | result                               |
|-------------------------|------------------------------------------------|----------|--------------------------------------|
| Направить               | not closed, «Отдел» chosen                      | 3.1, 3.2 | email to the department, 24 h start; |
|                         |                                                |          | another «Отдел» later: the new one   |
|                         |                                                |          | gets it, the old one a withdrawal    |
| Опубликовать            | an answer or text for publication exists       | 3.3–3.5  | publication queued                   |
| На доработку            | an answer came, «Комментарий оператора» given   | 3.3      | email back in the thread, same term  |
| Разъяснение             | «Основание» is one of п. 3.7's reasons         | 3.7      | template to the department or review |
| Не подлежит обработке   | not closed                                     | 3.6      | closed, nothing published            |
| Обращение 59-ФЗ         | not closed                                     | 3.8      | consent asked privately (a public    |
|                         |                                                |          | comment: asked to write privately),  |
|                         |                                                |          | then the card                        |
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable

from bridge.core.deadlines import triage_control
from bridge.core.model import Basis, Case, Decision, Status
from bridge.core.vocabulary import BASIS_LABELS, basis_label, control_label, decision_label
from bridge.core.worktime import WorkCalendar


@dataclass(frozen=True)
class Effect:
    """Something to send or publish; `key` makes it once-only in the outbox."""

    kind: str      # 'email_case' | 'email_rework' | 'email_explanation' | 'email_withdrawn'
                   # | 'publish' | 'post_info' | 'consent_request' | 'registration_card'
    key: str
    data: dict = field(default_factory=dict)


@dataclass
class Outcome:
    case: Case
    effects: list[Effect] = field(default_factory=list)
    note: str = ""
    applied: bool = True


@dataclass(frozen=True)
class DecisionContext:
    now: datetime
    department_exists: Callable[[str], bool]
    explanation_text: Callable[[Case, str], str]     # п. 3.7 standard text per reason
    answer_files: Callable[[Case], list[str]] = lambda case: []   # the department's files of the case
    calendar: WorkCalendar | None = None             # to say in the note whether п. 3.1 was met


def refuse(case: Case, decision: str, why: str) -> Outcome:
    return Outcome(case, note=f"Решение «{decision_label(decision)}» не применено: {why}.", applied=False)


def apply_decision(case: Case, decision: str, ctx: DecisionContext) -> Outcome:
    """Apply the operator's decision; SPEC §2: once per case state (`epoch`)."""
    handler = _DECISIONS.get(decision)
    if handler is None:
        return refuse(case, decision, "такого решения нет; выберите из списка")
    if case.closed:
        return refuse(case, decision, "обращение уже закрыто")
    outcome = handler(replace(case), ctx)
    if outcome.applied:
        outcome.case.applied_decision = decision
        outcome.case.applied_epoch = outcome.case.epoch
        if outcome.case.triaged_at is None:
            _triaged(outcome, ctx)
    return outcome


def _triaged(outcome: Outcome, ctx: DecisionContext) -> None:
    """The first decision ends п. 3.1's term. Its moment is kept apart from the department's
    deadline that routing starts, so a case routed late stays «с нарушением» for triage."""
    outcome.case.triaged_at = ctx.now
    if ctx.calendar is not None:
        verdict = control_label(triage_control(outcome.case, ctx.calendar, ctx.now))
        outcome.note = f"{outcome.note} Распределение (п. 3.1): {verdict}.".strip()


def already_applied(case: Case, decision: str) -> bool:
    """SPEC §2: the same decision on the same case state is applied once. «Направить» with
    another «Отдел» than the one that was sent the case is a new decision (re-routing)."""
    if decision == Decision.ROUTE and case.routed_to and case.routed_to != case.department:
        return False
    return bool(decision) and case.applied_decision == decision and case.applied_epoch == case.epoch


def holder(case: Case) -> str:
    """The department that has the case: the one it was sent to, whatever «Отдел» shows now
    (reminders go there, п. 4.1)."""
    return case.routed_to or case.department


def _tag(case: Case, what: str) -> str:
    return f"{case.id}:{what}:{case.epoch}"


def _route(case: Case, ctx: DecisionContext) -> Outcome:
    if not case.department:
        return refuse(case, Decision.ROUTE, "не выбран «Отдел»")
    if not ctx.department_exists(case.department):
        return refuse(case, Decision.ROUTE, f"отдел «{case.department}» не найден в справочнике")
    earlier = case.routed_to if case.routed_to != case.department else ""
    case.status = Status.ROUTED
    case.routed_at = ctx.now
    case.routed_to = case.department
    case.deadline_kind, case.deadline_start, case.handled_at = "answer", ctx.now, None   # п. 3.2
    key = f"{case.id}:route:{case.department}:{case.epoch}"
    effects = [Effect("email_case", key, {"department": case.department, "from_department": earlier})]
    if not earlier:
        return Outcome(case, effects, note="Направлено в отдел; срок ответа — 24 часа рабочих дней (п. 3.2).")
    # Re-routed: the department that had it is told so, in the case's thread, and stops being
    # reminded (holder); the new one gets the case with its own 24 hours (п. 3.2).
    # The withdrawal first: it answers the mail the old department has (In-Reply-To, SPEC §3).
    effects.insert(0, Effect("email_withdrawn", f"{case.id}:withdraw:{earlier}:{case.epoch}",
                             {"department": earlier, "new_department": case.department}))
    return Outcome(case, effects, note="Обращение передано в другой отдел; прежнему отправлено уведомление "
                                       "об отзыве. Срок ответа — 24 часа рабочих дней (п. 3.2).")


def _publish(case: Case, ctx: DecisionContext) -> Outcome:
    if case.status == Status.PUBLISH_FAILED and confirms_publication(case.operator_comment):
        return _confirmed(case, ctx)
    if case.status in (Status.NEW, Status.ROUTED, Status.REWORK) and not case.publish_text.strip():
        return refuse(case, Decision.PUBLISH, "нет текста для публикации (ответ отдела ещё не получен)")
    files = ctx.answer_files(case)
    if not case.publish_text.strip() and not files:
        return refuse(case, Decision.PUBLISH, "пустой «Текст для публикации»")
    # The approved text and files are what is published: a retry after an outage, or a second
    # answer that came meanwhile, never changes what the operator approved (п. 3.3). An answer
    # that is only a file (a signed scan, п. 3.4 «иной комментарий») goes with the operator's
    # text, or alone when the operator left the text empty.
    approved = {"text": case.publish_text, "files": list(files)}
    effects = [Effect("publish", _tag(case, "publish"), approved)]
    if case.informational:   # п. 3.5: also on the official pages and the site section
        effects.append(Effect("post_info", _tag(case, "info"), approved))
    return Outcome(case, effects, note="Публикация поставлена в очередь.")


def _rework(case: Case, ctx: DecisionContext) -> Outcome:
    if case.status not in (Status.ANSWERED, Status.PUBLISH_FAILED):
        return refuse(case, Decision.REWORK, "ответа отдела ещё нет")
    if not case.operator_comment.strip():
        return refuse(case, Decision.REWORK, "заполните «Комментарий оператора»: что доработать")
    case.status = Status.REWORK
    case.handled_at = None   # п. 3.3: a return does not restart the deadline, the clock goes on
    return Outcome(case, [Effect("email_rework", _tag(case, "rework"), {"comment": case.operator_comment})],
                   note="Возвращено на доработку; срок не продлевается.")


def _explain(case: Case, ctx: DecisionContext) -> Outcome:
    if case.basis not in Basis.EXPLANATIONS:
        return refuse(case, Decision.EXPLAIN, "выберите «Основание»: "
                      + ", ".join(BASIS_LABELS[b] for b in Basis.EXPLANATIONS))
    case.deadline_kind, case.deadline_start, case.handled_at = "explain", case.posted_at, None  # п. 3.7
    draft = ctx.explanation_text(case, case.basis)
    if not case.publish_text.strip():
        case.publish_text = draft
    if case.department and ctx.department_exists(case.department):
        case.status = Status.ROUTED
        case.routed_at = ctx.now
        case.routed_to = case.department
        return Outcome(case, [Effect("email_explanation", _tag(case, "explain"),
                                     {"department": case.department, "draft": draft})],
                       note="Запрошено разъяснение у отдела (п. 3.7).")
    case.status = Status.ANSWERED
    return Outcome(case, note="Разъяснение подготовлено по шаблону: проверьте и опубликуйте (п. 3.7).")


def _reject(case: Case, ctx: DecisionContext) -> Outcome:
    case.status = Status.REJECTED
    case.closed_at = ctx.now
    if case.deadline_kind == "triage":
        case.handled_at = ctx.now
    reason = f" ({basis_label(case.basis)})" if case.basis else ""
    return Outcome(case, note=f"Закрыто без ответа по п. 3.6{reason}.")


def _appeal(case: Case, ctx: DecisionContext) -> Outcome:
    if case.deadline_kind == "triage":
        case.handled_at = ctx.now
    if case.consent:
        return _hand_to_registry(case)
    case.status = Status.AWAITING_CONSENT
    if case.public:
        # 152-ФЗ: name and address are never asked for under a public comment; the citizen is
        # asked to write privately, where the request itself is made (citizen_wrote).
        return Outcome(case, [Effect("consent_request", _tag(case, "consent"), {"template": "consent_invite"})],
                       note="Под комментарием пользователю предложено написать в личные сообщения: "
                            "там будет запрошено согласие и данные для ответа (п. 3.8).")
    return Outcome(case, [Effect("consent_request", _tag(case, "consent"), {"template": "consent_request"})],
                   note="Пользователю отправлен запрос согласия на регистрацию обращения (п. 3.8).")


def _hand_to_registry(case: Case) -> Outcome:
    case.status = Status.APPEAL
    # Once per case state: after a card that could not be delivered (case_mail_failed moved the
    # epoch), «Обращение 59-ФЗ» again sends it again.
    key = f"{case.id}:card" if case.epoch == 0 else f"{case.id}:card:{case.epoch}"
    return Outcome(case, [Effect("registration_card", key, {})],
                   note="Карточка передана в канцелярию; впишите «Рег. № СЭД» (п. 3.8).")


_DECISIONS: dict[str, Callable[[Case, DecisionContext], Outcome]] = {
    Decision.ROUTE: _route,
    Decision.PUBLISH: _publish,
    Decision.REWORK: _rework,
    Decision.EXPLAIN: _explain,
    Decision.REJECT: _reject,
    Decision.APPEAL: _appeal,
}


# -- events that are not decisions ------------------------------------------------------------

def consent_given(case: Case) -> Outcome | None:
    """The operator recorded «Согласие» = да while the case awaited it (п. 3.8)."""
    if case.status == Status.AWAITING_CONSENT and case.consent:
        return _hand_to_registry(replace(case))
    return None


# -- the citizen writes again while consent is awaited (п. 3.8) -------------------------------------

# How a citizen says yes or no in Russian; the no-phrases first («не согласен» holds «согласен»).
NO_PHRASES = ("не согласен", "не согласна", "не согласны", "нет", "против", "no")
YES_PHRASES = ("да, согласен", "да, согласна", "да согласен", "да согласна", "даю согласие",
               "согласен", "согласна", "согласны", "конечно", "да", "yes")
_TRIM = " \t\n,.;:!-—–«»\"'"


@dataclass(frozen=True)
class ConsentReply:
    agrees: bool | None     # None: neither yes nor no
    details: str            # the name and address, when the message carries them


def read_consent_reply(text: str) -> ConsentReply:
    """«Да», «Нет», «Да, Иванов Иван Иванович, г. Оха, ул. Ленина, 5» — the answer to the п. 3.8
    request. Details are what follows the yes, or a whole message that looks like an address
    (a digit or an e-mail, and at least two words)."""
    flat = " ".join((text or "").split()).strip(_TRIM)
    lowered = flat.casefold()
    agrees, rest = None, flat
    for phrase, verdict in [(p, False) for p in NO_PHRASES] + [(p, True) for p in YES_PHRASES]:
        if lowered.startswith(phrase) and (len(lowered) == len(phrase) or not lowered[len(phrase)].isalnum()):
            agrees, rest = verdict, flat[len(phrase):].strip(_TRIM)
            break
    looks_like_address = len(rest.split()) >= 2 and (any(c.isdigit() for c in rest) or "@" in rest)
    return ConsentReply(agrees, rest if looks_like_address else "")


def citizen_wrote(case: Case, text: str, private_target: dict, at: datetime) -> Outcome:
    """A message from the citizen whose case awaits consent: privately (`private_target`, their
    dialogue) or as a reply under our request. Consent and details are recorded on the case;
    with both, the card goes to the registry office (п. 3.8). Name and address are asked for
    only in the private dialogue (152-ФЗ)."""
    case = replace(case)
    case.conversation = case.conversation + [{"at": at.isoformat(), "text": text, "private": bool(private_target)}]
    newly_private = bool(private_target) and not case.private_target
    if newly_private:
        case.private_target = dict(private_target)
    reply = read_consent_reply(text)
    if reply.details:
        case.citizen_details = reply.details
    if reply.agrees is False:
        return Outcome(case, note="Пользователь не согласен на регистрацию обращения (п. 3.8): решите, как быть дальше.")
    if reply.agrees:
        case.consent = True
    if case.consent and case.citizen_details:
        outcome = _hand_to_registry(case)
        outcome.note = "Пользователь дал согласие и сообщил данные для ответа. " + outcome.note
        return outcome
    if case.consent and case.private_target:
        return Outcome(case, [Effect("consent_request", f"{case.id}:details", {"template": "details_request"})],
                       note="Согласие получено; в личных сообщениях запрошены ФИО и адрес для ответа (п. 3.8).")
    if case.consent:
        return Outcome(case, note="Согласие получено под комментарием; ФИО и адрес пользователь может сообщить "
                                  "только в личных сообщениях — ждём их (п. 3.8).")
    if newly_private and case.public:
        return Outcome(case, [Effect("consent_request", f"{case.id}:consent-private", {"template": "consent_request"})],
                       note="Пользователь написал в личные сообщения: там отправлен запрос согласия (п. 3.8).")
    if reply.details:
        return Outcome(case, note="Пользователь сообщил данные для ответа; согласия ещё нет (п. 3.8).")
    return Outcome(case, note="Пользователь ответил на запрос согласия, но согласия в ответе нет: "
                              "посмотрите историю и при необходимости впишите «Согласие» сами.")


def case_mail_failed(case: Case, department: str, error: str) -> Case:
    """The case mail could not be delivered (a mistyped address): the department never got the
    case, and a new «Направить» after the address is fixed is a new decision that sends again."""
    case = replace(case, epoch=case.epoch + 1,
                   system_note=f"Письмо в отдел не отправлено: {error}. Исправьте адрес отдела в настройках "
                               "и выберите «Направить» ещё раз.")
    if case.routed_to == department:
        case.routed_to = ""
    return case


def card_failed(case: Case, error: str) -> Case:
    """The п. 3.8 card could not be delivered to the registry office: once its address is fixed,
    «Обращение 59-ФЗ» again sends it again (a new case state)."""
    return replace(case, epoch=case.epoch + 1,
                   system_note=f"Карточка в канцелярию не отправлена: {error}. Исправьте адрес канцелярии "
                               "(registry_emails) в настройках и выберите «Обращение 59-ФЗ» ещё раз.")


def sed_number_entered(case: Case, now: datetime) -> Outcome | None:
    """The СЭД registration number closes a converted case (п. 3.8)."""
    if case.status == Status.APPEAL and case.sed_number.strip() and not case.closed:
        case = replace(case, closed_at=now)
        return Outcome(case, note=f"Зарегистрировано в СЭД № {case.sed_number}; обращение закрыто.")
    return None


def answer_received(case: Case, text: str, attachments: list[str], now: datetime) -> Outcome:
    """A department's answer (п. 3.2); a second one before publication replaces the first. A mail
    that carries only files (the forgotten attachment) adds them and keeps the answer's text."""
    case = replace(case)
    if case.closed:
        return Outcome(case, note="Пришёл ответ по закрытому обращению: сохранён в истории.", applied=False)
    added = [a for a in attachments if a not in case.attachments]
    case.attachments = case.attachments + added
    previous = case.dept_answer
    if previous.strip() and not text.strip():
        if case.status in (Status.ANSWERED, Status.PUBLISH_FAILED):   # under review: only the files
            return Outcome(case, note="Отдел дослал вложения к ответу: " + ", ".join(added) + "." if added
                           else "Пришло пустое письмо отдела: ответ не изменён.")
        text = previous   # the files are the answer to a return (п. 3.3); the text stays
    case.dept_answer = text
    if not case.publish_text.strip() or case.publish_text == previous:
        case.publish_text = text
    case.status = Status.ANSWERED
    case.answered_at = now
    if case.deadline_kind == "answer":
        case.handled_at = now
    case.epoch += 1
    if previous and text == previous:
        note = "Отдел прислал вложения к ответу; текст ответа прежний."
    else:
        note = "Получен новый ответ отдела (заменил предыдущий)." if previous else "Получен ответ отдела."
    return Outcome(case, note=note)


def published(case: Case, link: str, now: datetime) -> Case:
    case = replace(case, status=Status.PUBLISHED, published=link, closed_at=now)
    if case.deadline_kind in ("explain", "triage"):
        case.handled_at = case.handled_at or now
    return case


# «Комментарий оператора» that confirms an answer is already on the page (after «исход неизвестен»).
CONFIRMED_WORDS = ("опубликовано", "уже опубликовано", "ответ есть")
UNKNOWN_NOTE = ("Исход публикации неизвестен: служба прервалась во время отправки. Проверьте страницу: "
                "если ответа нет — выберите «Опубликовать» ещё раз; если ответ есть — впишите в «Комментарий "
                "оператора» слово «опубликовано» и выберите «Опубликовать» (повторно он не отправится).")


def confirms_publication(comment: str) -> bool:
    return " ".join(comment.split()).casefold().rstrip(".!") in CONFIRMED_WORDS


def _confirmed(case: Case, ctx: DecisionContext) -> Outcome:
    """The operator saw the answer on the page: closed as published, nothing sent again."""
    done = published(case, "подтверждено оператором", ctx.now)
    return Outcome(done, note="Публикация подтверждена оператором; повторно не отправлялось.")


def outcome_unknown(case: Case) -> Case:
    """A publication cut by a crash may or may not be on the page: the operator decides (п. 3.4)."""
    return replace(case, status=Status.PUBLISH_FAILED, system_note=UNKNOWN_NOTE, epoch=case.epoch + 1)


def publication_failed(case: Case, error: str) -> Case:
    """The case moves on by itself: a new «Опубликовать» after fixing the cause is a new decision."""
    return replace(case, status=Status.PUBLISH_FAILED, system_note=f"Ошибка публикации: {error}",
                   epoch=case.epoch + 1)
