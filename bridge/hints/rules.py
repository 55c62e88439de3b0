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
    analyzer, is_first_person_future, is_given_name, is_imperative, lemmas, pos, read,
    speaker_or_listener_verb,
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


# Who asks whom to do what, for п. 3.6. A condition put to the administration: a condition
# word and a verb in the second person («если не поменяете …», «только попробуйте снести …»,
# «ещё раз откажете — …»). What follows is the model's to weigh with the cue words.
CONDITION = frozenset({"если"})
CONDITION_PAIRS = (("еще", "раз"), ("еще", "одна"), ("еще", "один"), ("еще", "одно"))
DARES = frozenset({"попробуйте", "попробуй", "посмейте", "посмей"})
CLAUSE_RE = re.compile(r"[^.!?;,\n]+")
CLAUSE_WORD_RE = re.compile(r"[а-я]+(?:-[а-я]+)?")
NAME_OR_PLACE = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn"})
# Nouns that name a person by role or kind, not by judgement: «вы сотрудник», «уважаемые жители».
NEUTRAL_PERSONS = frozenset(
    "человек люди житель жительница гражданин гражданка сотрудник сотрудница специалист "
    "коллега мужчина женщина мужик ребенок дети папа мама пенсионер пенсионерка товарищ господин "
    "госпожа друг сосед соседка родитель мать отец автор заявитель избиратель налогоплательщик "
    "работник руководитель представитель ветеран инвалид дед дедушка бабушка ребята земляк "
    "молодец опекун предприниматель врач секретарь заместитель инструктор пожарный".split())


def condition_put(message: Message) -> bool:
    """True for a condition put to the addressee: «если … не поменяете», «попробуйте снести»."""
    words = message.words
    if any(word in DARES for word in words):  # the dare is itself addressed
        return True
    marked = any(lemma in CONDITION for lemma in message.lemmas) or any(
        pair in CONDITION_PAIRS for pair in zip(words, words[1:]))
    return marked and any(read(word).person == "2per" for word in words)


@lru_cache(maxsize=100_000)
def judging_noun(word: str) -> bool:
    """True for a noun that judges a person («кровососы», «недотёпа», «ослы»), as the
    dictionary reads it: animate, nominative, no name, no role («сотрудник», «жители») — or a
    qualitative adjective used as one («полоумные», «бездарное»)."""
    parse = analyzer().parse(word)[0]
    tag = parse.tag
    if "nomn" not in tag or NAME_OR_PLACE & tag.grammemes:
        return False
    if tag.POS == "NOUN":
        lemma = parse.normal_form.replace("ё", "е")
        people = cue_sets("threat_cues.txt")
        return ("anim" in tag and lemma not in NEUTRAL_PERSONS
                and lemma not in people.get("target", ()) and lemma not in people.get("family", ()))
    return False


def judging_adjective(word: str) -> bool:
    """A qualitative adjective in the plural («полоумные», «тупые»): it judges only when said
    of «вы» («уважаемые», «дорогие» stand before a noun and need no «вы»)."""
    tag = analyzer().parse(word)[0].tag
    return tag.POS in ("ADJF", "ADJS") and "Qual" in tag and "plur" in tag


def characterizes_addressee(message: Message) -> bool:
    """True when a clause without a verb names someone by a judging noun: «нелюди вы»,
    «ваш начальник — дубина стоеросовая», «кровососы!». The nouns are not listed: any animate
    noun but a role counts, and the model learns how much a judgement weighs (п. 3.6)."""
    for clause in CLAUSE_RE.findall(message.folded):
        words = CLAUSE_WORD_RE.findall(clause)
        if not words or len(words) > 8:
            continue
        if any(read(word).pos in ("VERB", "INFN") for word in words):
            continue
        you = any(word in SECOND_PERSON for word in words)
        # A bare short exclamation («кровососы!», «ослы») names the addressee; a noun with a
        # place («тараканы в общежитии») names what is there.
        bare = len(words) <= 4 and not any(read(word).pos == "PREP" for word in words)
        aimed = you or "—" in clause or " - " in clause or bare
        if aimed and any(judging_noun(word) for word in words):
            return True
        if you and any(judging_adjective(word) for word in words):
            return True
        if predicated_of_you(words):
            return True
    return False


