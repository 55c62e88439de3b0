"""The policy rules of the hints (п. 3.5, 3.6, 3.7): each a name, a description and a check.

A check reads a prepared message (and the routing guess) and returns a ``Verdict``: whether its
policy applies and the short Russian reason for the ledger's «Подсказка» column. A rule may
give a reason without applying (a threat found only inside a quotation), so the operator still
sees it. Which rule wins when several apply is the table in ``precedence.py``.

Quotations (decision, п. 3.6): obscene words inside «...» or after «он сказал:» still make the
message 'obscene' — the text cannot be published as it is — but the reason says «в цитате» so
the operator knows the author may only be reporting them. A threat inside a quotation is most
likely a report of someone else's threat, so it is shown as a reason and does not apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from bridge.hints.lexicon import read_entries, read_pairs, read_sections
from bridge.hints.obscene import find_obscene
from bridge.hints.phrases import Phrase, compile_all, first_match
from bridge.hints.routing import Routing
from bridge.hints.text import Message


@dataclass(frozen=True)
class Verdict:
    """What a rule concluded: whether its policy applies, and why (Russian, for the ledger)."""

    applies: bool
    reason: str | None = None


NO = Verdict(False)


@dataclass(frozen=True)
class Rule:
    """A named, described check (Mailman-style rule)."""

    name: str
    description: str
    check: Callable[[Message, Routing], Verdict]


@lru_cache(maxsize=None)
def phrases_of(name: str) -> tuple[Phrase, ...]:
    """The compiled phrase list of data file NAME."""
    return compile_all(read_entries(name))


def check_threat(message: Message, routing: Routing) -> Verdict:
    """п. 3.6: a threat to life, health or property, or intent to harm."""
    own, quoted = [], []
    for phrase in phrases_of("threats.txt"):
        positions = phrase.find(message)
        if positions:
            inside = all(message.quoted[p] for p in positions)
            (quoted if inside else own).append(phrase.display)
    if own:
        return Verdict(True, f"угроза: «{own[0]}» (п. 3.6)")
    if quoted:
        return Verdict(False, f"угроза в цитате: «{quoted[0]}» — вероятно, пересказ (п. 3.6)")
    return NO


def check_obscene(message: Message, routing: Routing) -> Verdict:
    """п. 3.6: obscene or insulting language, also disguised; quoted words still count."""
    findings = find_obscene(message.folded, message.quote_spans)
    if not findings:
        return NO
    kinds = {finding.kind for finding in findings}
    label = "нецензурная лексика" if "obscene" in kinds else "оскорбительные выражения"
    if all(finding.quoted for finding in findings):
        return Verdict(True, f"{label} в цитате (п. 3.6) — проверьте")
    return Verdict(True, f"{label} (п. 3.6)")


def check_court_appeal(message: Message, routing: Routing) -> Verdict:
    """п. 3.7: the message appeals against a court decision."""
    phrase = first_match(phrases_of("court_appeal.txt"), message)
    return Verdict(True, "обжалование судебного акта (п. 3.7)") if phrase else NO


def check_bypass_law(message: Message, routing: Routing) -> Verdict:
    """п. 3.7: a request to act around the law or to abuse a right."""
    phrase = first_match(phrases_of("bypass_law.txt"), message)
    return Verdict(True, f"просьба в обход закона: «{phrase.display}» (п. 3.7)") if phrase else NO


@lru_cache(maxsize=1)
def competence_phrases() -> tuple[tuple[Phrase, str], ...]:
    """(phrase, competent body) pairs of ``out_of_competence.txt``."""
    pairs = read_pairs("out_of_competence.txt")
    return tuple(zip(compile_all(tuple(key for key, _ in pairs)), (body for _, body in pairs)))


def check_out_of_competence(message: Message, routing: Routing) -> Verdict:
    """п. 3.7: a question for a federal or regional body, not the municipality."""
    for phrase, body in competence_phrases():
        if phrase.find(message):
            return Verdict(True, f"вне компетенции: {body} (п. 3.7)")
    return NO


def check_informational(message: Message, routing: Routing) -> Verdict:
    """п. 3.5: a question of general interest (schedules, opening hours, announcements)."""
    if not message.asks:
        return NO
    phrase = first_match(phrases_of("informational.txt"), message)
    return Verdict(True, "информационный вопрос (п. 3.5)") if phrase else NO


@lru_cache(maxsize=1)
def noise_phrases() -> dict[str, tuple[Phrase, ...]]:
    """The sections of ``noise.txt`` compiled."""
    return {key: compile_all(values) for key, values in read_sections("noise.txt").items()}


def check_noise(message: Message, routing: Routing) -> Verdict:
    """Nothing to answer: no words, spam, thanks without a question, or a bare greeting."""
    sections = noise_phrases()
    if not any(word.isalpha() for word in message.words):
        return Verdict(True, "нет текста (эмодзи, знаки)")
    if first_match(sections["spam"], message):
        return Verdict(True, "похоже на рекламу или спам")
    plain = "?" not in message.text and not first_match(sections["blocker"], message)
    if plain and first_match(sections["thanks"], message):
        return Verdict(True, "благодарность или поздравление, вопроса нет")
    if plain and routing.department is None and first_match(sections["greeting"], message):
        return Verdict(True, "приветствие без вопроса")
    return NO
