"""п. 3.6 obscene and insulting language: disguises are caught, false friends are not."""

import pytest

from bridge.hints.obscene import find_obscene
from bridge.hints.harm import check_obscene
from bridge.hints.text import prepare


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("х*йня с отоплением", "хуйня"),  # asterisk mask
        ("вы о**ели", "охуели"),  # two-letter mask
        ("п..дец дорога", "пиздец"),  # dots as mask
        ("xуй вам", "хуй"),  # Latin x and y look-alikes
        ("бл9 опять", "бля"),  # digit for a letter
        ("пи3дец", "пиздец"),  # digit 3 for з
        ("пизdец", "пиздец"),  # Latin d inside a Cyrillic word
        ("б л я д ь, сколько можно", "блядь"),  # spaced letters
        ("c y k a где отопление", "сука"),  # spaced Latin look-alikes
        ("б.л.я", "бля"),  # dotted letters
        ("бляяяяя", "бля"),  # repeated letters
        ("заебали", "заебали"),  # verbal prefix before the root
        ("долбо*бы", "долбоебы"),
        ("ху*сосы", "хуесосы"),  # a mask that hides a vowel inside a compound
    ],
)
def test_disguised_obscenity_is_read(text, reading):
    findings = find_obscene(text)
    assert [f.word for f in findings] == [reading]
    assert findings[0].kind == "obscene"


@pytest.mark.parametrize("text", ["x*yня", "бл@ опять", "п@здец", "на**й"])
def test_masks_with_at_signs_and_inserted_stars(text):
    assert [f.kind for f in find_obscene(text)] == ["obscene"]


@pytest.mark.parametrize(
    "text",
    [
        "страхуй себя сам",
        "не надо оскорблять жителей",
        "насчитали 8000 рублей",
        "требую перерасчета",
        "употребляю воду из бутылок",
        "хлебать эту воду",
        "колебания напряжения",
        "пахнет скипидаром",
        "мандарины гнилые",
        "команда школы",
        "небрежно положили асфальт",
        "сделайте для себя выводы",
        "корабля не было",
        "бляха на ремне",
        "психуй не психуй",
        "застрахуйте дома",
        "загребают деньги",
        "хуже дороги не видел",
        "урожай уродился",
        "тупо не отвечают",
        "вебинар для родителей",
        "херсонская область",
        "ул.ленина 12, кв. 3",
        "сравнить цены",
        "пишите на ivan@mail.ru",
        "скидки до 30%",
        "5*3=15",
        "@Ира, спасибо вам",              # a mention (VK, Telegram), not a masked «ху»
        "🙏🙏 @Ира, поддерживаю",
    ],
)
def test_false_friends_stay_innocent(text):
    assert find_obscene(text) == []


def test_insult_forms_are_generated_from_lemmas():
    kinds = [(f.word, f.kind) for f in find_obscene("вы все дебилы, уродам тут не место")]
    assert kinds == [("дебилы", "insult"), ("уродам", "insult")]


def test_insult_without_obscenity_is_3_6(demo):
    hint = demo.suggest("глава урод")
    assert hint.policy == "obscene"
    assert hint.reasons[0] == "оскорбительные выражения: «урод» (п. 3.6)"


def test_quoted_obscenity_still_flags_with_a_note(demo):
    hint = demo.suggest("на остановке написали «х*й вам», закрасьте")
    assert hint.policy == "obscene"
    assert hint.reasons[0] == "нецензурная лексика в цитате (п. 3.6) — проверьте"


def test_reported_speech_counts_as_quotation(demo):
    hint = demo.suggest("учитель сказал сыну: ты дебил. это нормально?")
    assert hint.policy == "obscene"
    assert "в цитате" in hint.reasons[0]


def test_own_obscenity_names_the_word(demo):
    assert demo.suggest("сука, опять свет отключили").reasons[0] == "нецензурная лексика: «сука» (п. 3.6)"