# What «вы» may be called without a judgement: an institution or a role («вы же администрация»).
INSTITUTIONS = frozenset("администрация власть отдел управление орган организация служба "
                         "комиссия учреждение муниципалитет округ район город государство "
                         "представитель слуга ответ".split())
LINKING = frozenset("не же просто все всего лишь там тут только и а".split())


def predicated_of_you(words: list[str]) -> bool:
    """True for «вы плесень», «ты просто пустое место», «вы не люди, вы ноль»: «вы» or «ты»
    and, after linking words only, a noun in the nominative that names no role or institution —
    a thing said of a person judges him, whatever the thing (the dictionary decides, no list)."""
    for index, word in enumerate(words):
        if word not in ("вы", "ты"):
            continue
        rest = [w for w in words[index + 1:index + 5] if w not in LINKING][:2]
        for candidate in rest:
            parses = analyzer().parse(candidate)
            if parses[0].tag.POS == "ADJF":
                continue
            parse = next((p for p in parses[:3] if p.tag.POS == "NOUN" and "nomn" in p.tag),
                         parses[0])
            lemma = parse.normal_form.replace("ё", "е")
            if parse.tag.POS == "NOUN" and "nomn" in parse.tag and not (
                    NAME_OR_PLACE & parse.tag.grammemes) and lemma not in INSTITUTIONS \
                    and lemma not in NEUTRAL_PERSONS \
                    and lemma not in cue_sets("threat_cues.txt")["target"]:
                return True
            break
    return False


# Someone else's threat retold without quotation marks: «слесарь сказал, что … он мне голову
# оторвёт», «сосед грозится снести забор». The author's own threat speaks in the first person.
REPORTING = frozenset("сказать говорить кричать орать обещать заявить написать пообещать "
                      "грозить грозиться пригрозить угрожать".split())


def reported(message: Message, positions) -> bool:
    """True when the threat at POSITIONS follows a verb of saying or threatening, none of its
    words is in the first person and nothing after the verb speaks to the administration."""
    start = min(positions)
    said = [i for i, lemma in enumerate(message.lemmas[:start]) if lemma in REPORTING]
    if not said:
        return False
    own = any(message.words[p] in FIRST_PERSON or read(message.words[p]).person == "1per"
              for p in positions)
    aimed = any(word in SECOND_PERSON for word in message.words[said[0]:])  # «… пора вам …»
    return not own and not aimed


# «приеду на приём с монтировкой», «зайду к вам с канистрой»: the author says he will come,
# and the message names a weapon or fire (threat_cues.txt) — whatever the weapon's word.
ARRIVING = frozenset("прийти приехать зайти заехать явиться заявиться нагрянуть наведаться "
                     "подъехать вернуться".split())


def armed_arrival(message: Message) -> tuple[int, int] | None:
    """(position of «приду», position of the weapon or fire word carried), or None."""
    sections = cue_sets("threat_cues.txt")
    arms = sections["weapon"] | sections["fire"]
    come = next((i for i, (word, lemma) in enumerate(zip(message.words, message.lemmas))
                 if lemma in ARRIVING and is_first_person_future(word)), None)
    if come is None:
        return None
    arm = next((i for i, found in enumerate(message.lemma_sets)
                if not found.isdisjoint(arms) and carried(message.words, i)), None)
    return (come, arm) if arm is not None else None


def carried(words: tuple[str, ...], index: int) -> bool:
    """True when WORDS[INDEX] is brought along: «с монтировкой», «с острым ножом» (instrumental
    after «с»), not «за спичками», «на стрельбище»."""
    before = words[max(0, index - 3):index]
    instrumental = any("ablt" in parse.tag for parse in analyzer().parse(words[index])[:3])
    return instrumental and ("с" in before or "со" in before)


