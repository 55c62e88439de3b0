"""Spot a repeated question (п. 3.7 «повторный вопрос»): same author, same question as an
answered case — by words and by meaning.

Eleven measures of two messages, combined by a small logistic model fitted on the training repeat
pairs (``training.py --repeats``, weights in ``data/repeat_weights.txt``). Place names (words
written with a capital inside a sentence: «на Лесной», «у ДК») are kept apart from the matter:
two complaints about one address may be about two things.

- meaning: the cosine of the messages' rarity-weighted navec vectors over their content words,
  place names aside, so chatter («уважаемая администрация», «прошу», «спасибо») hardly counts;
- marker: the author says he asks again («повторно», «так и не», «до сих пор»,
  ``data/repeat_markers.txt``) — not when he says he writes about another matter («снова пишу,
  но по другому вопросу», ``data/repeat_other_matter.txt``), which silences the reminder too;
- reminder: he recalls his appeal, an answer or a wait by the verb's tense and person — «писала»,
  «мы же просили», «обещали», «пишу уже третий раз», «жду с весны» (``data/repeat_words.txt``);
- matter: a weighted soft overlap of their content words, place names aside: a word counts as
  shared when the other message has the same lemma (1), a word of like meaning («кровля» for
  «крыша»: the cosine of their navec vectors, from WORD_LIKENESS up) or the same word misspelt or
  derived («лесница», «математичка»: LETTER_LIKENESS), and each word weighs by its rarity in
  citizens' messages (the inverse share of training messages that use it), so the matter
  («лифт», «качели») counts and the words every complaint has («дом», «неделя») hardly;
- thing: the rarity of the rarest word both messages share (place names aside) — the thing
  complained about («качели», «домофон»), however much else the new message says;
- place conflict: each names a place the other does not name at all («Ленина и Советской»
  against «Ленина и Дзержинского»);
- month conflict: both name months, none of them the same («за ноябрь», «за февраль»);
- resolved: the author thanks for a done deed («починили, спасибо») — a follow-up, not a repeat;
- same place: they share a house number or a place name;
- done: the author says a deed was done, thanks or none («тополь спилили, а ствол лежит»);
- follow-up: he asks the next step or whether he may («как получить», «можно ли», «положена ли»,
  ``data/repeat_follow_up.txt``) — a new question about the case, not the answered one.

Numbers name places (house 10, school 3): a message naming other numbers than the earlier one
asks about another place and is no repeat, whatever the measures say; a time of day, a span of
time and a day of a month («с 15 сентября») name no place.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

import numpy as np

from bridge.hints.lexicon import read_sections
from bridge.hints.morph import analyzer, lemma, letter_like
from bridge.hints.phrases import first_match
from bridge.hints.rules import phrases_of
from bridge.hints.text import Message, prepare
from bridge.hints.vectors import ZERO, word_vector

WEIGHTS_FILE = "repeat_weights.txt"
MEASURES = ("meaning", "marker", "reminder", "matter", "thing", "place_conflict",
            "month_conflict", "resolved", "same_place", "done", "follow_up")
WORDS_FILE = "repeat_words.txt"
WORD_LIKENESS = 0.5  # cosine at which two different words count as one in the soft overlap
LETTER_LIKENESS = 0.9  # how far a misspelt or derived word («лесница», «математичка») counts
THING_LIKENESS = 0.6  # how far a word must be shared to name the thing complained about
MAX_WORDS = 300  # the distinct content words of a message that are compared
# A capitalized word that follows a lower-case letter, a digit, a comma or a preposition on the
# same line — not the first word of a sentence — or opens a quoted name («Рассвет», «Пчёлки»).
CAPITAL_RE = re.compile(r"(?:(?<=[а-яёa-z0-9,] )|(?<=[«\"„“]))([А-ЯЁ][а-яё]+|[А-ЯЁ]{2,})")


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
    («третью неделю», «30 лет», «второй раз») or a day of a month («с 15 сентября») names no
    place."""
    times = {part.lstrip("0") or "0" for match in TIME_RE.finditer(message.text)
             for part in match.groups()}
    found = set()
    for index, (word, word_lemma) in enumerate(zip(message.words, message.lemmas)):
        following = message.lemmas[index + 1] if index + 1 < len(message.lemmas) else ""
        if following in TIME_UNITS or following in words_of("months"):
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


@lru_cache(maxsize=None)
def words_of(section: str) -> frozenset[str]:
    """The lemmas of SECTION of ``data/repeat_words.txt``."""
    return frozenset(lemma(word) for word in read_sections(WORDS_FILE)[section])


def named_in(place: str, message: Message) -> bool:
    """True when MESSAGE names PLACE in any form or spelling («Тунгор», «в тунгоре»)."""
    known = message.lemma_index
    return place in known or any(letter_like(place, other) for other in known)


