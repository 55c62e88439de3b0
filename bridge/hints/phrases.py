"""The small phrase language every hint list is written in, and its matcher.

    отопление            the word in any form (same lemma: «отопления», «отоплением»)
    батаре*              any word starting with «батаре» («батареи», «батарея»)
    =убью                exactly this form (lemmas are too coarse: «убью», «убило» share one)
    ~убить               a first-person future form of the verb («убью», «убьём»), generated
    горячая вода         consecutive words
    знаю где ... жив*    «...» skips up to three words («знаю где ты живешь»)
    обжал* & суд*        every part somewhere in the message, in any order

Administrators edit lists in this language (data files, configuration), so it stays this small.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Sequence

from bridge.hints.morph import forms, lemmas
from bridge.hints.text import PREFIX_LIMIT, Message, fold

GAP = "..."
FIRST_PERSON_FUTURE = frozenset({"1per", "futr"})
MAX_GAP = 3


@dataclass(frozen=True)
class Element:
    """One word of a phrase: a lemma to share, a prefix to start with, or a gap."""

    kind: str  # 'lemma' | 'prefix' | 'exact' | 'forms' | 'gap'
    value: str = ""
    values: frozenset[str] = frozenset()  # the lemmas of 'lemma', the words of 'forms'

    def accepts(self, word: str, word_lemmas: frozenset[str]) -> bool:
        """True when WORD (with its lemmas) satisfies this element."""
        if self.kind == "prefix":
            return word.startswith(self.value)
        if self.kind == "exact":
            return word == self.value
        if self.kind == "forms":
            return word in self.values
        return not self.values.isdisjoint(word_lemmas)


@dataclass(frozen=True)
class Phrase:
    """A compiled phrase: all of its parts must match; ``source`` is the line as written."""

    source: str
    parts: tuple[tuple[Element, ...], ...]

    @property
    def display(self) -> str:
        """The phrase as a reader sees it: «=убью» → «убью», «оторв*» → «оторв…», «справк* &
        хотя» → «справк… хотя»."""
        words = (word.lstrip("=~").replace("*", "…") for word in self.source.split()
                 if word != "&")
        return " ".join(words)

    @cached_property
    def needs(self) -> tuple[tuple[frozenset[str], ...], tuple[str, ...]]:
        """What the message must contain for the phrase to match, tested before the words are
        walked: the lemmas or forms of every such word (one of each set), the text of every
        prefix and exact form."""
        elements = [element for part in self.parts for element in part]
        return (tuple(e.values for e in elements if e.kind in ("lemma", "forms")),
                tuple(e.value for e in elements if e.kind in ("prefix", "exact")))

    def find(self, message: Message) -> tuple[int, ...]:
        """Return the positions of the words that matched, or () when the phrase is absent."""
        values, texts = self.needs
        for needed in values:
            if needed.isdisjoint(message.lemma_index):
                return ()
        for needed in texts:
            if needed not in message.joined:
                return ()
        positions: list[int] = []
        for part in self.parts:
            found = find_part(part, message)
            if not found:
                return ()
            positions.extend(found)
        return tuple(sorted(set(positions)))


def compile_element(token: str) -> Element:
    """Compile one written word of a phrase."""
    if token == GAP:
        return Element("gap")
    if token.startswith("~") and len(token) > 1:
        return Element("forms", token, frozenset(forms(token[1:], FIRST_PERSON_FUTURE)))
    if token.startswith("=") and len(token) > 1:
        return Element("exact", token[1:])
    if token.endswith("*"):
        return Element("prefix", token[:-1])
    return Element("lemma", token, lemmas(token) | {token})


@lru_cache(maxsize=4096)
def compile_phrase(source: str) -> Phrase:
    """Compile a phrase line (see the module docstring); words are folded like messages."""
    parts = tuple(
        tuple(compile_element(token) for token in fold(part).replace("-", " ").split())
        for part in source.split(" & ")
    )
    return Phrase(source=source, parts=tuple(part for part in parts if part))


def find_part(part: tuple[Element, ...], message: Message) -> tuple[int, ...]:
    """Return the word positions of the first occurrence of PART in MESSAGE, or ()."""
    for start in starts(part[0], message):
        found = match_from(part, 1, start + 1, message, [start])
        if found:
            return found
    return ()


def starts(first: Element, message: Message) -> Sequence[int]:
    """The positions of the words FIRST accepts, in word order: looked up in the message's
    indexes for lemmas and forms, after quick rejections checked in C."""
    if first.kind in ("lemma", "forms"):
        hits = first.values & message.lemma_index
        if not hits:
            return ()
        index = message.lemma_positions if first.kind == "lemma" else message.word_positions
        found = [index[value] for value in hits if value in index]
        if len(found) == 1:
            return found[0]
        return sorted({position for positions in found for position in positions})
    if first.kind == "exact":
        return message.word_positions.get(first.value, ())
    if first.kind == "prefix" and first.value not in message.joined:
        return ()
    return [start for start, word in enumerate(message.words)
            if first.accepts(word, message.lemma_sets[start])]


def match_from(
    part: tuple[Element, ...], index: int, position: int, message: Message, taken: list[int]
) -> tuple[int, ...]:
    """Match PART[INDEX:] starting at word POSITION; return all taken positions or ()."""
    if index == len(part):
        return tuple(taken)
    element = part[index]
    if element.kind == "gap":
        for skip in range(MAX_GAP + 1):
            found = match_from(part, index + 1, position + skip, message, taken)
            if found:
                return found
        return ()
    if position >= len(message.words):
        return ()
    if not element.accepts(message.words[position], message.lemma_sets[position]):
        return ()
    return match_from(part, index + 1, position + 1, message, taken + [position])


class PhraseList(tuple):
    """Compiled phrases in list order, indexed by the lemmas their first word needs, so that a
    message is tried only against the phrases that can start in it (hundreds of lines per list)."""

    @cached_property
    def index(self) -> tuple[dict, frozenset[str], dict, frozenset[str], tuple[str, ...]]:
        """(lemma or form of a first word → phrases, every such lemma or form; text a first word
        must start with — a prefix or an exact form, '' for any word — → phrases, those texts
        short enough to be looked up in ``Message.prefixes``, the longer ones)."""
        by_value: dict[str, list[int]] = {}
        by_text: dict[str, list[int]] = {}
        for number, phrase in enumerate(self):
            first = phrase.parts[0][0] if phrase.parts and phrase.parts[0] else None
            if first is not None and first.kind in ("lemma", "forms"):
                for value in first.values:
                    by_value.setdefault(value, []).append(number)
            else:
                by_text.setdefault(first.value if first is not None else "", []).append(number)
        short = frozenset(text for text in by_text if 0 < len(text) <= PREFIX_LIMIT)
        longer = tuple(text for text in by_text if len(text) > PREFIX_LIMIT)
        return by_value, frozenset(by_value), by_text, short, longer

    def candidates(self, message: Message) -> list[Phrase]:
        """The phrases that may match MESSAGE, in list order: those whose first word's lemma the
        message has, or whose first word's text begins one of its words. Computed once per
        message and list (routing asks twice); the cache holds the list, so its id stays its."""
        cache = message.extra.setdefault("candidates", {})
        cached = cache.get(id(self))
        if cached is not None and cached[0] is self:
            return cached[1]
        by_value, values, by_text, short, longer = self.index
        numbers = set(by_text.get("", ()))
        for needed in short & message.prefixes:
            numbers.update(by_text[needed])
        for needed in longer:
            if needed in message.joined:
                numbers.update(by_text[needed])
        for value in values & message.lemma_index:
            numbers.update(by_value[value])
        found = [self[number] for number in sorted(numbers)]
        cache[id(self)] = (self, found)
        return found


def compile_all(sources: tuple[str, ...] | list[str]) -> PhraseList:
    """Compile every phrase line of a list."""
    return PhraseList(compile_phrase(source) for source in sources)


def first_match(phrases: tuple[Phrase, ...], message: Message) -> Phrase | None:
    """Return the first phrase of the list found in MESSAGE, or None."""
    pool = phrases.candidates(message) if isinstance(phrases, PhraseList) else phrases
    for phrase in pool:
        if phrase.find(message):
            return phrase
    return None