@lru_cache(maxsize=1)
def harm_lemmas() -> frozenset[str]:
    """The lemmas of harm (``harm.txt`` and the single verbs of ``threats.txt``)."""
    verbs = [entry[1:] for entry in read_entries("threats.txt")
             if entry.startswith("~") and " " not in entry]
    words = (*verbs, *read_entries("harm.txt"))
    return frozenset().union(*(lemmas(word) | {word} for word in words))


# The forms of a threat without a threat word (session 6, set v9), for the model to weigh with
# the cue words: harm aimed at the addressee («вашу дачу спалят», «кабинет ваш сгорит»), a
# question of fear put to him («а вы не боитесь ходить одна?»), a wish of harm («чтоб у вас
# дача сгорела»), harm forecast by someone unnamed («кто-нибудь вас встретит»).
FEAR = frozenset("бояться страшно боязно опасаться страх".split())
WISHING = frozenset({"чтоб", "чтобы", "пусть", "желать"})
SOMEONE = frozenset({"кто-нибудь", "кто-то", "кто-либо", "однажды", "когда-нибудь", "рано",
                     "скоро", "ночью"})
SUBJUNCTIVE = frozenset({"бы", "б"})
# The addressee as the object of what someone will do («вас встретят», «вашу машину»), not
# the one told something («вам расскажут»).
OBJECT_YOU = frozenset("вас тебя ваш ваша ваше ваши вашу вашего вашей ваших твой твоя твою твое "
                       "твои твоего твоей".split())
# Every form of «вы», «ты» and their possessives (SECOND_PERSON lacks «вашу», «твою», …).
ADDRESSEE = SECOND_PERSON | OBJECT_YOU | frozenset(
    "вашем вашими вашему твоим твоем твоих твоими твоему".split())


SENTENCE_END_RE = re.compile(r"[.!?;\n]+")


def clauses(message: Message) -> list[list[str]]:
    """The words of each sentence of MESSAGE (split at . ! ? ; and line ends)."""
    return [found for sentence in SENTENCE_END_RE.split(message.folded)
            if (found := CLAUSE_WORD_RE.findall(sentence))]


def aimed_at_addressee(words: list[str]) -> bool:
    """True when WORDS speak to or of the addressee or an official («вашу дачу», «глава») and
    retell nobody's words («сосед кричал, что подожжёт…» is reported, «мой дом сгорит» is the
    author's own danger)."""
    targets = cue_sets("threat_cues.txt")["target"]
    if any(not REPORTING.isdisjoint(read(word).lemmas) for word in words):
        return False
    return any(word in ADDRESSEE for word in words) or any(
        not targets.isdisjoint(read(word).lemmas) for word in words)


@lru_cache(maxsize=100_000)
def not_yet(word: str) -> bool:
    """True for a verb that speaks of what is to come: a future or perfective present
    («сгорит», «спалят»), an imperative or an infinitive («сжечь бы»)."""
    tag = analyzer().parse(word)[0].tag
    return tag.POS == "INFN" or "futr" in tag or "impr" in tag or (
        tag.POS == "VERB" and "perf" in tag and "pres" in tag)


def threat_forms(message: Message) -> tuple[str, ...]:
    """The flags of the threat forms that the sentences of MESSAGE show."""
    harm, found = harm_lemmas(), set()
    if harm.isdisjoint(message.lemma_index) and FEAR.isdisjoint(message.lemma_index) and \
            SOMEONE.isdisjoint(message.words):
        return ()
    for words in clauses(message):
        if not aimed_at_addressee(words):
            continue
        readings = [read(word) for word in words]
        hurts = [w for w, r in zip(words, readings) if not harm.isdisjoint(r.lemmas)]
        if any(not_yet(word) for word in hurts) or (hurts and not SUBJUNCTIVE.isdisjoint(words)):
            found.add("threat_form:aimed")
        # «не боитесь ходить…», «не страшно за дачу?»; not «не боитесь, что дети провалятся»
        # nor «не боитесь ответственности» (a danger or a lawful step).
        feared = [i for i, r in enumerate(readings) if not FEAR.isdisjoint(r.lemmas)]
        if "не" in words and any(i + 1 < len(words) and (words[i + 1] == "за" or
                                                        readings[i + 1].pos == "INFN")
                                 for i in feared):
            found.add("threat_form:fear")
        if hurts and any(word in WISHING for word in words[:3]):
            found.add("threat_form:wish")
        if any(word in SOMEONE for word in words) and any(word in OBJECT_YOU for word in words) \
                and any(not_yet(word) and read(word).person == "3per" for word in words):
            found.add("threat_form:forecast")
    return tuple(sorted(found))