def place_conflict(new: Message, old: Message) -> float:
    """1 when each message names a place the other does not name at all («Ленина и Советской»
    against «Ленина и Дзержинского»), else 0."""
    a = {place for place in place_words(new) if not named_in(place, old)}
    b = {place for place in place_words(old) if not named_in(place, new)}
    return 1.0 if a and b else 0.0


def same_place(new: Message, old: Message) -> float:
    """1 when the messages share a house or school number or a place name, else 0."""
    if numbers(new) & numbers(old):
        return 1.0
    return 1.0 if any(named_in(place, old) for place in place_words(new)) or any(
        named_in(place, new) for place in place_words(old)) else 0.0


def months(message: Message) -> frozenset[str]:
    """The lemmas of the months MESSAGE names."""
    return frozenset(message.lemmas) & words_of("months")


def month_conflict(new: Message, old: Message) -> float:
    """1 when both messages name months and none is the same («за ноябрь», «за февраль»)."""
    a, b = months(new), months(old)
    return 1.0 if a and b and not a & b else 0.0


@lru_cache(maxsize=50_000)
def grammemes(word: str) -> tuple[str, frozenset[str]]:
    """(part of speech, grammemes) of the most likely reading of WORD."""
    tag = analyzer().parse(word)[0].tag
    return str(tag.POS or ""), frozenset(tag.grammemes)


def reminder(message: Message) -> float:
    """1 when the author recalls his earlier appeal («писала», «мы же просили», «пишу уже третий
    раз», «моё заявление», «обращение от 14 октября»), an answer or a promise («обещали», «вы
    отвечали»), or waits («жду с весны»)."""
    words, lemmas = message.words, message.lemmas
    for index, (word, word_lemma) in enumerate(zip(words, lemmas)):
        part, tags = grammemes(word)
        if part != "VERB" or (index and words[index - 1] == "не"):
            continue
        if word_lemma in words_of("answered") and "impr" in tags:
            return 1.0  # «ответьте уже», «ответьте людям»: the author waits for an answer
        if word_lemma in words_of("appeal") or word_lemma in words_of("answered"):
            if "past" in tags:
                return 1.0
            near = lemmas[max(0, index - 3):index + 4]
            if "1per" in tags and words_of("again") & set(near):
                return 1.0
        if word_lemma in words_of("waiting") and "1per" in tags:
            return 1.0
    for index, word_lemma in enumerate(lemmas):
        near = set(lemmas[max(0, index - 3):index + 4])
        if word_lemma in words_of("appeal_nouns") and near & (words_of("own") | words_of("months")):
            return 1.0
    return 0.0


def resolved(message: Message) -> float:
    """1 when the author thanks for a done deed («починили, спасибо», «сына перевели, спасибо»):
    a perfective verb of the past in the plural, not negated, beside a thank-you."""
    if not frozenset(message.lemmas) & words_of("thanks"):
        return 0.0
    for index, word in enumerate(message.words):
        part, tags = grammemes(word)
        if part == "VERB" and {"past", "perf", "plur"} <= tags and not (
                index and message.words[index - 1] == "не"):
            return 1.0
    return 0.0


def done(message: Message) -> float:
    """1 when the author says a deed was done («тополь спилили, а ствол лежит», «лифт заработал»,
    «справку получила»): a verb of ``[done]`` in the perfective past, not negated — the earlier
    request was met, and what follows is new."""
    if words_of("done").isdisjoint(message.lemma_index):
        return 0.0
    for index, (word, word_lemma) in enumerate(zip(message.words, message.lemmas)):
        if word_lemma not in words_of("done") or (index and message.words[index - 1] == "не"):
            continue
        part, tags = grammemes(word)
        if part == "VERB" and {"past", "perf"} <= tags:
            return 1.0
    return 0.0


def content_vectors(message: Message, places: frozenset[str] = frozenset()
                    ) -> list[tuple[str, np.ndarray | None]]:
    """(lemma, unit word vector or None) of each distinct content lemma of MESSAGE that is not
    one of PLACES — the first MAX_WORDS of them (a letter has a hundred at most; a flood of
    words is no slower to compare than that)."""
    found = {}
    for i in message.content:
        if message.lemmas[i] in found or message.lemmas[i] in places:
            continue
        if len(found) == MAX_WORDS:
            break
        vector = word_vector(message.words[i], message.lemmas[i])
        norm = float(np.linalg.norm(vector)) if vector is not None else 0.0
        found[message.lemmas[i]] = vector / norm if norm else None
    return list(found.items())


def likeness(first: list, second: list) -> np.ndarray:
    """How far each word of FIRST is each word of SECOND (lists of lemma and unit vector): 1 for
    the same lemma, else the best of a word of like meaning (its cosine, WORD_LIKENESS at least)
    and a misspelt or derived one (LETTER_LIKENESS), else 0 — one row per word of FIRST."""
    def stacked(words: list) -> np.ndarray:
        return np.array([vector if vector is not None else ZERO for _, vector in words],
                        dtype=np.float32)

    found = stacked(first) @ stacked(second).T
    found[found < WORD_LIKENESS] = 0.0
    by_letter: dict[str, list[int]] = {}
    for j, (other, _) in enumerate(second):
        by_letter.setdefault(other[:1], []).append(j)
    for i, (lemma, _) in enumerate(first):
        for j in by_letter.get(lemma[:1], ()):
            if second[j][0] == lemma:
                found[i, j] = 1.0
            elif found[i, j] < LETTER_LIKENESS and letter_like(lemma, second[j][0]):
                found[i, j] = LETTER_LIKENESS
    return found