@pytest.mark.parametrize(
    "text",
    ["спасибо вам, уроды, за отопление", "благодарю, дебилы 👍", "с праздником, бл*ди"],
)
def test_obscene_insult_is_never_also_thanks(demo, text):
    hint = demo.suggest(text)
    assert hint.policy == "obscene"
    assert not any("благодарность" in reason for reason in hint.reasons)
    assert "благодарность" not in hint.summary()


@pytest.mark.parametrize(
    ("text", "word"),
    [("дбилы безмозглые", "дбилы"), ("мэр дегенрат", "дегенрат"), ("сволчи", "сволчи")],
)
def test_misspelt_insult_is_read(text, word):
    assert find_obscene(text)[0].word == word


@pytest.mark.parametrize("text", ["на родине", "в облдуме", "депутат Гурдин", "хирург", "дебет"])
def test_words_one_letter_from_an_insult_stay_innocent(text):
    assert find_obscene(text) == []


@pytest.mark.parametrize(("text", "word"), [("pi**ets u nas", "пиздец"), ("na h*r nuzhna", "хер")])
def test_masked_transliteration_is_read(text, word):
    assert find_obscene(text)[0].word == word


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("это п!здец, а не отопление", "пиздец"),  # «!» inside a word is a mask
        ("бл&дь какая-то", "блядь"),  # so is «&»
        ("ах*еть не встать", "ахуеть"),  # «а» written for an unstressed «о»
        ("ahuet mozhno", "ахует"),
        ("hyilo vy a ne glava", "хуило"),  # Latin «h» read by sound
        ("бляааа ну что за люди", "бля"),  # a drawn-out ending of another letter
    ],
)
def test_masks_of_other_writers_are_read(text, reading):
    assert [(f.word, f.kind) for f in find_obscene(text)] == [(reading, "obscene")]


@pytest.mark.parametrize(
    "text",
    ["привет!как дела", "ура!ура", "мы&вы", "cherry", "chernov", "sherpa", "ахинея", "ахать",
     "hyundai", "дааааа", "нетууу", "dupuy"],
)
def test_new_readings_keep_false_friends_innocent(text):
    assert find_obscene(text) == []


@pytest.mark.parametrize(
    "text",
    ["нелюди вы, как можно так с пенсионерами", "кровососы! одни кровососы в этом здании",
     "ваш пресс-секретарь — попугай", "полоумные вы там, что ли", "ослы, как есть ослы"],
)
def test_a_noun_that_judges_the_addressee_is_a_finding(text):
    assert "judging_noun" in check_obscene(prepare(text)).flags


@pytest.mark.parametrize(
    "text",
    ["Здравствуйте, уважаемые сотрудники администрации", "дорогие жители!", "Уважаемый Игорь "
     "Петрович!", "мама, папа и я", "вы плохо работаете", "позор! просто позор!",
     "Добрый день, коллеги"],
)
def test_roles_names_and_greetings_judge_nobody(text):
    assert "judging_noun" not in check_obscene(prepare(text)).flags


@pytest.mark.parametrize("text", ["тараканы в общежитии, вызовите дезинсекцию",
                                  "медведь у школы", "собаки во дворе"])
def test_animals_where_they_are_judge_nobody(text):
    assert "judging_noun" not in check_obscene(prepare(text)).flags


@pytest.mark.parametrize(
    "text",
    ["χуйня полная", "εбанутые совсем", "ху€во работаете", "π3дец с трубами",
     "3,14здец дорогам", "п|/|здец какой-то", "ху?ня полная", "вы там оху?ли?", "п???ец опять",
     "бл_ть сколько можно", "бл…ть ну когда", "писдец с мусором", "ипанутые вы", "йобаный стыд",
     "сцуки вы все", "уе6ки", "пошли на йух", "обосрались вы с ремонтом"],
)
def test_session6_disguises_are_read(text):
    """Greek letters, «€», «π» and «3,14» for «пи», «|/|» for «и», «?», «_» and «…» as masks
    inside a word, spellings by ear of words no dictionary knows, a word read backwards."""
    assert [f.kind for f in find_obscene(text)] == ["obscene"]


