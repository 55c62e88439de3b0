"""Spot a repeated question (п. 3.7 «повторный вопрос»): same author, same question as an
answered case — by words and by meaning.

Four measures of two messages, combined by a small logistic model fitted on the training repeat
pairs (``training.py --repeats``, weights in ``data/repeat_weights.txt``):

- the cosine of their meaning vectors (``text.Message.vector``);
- whether the author says he asks again («повторно», «так и не», «до сих пор»,
  ``data/repeat_markers.txt``);
- a weighted soft overlap of their content words: a word counts as shared when the other
  message has the same lemma (1) or a word of like meaning («кровля» for «крыша»: the cosine of
  their navec vectors, from WORD_LIKENESS up), and each word weighs by its rarity in citizens'
  messages (the inverse share of training messages that use it), so the matter and the place
  («лифт», «Лесная») count and the words every complaint has («дом», «неделя», «когда») hardly;
- the same share seen from the shorter side only (a shorter, angrier repeat «лифт на Лесной 14
  стоит вторую неделю!!!» is nearly contained in the earlier letter).

Numbers name places (house 10, school 3): a message naming other numbers than the earlier one
asks about another place and is no repeat, whatever the measures say.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

import numpy as np

from bridge.hints.lexicon import read_sections
from bridge.hints.morph import lemma
from bridge.hints.phrases import first_match
from bridge.hints.rules import phrases_of
from bridge.hints.text import Message, prepare
from bridge.hints.vectors import word_vector

WEIGHTS_FILE = "repeat_weights.txt"
MEASURES = ("meaning", "marker", "overlap", "containment", "place_conflict")
WORD_LIKENESS = 0.5  # cosine at which two different words count as one in the soft overlap
# A capitalized word that follows a lower-case letter, a digit, a comma or a preposition on the
# same line — not the first word of a sentence.
CAPITAL_RE = re.compile(r"(?<=[а-яёa-z0-9,] )([А-ЯЁ][а-яё]+|[А-ЯЁ]{2,})")


@dataclass(frozen=True)
class EarlierCase:
    """An answered case to compare with: its ID, its author's key and its text."""

    case_id: str
    author_key: str
    text: str


@dataclass(frozen=True)
class RepeatModel:
    """The fitted combination of MEASURES and the document counts of lemmas it weighs words by."""

    weights: tuple[float, ...]  # one per measure, in MEASURES order
    bias: float
    threshold: float  # the probability that is a repeat
    messages: int  # how many messages the counts were taken from
    counts: dict  # lemma → how many of those messages use it

    def rarity(self, lemma: str) -> float:
        """The inverse document frequency of LEMMA (an unseen word is the rarest)."""
        return math.log((self.messages + 1) / (self.counts.get(lemma, 0) + 1))

    def probability(self, values: tuple[float, ...]) -> float:
        """The probability that measures VALUES describe a repeat."""
        score = self.bias + sum(w * v for w, v in zip(self.weights, values))
        return 1.0 / (1.0 + math.exp(-score))


@lru_cache(maxsize=1)
def shipped_model() -> RepeatModel:
    """The repeat model of ``data/repeat_weights.txt``."""
    sections = read_sections(WEIGHTS_FILE)
    values = dict(entry.split("=", 1) for entry in sections["model"])
    values = {key.strip(): float(value) for key, value in values.items()}
    counts = {}
    for entry in sections["counts"]:
        lemma, _, count = entry.rpartition(" ")
        counts[lemma] = int(count)
    return RepeatModel(tuple(values[name] for name in MEASURES), values["bias"],
                       values["threshold"], int(values["messages"]), counts)


def content_lemmas(message: Message) -> frozenset[str]:
    """The set of content lemmas of MESSAGE (numbers aside)."""
    return frozenset(message.lemmas[i] for i in message.content)


TIME_UNITS = frozenset("раз минута час день сутки неделя месяц год лето зима".split())
TIME_RE = re.compile(r"\b(\d{1,2})[:.](\d{2})\b")


