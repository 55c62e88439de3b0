"""Turn a citizen's message into words, lemmas and a meaning vector, and tell quoted speech apart.

Everything the hint rules and the model look at is computed once here, in ``prepare``: the
lowercased words («ё» read as «е», Latin-spelled Russian read in Cyrillic: «net vody» → «нет
воды»), every lemma of each word (``morph``), which words stand inside a quotation («...»,
"...", or after «он сказал:» — the author reporting someone else), and the sentence vector of
the content words (``vectors``), computed on first use.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np

from bridge.hints.morph import analyzer, detransliterate, lemma, lemmas, pos
from bridge.hints.vectors import sentence_vector

WORD_RE = re.compile(r"[а-яa-z0-9']+")
LATIN_RE = re.compile(r"^[a-z']+$")
# A quotation: an opening mark → the marks that may close it («…», "…", „…“ or „…”, “…”).
QUOTE_MARKS = {"«": "»", '"': '"', "„": "“”", "“": "”"}
OPENING_RE = re.compile("[«\"„“]")
# «он сказал: ...», «сказал сыну: ...»: the reported speech runs to the end of the sentence.
SPEECH_RE = re.compile(
    r"(?:сказал|сказала|сказали|говорит|говорят|кричит|кричал|кричала|написал|написала|"
    r"написали|пишет|заявил|заявила)(?:\s+[^\s:.!?]+){0,3}\s*:\s*[^.!?\n]*"
)
QUESTION_WORDS = frozenset(
    "когда сколько где куда как почему зачем какой какая какие какого каким подскажите "
    "скажите ли будет будут работает".split()
)
FUNCTION_POS = frozenset({"PREP", "CONJ", "PRCL", "INTJ", "NPRO", ""})
PREFIX_LIMIT = 16  # the longest word beginning ``Message.prefixes`` keeps


def fold(text: str) -> str:
    """Lowercase TEXT and read «ё» as «е», as Russian writers do interchangeably."""
    return text.lower().replace("ё", "е")


SPLIT_WORD_RE = re.compile(r"\b([а-я]+)[.*]([а-я]+)\b")


def join_split_words(folded: str) -> str:
    """Join a word split by a dot or star to dodge filters («уб.ью» → «убью») — only when the
    joined word is in the dictionary and its halves are not («ул.ленина» stays apart)."""
    def join(match: re.Match) -> str:
        left, right = match.groups()
        known = analyzer().word_is_known
        if known(left + right) and not (len(left) > 2 and known(left) and known(right)):
            return left + right
        return match.group()
    return SPLIT_WORD_RE.sub(join, folded) if ("." in folded or "*" in folded) else folded


@lru_cache(maxsize=200_000)
def lemma_set(word: str) -> frozenset[str]:
    """Every lemma of WORD and the word itself, as a phrase's word is matched against."""
    return lemmas(word) | {word}


def read_word(raw: str) -> str:
    """A word as the rules read it: Latin-spelled Russian in Cyrillic, the rest as written."""
    return detransliterate(raw).replace("'", "") if LATIN_RE.match(raw) and len(raw) > 1 else raw