def danger_reported(message: Message) -> bool:
    """A danger named («яма кого-нибудь убьёт», «пока не поздно») that is not aimed at the
    addressee: no «вы» within four words of it («кто-нибудь вас встретит» is no danger)."""
    match = first_match(phrases_of("dangers.txt"), message)
    if match is None:
        return False
    positions = match.find(message) or (0,)
    near = message.words[max(0, min(positions) - 4):max(positions) + 5]
    return not any(word in ADDRESSEE for word in near)


def check_threat(message: Message) -> Verdict:
    """п. 3.6: a threat to life, health or property, or intent to harm."""
    own, quoted = [], []
    excused = first_match(phrases_of("threat_exceptions.txt"), message) is not None
    for phrase in () if excused else phrases_of("threats.txt").candidates(message):
        positions = phrase.find(message)
        if positions:
            inside = all(message.quoted[p] for p in positions) or reported(message, positions)
            shown = " ".join(message.words[p] for p in positions)
            (quoted if inside else own).append(shown)
    arrival = armed_arrival(message)
    if arrival and not excused:
        (quoted if reported(message, arrival) else own).append(
            " … ".join(message.words[p] for p in arrival))
    cues = cue_flags(message, "threat_cues.txt")
    # The form of the message, paired with the cue words («addressed» + «family»: «у вас ведь
    # тоже дети»); a form alone supports no guess of the model (``hint.SUPPORT``).
    if any(word in ADDRESSEE for word in message.words):
        cues += ("threat_form:addressed",)
    if condition_put(message):
        cues += ("threat_form:condition",)
    cues += () if excused else threat_forms(message)
    cues += tuple(f"{a}+{b.split(':')[1]}" for a, b in combinations(cues, 2))
    if any(is_first_person_future(word) for word in message.words):
        cues += ("first_person_future",)
    if danger_reported(message):
        cues += ("danger",)
    if own:
        return Verdict(True, f"угроза: «{own[0]}» (п. 3.6)", ("threat", *cues), strong=True)
    if quoted:
        return Verdict(False, f"угроза в цитате: «{quoted[0]}» — вероятно, пересказ (п. 3.6)",
                       ("threat_quoted", *cues))
    return Verdict(False, flags=cues)


SELF = frozenset("я меня мне мной мы нас нам нами себя себе собой".split())


def said_of_oneself(message: Message) -> bool:
    """True when every clause with an insulting word speaks of the author («я», «себя»,
    «нас») and names no addressee: the author calls himself names, nobody else."""
    seen = False
    for clause in CLAUSE_RE.findall(message.folded):
        if not find_obscene(clause):
            continue
        seen = True
        words = CLAUSE_WORD_RE.findall(clause)
        if SELF.isdisjoint(words) or not ADDRESSEE.isdisjoint(words):
            return False
    return seen


