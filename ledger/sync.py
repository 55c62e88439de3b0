"""Reading the operator's work out of the ledger: a three-way comparison (pure, SPEC §2).

For every row matched by «№», each cell is compared with what the bridge wrote last time (the
base), not with the store's current value: a cell that still holds what we wrote is no edit, even
if the store has moved on since (an answer came while the workbook was open). A changed
operator-owned cell is an edit; a changed bridge-owned cell is restored and said so; a row with an
empty «№» and some text is a new hand-made case; a row that is gone comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from bridge.core.model import CASE_ID
from ledger.columns import BY_KEY
from ledger.render import BRIDGE_KEYS, TRACKED_KEYS, Value, fingerprint, normalize, row_hashes



@dataclass(frozen=True)
class Edit:
    case_id: str
    key: str           # column key, e.g. 'department', 'decision'
    value: str         # normalized text of the cell


@dataclass
class Reconciliation:
    edits: list[Edit] = field(default_factory=list)
    bridge_edits: dict[str, list[str]] = field(default_factory=dict)   # case id → headers restored
    new_rows: list[dict[str, object]] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)
    duplicates: set[str] = field(default_factory=set)
    unknown_ids: list[str] = field(default_factory=list)

    @property
    def needs_rewrite(self) -> bool:
        """Anything the operator must see corrected, even if the store did not change."""
        return bool(self.edits or self.bridge_edits or self.new_rows or self.missing
                    or self.duplicates or self.unknown_ids)


def reconcile(rows: Sequence[Mapping[str, object]], known_ids: set[str],
              written: Mapping[str, Sequence[int]],
              current: Callable[[str], Mapping[str, Value]]) -> Reconciliation:
    """`written`: case id → `row_hashes` of the row as last written; `current`: a case's row rendered
    now (the base for a row the bridge has no record of writing, and for naming restored cells)."""
    result = Reconciliation()
    seen: set[str] = set()
    for row in rows:
        case_id = normalize(row.get("id"))
        if not case_id:
            if _has_text(row):
                result.new_rows.append(dict(row))
            continue
        if case_id not in known_ids:
            _unknown(result, case_id, row)
            continue
        if case_id in seen:
            result.duplicates.add(case_id)
            continue
        seen.add(case_id)
        base = written.get(case_id)
        if not base or len(base) != 1 + len(TRACKED_KEYS):   # never written by us (or an old format)
            base = row_hashes(current(case_id))
        _compare(result, case_id, row, base, current)
    result.missing = known_ids - seen
    return result


def _compare(result: Reconciliation, case_id: str, row: Mapping[str, object], base: Sequence[int],
             current: Callable[[str], Mapping[str, Value]]) -> None:
    if normalize(row.get("decision")):
        result.edits.append(Edit(case_id, "decision", normalize(row.get("decision"))))
    for key, written in zip(TRACKED_KEYS, base[1:]):
        value = normalize(row.get(key))
        if fingerprint(value) != written:
            result.edits.append(Edit(case_id, key, value))
    if fingerprint("\x1f".join(normalize(row.get(key)) for key in BRIDGE_KEYS)) != base[0]:
        # Some bridge-owned cell was changed; name the ones that differ from the store's view.
        now = current(case_id)
        restored = [BY_KEY[key].header for key in BRIDGE_KEYS if normalize(row.get(key)) != normalize(now.get(key))]
        if restored:
            result.bridge_edits[case_id] = restored


def _unknown(result: Reconciliation, case_id: str, row: Mapping[str, object]) -> None:
    if CASE_ID.match(case_id) or not _has_text(row):
        result.unknown_ids.append(case_id)
    else:
        result.new_rows.append(dict(row, id=None))   # the operator typed something else in «№»


def _has_text(row: Mapping[str, object]) -> bool:
    return bool(normalize(row.get("text")))
