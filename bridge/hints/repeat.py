"""Spot a repeated question (п. 3.7 «повторный вопрос»): same author, same question as an
answered case — by words and by meaning.

Two measures of two messages: the Jaccard index of their sets of content lemmas (word overlap),
and the cosine of their meaning vectors (``text.Message.vector``), so a rephrased repeat
(«так и не заделали яму у 10 дома» after «яма на Советской у дома 10») is found although the
words differ. Numbers name places (house 10, school 3): a message naming other numbers than
the earlier one asks about another place and is no repeat. An author who says he asks again
(«повторно», «так и не», «до сих пор», ``data/repeat_markers.txt``) needs less similarity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from bridge.hints.phrases import first_match
from bridge.hints.rules import phrases_of
from bridge.hints.text import Message, prepare

OVERLAP_ALONE = 0.6  # word overlap that is a repeat by itself
MEANING = 0.8  # cosine that is a repeat with at least OVERLAP_WITH_MEANING word overlap
OVERLAP_WITH_MEANING = 0.3
MEANING_WITH_MARKER = 0.4  # cosine that is a repeat when the author says he asks again


@dataclass(frozen=True)
class EarlierCase:
    """An answered case to compare with: its ID, its author's key and its text."""

    case_id: str
    author_key: str
    text: str


def content_lemmas(message: Message) -> frozenset[str]:
    """The set of content lemmas of MESSAGE (numbers aside)."""
    return frozenset(message.lemmas[i] for i in message.content)


def numbers(message: Message) -> frozenset[str]:
    """The numbers MESSAGE names (house, school, route numbers)."""
    return frozenset(word for word in message.words if word.isdigit())


def similarity(first: frozenset[str], second: frozenset[str]) -> float:
    """Jaccard index of two lemma sets (0 when both are empty)."""
    union = first | second
    return len(first & second) / len(union) if union else 0.0


def repeat_score(new: Message, old: Message) -> float:
    """How much NEW repeats OLD, from 0 to 1 (see the module docstring)."""
    if numbers(new) and numbers(old) and not numbers(new) & numbers(old):
        return 0.0
    overlap = similarity(content_lemmas(new), content_lemmas(old))
    meaning = float(new.vector @ old.vector)
    if overlap >= OVERLAP_ALONE:
        return overlap
    if meaning >= MEANING and overlap >= OVERLAP_WITH_MEANING:
        return max(overlap, meaning)
    if meaning >= MEANING_WITH_MARKER and first_match(phrases_of("repeat_markers.txt"), new):
        return meaning
    return 0.0


def find_repeat(text: str, author_key: str | None, earlier: Iterable[EarlierCase],
                message: Message | None = None) -> str | None:
    """Return the ID of the earlier case of the same author that TEXT repeats most, if any."""
    if not author_key:
        return None
    message = message or prepare(text)
    best_id, best_score = None, 0.0
    for case in earlier:
        if case.author_key != author_key:
            continue
        score = repeat_score(message, prepare(case.text))
        if score > best_score:
            best_id, best_score = case.case_id, score
    return best_id
