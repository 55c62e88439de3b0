"""Reading the operator's work out of the ledger: a three-way comparison (pure, SPEC §2).

For every row matched by «№», each cell is compared with what the bridge wrote last time (the
base), not with the store's current value: a cell that still holds what we wrote is no edit, even
if the store has moved on since (an answer came while the workbook was open). A changed
operator-owned cell is an edit; a changed bridge-owned cell is restored and said so; a row with an
empty «№» and some text is a new hand-made case; a row that is gone comes back.

While the workbook stays open the bridge cannot write it, so it reads the same saved file again
and again. What a read found and applied is *absorbed*: ledger/service.py keeps it beside the
write it is based on, and the next read compares with it instead of the write. So a decision
still standing in its cell is applied once (SPEC §2), whatever happened to the case since, and a
hand-made row that became a case is known again on the next save (by its words, or by its place
on the sheet when its words were corrected) and its later cells go to that case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from difflib import SequenceMatcher

from bridge.core.model import CASE_ID
from ledger.columns import BY_KEY, COLUMNS
from ledger.render import BRIDGE_KEYS, TRACKED_KEYS, Value, fingerprint, normalize, row_hashes
from ledger.workbook import SHEET_ROW

# Operator-owned on a hand-made row only (SPEC §5): «Поступило», «Канал», «Автор», «Текст сообщения».
MANUAL_KEYS = tuple(c.key for c in COLUMNS if c.manual)
NTH = "_nth"            # a new hand-made row: how many rows with the same words stand above it
SIMILAR_TEXT = 0.6      # a hand-made row's corrected text still this close to its case's text


@dataclass(frozen=True)
class Edit:
    case_id: str
    key: str           # column key, e.g. 'department', 'decision'
    value: str         # normalized text of the cell
    refused_at: int | None = None   # a decision taken again after its refusal at this case epoch


@dataclass
class Reconciliation:
    edits: list[Edit] = field(default_factory=list)
    bridge_edits: dict[str, list[str]] = field(default_factory=dict)   # case id → headers restored
    new_rows: list[dict[str, object]] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)
    duplicates: set[str] = field(default_factory=set)
    unknown_ids: list[str] = field(default_factory=list)
    # What this read found, to be absorbed once applied (ledger/service.py `absorb`):
    present: set[str] = field(default_factory=set)              # cases whose «№» row was read
    seen: dict[str, dict] = field(default_factory=dict)         # case id → row entry (row differs from the write)
    manual: list[dict] = field(default_factory=list)            # hand-made rows known again: their entries

    @property
    def needs_rewrite(self) -> bool:
        """Anything the operator must see corrected, even if the store did not change."""
        return bool(self.edits or self.bridge_edits or self.new_rows or self.missing
                    or self.duplicates or self.unknown_ids)


def reconcile(rows: Sequence[Mapping[str, object]], known_ids: set[str],
              written: Mapping[str, Sequence[int]],
              current: Callable[[str], Mapping[str, Value]],
              absorbed: Mapping[str, object] | None = None) -> Reconciliation:
    """`written`: case id → `row_hashes` of the row as last written; `current`: a case's row rendered
    now (the base for a row the bridge has no record of writing, and for naming restored cells);
    `absorbed`: what earlier reads of files based on the same write found ({} when none)."""
    absorbed = absorbed or {}
    taken: Mapping[str, dict] = absorbed.get("rows", {})
    result = Reconciliation()
    seen: set[str] = set()
    manual: list[dict] = []
    for row in rows:
        case_id = normalize(row.get("id"))
        if not case_id:
            if _has_text(row):
                manual.append(dict(row))
            continue
        if case_id not in known_ids:
            if CASE_ID.match(case_id) or not _has_text(row):
                result.unknown_ids.append(case_id)
            else:
                manual.append(dict(row, id=None))   # the operator typed something else in «№»
            continue
        if case_id in seen:
            result.duplicates.add(case_id)
            continue
        seen.add(case_id)
        base = written.get(case_id)
        if not base or len(base) != 1 + len(TRACKED_KEYS):   # never written by us (or an old format)
            base = row_hashes(current(case_id))
        found = row_entry(row)
        entry = taken.get(case_id)
        _compare(result, case_id, row, found["h"], _valid(entry) or {"h": list(base), "d": 0}, current)
        result.present.add(case_id)
        if found["d"] or found["h"] != list(base):
            result.seen[case_id] = found
    _hand_made(result, manual, [e for e in absorbed.get("manual", []) if e.get("case") in known_ids],
               seen, current)
    result.missing = known_ids - seen
    return result


def row_entry(row: Mapping[str, object]) -> dict:
    """What a read found in a row: its hashes and its decision's (0 when the cell is empty)."""
    return {"h": row_hashes(row), "d": fingerprint(normalize(row.get("decision")))}


