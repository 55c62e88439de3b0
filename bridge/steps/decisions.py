"""Step «журнал: решения»: the operator's work read from the ledger, applied to the store (SPEC §2, §5).

Edits to operator-owned cells are recorded with the workbook's `lastModifiedBy`; a decision (the
word in the cell, turned into a code here, bridge/core/vocabulary.py) is applied once per case
state; its effects become outbox items (steps/outgoing.py); edits to bridge-owned cells are undone
and said so in «Примечание системы»; hand-made rows become cases. Each row is handled on its own:
a bad value in one row becomes that row's note and never stops the others.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime

from bridge.config import Config
from bridge.core import workflow
from bridge.core.model import Case, Decision, Status
from bridge.core.vocabulary import basis_from_label, decision_from_label, is_yes
from bridge.steps.intake import case_from_row, manual_key, open_case, typed_moment
from bridge.steps.outgoing import CASE_MAILS, emit
from bridge.steps.ports import Ports
from bridge.storage.files import ANSWER, DataFiles
from bridge.storage.outbox import CANCELLED
from bridge.storage.store import Store
from ledger.columns import OPERATOR_KEYS
from ledger.render import normalize
from ledger.sync import Edit, Reconciliation

log = logging.getLogger("otklik.decisions")


def decision_context(config: Config, store: Store, now: datetime) -> workflow.DecisionContext:
    from bridge.steps.explanations import explanation_text
    files = DataFiles(config.data_dir)
    return workflow.DecisionContext(now=now, department_exists=lambda code: config.department(code) is not None,
                                    explanation_text=lambda case, basis: explanation_text(case, basis, config, store),
                                    answer_files=lambda case: [p.name for p in files.files(case.id, ANSWER)],
                                    calendar=config.calendar)


def operator_name(modified_by: str) -> str:
    return f"оператор ({modified_by})" if modified_by else "оператор"


def read_decisions(store: Store, config: Config, ports: Ports, cases: dict[str, Case], render, now: datetime):
    """Read the workbook and apply what the operator did; returns the ledger's ReadResult and
    the counts (decisions read, new cases). What was applied is then absorbed by the ledger, so
    the same saved file read again (the workbook still open) applies nothing twice (SPEC §2)."""
    result = ports.ledger.read(cases, render, now)
    counts = {"decisions": 0, "new_cases": 0}
    if result.changes is None:
        return result, counts
    counts["decisions"] = sum(1 for e in result.changes.edits if e.key == "decision")
    actor = operator_name(result.modified_by)
    outcome = Applied()

    def new_case(row: dict) -> None:
        key = manual_key(row, result.base_write)
        case = case_from_row(row, config.tz, now, key)
        made = open_case(store, config.case_prefix, case, actor, ports.hint_text, now)
        # Known already: the same row of the same save, read again after a crash before `absorb`.
        case_id = made.id if made else store.case_for_item(case.channel, key)
        if case_id is None:
            return
        counts["new_cases"] += made is not None
        # The operator may have filled «Отдел», a decision, a comment on the new row already.
        typed = [Edit(case_id, key, normalize(row.get(key))) for key in OPERATOR_KEYS if normalize(row.get(key))]
        if typed:
            _apply_all(store, config, Reconciliation(edits=typed), actor, now, outcome)
        outcome.created.append((row, case_id))

    _apply_all(store, config, result.changes, actor, now, outcome, new_case)
    ports.ledger.absorb(result, refused=outcome.refused, failed=outcome.failed, created=outcome.created)
    return result, counts


class Applied:
    """What applying one read did, for the ledger to absorb."""

    def __init__(self) -> None:
        self.refused: dict[str, int] = {}    # a decision refused (no «Отдел», no comment …) → case epoch
        self.failed: set[str] = set()        # the row's edits could not be applied: read again
        self.created: list[tuple[dict, str]] = []


def _apply_all(store: Store, config: Config, changes: Reconciliation, actor: str, now: datetime,
               outcome: Applied, new_case=None) -> None:
    decide = decision_context(config, store, now)
    by_case: dict[str, list[Edit]] = {}
    for edit in changes.edits:
        by_case.setdefault(edit.case_id, []).append(edit)
    for case_id, edits in by_case.items():
        try:
            refused_at = _apply_case_edits(store, config, case_id, edits, actor, now, decide)
            if refused_at is not None:
                outcome.refused[case_id] = refused_at
        except Exception as exc:   # noqa: BLE001 - one row never stops the others; the log keeps the id only
            log.error("could not apply the ledger edits of %s: %s", case_id, type(exc).__name__)
            outcome.failed.add(case_id)
            with store.transaction():
                store.alert("ledger", "Не удалось применить правки строки; подробности в журнале работы.",
                            case_id, key=f"apply-failed:{case_id}:{now:%Y-%m-%d %H}", at=now)
    for case_id, headers in changes.bridge_edits.items():
        _note(store, case_id, "Столбцы «" + "», «".join(headers) + "» заполняет система: "
              "изменения в них не сохраняются (исправлено).", now)
    for row in changes.new_rows:
        try:
            new_case(row)
        except Exception as exc:   # noqa: BLE001 - the row stays new: taken again on the next read
            log.error("could not take a hand-made row: %s", type(exc).__name__)
            with store.transaction():
                store.alert("ledger", "Не удалось принять новую строку журнала; подробности в журнале работы.",
                            key=f"new-row-failed:{now:%Y-%m-%d %H}", at=now)
    for case_id in changes.unknown_ids:
        with store.transaction():
            store.alert("ledger", f"В журнале строка с № «{case_id}», которого нет в базе: строка убрана.",
                        key=f"unknown-row:{case_id}", at=now)


def _apply_case_edits(store: Store, config: Config, case_id: str, edits: list[Edit], actor: str,
                      now: datetime, decide: workflow.DecisionContext) -> int | None:
    """Apply one row's edits; returns the case's epoch when its decision was refused."""
    case = _with_holder(store, store.get(case_id), now)
    original = replace(case)
    notes: list[str] = []
    typed, again = "", None
    refused_at = None
    for edit in edits:
        if edit.key == "decision":
            typed, again = edit.value, edit.refused_at
        else:
            _set_field(case, config, edit, notes)
    decision = (decision_from_label(typed) or typed) if typed else ""
    if case.department != original.department and case.routed_to and case.routed_to != case.department \
            and decision != Decision.ROUTE and not case.closed:
        # The department that got the case keeps it (and its reminders) until «Направить».
        notes.append(f"Обращение пока у отдела «{_department_name(config, case.routed_to)}»: чтобы передать его "
                     "в выбранный отдел, выберите «Направить».")
    with store.transaction():
        if case != original:
            store.save(case, actor, "правка в журнале", at=now)
            case = _follow_up(store, config, case, actor, now, original)
        if decision and again is not None and again != case.epoch:
            # Refused earlier; the case moved on since (an answer came) while the workbook stayed
            # open: the operator has not seen what it is now, so the old word is not taken.
            notes.append(f"Решение «{typed}» не применено: пока журнал был открыт, обращение изменилось; "
                         "выберите решение заново.")
        elif decision and not workflow.already_applied(case, decision):
            outcome = workflow.apply_decision(case, decision, replace(decide, now=now))
            case = outcome.case
            refused_at = None if outcome.applied else case.epoch
            notes.append(outcome.note)
            for effect in outcome.effects:
                if effect.kind == "email_withdrawn" and _cancel_unsent(store, case.id, effect.data["department"], now):
                    continue   # the old department never got the case: nothing to withdraw
                emit(store, config, case, effect, now)
            store.record(case.id, actor, "решение", "decision", None, decision, at=now)
        if notes:
            case.system_note = " ".join(n for n in notes if n)
        store.save(case, "система", f"решение «{typed}»" if typed else "примечание", at=now)
    return refused_at


def _set_field(case: Case, config: Config, edit: Edit, notes: list[str]) -> None:
    value = edit.value
    if edit.key == "department":
        if not value:
            case.department = ""
            return
        found = config.department_by_name_or_code(value)
        if found is None:
            notes.append(f"Отдел «{value}» не найден в справочнике «Отделы».")
        else:
            case.department = found.code
    elif edit.key == "basis":
        code = basis_from_label(value) if value else ""
        if value and code is None:
            notes.append(f"Основание «{value}» не из списка; сохранено как есть.")
        case.basis = code or value
    elif edit.key in ("informational", "consent"):
        setattr(case, edit.key, is_yes(value))
    elif edit.key in MANUAL_FIELDS:   # a hand-made row, still without its «№», corrected
        _correct_manual(case, config, edit.key, value)
    else:   # publish_text, operator_comment, sed_number
        setattr(case, edit.key, value)


def _with_holder(store: Store, case: Case, now: datetime) -> Case:
    """A case routed before `Case.routed_to` existed (an older store) gets it from the outbox:
    the department of its latest case mail, if that mail went out."""
    if case.routed_to or case.status not in Status.WITH_DEPARTMENT:
        return case
    latest = None
    for row in store.outbox_items(case.id, sent_only=True):
        payload = json.loads(row["payload"]) if row["kind"] == "email" else {}
        if payload.get("template") in CASE_MAILS:
            latest = (row["state"], payload.get("context", {}).get("department", ""))
    if latest and latest[0] == "done" and latest[1]:
        case.routed_to = latest[1]
        store.save(case, "система", "отдел, получивший обращение", at=now)
    return case


def _cancel_unsent(store: Store, case_id: str, department: str, now: datetime) -> bool:
    """Re-routed while the mail to the old department still waits in the outbox (its server was
    down): it is not sent at all, rather than after the withdrawal. True when one was waiting."""
    cancelled = False
    for row in store.outbox_items(case_id):
        payload = json.loads(row["payload"]) if row["kind"] == "email" and row["state"] == "pending" else {}
        if payload.get("template") in CASE_MAILS and payload.get("context", {}).get("department") == department:
            store.outbox_stop(row["id"], CANCELLED, "не отправлено: обращение передано в другой отдел", now)
            cancelled = True
    return cancelled


def _department_name(config: Config, code: str) -> str:
    found = config.department(code)
    return found.name if found else code


MANUAL_FIELDS = ("posted", "channel", "author", "text")


def _correct_manual(case: Case, config: Config, key: str, value: str) -> None:
    if key == "text" and value:
        case.text = value
    elif key == "author":
        case.author_name = value
    elif key == "posted":
        case.posted_at = typed_moment(value, config.tz) or case.posted_at
    # «Канал» stays: the case is found by (channel, key) if its row is read again (intake.py)


def _follow_up(store: Store, config: Config, case: Case, actor: str, now: datetime, original: Case) -> Case:
    """Edits that are events in themselves: consent given, СЭД number typed (п. 3.8)."""
    for outcome in (workflow.consent_given(case) if case.consent and not original.consent else None,
                    workflow.sed_number_entered(case, now)):
        if outcome is None:
            continue
        case = outcome.case
        case.system_note = outcome.note
        for effect in outcome.effects:
            emit(store, config, case, effect, now)
        store.save(case, actor, "правка в журнале", at=now)
    return case


def _note(store: Store, case_id: str, text: str, now: datetime) -> None:
    case = store.get(case_id)
    if case and case.system_note != text:
        case.system_note = text
        store.save(case, "система", "примечание", at=now)
