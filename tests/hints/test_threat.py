"""п. 3.6 threats: first-person intent to harm, not misfortunes described by a citizen."""

import pytest

from bridge.hints import suggest


@pytest.mark.parametrize(
    "text",
    [
        "я тебя убью",
        "сожгу твою машину",
        "найду где живет твоя семья",
        "взорву администрацию",
        "знаю где ты живешь",
        "мэру не жить",
        "чтоб вы все сдохли",
        "вы кровью умоетесь",
    ],
)
def test_threat_is_flagged(text):
    assert suggest(text).policy == "threat"


@pytest.mark.parametrize(
    "text",
    [
        "убило ямой подвеску",
        "мороз убивает трубы",
        "чуть не убился на гололеде",
        "подростки сожгли мусорный бак",
        "сгорела проводка",
        "сосед говорит что убьет мою собаку",
        "так жить нельзя",
    ],
)
def test_misfortune_is_not_a_threat(text):
    assert suggest(text).policy != "threat"


def test_quoted_threat_is_a_note_not_a_verdict():
    hint = suggest("сосед кричит: я тебя убью. полиция не приезжает")
    assert hint.policy == "out_of_competence"
    assert hint.reasons[0] == "угроза в цитате: «убью» — вероятно, пересказ (п. 3.6)"


def test_threat_outranks_obscenity():
    hint = suggest("я тебя убью, сука")
    assert hint.policy == "threat"
    assert hint.reasons[:2] == ("угроза: «убью» (п. 3.6)", "нецензурная лексика (п. 3.6)")