@pytest.mark.parametrize(
    "text",
    ["ипотека и ипподром", "вы где?", "а что?", "ivan_petrov", "сцена ДК", "3,14 — число пи",
     "площадь 3.14 га", "йогурт", "Ипатьевский переулок", "обоснование сметы",
     "обосновали", "бланк_заявления"],
)
def test_session6_readings_keep_innocent_words(text):
    assert find_obscene(text) == []


@pytest.mark.parametrize("text", ["вы не люди, вы плесень", "ты просто пустое место",
                                  "вы ноль без палочки"])
def test_a_thing_said_of_you_judges_you(text):
    assert "judging_noun" in check_obscene(prepare(text)).flags


@pytest.mark.parametrize("text", ["вы же администрация", "вы власть, вы и решайте",
                                  "вы сотрудник отдела?", "вы Иван Петрович?"])
def test_an_institution_or_a_role_said_of_you_is_no_judgement(text):
    assert "judging_noun" not in check_obscene(prepare(text)).flags


@pytest.mark.parametrize(("text", "kind"), [("узкоглазые на рынке", "insult"),
                                            ("бабье лето", None), ("хачапури на рынке", None)])
def test_slurs_are_insults_and_their_look_alikes_are_not(text, kind):
    assert [f.kind for f in find_obscene(text)] == ([kind] if kind else [])


@pytest.mark.parametrize("text", ["я чувствую себя дураком, трижды пишу", "нас держат за дураков",
                                  "абсурд, идиотизм системы", "полный дурдом с квитанциями"])
def test_names_the_author_calls_himself_or_a_state_of_things_are_no_insult(text):
    assert not check_obscene(prepare(text)).applies


@pytest.mark.parametrize("text", ["вы нас держите за дураков, идиоты", "я считаю вас дураками"])
def test_an_insult_aimed_at_the_addressee_still_applies(text):
    assert check_obscene(prepare(text)).applies


def test_a_giant_word_is_no_misspelt_insult():
    """A hostile 50,000-letter word is not searched for typos (it took seconds of copies)."""
    from bridge.hints.obscene import is_misspelt_insult

    assert not is_misspelt_insult("й" * 50_000)
    assert find_obscene("й" * 50_000) == []


def test_hostile_runs_are_read_the_same_and_in_linear_time():
    """Three patterns read the rest of the text from every start of a hostile run (bench/
    hints_hostile.py: «а»×100,000 + «1» took 97–116 s, «а*»×50,000 seven seconds, 50,000 «
    three). They now look only where a match can be; the readings are those of before."""
    from bridge.hints.obscene import classify_raw, drop_drawl
    from bridge.hints.text import find_quote_spans, is_quoted

    assert drop_drawl("бляааа") == "бля" and drop_drawl("а" * 100_000 + "1") == "а" * 100_000 + "1"
    assert drop_drawl("ааааа") == "аа"
    assert classify_raw("а*" * 50_000) is None and classify_raw("х*й") == ("хуй", "obscene")
    spans = find_quote_spans("он сказал: «раз» и «два. " + "«" * 50_000)
    assert spans == ((3, 23),)          # the reported speech holds the closed quotation
    assert is_quoted(12, spans) and not is_quoted(23, spans)
    assert find_quote_spans('„раз“ и "два" и “три') == ((0, 5), (8, 13))


def test_quotations_are_the_spans_the_old_pattern_found():
    """``quotation_spans`` replaced a regex that was quadratic on unclosed marks; on any text it
    finds what that regex found (5,000 random strings of quotation marks, letters and spaces)."""
    import random
    import re

    from bridge.hints.text import quotation_spans

    old = re.compile(r"«[^»]*»|\"[^\"]*\"|„[^“”]*[“”]|“[^”]*”")
    rng = random.Random(2026)
    for _ in range(5_000):
        text = "".join(rng.choice('аб «»"„“” ') for _ in range(rng.randint(0, 25)))
        assert quotation_spans(text) == [match.span() for match in old.finditer(text)], text
