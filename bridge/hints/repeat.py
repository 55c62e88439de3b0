"""Spot a repeated question (п. 3.7 «повторный вопрос»): same author, same question as an
answered case — by words and by meaning.

Three measures of two messages: the Jaccard index of their sets of content lemmas (word overlap),
a soft overlap where a word counts as shared when the other message has a word of like meaning
(«кровля» for «крыша», «расселение» for «расселить»: the cosine of their navec vectors), and the
cosine of their meaning vectors (``text.Message.vector``), so a rephrased repeat («так и не
заделали яму у 10 дома» after «яма на Советской у дома 10») is found although the words differ. Numbers name places (house 10, school 3): a message naming other numbers than
the earlier one asks about another place and is no repeat. An author who says he asks again
(«повторно», «так и не», «до сих пор», ``data/repeat_markers.txt``) needs less similarity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from bridge.hints.phrases import first_match
from bridge.hints.rules import phrases_of
from bridge.hints.text import Message, prepare
from bridge.hints.vectors import word_vector

OVERLAP_ALONE = 0.6  # word overlap that is a repeat by itself
MEANING = 0.8  # cosine that is a repeat with at least OVERLAP_WITH_MEANING word overlap
OVERLAP_WITH_MEANING = 0.3
MEANING_WITH_MARKER = 0.45  # cosine that is a repeat when the author says he asks again
SOFT_WITH_MARKER = 0.4  # ... or this soft overlap
SOFT_ALONE = 0.7  # soft overlap that is a repeat with at least SOFT_MEANING cosine
SOFT_MEANING = 0.6
WORD_LIKENESS = 0.5  # cosine at which two different words count as one in the soft overlap


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


def content_vectors(message: Message) -> list[tuple[str, np.ndarray | None]]:
    """(lemma, unit word vector or None) of each content word of MESSAGE."""
    found = []
    for i in message.content:
        vector = word_vector(message.words[i], message.lemmas[i])
        norm = float(np.linalg.norm(vector)) if vector is not None else 0.0
        found.append((message.lemmas[i], vector / norm if norm else None))
    return found


def soft_overlap(first: Message, second: Message) -> float:
    """The share of content words of both messages that the other one has, a word of like
    meaning counting by its cosine (WORD_LIKENESS at least), the same lemma counting 1."""
    a, b = content_vectors(first), content_vectors(second)
    if not a or not b:
        return 0.0

    def best(word: tuple[str, np.ndarray | None], others: list) -> float:
        lemma, vector = word
        found = 0.0
        for other_lemma, other in others:
            if other_lemma == lemma:
                return 1.0
            if vector is not None and other is not None:
                likeness = float(vector @ other)
                found = max(found, likeness if likeness >= WORD_LIKENESS else 0.0)
        return found
    return (sum(best(w, b) for w in a) + sum(best(w, a) for w in b)) / (len(a) + len(b))


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
    soft = soft_overlap(new, old)
    if soft >= SOFT_ALONE and meaning >= SOFT_MEANING:
        return soft
    if first_match(phrases_of("repeat_markers.txt"), new) and (
            meaning >= MEANING_WITH_MARKER or soft >= SOFT_WITH_MARKER):
        return max(meaning, soft)
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
