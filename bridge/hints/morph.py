"""Russian morphology for the hints: lemmas of a word and the inflected forms of a lemma.

``pymorphy3`` with its dictionaries (installed from the package index, nothing downloaded at run
time) reads every word of a message; a word that several dictionary entries share («стали» —
«сталь» or «стать») keeps all its lemmas, so a list entry matches whichever is meant. The word
lists of ``data/`` name lemmas, and the forms a rule needs («убью», «убьём») are generated here
instead of being typed by hand; a misspelt or derived word is told from another one by its
letters (``letter_like``: «лесница», «математичка»). Results are cached: a town's messages
reuse few thousand words.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pymorphy3

# The Latin spellings citizens use when their keyboard has no Cyrillic («net vody», «kogda»).
# Longest sequences first, so «sch» is read before «s».
TRANSLIT = (
    ("shch", "щ"), ("sch", "щ"), ("iya", "ия"), ("iye", "ие"), ("iyu", "ию"), ("yo", "ё"), ("zh", "ж"), ("kh", "х"),
    ("ch", "ч"), ("sh", "ш"), ("yu", "ю"), ("ya", "я"), ("ye", "е"), ("iy", "ий"), ("yy", "ый"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"),
    ("i", "и"), ("j", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"),
    ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), ("h", "х"),
    ("c", "ц"), ("y", "ы"), ("w", "в"), ("x", "кс"), ("q", "к"), ("'", "ь"),
)


@lru_cache(maxsize=1)
def analyzer() -> pymorphy3.MorphAnalyzer:
    """The one analyzer of the process (loading the dictionaries takes a few tenths of a second)."""
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=20_000)
def parses(word: str) -> tuple:
    """Every dictionary reading of WORD, best first (``analyzer().parse``), computed once for
    the rules that look at the same word (a parse costs ~0.1 ms)."""
    return tuple(analyzer().parse(word))


@dataclass(frozen=True)
class Reading:
    """What the dictionaries say about one word, computed once (a parse costs ~0.1 ms)."""

    lemmas: frozenset[str]  # every likely lemma («ё» folded to «е»)
    lemma: str  # the most likely one
    pos: str  # its part of speech ('' when unknown)
    first_person_future: bool  # «приду», «сожгу», «устроим»
    imperative: bool = False  # «оформите», «дайте», «впишите»
    person: str = ""  # '1per', '2per', '3per' of a verb's most likely reading, else ''


@lru_cache(maxsize=200_000)
def read(word: str) -> Reading:
    """The reading of WORD."""
    readings = parses(word)
    best = readings[0]
    found = {parse.normal_form.replace("ё", "е") for parse in readings if parse.score > 0.05}
    main = best.normal_form.replace("ё", "е")
    return Reading(frozenset(found or {main}), main, str(best.tag.POS or ""),
                   {"1per", "futr"} <= best.tag.grammemes,
                   any("impr" in parse.tag.grammemes for parse in readings if parse.score >= 0.3),
                   str(best.tag.person or "") if best.tag.POS == "VERB" else "")


def lemmas(word: str) -> frozenset[str]:
    """Every lemma WORD may be a form of, the most likely one included."""
    return read(word).lemmas


def lemma(word: str) -> str:
    """The most likely lemma of WORD."""
    return read(word).lemma


def pos(word: str) -> str:
    """The most likely part of speech of WORD (pymorphy's tag, '' when unknown)."""
    return read(word).pos


VOWELS = "aeiouy"


def spell_latin(word: str, ts: str) -> str:
    """One Cyrillic reading of a Latin WORD; TS is how «ts» is read («ц» or «тс»)."""
    out, index = [], 0
    while index < len(word):
        if word.startswith("ts", index):
            out.append(ts)
            index += 2
            continue
        if word[index] == "y" and index and word[index - 1] in VOWELS and \
                not word.startswith(("ya", "yu", "ye", "yo"), index):
            out.append("й")  # «goryachey», «zdravstvuyte»
            index += 1
            continue
        for latin, cyrillic in TRANSLIT:
            if word.startswith(latin, index):
                out.append(cyrillic)
                index += len(latin)
                break
        else:
            out.append(word[index])
            index += 1
    return "".join(out)


@lru_cache(maxsize=50_000)
def detransliterate(word: str) -> str:
    """Read a Latin-spelled Russian WORD in Cyrillic («otopleniya» → «отопления»), preferring a
    reading the dictionary knows («sovetskoy» → «советской», «ulitsa» → «улица»)."""
    readings = [spell_latin(word, "ц"), spell_latin(word, "тс")]
    known = [reading for reading in readings if analyzer().word_is_known(reading)]
    return (known or readings)[0]


def forms(lemma_word: str, *grammemes: frozenset[str]) -> set[str]:
    """The forms of LEMMA_WORD carrying all grammemes of any of the sets (all forms when none)."""
    result: set[str] = set()
    for parse in analyzer().parse(lemma_word):
        if parse.normal_form != lemma_word:
            continue
        for form in parse.lexeme:
            if not grammemes or any(wanted <= form.tag.grammemes for wanted in grammemes):
                result.add(form.word.replace("ё", "е"))
    return result



def is_imperative(word: str) -> bool:
    """True for «оформите», «дайте»: a likely reading is an imperative verb («оформите» is
    as likely «вы оформите», which asks the same)."""
    return read(word).imperative


def speaker_or_listener_verb(word: str) -> bool:
    """True for a verb in the first or second person: «прошу», «ищу», «поможете»."""
    return read(word).person in ("1per", "2per")


def is_first_person_future(word: str) -> bool:
    """True for «приду», «сожгу», «устроим»: the most likely reading is a 1st-person future verb."""
    return read(word).first_person_future


@lru_cache(maxsize=50_000)
def is_given_name(word: str) -> bool:
    """True for «марина», «сергей»: a likely reading is a person's given name."""
    return any("Name" in parse.tag for parse in parses(word) if parse.score >= 0.3)


LONGEST_WORD = 30  # a longer «word» is no typo of another (and an edit distance would be slow)


@lru_cache(maxsize=200_000)
def letter_like(first: str, second: str) -> bool:
    """True when two words of five letters or more are one word misspelt («лесница»,
    «цинтральный»: one letter of six or seven, two of a longer word, the first letter kept) or
    derived one from the other («математичка», «продлёнка»: a common beginning of five letters
    and of three quarters of the shorter word; «квартира» and «квартал» are two words)."""
    if min(len(first), len(second)) < 5 or max(len(first), len(second)) > LONGEST_WORD:
        return first == second
    common = next((i for i, (a, b) in enumerate(zip(first, second)) if a != b),
                  min(len(first), len(second)))
    if common >= 5 and common >= 0.75 * min(len(first), len(second)):
        return True
    shorter = min(len(first), len(second))
    if first[0] != second[0] or abs(len(first) - len(second)) > 2 or shorter < 6:
        return False  # five letters are too few to tell a typo from another word («улица», «улика»)
    return edit_distance(first, second) <= (1 if shorter < 8 else 2)


def edit_distance(first: str, second: str) -> int:
    """The Levenshtein distance of two words."""
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, 1):
        current = [i]
        for j, b in enumerate(second, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]
