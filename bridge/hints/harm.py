"""The rules of п. 3.6: threats, insults and obscenity (``check_threat``, ``check_obscene``).

A threat is found by its words (data/threats.txt and the cues) and by its structure: harm aimed
at the addressee in the future, a wish or a condition, a question of fear, a forecast, an armed
arrival; a threat retold after a verb of saying is a report. An insult is found by its words
(obscene.py) and by a noun or adjective that judges the addressee. See rules.py for what a
verdict is.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import combinations

from bridge.hints.lexicon import read_entries
from bridge.hints.morph import analyzer, is_first_person_future, lemmas, parses, read
from bridge.hints.obscene import find_obscene, word_list
from bridge.hints.phrases import first_match
from bridge.hints.rules import FIRST_PERSON, SECOND_PERSON, Verdict, cue_flags, cue_sets, phrases_of
from bridge.hints.text import Message


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
    parse = parses(word)[0]
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
    tag = parses(word)[0].tag
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
            SOMEONE.isdisjoint(message.words) and BODY.isdisjoint(message.lemma_index):
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
        if body_harm(words):
            found.add("threat_form:body")
        if hurts and any(word in WISHING for word in words[:3]):
            found.add("threat_form:wish")
        if any(word in SOMEONE for word in words) and any(word in OBJECT_YOU for word in words) \
                and any(not_yet(word) and read(word).person == "3per" for word in words):
            found.add("threat_form:forecast")
    return tuple(sorted(found))


# The author's harm to the addressee's body with no harm verb («лицо вам поправлю», «снесу вам
# голову»): «вам», a first person future, a part of the body (session 7, set v18). A form for
# the model to weigh, never a verdict: «приду к вам, покажу ногу» reads the same.
BODY = frozenset("лицо морда рыло харя физиономия голова башка зуб челюсть нос глаз ребро "
                 "нога рука шея горло глотка почка кость колено хребет".split())


def body_harm(words: list[str]) -> bool:
    """True for a clause of «вам» or «тебе», a first person future and a part of the body."""
    return any(word in ADDRESSEE for word in words) and \
        any(is_first_person_future(word) for word in words) and \
        any(not BODY.isdisjoint(read(word).lemmas) for word in words)


def danger_reported(message: Message) -> bool:
    """A danger named («яма кого-нибудь убьёт», «пока не поздно») that is not aimed at the
    addressee: no «вы» within four words of it («кто-нибудь вас встретит» is no danger)."""
    match = first_match(phrases_of("dangers.txt"), message)
    if match is None:
        return False
    positions = match.find(message) or (0,)
    near = message.words[max(0, min(positions) - 4):max(positions) + 5]
    return not any(word in ADDRESSEE for word in near)


# A lawful step announced (set v18: «пожалеете, что не ответили, я до губернатора дойду») warns
# of a complaint: bare warnings (LAWFUL_WARNINGS) then leave the verdict to the model, and the
# step is its flag (not a bar: 11 training threats name one); «… приду с канистрой» stays.
LAWFUL_STEPS = frozenset("прокуратура прокурор суд иск жалоба пожаловаться жаловаться губернатор "
                         "инспекция жилинспекция президент роспотребнадзор сми телевидение "
                         "журналист пикет голосовать выборы обжаловать юрист адвокат "
                         "предписание приемная омбудсмен уполномоченный".split())
# Signs of a blade, a gun or death; «🔥» and «💣» also praise («вы огонь 🔥»), so they are left out.
DEATH_SIGNS = frozenset("🔪🗡🔫🪓⚰💀☠")
LAWFUL_WARNINGS = frozenset("пожалеете пожалеешь поплатитесь поплатишься попляшешь".split())


def lawful_warning(message: Message, own: list[str]) -> bool:
    """True when every threat phrase found is a bare warning and a lawful step is named."""
    return bool(own) and all(shown in LAWFUL_WARNINGS for shown in own) and \
        not LAWFUL_STEPS.isdisjoint(message.lemma_index)


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
    if not DEATH_SIGNS.isdisjoint(message.folded):  # «🔪 жди», «⚰️⚰️ скоро» (set v18)
        cues += ("threat_cues:sign",)
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
    if not LAWFUL_STEPS.isdisjoint(message.lemma_index):
        cues += ("lawful_step",)
    if lawful_warning(message, own):
        return Verdict(False, flags=cues)
    if own:
        return Verdict(True, f"угроза: «{own[0]}» (п. 3.6)", ("threat", *cues), strong=True)
    if quoted:
        return Verdict(False, f"угроза в цитате: «{quoted[0]}» — вероятно, пересказ (п. 3.6)",
                       ("threat_quoted", *cues))
    return Verdict(False, flags=cues)


SELF = frozenset("я меня мне мной мы нас нам нами себя себе собой".split())
# The author as the one named («я дура старая», «мы и есть дураки»); «мне», «меня» may be the
# object of someone named («даун какой-то мне отвечал»).
SELF_NAMED = frozenset("я мы себя себе собой".split())


def said_of_oneself(message: Message) -> bool:
    """True when every clause with an insulting word speaks of the author («я», «себя»,
    «нас») and names no addressee: the author calls himself names, nobody else. An insult in
    the nominative beside «мне» or «меня» names someone else (session 7, set v18)."""
    seen = False
    for clause in CLAUSE_RE.findall(message.folded):
        findings = find_obscene(clause)
        if not findings:
            continue
        seen = True
        words = CLAUSE_WORD_RE.findall(clause)
        if SELF.isdisjoint(words) or not ADDRESSEE.isdisjoint(words):
            return False
        if SELF_NAMED.isdisjoint(words) and any(nominative(f.word) for f in findings):
            return False
    return seen


def nominative(word: str) -> bool:
    """True when the dictionary reads WORD first as a nominative («даун», not «дураком»)."""
    return "nomn" in analyzer().parse(word)[0].tag


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
