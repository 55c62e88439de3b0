"""The rules of п. 3.7: court appeals, requests to bypass the law, and matters outside the
municipality's competence (``check_court_appeal``, ``check_bypass_law``,
``check_out_of_competence``), each by its phrases and by its structure. See rules.py for what a
verdict is.
"""

from __future__ import annotations

from functools import lru_cache

from bridge.hints.lexicon import read_pairs, read_sections
from bridge.hints.morph import (
    analyzer, is_first_person_future, is_imperative, lemmas, pos, speaker_or_listener_verb,
)
from bridge.hints.phrases import Phrase, compile_all, first_match
from bridge.hints.rules import FIRST_PERSON, NO, SECOND_PERSON, TELLING, Verdict, phrases_of
from bridge.hints.text import Message


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