def manual_entry(row: Mapping[str, object], case_id: str) -> dict:
    """A hand-made row that became (or was known again as) `case_id`."""
    return {**row_entry(row), "case": case_id, "row": row.get(SHEET_ROW), "ident": _identity(row),
            "m": [fingerprint(normalize(row.get(key))) for key in MANUAL_KEYS]}


def _valid(entry: Mapping[str, object] | None) -> Mapping[str, object] | None:
    if entry and len(entry.get("h", ())) == 1 + len(TRACKED_KEYS):
        return entry
    return None


def _decision(case_id: str, decision: str, found: Sequence[int], base: Mapping[str, object]) -> Edit | None:
    """SPEC §2, applied once: a decision counts when its cell changed since the last read. One
    that was refused (no «Отдел» yet, no comment) counts again once the operator changed the row,
    provided the case is still where it was then (steps/decisions.py checks the epoch)."""
    if fingerprint(decision) != base["d"]:
        return Edit(case_id, "decision", decision)
    if base.get("r") is not None and list(found[1:]) != list(base["h"][1:]):
        return Edit(case_id, "decision", decision, refused_at=int(base["r"]))
    return None


def _compare(result: Reconciliation, case_id: str, row: Mapping[str, object], found: Sequence[int],
             base: Mapping[str, object], current: Callable[[str], Mapping[str, Value]] | None) -> None:
    decision = normalize(row.get("decision"))
    edit = _decision(case_id, decision, found, base) if decision else None
    if edit is not None:
        result.edits.append(edit)
    for key, was, now in zip(TRACKED_KEYS, base["h"][1:], found[1:]):
        if now != was:
            result.edits.append(Edit(case_id, key, normalize(row.get(key))))
    if current is not None and found[0] != base["h"][0]:
        # Some bridge-owned cell was changed; name the ones that differ from the store's view.
        view = current(case_id)
        restored = [BY_KEY[key].header for key in BRIDGE_KEYS if normalize(row.get(key)) != normalize(view.get(key))]
        if restored:
            result.bridge_edits[case_id] = restored


def _hand_made(result: Reconciliation, rows: list[dict], entries: list[dict], seen: set[str],
               current: Callable[[str], Mapping[str, Value]]) -> None:
    """Rows with no «№»: those an earlier read already made cases of are known again, first by
    their unchanged words, then by their place when the words were corrected; the rest are new."""
    idents = [_identity(row) for row in rows]
    match: dict[int, dict] = {}
    free = list(entries)
    for i, ident in enumerate(idents):
        entry = next((e for e in free if e.get("ident") == ident), None)
        if entry is not None:
            free.remove(entry)
            match[i] = entry
    for i, row in enumerate(rows):
        if i not in match:
            entry = next((e for e in free if e.get("row") == row.get(SHEET_ROW)
                          and _corrected(row, current(e["case"]))), None)
            if entry is not None:
                free.remove(entry)
                match[i] = entry
    counts: dict[int, int] = {}
    for i, row in enumerate(rows):
        nth = counts[idents[i]] = counts.get(idents[i], -1) + 1
        entry = match.get(i)
        if entry is None:
            result.new_rows.append(dict(row, **{NTH: nth}))
            continue
        case_id = entry["case"]
        if case_id in seen or _valid(entry) is None:
            continue
        seen.add(case_id)
        _compare(result, case_id, row, row_hashes(row), entry, None)
        for key, was in zip(MANUAL_KEYS, entry.get("m", ())):
            if fingerprint(normalize(row.get(key))) != was:
                result.edits.append(Edit(case_id, key, normalize(row.get(key))))
        result.manual.append(manual_entry(row, case_id))


def _identity(row: Mapping[str, object]) -> int:
    return fingerprint("\x1f".join(normalize(row.get(key)) for key in MANUAL_KEYS))


def _corrected(row: Mapping[str, object], case_row: Mapping[str, Value]) -> bool:
    """The same call with its words corrected, not another call typed where a deleted one stood."""
    typed, kept = normalize(row.get("text")), normalize(case_row.get("text"))
    return typed == kept or SequenceMatcher(None, typed, kept).ratio() >= SIMILAR_TEXT


def _has_text(row: Mapping[str, object]) -> bool:
    return bool(normalize(row.get("text")))
