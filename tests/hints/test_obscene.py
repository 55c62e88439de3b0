"""п. 3.6 obscene and insulting language: disguises are caught, false friends are not."""

import pytest

from bridge.hints import suggest
from bridge.hints.obscene import find_obscene


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
    ],
)
def test_disguised_obscenity_is_read(text, reading):
    findings = find_obscene(text)
    assert [f.word for f in findings] == [reading]
    assert findings[0].kind == "obscene"


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
    ],
)
def test_false_friends_stay_innocent(text):
    assert find_obscene(text) == []


def test_insult_is_its_own_kind():
    assert [(f.word, f.kind) for f in find_obscene("вы все дебилы")] == [("дебилы", "insult")]
    assert suggest("глава урод").reasons[0] == "оскорбительные выражения (п. 3.6)"


def test_quoted_obscenity_still_flags_with_a_note():
    hint = suggest("на остановке написали «х*й вам», закрасьте")
    assert hint.policy == "obscene"
    assert hint.reasons[0] == "нецензурная лексика в цитате (п. 3.6) — проверьте"


def test_reported_speech_counts_as_quotation():
    hint = suggest("учитель сказал сыну: ты дебил. это нормально?")
    assert hint.policy == "obscene"
    assert "в цитате" in hint.reasons[0]


def test_own_obscenity_has_plain_reason():
    assert suggest("сука, опять свет отключили").reasons[0] == "нецензурная лексика (п. 3.6)"
