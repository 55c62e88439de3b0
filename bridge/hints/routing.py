"""Guess the department a message belongs to from keywords per department (SPEC §1 step 2).

Each department has a list of keywords in the phrase language of ``phrases.py``; a message
scores one point per word it shares with a department's keywords, and the best score wins
(the earliest-mentioned department on a tie). No keyword at all → no department.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping, Sequence

from bridge.hints.lexicon import read_sections
from bridge.hints.phrases import Phrase, compile_all
from bridge.hints.text import Message

DEFAULT_ROUTING: Mapping[str, tuple[str, ...]] = MappingProxyType(read_sections("routing.txt"))

# Names for the reason text of the demo departments; other codes are shown as they are.
DEPARTMENT_TITLES: Mapping[str, str] = MappingProxyType({
    "zhkh": "Отдел ЖКХ",
    "dorogi": "Отдел транспорта, дорог и благоустройства",
    "obrazovanie": "Отдел образования",
    "kumi": "КУМИ",
    "arhitektura": "Отдел архитектуры и строительства",
    "gochs": "Отдел ГО и ЧС",
    "kultura": "Отдел культуры, спорта и молодёжи",
    "ekonomika": "Отдел экономики и торговли",
    "socpolitika": "Отдел социальной политики",
    "oso": "Отдел по связям с общественностью",
})


@dataclass(frozen=True)
class Routing:
    """The routing guess: a department code (or None), its score and the words that decided."""

    department: str | None
    score: int = 0
    words: tuple[str, ...] = ()

    def reason(self) -> str | None:
        """The ledger phrase, e.g. «вероятно: Отдел ЖКХ (отопление, батареи)»."""
        if self.department is None:
            return None
        title = DEPARTMENT_TITLES.get(self.department, self.department)
        return f"вероятно: {title} ({', '.join(self.words[:3])})"


@lru_cache(maxsize=256)
def compile_keywords(keywords: tuple[str, ...]) -> tuple[Phrase, ...]:
    """Compile one department's keyword list once."""
    return compile_all(keywords)


def score_department(keywords: Sequence[str], message: Message) -> tuple[int, int, set[int]]:
    """Return (number of matched words, first matched position, positions) for a department."""
    positions: set[int] = set()
    for phrase in compile_keywords(tuple(keywords)):
        positions.update(phrase.find(message))
    return len(positions), min(positions, default=len(message.words)), positions


def route(message: Message, routing: Mapping[str, Sequence[str]] | None = None) -> Routing:
    """Pick the department whose keywords the message uses most."""
    best = Routing(None)
    best_key = (0, 0)
    for code, keywords in (routing if routing is not None else DEFAULT_ROUTING).items():
        score, first, positions = score_department(keywords, message)
        key = (score, -first)
        if score and key > best_key:
            words = tuple(dict.fromkeys(message.words[p] for p in sorted(positions)))
            best, best_key = Routing(code, score, words), key
    return best