@dataclass(frozen=True)
class Message:
    """A message prepared for the rules; ``quoted[i]`` tells whether ``words[i]`` is quoted."""

    text: str
    folded: str
    words: tuple[str, ...]
    lemma_sets: tuple[frozenset[str], ...]
    quoted: tuple[bool, ...]
    quote_spans: tuple[tuple[int, int], ...]
    lemma_index: frozenset[str] = frozenset()  # every lemma of the message, for quick tests
    joined: str = ""  # the words joined by spaces, for quick substring tests
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def asks(self) -> bool:
        """True when the message is a question: a «?» or a question word."""
        return "?" in self.text or any(word in QUESTION_WORDS for word in self.words)

    @cached_property
    def lemmas(self) -> tuple[str, ...]:
        """The most likely lemma of each word."""
        return tuple(lemma(word) for word in self.words)

    @cached_property
    def lemma_positions(self) -> dict[str, tuple[int, ...]]:
        """Where each lemma (and each word as written) of the message stands, in word order:
        the phrase matcher starts only there instead of trying every word."""
        found: dict[str, list[int]] = {}
        for position, values in enumerate(self.lemma_sets):
            for value in values:
                found.setdefault(value, []).append(position)
        return {value: tuple(positions) for value, positions in found.items()}

    @cached_property
    def word_positions(self) -> dict[str, tuple[int, ...]]:
        """Where each word as written stands, in word order (for exact forms)."""
        found: dict[str, list[int]] = {}
        for position, word in enumerate(self.words):
            found.setdefault(word, []).append(position)
        return {word: tuple(positions) for word, positions in found.items()}

    @cached_property
    def prefixes(self) -> frozenset[str]:
        """The beginnings of the words, up to PREFIX_LIMIT letters (whole words included)."""
        return frozenset(word[:size] for word in self.words
                         for size in range(1, min(len(word), PREFIX_LIMIT) + 1))

    @cached_property
    def content(self) -> tuple[int, ...]:
        """Positions of content words (not prepositions, conjunctions, particles, pronouns)."""
        return tuple(i for i, word in enumerate(self.words)
                     if not word.isdigit() and len(word) > 1 and pos(word) not in FUNCTION_POS)

    @cached_property
    def vector(self) -> np.ndarray:
        """The unit meaning vector of the content words."""
        return sentence_vector((self.words[i], self.lemmas[i]) for i in self.content)


def find_quote_spans(folded: str) -> tuple[tuple[int, int], ...]:
    """Return the character spans of quotations and reported speech in FOLDED text, overlapping
    ones joined (a word is quoted when it starts inside one: ``is_quoted``)."""
    spans = sorted(quotation_spans(folded) + [match.span() for match in SPEECH_RE.finditer(folded)])
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and start < joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return tuple(joined)


def quotation_spans(folded: str) -> list[tuple[int, int]]:
    """The spans of quotations: each opening mark to the first mark that closes it, the search
    going on after that mark. A regex («[^»]*»|…) read the rest of the text from every opening
    mark with no closing one (50,000 «: three seconds); here the next closing mark of each kind
    is looked up once and kept while it lies ahead."""
    spans: list[tuple[int, int]] = []
    ahead: dict[str, int] = {}
    found = OPENING_RE.search(folded)
    while found:
        start = found.start()
        ends = [next_mark(folded, mark, start + 1, ahead) for mark in QUOTE_MARKS[found.group()]]
        end = min((index for index in ends if index >= 0), default=-1)
        if end >= 0:
            spans.append((start, end + 1))
        found = OPENING_RE.search(folded, end + 1 if end >= 0 else start + 1)
    return spans


def next_mark(folded: str, mark: str, start: int, ahead: dict[str, int]) -> int:
    """The index of the first MARK at or after START, or -1; AHEAD keeps each mark's last find."""
    known = ahead.get(mark)
    if known is None or (0 <= known < start):
        known = folded.find(mark, start)
        ahead[mark] = known
    return known


def is_quoted(offset: int, spans: tuple[tuple[int, int], ...]) -> bool:
    """Does OFFSET lie inside one of SPANS (sorted, disjoint: ``find_quote_spans``)?"""
    index = bisect_right(spans, (offset, float("inf"))) - 1
    return index >= 0 and offset < spans[index][1]


def prepare(text: str) -> Message:
    """Split TEXT into folded words with their lemmas and quotation flags. A lone surrogate
    (JSON of a channel may carry «\\ud800») is read as «?»: it cannot be encoded, so no feature
    or lookup could be computed from it."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    folded = fold(text)
    spans = find_quote_spans(folded)
    words_text = join_split_words(folded)
    found = [(read_word(match.group()), match.start()) for match in WORD_RE.finditer(words_text)]
    found = [(word, start) for word, start in found if word]
    words = tuple(word for word, _ in found)
    quoted = tuple(is_quoted(start, spans) for _, start in found) if spans else (False,) * len(found)
    sets = tuple(map(lemma_set, words))
    return Message(
        text=text,
        folded=folded,
        words=words,
        lemma_sets=sets,
        quoted=quoted,
        quote_spans=spans,
        lemma_index=frozenset().union(*sets) if sets else frozenset(),
        joined=" ".join(words),
    )