def check_obscene(message: Message) -> Verdict:
    """п. 3.6: obscene or insulting language, also disguised; quoted words still count."""
    findings = find_obscene(message.folded, message.quote_spans)
    soft = soft_insults(message)
    flags = ("soft_insult",) if soft else ()
    if characterizes_addressee(message):
        flags += ("judging_noun",)
    if not findings:
        return Verdict(False, flags=flags)
    if all(finding.kind == "insult" for finding in findings) and said_of_oneself(message):
        # «я чувствую себя дураком», «нас держат за дураков»: nobody else is insulted
        return Verdict(False, flags=(*flags, "insult_self"))
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
    wanted_for = first_match(court_cues()[1]["for"], message)
    if not actor or execution or (not change and wanted_for):
        flags += ("court_against",)
    if phrase and not execution:
        return Verdict(True, "обжалование судебного акта (п. 3.7)", ("court", *flags))
    if actor and change and not execution:
        return Verdict(True, f"обжалование судебного акта: «{actor}», «{change}» (п. 3.7)",
                       ("court", *flags))
    return Verdict(False, flags=flags)


@lru_cache(maxsize=1)
def court_cues() -> tuple[dict[str, frozenset[str]], dict[str, tuple[Phrase, ...]]]:
    """The lemma sections of ``court_structure.txt`` and its phrase sections compiled: [act],
    [disagree], [waiting] and [for] (a document wanted for a court)."""
    sections = read_sections("court_structure.txt")
    sets = {key: frozenset().union(*(lemmas(value) | {value} for value in sections[key]))
            for key in ("actor", "change", "execution", "take", "seize", "money", "property")}
    phrases = {key: compile_all(sections[key]) for key in ("act", "disagree", "waiting", "for")}
    return sets, phrases


def court_structure(message: Message) -> tuple[str, str, bool]:
    """(the word naming a court's or the bailiffs' act, the word asking to undo, stop or review
    it, whether the author wants a decision carried out instead): «приставы сняли с пенсии
    половину, верните» → («приставы», «верните», False); '' where a part is missing. Who asks
    whom to do what, not a keyword: «приставы» alone, or «отмените» alone, is no appeal."""
    sets, phrases = court_cues()
    if sets["change"].isdisjoint(message.lemma_index):
        changes = []
    else:
        changes = [word for word, found in zip(message.words, message.lemma_sets)
                   if not sets["change"].isdisjoint(found)]
    actor = next((word for i, (word, found) in enumerate(zip(message.words, message.lemma_sets))
                  if not sets["actor"].isdisjoint(found) and not court_ahead(message, i)), "")
    if not actor:  # an act named without its actor («по решению», «лишили прав»), or by its effect
        act = first_match(phrases["act"], message)
        actor = " ".join(message.words[p] for p in act.find(message)) if act else enforced(message)
    change = next((word for word in changes if is_imperative(word)), changes[0] if changes else "")
    if not change:  # «это же несправедливо», «не согласен»: the ruling is to be changed
        unjust = first_match(phrases["disagree"], message)
        change = " ".join(message.words[p] for p in unjust.find(message)) if unjust else ""
    return actor, change, carried_out(message, sets["execution"], phrases["waiting"])


# A court the author may still go to, or one in a story, is no court's act: «подам в суд», «пока
# не дошло до суда», «разберёмся без суда», «УК грозит судом», «после суда с УК», «про суд».
AHEAD_PREPOSITIONS = frozenset({"в", "во", "до", "без", "после", "про"})
THREATENING = frozenset({"грозить", "пугать", "угрожать", "пригрозить"})


def court_ahead(message: Message, position: int) -> bool:
    """True when the court word at POSITION names a court ahead or in a story, not one that
    acted: «в суд», «до суда», «без суда», «грозит судом» (but «в суде решили», «решение
    суда»)."""
    word, before = message.words[position], message.words[max(0, position - 2):position]
    if word in ("суд", "суда") and before and before[-1] in AHEAD_PREPOSITIONS:
        return True
    return word == "судом" and not THREATENING.isdisjoint(message.lemmas[max(0, position - 2):position])


# How far the thing taken may stand from the verb that took it («с карты всё подчистую сняли»).
ENFORCED_REACH = 4
SUBJECT_REACH = 3


