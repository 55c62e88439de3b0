"""The hand-written rules of the hints (п. 3.5, 3.6, 3.7): each a name, a description and a check.

A check reads a prepared message and returns a ``Verdict``: whether its policy applies, how sure
the rule is, the short Russian reason for the ledger's «Подсказка» column, and the flags the
model reads as features. A *strong* verdict (an obscene word, «убью», «знаю где ты живёшь»)
decides on its own; a weak one (a court word, a phrase of the informational list) is evidence
that the model weighs with everything else. Which rule wins when several apply is the table in
``precedence.py``.

Quotations (п. 3.6): obscene words inside «...» or after «он сказал:» still make the message
'obscene' — the text cannot be published as it is — but the reason says «в цитате» so the
operator knows the author may only be reporting them. A threat inside a quotation is most
likely a report of someone else's threat, so it is shown as a reason and does not apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Callable

from bridge.hints.lexicon import read_entries, read_pairs, read_sections
from bridge.hints.morph import (
    is_first_person_future, is_given_name, is_imperative, lemmas, speaker_or_listener_verb,
)
from bridge.hints.obscene import find_obscene, word_list
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


def soft_insults(message: Message) -> list[str]:
    """The words of the message from the list of context-dependent insults."""
    words, prefixes = word_list("insults_soft.txt")
    return [word for word in message.words if word in words or word.startswith(prefixes)]


def check_threat(message: Message) -> Verdict:
    """п. 3.6: a threat to life, health or property, or intent to harm."""
    own, quoted = [], []
    excused = first_match(phrases_of("threat_exceptions.txt"), message) is not None
    for phrase in () if excused else phrases_of("threats.txt").candidates(message):
        positions = phrase.find(message)
        if positions:
            inside = all(message.quoted[p] for p in positions)
            shown = " ".join(message.words[p] for p in positions)
            (quoted if inside else own).append(shown)
    cues = cue_flags(message, "threat_cues.txt")
    cues += tuple(f"{a}+{b.split(':')[1]}" for a, b in combinations(cues, 2))
    if any(word in SECOND_PERSON for word in message.words):
        cues += ("addressed",)
    if any(is_first_person_future(word) for word in message.words):
        cues += ("first_person_future",)
    if first_match(phrases_of("dangers.txt"), message):
        cues += ("danger",)
    if own:
        return Verdict(True, f"угроза: «{own[0]}» (п. 3.6)", ("threat", *cues), strong=True)
    if quoted:
        return Verdict(False, f"угроза в цитате: «{quoted[0]}» — вероятно, пересказ (п. 3.6)",
                       ("threat_quoted", *cues))
    return Verdict(False, flags=cues)


def check_obscene(message: Message) -> Verdict:
    """п. 3.6: obscene or insulting language, also disguised; quoted words still count."""
    findings = find_obscene(message.folded, message.quote_spans)
    soft = soft_insults(message)
    flags = ("soft_insult",) if soft else ()
    if not findings:
        return Verdict(False, flags=flags)
    kinds = {finding.kind for finding in findings}
    label = "нецензурная лексика" if "obscene" in kinds else "оскорбительные выражения"
    flags += tuple(sorted(kinds))
    if all(finding.quoted for finding in findings):
        return Verdict(True, f"{label} в цитате (п. 3.6) — проверьте", (*flags, "quoted"), True)
    return Verdict(True, f"{label}: «{findings[0].word}» (п. 3.6)", flags, strong=True)


def check_court_appeal(message: Message) -> Verdict:
    """п. 3.7: the message appeals against a court decision — by a phrase of the list, or by
    its structure (``court_structure``): a court's or the bailiffs' act and a wish to undo it.
    A message that names no court's act («отмените решение о закрытии школы», «как обжаловать
    решение комиссии?» — an administration's decisions), wants one carried out, or wants a
    document for a court is flagged ``court_against``: the model may not call it an appeal alone
    (``hint.AGAINST``)."""
    phrase = first_match(phrases_of("court_appeal.txt"), message)
    actor, change, execution = court_structure(message)
    flags = tuple(name for name, found in (("court_actor", actor), ("court_change", change),
                                           ("court_execution", execution)) if found)
    if not actor or execution or (not change and first_match(court_cues()[2], message)):
        flags += ("court_against",)
    if phrase:
        return Verdict(True, "обжалование судебного акта (п. 3.7)", ("court", *flags))
    if actor and change and not execution:
        return Verdict(True, f"обжалование судебного акта: «{actor}», «{change}» (п. 3.7)",
                       ("court", *flags))
    return Verdict(False, flags=flags)


@lru_cache(maxsize=1)
def court_cues() -> tuple[dict[str, frozenset[str]], tuple[Phrase, ...], tuple[Phrase, ...]]:
    """The lemma sections of ``court_structure.txt``, its compiled [act] phrases and its [for]
    phrases (a document wanted for a court)."""
    sections = read_sections("court_structure.txt")
    sets = {key: frozenset().union(*(lemmas(value) | {value} for value in sections[key]))
            for key in ("actor", "change", "execution")}
    return sets, compile_all(sections["act"]), compile_all(sections["for"])


def court_structure(message: Message) -> tuple[str, str, bool]:
    """(the word naming a court's or the bailiffs' act, the word asking to undo, stop or review
    it, whether the author wants a decision carried out instead): «приставы сняли с пенсии
    половину, верните» → («приставы», «верните», False); '' where a part is missing. Who asks
    whom to do what, not a keyword: «приставы» alone, or «отмените» alone, is no appeal."""
    sets, acts, _ = court_cues()
    if sets["change"].isdisjoint(message.lemma_index):
        changes = []
    else:
        changes = [word for word, found in zip(message.words, message.lemma_sets)
                   if not sets["change"].isdisjoint(found)]
    actor = ""
    if not sets["actor"].isdisjoint(message.lemma_index):
        actor = next(word for word, found in zip(message.words, message.lemma_sets)
                     if not sets["actor"].isdisjoint(found))
    else:  # an act named without its actor («по решению», «лишили прав»)
        act = first_match(acts, message)
        actor = " ".join(message.words[p] for p in act.find(message)) if act else ""
    change = next((word for word in changes if is_imperative(word)), changes[0] if changes else "")
    return actor, change, not sets["execution"].isdisjoint(message.lemma_index)


def check_bypass_law(message: Message) -> Verdict:
    """п. 3.7: a request to act around the law or to abuse a right. The author must ask for it:
    naming a way around the law while asking why it was done, whether it is lawful or for the
    rule to be enforced (``bypass_reported.txt``) reports someone else's bypass or asks for the
    lawful way — flagged for the model, not applied."""
    phrase = first_match(phrases_of("bypass_law.txt"), message)
    flags = bypass_cues(message)
    if not phrase:
        return Verdict(False, flags=flags)
    if first_match(phrases_of("bypass_reported.txt"), message) or not asks_anything(message):
        return Verdict(False, flags=("bypass", "bypass_reported", *flags))
    return Verdict(True, f"просьба в обход закона: «{phrase.display}» (п. 3.7)",
                   ("bypass", *flags))


# Words with which an author asks or wants something («можно ли», «как», «хочу», «нужно»).
WANTING = frozenset("можно нельзя как ли хочу хотим хотел хотела хотелось надо нужно нужен нужна "
                    "нужны сколько".split())


def asks_anything(message: Message) -> bool:
    """False when the author neither speaks of himself nor to the administration, asks nothing
    and wants nothing: no first- or second-person word or verb, no imperative, no «можно»,
    «как», «хочу» — «перевозчик на маршруте 7 возит без лицензии» reports someone else."""
    words = message.words
    return (any(word in FIRST_PERSON or word in SECOND_PERSON or word in WANTING for word in words)
            or any(speaker_or_listener_verb(word) or is_imperative(word) for word in words))


def bypass_cues(message: Message) -> tuple[str, ...]:
    """Who asks whom to do what, for the model: the author asks the administration to act for
    him (an imperative and a first-person word: «оформите мне», «впишите нас»), and offers
    something in return or asks for secrecy (``bypass_offers.txt``: «сочтёмся», «никто не
    узнает»)."""
    cues = ()
    if (any(is_imperative(word) and lemma not in TELLING
            for word, lemma in zip(message.words, message.lemmas))
            and any(word in FIRST_PERSON for word in message.words)):
        cues += ("asks_for_self",)
    if first_match(phrases_of("bypass_offers.txt"), message):
        cues += ("offers_return",)
    return cues


@lru_cache(maxsize=1)
def competence_phrases() -> tuple[tuple[Phrase, ...], dict[str, str]]:
    """The phrases of ``out_of_competence.txt`` and the field of competence of each line."""
    pairs = read_pairs("out_of_competence.txt")
    return compile_all(tuple(key for key, _ in pairs)), {key: field for key, field in pairs}


def competence_field(message: Message) -> str | None:
    """The non-municipal field the message names («пенсии», «полиция»), if any."""
    phrases, fields = competence_phrases()
    phrase = first_match(phrases, message)
    return fields[phrase.source] if phrase else None


def check_out_of_competence(message: Message) -> Verdict:
    """п. 3.7: a question for a federal or regional body, not the municipality."""
    field = competence_field(message)
    if field is None:
        return NO
    return Verdict(True, f"вне компетенции: {field} (п. 3.7)", ("competence",))


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
