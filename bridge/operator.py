"""Applying the operator's work read from the ledger to the store (SPEC §2, §5).

Edits to operator-owned cells are recorded with the workbook's `lastModifiedBy`; a decision is
applied once per case state; edits to bridge-owned cells are undone and said so in
«Примечание системы»; hand-made rows become cases. Each row is handled on its own: a bad value
in one row becomes that row's note and never stops the others.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from datetime import datetime
from typing import Callable

from bridge.config import Config
from bridge.model import Basis, Case
from bridge.store import Store
from bridge import workflow
from ledger.sync import Edit, Reconciliation

log = logging.getLogger("otklik.operator")

EffectSink = Callable[[Case, workflow.Effect], None]


def operator_name(modified_by: str) -> str:
    return f"оператор ({modified_by})" if modified_by else "оператор"


def apply_changes(store: Store, config: Config, changes: Reconciliation, modified_by: str, now: datetime,
                  decide: workflow.DecisionContext, emit: EffectSink,
                  new_case: Callable[[dict, str], Case | None]) -> None:
    actor = operator_name(modified_by)
    by_case: dict[str, list[Edit]] = {}
    for edit in changes.edits:
        by_case.setdefault(edit.case_id, []).append(edit)
    for case_id, edits in by_case.items():
        try:
            _apply_case_edits(store, config, case_id, edits, actor, now, decide, emit)
        except Exception:   # one row never stops the others; the log keeps the case id only
            log.exception("could not apply the ledger edits of %s", case_id)
            store.alert("ledger", "Не удалось применить правки строки; подробности в журнале работы.",
                        case_id, at=now)
    for case_id, headers in changes.bridge_edits.items():
        _note(store, case_id, "Столбцы «" + "», «".join(headers) + "» заполняет система: "
              "изменения в них не сохраняются (исправлено).", now)
    for row in changes.new_rows:
        new_case(row, actor)
    for case_id in changes.unknown_ids:
        store.alert("ledger", f"В журнале строка с № «{case_id}», которого нет в базе: строка убрана.",
                    key=f"unknown-row:{case_id}", at=now)


def _apply_case_edits(store, config, case_id, edits, actor, now, decide, emit) -> None:
    case = store.get(case_id)
    original = replace(case)
    notes: list[str] = []
    decision = ""
    for edit in edits:
        if edit.key == "decision":
            decision = edit.value
        else:
            _set_field(case, config, edit, notes)
    with store.transaction():
        if case != original:
            store.save(case, actor, "правка в журнале", at=now)
            case = _follow_up(store, case, actor, now, emit, original)
        if decision and not workflow.already_applied(case, decision):
            outcome = workflow.apply_decision(case, decision, replace(decide, now=now))
            case = outcome.case
            notes.append(outcome.note)
            for effect in outcome.effects:
                emit(case, effect)
            store.record(case.id, actor, "решение", "decision", None, decision, at=now)
        if notes:
            case.system_note = " ".join(n for n in notes if n)
        store.save(case, "система", f"решение «{decision}»" if decision else "примечание", at=now)


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
        if value and value not in Basis.ALL:
            notes.append(f"Основание «{value}» не из списка; сохранено как есть.")
        case.basis = value
    elif edit.key in ("informational", "consent"):
        setattr(case, edit.key, workflow.consent_value(value))
    else:   # publish_text, operator_comment, sed_number
        setattr(case, edit.key, value)


def _follow_up(store: Store, case: Case, actor: str, now: datetime, emit: EffectSink, original: Case) -> Case:
    """Edits that are events in themselves: consent given, СЭД number typed (п. 3.8)."""
    for outcome in (workflow.consent_given(case) if case.consent and not original.consent else None,
                    workflow.sed_number_entered(case, now)):
        if outcome is None:
            continue
        case = outcome.case
        case.system_note = outcome.note
        for effect in outcome.effects:
            emit(case, effect)
        store.save(case, actor, "правка в журнале", at=now)
    return case


def _note(store: Store, case_id: str, text: str, now: datetime) -> None:
    case = store.get(case_id)
    if case and case.system_note != text:
        case.system_note = text
        store.save(case, "система", "примечание", at=now)


def manual_key(row: dict) -> str:
    """Dedup key of a hand-made row, so a row read twice (ledger locked) is one case."""
    parts = [str(row.get(k) or "").strip() for k in ("posted", "channel", "author", "text")]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]