def enforced(message: Message) -> str:
    """«сняли … пенсию», «арестовали машину», «заблокирован счёт»: an enforcement verb said of
    nobody (``impersonal``) and what it took, near each other — the bailiffs' act named by its
    effect; '' when there is none. Money is taken ([take]: «списали», «удерживают»), money or
    property seized ([seize]: «арестовали», «изъяли»)."""
    sets = court_cues()[0]
    index = message.lemma_index
    if sets["take"].isdisjoint(index) and sets["seize"].isdisjoint(index):
        return ""
    for i, found in enumerate(message.lemma_sets):
        seized = not sets["seize"].isdisjoint(found)
        if not (seized or not sets["take"].isdisjoint(found)) or not impersonal(message, i):
            continue
        assets = sets["money"] | sets["property"] if seized else sets["money"]
        near = range(max(0, i - ENFORCED_REACH), min(len(message.words), i + ENFORCED_REACH + 1))
        taken = next((j for j in near if not assets.isdisjoint(message.lemma_sets[j])), None)
        if taken is not None:
            return " ".join(message.words[p] for p in sorted((i, taken)))
    return ""


def impersonal(message: Message, position: int) -> bool:
    """True when the verb at POSITION is said of nobody: a passive participle («арестован»,
    «заблокированы»), or a plural with no noun before it that could be its subject («с карты
    списали», not «мошенники списали»)."""
    tag = analyzer().parse(message.words[position])[0].tag
    if tag.POS in ("PRTF", "PRTS"):
        return "pssv" in tag
    if tag.POS != "VERB" or "plur" not in tag:
        return False
    before = message.words[max(0, position - SUBJECT_REACH):position]
    return not any({"NOUN", "nomn", "plur"} <= analyzer().parse(word)[0].tag.grammemes
                   for word in before)


# «меня обязали снести баню», «нас обязали выплатить»: a court obliged the author — that is the
# act appealed against, not a decision the author wants carried out.
OBLIGED_AUTHOR = frozenset({"меня", "нас", "мне", "нам"})


def carried_out(message: Message, execution: frozenset[str], waiting: tuple[Phrase, ...]) -> bool:
    """True when the author wants a decision carried out («суд обязал вас…, когда исполните?»,
    «до сих пор не выплачивают»), not one that obliged the author («меня обязали снести»)."""
    if first_match(waiting, message):
        return True
    spots = [i for i, found in enumerate(message.lemma_sets) if not execution.isdisjoint(found)]
    words = message.words
    return any(OBLIGED_AUTHOR.isdisjoint(words[max(0, i - 2):i + 3]) for i in spots)


# Whether a request around a procedure found by its structure alone (``bypass_structure``)
# applies as a weak verdict, or only supports the model's guess.
BYPASS_STRUCTURE_DECIDES = True


def check_bypass_law(message: Message) -> Verdict:
    """п. 3.7: a request to act around the law or to abuse a right. The author must ask for it:
    naming a way around the law while asking why it was done, whether it is lawful or for the
    rule to be enforced (``bypass_reported.txt``) reports someone else's bypass or asks for the
    lawful way — flagged for the model, not applied."""
    phrase = first_match(phrases_of("bypass_law.txt"), message)
    flags = bypass_cues(message)
    if not phrase:
        shown = bypass_structure(message)[1] if BYPASS_STRUCTURE_DECIDES else ()
        if shown:  # a weak verdict: the model may rule it out (hint.RULE_AGREEMENT)
            words = ", ".join(f"«{word}»" for word in shown[:2])
            return Verdict(True, f"похоже на просьбу в обход порядка: {words} (п. 3.7)", flags)
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
    return cues + bypass_structure(message)[0]


@lru_cache(maxsize=1)
def bypass_parts() -> tuple[dict[str, frozenset[str]], tuple[Phrase, ...], tuple[Phrase, ...]]:
    """The lemma sections of ``bypass_structure.txt`` and its compiled [exemption] and
    [contrary] phrases."""
    sections = read_sections("bypass_structure.txt")
    sets = {key: frozenset().union(*(lemmas(value) | {value} for value in sections[key]))
            for key in ("object", "unseen", "record")}
    return sets, compile_all(sections["exemption"]), compile_all(sections["contrary"])


