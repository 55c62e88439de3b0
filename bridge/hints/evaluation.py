"""Measure the hints against a labelled sample: department accuracy, п. 3.6 precision/recall.

Pure: the caller reads the sample (``text``, ``department``, ``policy`` rows; «-» = no department).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from bridge.hints.hint import Hint, suggest

FLAGGED = frozenset({"obscene", "threat"})  # the «не подлежит обработке» policies of п. 3.6


@dataclass(frozen=True)
class Labelled:
    """One row of the labelled sample."""

    text: str
    department: str | None
    policy: str


@dataclass
class Scores:
    """Counts over a sample, with the derived rates."""

    total: int = 0
    department_hits: int = 0
    flagged_true: int = 0  # labelled 3.6 and hinted 3.6
    flagged_hinted: int = 0
    flagged_labelled: int = 0
    confusion: Counter = field(default_factory=Counter)  # (labelled, hinted) policy pairs
    misses: list = field(default_factory=list)  # (row, hint) where something differs

    @property
    def department_accuracy(self) -> float:
        return self.department_hits / self.total if self.total else 0.0

    @property
    def precision(self) -> float:
        return self.flagged_true / self.flagged_hinted if self.flagged_hinted else 1.0

    @property
    def recall(self) -> float:
        return self.flagged_true / self.flagged_labelled if self.flagged_labelled else 1.0


def parse_row(line: str) -> Labelled:
    """Parse one TSV line of the sample."""
    text, department, policy = line.rstrip("\n").split("\t")
    return Labelled(text, None if department in ("", "-") else department, policy)


def tally(scores: Scores, row: Labelled, hint: Hint) -> None:
    """Add one row and its hint to SCORES."""
    scores.total += 1
    scores.department_hits += hint.department == row.department
    labelled, hinted = row.policy in FLAGGED, hint.policy in FLAGGED
    scores.flagged_labelled += labelled
    scores.flagged_hinted += hinted
    scores.flagged_true += labelled and hinted
    scores.confusion[(row.policy, hint.policy)] += 1
    if hint.department != row.department or hint.policy != row.policy:
        scores.misses.append((row, hint))


def measure(rows: Iterable[Labelled]) -> Scores:
    """Run ``suggest`` over ROWS and count the results."""
    scores = Scores()
    for row in rows:
        tally(scores, row, suggest(row.text))
    return scores
