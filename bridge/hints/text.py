"""Turn a citizen's message into words and Russian stems, and tell quoted speech from the author's.

Everything the hint rules look at is computed once here, in ``prepare``: the lowercased words
(«ё» read as «е»), their Snowball stems, and which words stand inside a quotation
(«...», "...", or after «он сказал:»), since a quotation is the author reporting someone else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

WORD_RE = re.compile(r"[а-яa-z0-9]+")
QUOTE_RE = re.compile(r"«[^»]*»|\"[^\"]*\"|„[^“”]*[“”]|“[^”]*”")
# «он сказал: ...», «сказал сыну: ...»: the reported speech runs to the end of the sentence.
SPEECH_RE = re.compile(
    r"(?:сказал|сказала|сказали|говорит|говорят|кричит|кричал|кричала|написал|написала|"
    r"написали|пишет|заявил|заявила)(?:\s+[^\s:.!?]+){0,3}\s*:\s*[^.!?\n]*"
)
QUESTION_WORDS = frozenset(
    "когда сколько где куда как почему зачем какой какая какие какого каким подскажите "
    "скажите ли".split()
)

_STEMMER = snowballstemmer.stemmer("russian")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return the Russian Snowball stem of a lowercased WORD (cached: words repeat a lot)."""
    return _STEMMER.stemWord(word)


def fold(text: str) -> str:
    """Lowercase TEXT and read «ё» as «е», as Russian writers do interchangeably."""
    return text.lower().replace("ё", "е")


@dataclass(frozen=True)
class Message:
    """A message prepared for the rules; ``quoted[i]`` tells whether ``words[i]`` is quoted."""

    text: str
    folded: str
    words: tuple[str, ...]
    stems: tuple[str, ...]
    quoted: tuple[bool, ...]
    quote_spans: tuple[tuple[int, int], ...]
    stem_set: frozenset[str] = frozenset()  # for a quick "is this stem anywhere?" test

    @property
    def asks(self) -> bool:
        """True when the message is a question: a «?» or a question word."""
        return "?" in self.text or any(word in QUESTION_WORDS for word in self.words)

    def is_quoted_at(self, position: int) -> bool:
        """True when character POSITION of ``folded`` lies inside a quotation."""
        return any(start <= position < end for start, end in self.quote_spans)


def find_quote_spans(folded: str) -> tuple[tuple[int, int], ...]:
    """Return the character spans of quotations and reported speech in FOLDED text."""
    spans = [match.span() for match in QUOTE_RE.finditer(folded)]
    spans += [match.span() for match in SPEECH_RE.finditer(folded)]
    return tuple(sorted(spans))


def prepare(text: str) -> Message:
    """Split TEXT into folded words with stems and quotation flags."""
    folded = fold(text)
    spans = find_quote_spans(folded)
    matches = list(WORD_RE.finditer(folded))
    words = tuple(match.group() for match in matches)
    quoted = tuple(any(s <= match.start() < e for s, e in spans) for match in matches)
    stems = tuple(stem(word) for word in words)
    return Message(
        text=text,
        folded=folded,
        words=words,
        stems=stems,
        quoted=quoted,
        quote_spans=spans,
        stem_set=frozenset(stems),
    )
