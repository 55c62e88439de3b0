"""The hand-written rules of the hints (п. 3.5, 3.6, 3.7): each a name, a description and a check.

A check reads a prepared message and returns a ``Verdict``: whether its policy applies, how sure
the rule is, the short Russian reason for the ledger's «Подсказка» column, and the flags the
model reads as features. A *strong* verdict (an obscene word, «убью», «знаю где ты живёшь»)
decides on its own; a weak one (a court word, a phrase of the informational list) is evidence
that the model weighs with everything else. Which rule wins when several apply is the table in
``precedence.py``.

The checks of п. 3.6 (threats, insults, obscenity) are in ``harm.py``, those of п. 3.7 (court
appeals, bypassing the law, competence) in ``reasons.py``; this module holds the verdict, the
word sets they share and the checks of п. 3.5 and of noise.

Quotations (п. 3.6): obscene words inside «...» or after «он сказал:» still make the message
'obscene' — the text cannot be published as it is — but the reason says «в цитате» so the
operator knows the author may only be reporting them. A threat inside a quotation is most
likely a report of someone else's threat, so it is shown as a reason and does not apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from bridge.hints.lexicon import read_entries, read_sections
from bridge.hints.morph import is_given_name, is_imperative, lemmas
from bridge.hints.phrases import Phrase, compile_all, first_match
from bridge.hints.text import Message


@dataclass(frozen=True)
class Verdict:
    """What a rule concluded: applies? strong enough to decide? why (Russian)? which flags?"""

    applies: bool
    reason: str | None = None
    flags: tuple[str, ...] = ()
    strong: bool = False


NO = Verdict(False)
FIRST_PERSON = frozenset("я меня мне мной мой моя мое мои моего моей моему моих мы нас нам нами "
                         "наш наша наше наши нашего нашей нашему наших".split())
# Imperatives that ask to be told, not for an act: «подскажите мне порядок» asks nothing unlawful.
TELLING = frozenset("подсказать сказать объяснить разъяснить сообщить ответить уточнить "
                    "рассказать".split())
SECOND_PERSON = frozenset("ты тебя тебе тобой твой твоя твое твои твоих вы вас вам вами ваш ваша "
                          "ваше ваши ваших вашим вашего вашей".split())


@dataclass(frozen=True)
class Rule:
    """A named, described check (Mailman-style rule)."""

    name: str
    description: str
    check: Callable[[Message], Verdict]


@lru_cache(maxsize=None)
def phrases_of(name: str) -> tuple[Phrase, ...]:
    """The compiled phrase list of data file NAME."""
    return compile_all(read_entries(name))


@lru_cache(maxsize=None)
def cue_sets(name: str) -> dict[str, frozenset[str]]:
    """The sections of a cue file as sets of lemmas."""
    return {key: frozenset().union(*(lemmas(value) | {value} for value in values))
            for key, values in read_sections(name).items()}


def cue_flags(message: Message, name: str) -> tuple[str, ...]:
    """The sections of cue file NAME that the message's lemmas touch, as flags."""
    return tuple(f"{name.split('.')[0]}:{key}" for key, values in cue_sets(name).items()
                 if not values.isdisjoint(message.lemma_index))


def check_informational(message: Message) -> Verdict:
    """п. 3.5: a question of general interest (schedules, opening hours, announcements). A
    question for a fact that reports no trouble and asks for no act («сколько стоит абонемент?»,
    «есть ли группа с полутора лет?») is flagged for the model (``asks_for_fact``)."""
    if not message.asks:
        return NO
    flags = ("fact_question",) if asks_for_fact(message) else ()
    phrase = first_match(phrases_of("informational.txt"), message)
    if phrase:
        return Verdict(True, "информационный вопрос (п. 3.5)", ("informational", *flags))
    return Verdict(False, flags=flags)


# The words a question for a fact opens with («сколько стоит…», «есть ли…», «куда звонить…»).
FACT_OPENINGS = frozenset("сколько где куда какой какая какое какие каков какова кто есть нужно "
                          "положено во с до в".split())
# Words of trouble or of a demand: a question with them is a complaint («когда уберут мусор,
# опять не вывезли?»), not a question for a fact.
TROUBLE = frozenset("не нет опять снова уже почему".split())


def asks_for_fact(message: Message) -> bool:
    """True when the question opens with a word of FACT_OPENINGS (after a greeting or
    «подскажите»), names no trouble (TROUBLE) and asks for no act (no imperative but «скажите»)."""
    opening = next((word for word, lemma in zip(message.words, message.lemmas)
                    if lemma not in TELLING and word not in ("здравствуйте", "пожалуйста", "а")),
                   None)
    if opening not in FACT_OPENINGS:
        return False
    if any(word in TROUBLE for word in message.words) or "сколько можно" in message.joined:
        return False
    return not any(is_imperative(word) and lemma not in TELLING
                   for word, lemma in zip(message.words, message.lemmas))


@lru_cache(maxsize=1)
def noise_phrases() -> dict[str, tuple[Phrase, ...]]:
    """The sections of ``noise.txt`` compiled."""
    return {key: compile_all(values) for key, values in read_sections("noise.txt").items()}


def check_spam(message: Message) -> Verdict:
    """Advertising and spam: nothing to answer, whatever else the message says."""
    if first_match(noise_phrases()["spam"], message):
        return Verdict(True, "похоже на рекламу или спам", ("spam",))
    return NO


def check_noise(message: Message) -> Verdict:
    """Nothing to answer: no words, thanks without a question, or a bare greeting."""
    sections = noise_phrases()
    if not any(word.isalpha() for word in message.words):
        return Verdict(True, "нет текста (эмодзи, знаки)", ("no_text",), strong=True)
    if replies_to_someone(message) and "?" not in message.text:
        return Verdict(True, "ответ другому комментатору, вопроса нет", ("reply",))
    plain = "?" not in message.text and not first_match(sections["blocker"], message)
    if plain and first_match(sections["thanks"], message):
        return Verdict(True, "благодарность или поздравление, вопроса нет", ("thanks",))
    if plain and len(message.words) <= 4 and first_match(sections["greeting"], message):
        return Verdict(True, "приветствие без вопроса", ("greeting",))
    return NO


REPLY_RE = re.compile(r"^\s*(@|\[(id|club)\d+\|)")


def replies_to_someone(message: Message) -> bool:
    """True when the message answers another commenter: it opens with «@Марина», a VK mention
    «[id123|Марина]», or a given name and a comma («Сергей, вы правы»)."""
    if REPLY_RE.match(message.text):
        return True
    head = message.text.lstrip().split(",", 1)
    return (len(head) == 2 and len(message.words) > 1 and head[0].strip().isalpha()
            and is_given_name(message.words[0]))