def weighted_overlap(first: list, second: list, model: RepeatModel) -> tuple[float, float]:
    """(the rarity-weighted share of both lists' content words that the other one has, the
    rarity of the rarest word they share, over the largest rarity) — see the module docstring."""
    if not first or not second:
        return 0.0, 0.0
    weight_a = np.array([model.rarity(lemma) for lemma, _ in first])
    weight_b = np.array([model.rarity(lemma) for lemma, _ in second])
    found = likeness(first, second)
    found_a, found_b = found.max(axis=1), found.max(axis=0)
    total = float(weight_a.sum() + weight_b.sum()) or 1.0
    matter = float(weight_a @ found_a + weight_b @ found_b) / total
    things = weight_a * found_a * (found_a >= THING_LIKENESS)
    return matter, float(things.max()) / math.log(model.messages + 1)


def meaning(words: list, model: RepeatModel) -> np.ndarray:
    """The unit rarity-weighted mean of the known vectors of WORDS (lemma, vector)."""
    total = np.zeros(300, dtype=np.float32)
    for lemma, vector in words:
        if vector is not None:
            total += model.rarity(lemma) * vector
    norm = float(np.linalg.norm(total))
    return total / norm if norm else total


def measures(new: Message, old: Message, model: RepeatModel) -> tuple[float, ...]:
    """The MEASURES of NEW against OLD."""
    places = place_words(new) | place_words(old)
    a, b = content_vectors(new, places), content_vectors(old, places)
    marker, recalled = asks_again(new)
    matter, thing = weighted_overlap(a, b, model)
    return (float(meaning(a, model) @ meaning(b, model)), marker, recalled, matter, thing,
            place_conflict(new, old), month_conflict(new, old), resolved(new),
            same_place(new, old), done(new),
            1.0 if first_match(phrases_of("repeat_follow_up.txt"), new) else 0.0)


def asks_again(new: Message) -> tuple[float, float]:
    """(marker, reminder) of NEW — both 0 when the author says he writes about another matter
    («снова пишу вам, но по другому вопросу», «повторно обращаюсь, теперь про парковку»): his
    «снова» is about writing, not about the answered question (п. 3.7)."""
    if first_match(phrases_of("repeat_other_matter.txt"), new):
        return 0.0, 0.0
    return (1.0 if first_match(phrases_of("repeat_markers.txt"), new) else 0.0), reminder(new)


def repeat_score(new: Message, old: Message, model: RepeatModel | None = None) -> float:
    """The probability that NEW repeats OLD, or 0 when it is below the threshold or when NEW
    names other numbers than OLD (another house, school, route)."""
    if numbers(new) and numbers(old) and not numbers(new) & numbers(old):
        return 0.0
    model = model or shipped_model()
    probability = model.probability(measures(new, old, model))
    return probability if probability >= model.threshold else 0.0


def shared_thing(new: Message, old: Message, model: RepeatModel | None = None) -> str:
    """The lemma of the rarest word of NEW that OLD shares, place names aside, a noun first (the
    thing complained about: «качели», «домофон»), or '' — what the hint shows as the reason."""
    model = model or shipped_model()
    places = place_words(new) | place_words(old)
    words, others = content_vectors(new, places), content_vectors(old, places)
    if not words or not others:
        return ""
    shared = likeness(words, others).max(axis=1)
    found = [(grammemes(lemma)[0] == "NOUN", model.rarity(lemma), lemma)
             for (lemma, _), f in zip(words, shared) if f >= THING_LIKENESS]
    return max(found)[2] if found else ""  # a noun names a thing better than a verb


def find_repeat_match(text: str, author_key: str | None, earlier: Iterable[EarlierCase],
                      message: Message | None = None) -> tuple[str, str] | None:
    """(the ID of the earlier case of the same author that TEXT repeats most, the thing both
    name or ''), or None."""
    if not author_key:
        return None
    message = message or prepare(text)
    best, best_score = None, 0.0
    for case in earlier:
        if case.author_key != author_key:
            continue
        old = prepare(case.text or "")  # a purged case keeps no text
        score = repeat_score(message, old)
        if score > best_score:
            best, best_score = (case.case_id, old), score
    return (best[0], shared_thing(message, best[1])) if best else None


def find_repeat(text: str, author_key: str | None, earlier: Iterable[EarlierCase],
                message: Message | None = None) -> str | None:
    """Return the ID of the earlier case of the same author that TEXT repeats most, if any."""
    match = find_repeat_match(text, author_key, earlier, message)
    return match[0] if match else None
