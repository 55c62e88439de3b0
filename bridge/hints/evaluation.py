"""Measure the hints against labelled messages: per-policy precision and recall, п. 3.6 as a
whole, department accuracy and confusion, and repeat detection.

Pure apart from ``demo_municipality``, which reads the departments and external bodies of the
embedded demo configuration (the corpus is labelled with its department codes).
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from bridge.hints.bodies import ExternalBody
from bridge.hints.corpus import Labelled, RepeatPair
from bridge.hints.hint import Hint, Hinter
from bridge.hints.precedence import NOT_PROCESSED, POLICIES
from bridge.hints.repeat import EarlierCase
from bridge.hints.routing import Department

DEMO_CONFIG = Path(__file__).resolve().parents[1] / "demo_config.toml"


def demo_municipality(path: Path = DEMO_CONFIG) -> tuple[list[Department], list[ExternalBody]]:
    """The departments and external bodies of a configuration file (the demo by default)."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    departments = [Department(str(d["code"]), str(d.get("name", d["code"])),
                              str(d.get("description", "")), tuple(d.get("keywords", ())))
                   for d in raw.get("departments", [])]
    bodies = [ExternalBody(str(b["name"]), str(b.get("competence", "")), str(b.get("code", "")))
              for b in raw.get("external_bodies", [])]
    return departments, bodies


def rate(hits: int, total: int) -> float:
    return hits / total if total else 1.0


@dataclass
class Scores:
    """Counts over labelled messages, with the derived rates."""

    total: int = 0
    department_hits: int = 0
    policy: Counter = field(default_factory=Counter)  # (labelled, hinted) policy pairs
    department: Counter = field(default_factory=Counter)  # (labelled, hinted) department pairs
    repeats: Counter = field(default_factory=Counter)  # (labelled, hinted) booleans
    misses: list = field(default_factory=list)  # (row, hint) where something differs

    def add(self, row: Labelled, hint: Hint) -> None:
        self.total += 1
        self.department_hits += hint.department == row.department
        self.policy[(row.policy, hint.policy)] += 1
        self.department[(row.department or "-", hint.department or "-")] += 1
        if hint.department != row.department or hint.policy != row.policy:
            self.misses.append((row, hint))

    def merge(self, others: Iterable[Scores]) -> Scores:
        for other in others:
            self.total += other.total
            self.department_hits += other.department_hits
            self.policy.update(other.policy)
            self.department.update(other.department)
            self.repeats.update(other.repeats)
            self.misses += other.misses
        return self

    @property
    def department_accuracy(self) -> float:
        return rate(self.department_hits, self.total)

    @property
    def precision(self) -> float:
        """п. 3.6 (obscene + threat) precision."""
        return self.precision_recall(NOT_PROCESSED)[0]

    @property
    def recall(self) -> float:
        """п. 3.6 (obscene + threat) recall."""
        return self.precision_recall(NOT_PROCESSED)[1]

    def precision_recall(self, policies: frozenset[str] | set[str]) -> tuple[float, float]:
        """Precision and recall of hinting any of POLICIES for a message labelled so."""
        true = sum(n for (lab, hin), n in self.policy.items() if lab in policies and hin in policies)
        hinted = sum(n for (_, hin), n in self.policy.items() if hin in policies)
        labelled = sum(n for (lab, _), n in self.policy.items() if lab in policies)
        return rate(true, hinted), rate(true, labelled)

    def repeat_precision_recall(self) -> tuple[float, float]:
        true = self.repeats[(True, True)]
        return (rate(true, true + self.repeats[(False, True)]),
                rate(true, true + self.repeats[(True, False)]))

    def report(self) -> list[str]:
        """Readable lines: п. 3.6, each policy, departments."""
        lines = [f"messages: {self.total}"]
        p, r = self.precision_recall(NOT_PROCESSED)
        lines.append(f"п. 3.6 (obscene + threat): precision {p:.3f}  recall {r:.3f}")
        for policy in POLICIES:
            p, r = self.precision_recall({policy})
            n = sum(n for (lab, _), n in self.policy.items() if lab == policy)
            lines.append(f"  {policy:18} n={n:4}  precision {p:.3f}  recall {r:.3f}")
        if sum(self.repeats.values()):
            p, r = self.repeat_precision_recall()
            n = self.repeats[(True, True)] + self.repeats[(True, False)]
            lines.append(f"  {'repeat (п. 3.7)':18} n={n:4}  precision {p:.3f}  recall {r:.3f}")
        lines.append(f"department accuracy: {self.department_accuracy:.3f}")
        return lines


def measure(rows: Iterable[Labelled], hinter: Hinter | None = None) -> Scores:
    """Hint every row and count the results (with the demo municipality by default)."""
    if hinter is None:
        hinter = Hinter(*demo_municipality())
    scores = Scores()
    for row in rows:
        scores.add(row, hinter.suggest(row.text))
    return scores


def measure_repeats(pairs: Iterable[RepeatPair], hinter: Hinter, scores: Scores) -> Scores:
    """Add the repeat pairs to SCORES: the earlier text is an answered case of the same author."""
    for pair in pairs:
        earlier = (EarlierCase("OKH-2026-00001", "vk:1", pair.earlier),)
        hint = hinter.suggest(pair.new, earlier=earlier, author_key="vk:1")
        scores.repeats[(pair.repeat, hint.repeat_of is not None)] += 1
    return scores


def measure_with_model(rows: Iterable[Labelled], model, use_model: bool = True) -> Scores:
    """Measure ROWS with the demo municipality and MODEL."""
    departments, bodies = demo_municipality()
    return measure(rows, Hinter(departments, bodies, model=model, use_model=use_model))