# «без» this many words before an object still exempts it: «без всяких комиссий»; and it
# qualifies a request this many words before it: «оформите участок на меня без торгов» — not a
# state described («гараж стоит без документов, хочу оформить аренду»; «сосед построил без
# разрешения»: complaints of the older sets).
EXEMPT_REACH = 2
REQUEST_REACH = 6


def bypass_structure(message: Message) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Who asks whom to do what around a procedure (``bypass_structure.txt``), for the model:
    ``bypass_structure`` when the author asks for something a procedure gives or guards and
    names an exemption from it («оформите участок как-нибудь», «дайте квартиру в порядке
    исключения», «подпишите без комиссии», «не замечайте»); ``bypass_pretence`` when he asks
    to write down, or announces he will do, what is not so («напишите, что дом, хотя сгорел
    сарай», «разведусь на бумаге, а жить будем вместе»). Nothing when he reports someone
    else's act (``bypass_reported.txt``) or asks nothing. Returns (flags, the words that
    showed it: «как-нибудь», «без торгов», «не замечайте», «на бумаге»)."""
    if not asks_anything(message) or first_match(phrases_of("bypass_reported.txt"), message):
        return (), ()
    sets, exemptions, contrary = bypass_parts()
    words, found = message.words, message.lemma_sets
    objects = [i for i, lemma_set in enumerate(found) if not sets["object"].isdisjoint(lemma_set)]
    requests = [i for i, (word, lemma) in enumerate(zip(words, message.lemmas))
                if asked(word) and lemma not in TELLING]
    exemption = first_match(exemptions, message)
    shown = [" ".join(words[p] for p in exemption.find(message))] if exemption else []
    asking = set(requests)
    shown += [f"без {words[i]}" for i in objects for j in range(max(0, i - EXEMPT_REACH), i)
              if words[j] == "без" and not asking.isdisjoint(range(j - REQUEST_REACH, j))]
    shown += [f"не {words[i]}" for i in range(1, len(words))
              if words[i - 1] == "не" and not sets["unseen"].isdisjoint(found[i])
              and (asked(words[i]) or "пусть" in words[max(0, i - 4):i])]
    # an act asked for («оформите», «хочу получить»), not an answer («как-нибудь ответьте уже»)
    acting = requests or any(word in WANTING for word in words)
    cues = ("bypass_structure",) if shown and objects and acting else ()
    pretence = first_match(contrary, message)
    acts = [i for i, word in enumerate(words) if pretence and (
        (i in requests and not sets["record"].isdisjoint(found[i]))
        or (is_first_person_future(word) and "быть" not in found[i]
            and (i == 0 or words[i - 1] != "не")))]
    if acts:
        cues += ("bypass_pretence",)
        shown.append(f"{words[acts[0]]} … " + " ".join(words[p] for p in pretence.find(message)))
    return cues, tuple(dict.fromkeys(shown if cues else ()))


def asked(word: str) -> bool:
    """True for a verb that asks for an act: «оформите», or «(прошу) подписать»."""
    return is_imperative(word) or pos(word) == "INFN"


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


# A federal body named as a place or as a source of news is no request to it: «у здания налоговой
# нет парковки», «фонарь около отдела полиции», «в налоговой сказали, что льготу даёт округ»,
# «участковый попросил поставить фонарь» (hard negatives of set v7). Prepositions of place right
# before the body (a noun or an adjective may stand between: «у районной больницы», «около
# отдела полиции»), verbs of saying and asking up to three words after it.
PLACE_PREPOSITIONS = frozenset("у возле около рядом напротив мимо вдоль перед до".split())
# «после больницы батареи холодные»: a time, as much a circumstance as a place (set v14) — right
# before the body only («после лишения прав ГИБДД не отвечает» asks the body).
TIME_PREPOSITIONS = frozenset({"после"})
# «в доме, где отделение почты», «в подъезде где живёт участковый», «рядом с больницей»: the body
# locates the municipal thing (set v14); «где» after a noun opens such a clause, up to SOURCE_REACH
# words before the body («где сделать прививку?» asks the body).
BETWEEN_POS = frozenset({"NOUN", "ADJF", "PRTF"})
SOURCE_VERBS = frozenset("сказать говорить ответить написать посоветовать советовать просить "
                         "попросить переслать перенаправить объяснить объяснять пояснить "
                         "рекомендовать порекомендовать".split())
SOURCE_REACH = 3
# ... and so is one in a request for what the municipality itself gives or keeps: «есть ли у
# округа помощь на протез», «льгота от округа», «стою в муниципальной очереди» (of the training
# messages the rule found, none labelled out of competence says so, 13 municipal ones do — 9 of
# them in set v7, written for the purpose).
MUNICIPAL_OWNER = frozenset({"округ", "администрация", "муниципалитет"})


def mentioned_only(message: Message, position: int) -> bool:
    """True when the federal word at POSITION is a place or a source, not the request's object."""
    words = message.words
    if position >= 1 and words[position - 1] in PLACE_PREPOSITIONS:
        return True
    if position >= 2 and words[position - 2] in PLACE_PREPOSITIONS and \
            pos(words[position - 1]) in BETWEEN_POS:
        return True
    after = range(position + 1, min(position + 1 + SOURCE_REACH, len(words)))
    if any(message.lemmas[i] in SOURCE_VERBS and words[i - 1] != "не" for i in after):
        return True
    before = range(max(0, position - SOURCE_REACH), position)
    if position >= 1 and words[position - 1] in TIME_PREPOSITIONS:
        return True
    if any(words[i] == "где" and i >= 1 and pos(words[i - 1]) == "NOUN" for i in before) or \
            (position >= 2 and words[position - 2:position] == ("рядом", "с")):
        return True
    # «завуч говорит идите в полицию», «УК говорит жалуйтесь в прокуратуру»: someone else sends the
    # author to the body — what the author asks for is elsewhere in the message (set v14)
    if sends_elsewhere(message, before):
        return True
    # «я буду жаловаться в прокуратуру, если не сделаете», «пойду в полицию»: the author's own
    # next step, a warning to the municipality (set v5), not a question for the body
    return any(words[i] == "буду" or is_first_person_future(words[i]) for i in before)


