"""Spot a repeated question (п. 3.7): same author, much the same words as an answered case.

Similarity is the Jaccard index of the two messages' sets of content stems (words of three
letters or more, minus common function words); 0.6 or more counts as a repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from bridge.hints.text import prepare

THRESHOLD = 0.6
STOP_STEMS = frozenset(
    "как что это все вас нас они она оно так уже еще или для при про без над под где "
    "когда почему кто чем тем там тут вот нет был будет ест эт котор очен можн ваш наш".split()
)


@dataclass(frozen=True)
class EarlierCase:
    """An answered case to compare with: its ID, its author's key and its text."""

    case_id: str
    author_key: str
    text: str


def content_stems(text: str) -> frozenset[str]:
    """Return the set of content stems of TEXT."""
    message = prepare(text)
    return frozenset(
        stem for word, stem in zip(message.words, message.stems)
        if len(word) >= 3 and stem not in STOP_STEMS and not word.isdigit()
    )


def similarity(first: frozenset[str], second: frozenset[str]) -> float:
    """Jaccard index of two stem sets (0 when both are empty)."""
    union = first | second
    return len(first & second) / len(union) if union else 0.0


def find_repeat(text: str, author_key: str | None, earlier: Iterable[EarlierCase]) -> str | None:
    """Return the ID of the most similar earlier case by the same author, if similar enough."""
    if not author_key:
        return None
    stems = content_stems(text)
    best_id, best_score = None, THRESHOLD
    for case in earlier:
        if case.author_key != author_key:
            continue
        score = similarity(stems, content_stems(case.text))
        if score >= best_score:
            best_id, best_score = case.case_id, score
    return best_id