def numbers(message: Message) -> frozenset[str]:
    """The numbers MESSAGE names (house, school, route numbers), in digits or in words
    («второй автобус», «у двенадцатого дома»); a time of day («в 7:40») or a span of time
    («третью неделю», «30 лет», «второй раз») names no place."""
    times = {part.lstrip("0") or "0" for match in TIME_RE.finditer(message.text)
             for part in match.groups()}
    found = set()
    for index, (word, word_lemma) in enumerate(zip(message.words, message.lemmas)):
        following = message.lemmas[index + 1] if index + 1 < len(message.lemmas) else ""
        if following in TIME_UNITS:
            continue
        if word.isdigit() and (word.lstrip("0") or "0") not in times:
            found.add(word.lstrip("0") or "0")
        elif word_lemma in number_words():
            found.add(number_words()[word_lemma])
    return frozenset(found)


@lru_cache(maxsize=1)
def number_words() -> dict[str, str]:
    """The lemmas of the cardinal and ordinal numerals 1–30 (``data/numerals.txt``)."""
    found = {}
    for entry in read_sections("numerals.txt")["numerals"]:
        value, _, words = entry.partition("=")
        for word in words.split():
            found[lemma(word)] = value.strip()
    return found


def place_words(message: Message) -> frozenset[str]:
    """The lemmas of the words written with a capital letter inside a sentence («на Лесной»,
    «у ДК»): the names of streets, settlements and institutions."""
    found = set()
    for match in CAPITAL_RE.finditer(message.text):
        found |= {lemma(word) for word in prepare(match.group(1)).words}
    return frozenset(found)


def place_conflict(new: Message, old: Message) -> float:
    """1 when both messages name places and each names one the other does not («Ленина и
    Советской» against «Ленина и Дзержинского»), else 0."""
    a, b = place_words(new), place_words(old)
    return 1.0 if a and b and (a - b) and (b - a) else 0.0


def content_vectors(message: Message) -> list[tuple[str, np.ndarray | None]]:
    """(lemma, unit word vector or None) of each distinct content lemma of MESSAGE."""
    found = {}
    for i in message.content:
        if message.lemmas[i] in found:
            continue
        vector = word_vector(message.words[i], message.lemmas[i])
        norm = float(np.linalg.norm(vector)) if vector is not None else 0.0
        found[message.lemmas[i]] = vector / norm if norm else None
    return list(found.items())


def shared(word: tuple[str, np.ndarray | None], others: list) -> float:
    """How far the other message has WORD: 1 for its lemma, else the best cosine of a word of
    like meaning (WORD_LIKENESS at least), else 0."""
    lemma, vector = word
    found = 0.0
    for other_lemma, other in others:
        if other_lemma == lemma:
            return 1.0
        if vector is not None and other is not None:
            likeness = float(vector @ other)
            found = max(found, likeness if likeness >= WORD_LIKENESS else 0.0)
    return found


def weighted_overlap(first: Message, second: Message, model: RepeatModel) -> tuple[float, float]:
    """(the rarity-weighted share of both messages' content words that the other one has, the
    same share of the message whose words are better covered) — see the module docstring."""
    a, b = content_vectors(first), content_vectors(second)
    if not a or not b:
        return 0.0, 0.0
    weight_a = [model.rarity(lemma) for lemma, _ in a]
    weight_b = [model.rarity(lemma) for lemma, _ in b]
    found_a = sum(w * shared(word, b) for w, word in zip(weight_a, a))
    found_b = sum(w * shared(word, a) for w, word in zip(weight_b, b))
    total_a, total_b = sum(weight_a) or 1.0, sum(weight_b) or 1.0
    return (found_a + found_b) / (total_a + total_b), max(found_a / total_a, found_b / total_b)


def measures(new: Message, old: Message, model: RepeatModel) -> tuple[float, ...]:
    """The MEASURES of NEW against OLD."""
    meaning = float(new.vector @ old.vector)
    marker = 1.0 if first_match(phrases_of("repeat_markers.txt"), new) else 0.0
    return (meaning, marker, *weighted_overlap(new, old, model), place_conflict(new, old))


def repeat_score(new: Message, old: Message, model: RepeatModel | None = None) -> float:
    """The probability that NEW repeats OLD, or 0 when it is below the threshold or when NEW
    names other numbers than OLD (another house, school, route)."""
    if numbers(new) and numbers(old) and not numbers(new) & numbers(old):
        return 0.0
    model = model or shipped_model()
    probability = model.probability(measures(new, old, model))
    return probability if probability >= model.threshold else 0.0


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