def sends_elsewhere(message: Message, before: range) -> bool:
    """True when a verb of saying (not an imperative: «ответьте») is followed within BEFORE by an
    imperative — the body is where someone else sent the author."""
    words = message.words
    said = [i for i in before if message.lemmas[i] in SOURCE_VERBS and not is_imperative(words[i])]
    return bool(said) and any(is_imperative(words[j]) for j in before if j > said[0])


def asks_the_municipality(message: Message) -> bool:
    """True when the message asks for what the municipality gives: «от округа», «у
    администрации», a «муниципальный» thing."""
    if "муниципальный" in message.lemma_index:
        return True
    return any(word in ("от", "у") and following in MUNICIPAL_OWNER
               for word, following in zip(message.words, message.lemmas[1:]))


def competence_matches(message: Message) -> list[tuple[Phrase, tuple[int, ...]]]:
    """Every competence phrase found in MESSAGE with its word positions, in list order."""
    phrases, _ = competence_phrases()
    found = ((phrase, phrase.find(message)) for phrase in phrases.candidates(message))
    return [(phrase, positions) for phrase, positions in found if positions]


def check_out_of_competence(message: Message) -> Verdict:
    """п. 3.7: a question for a federal or regional body, not the municipality. When every
    federal word is only a place or a source (``mentioned_only``), or the message asks for what the
    municipality gives, the rule leaves the decision to the model and says so by a flag."""
    matches = competence_matches(message)
    if not matches:
        return NO
    if asks_the_municipality(message) or \
            all(mentioned_only(message, positions[0]) for _, positions in matches):
        return Verdict(False, None, ("competence_mention",))
    field = competence_phrases()[1][matches[0][0].source]
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
