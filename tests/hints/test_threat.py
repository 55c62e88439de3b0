"""п. 3.6 threats: explicit, conditional and veiled ones; danger words that threaten nobody."""

import pytest


@pytest.mark.parametrize(
    "text",
    [
        "я вас всех убью",
        "уб.ью всех",  # split by a dot to dodge a filter
        "ya vas vseh ub'yu",  # transliterated
        "если не дадут воду, сожгу вашу контору",
        "знаю где ты живешь, начальник",
        "встречу главу — ноги переломаю",
        "приду с топором, раз по-хорошему не понимаете",
        "ходи оглядывайся, глава",
        "вы у меня кровью умоетесь",
    ],
)
def test_explicit_and_conditional_threats_are_strong_rules(demo, text):
    hint = demo.suggest(text)
    assert hint.policy == "threat"
    assert hint.reasons[0].startswith("угроза: «")
    assert hint.department is None  # not processed (п. 3.6): nothing to route


@pytest.mark.parametrize(
    "text",
    [
        "эта яма на Советской скоро кого-нибудь убьёт, заделайте",
        "сосулька с крыши чуть не убила ребенка",
        "убью полдня, чтобы доехать до центра на вашем автобусе",
        "вчера сгорел сарай у гаражей, пожарные ехали 40 минут",
        "батарея просто убитая, течёт, замените",
        "у меня чуть колесо не оторвало на этой яме",
    ],
)
def test_danger_words_are_no_threat(demo, text):
    assert demo.suggest(text).policy != "threat"


def test_quoted_threat_is_a_report(demo):
    hint = demo.suggest("сосед кричит: «убью тебя!», что делать, полиция не едет")
    assert hint.policy != "threat"
    assert any("угроза в цитате" in reason for reason in hint.reasons)


def test_model_explains_a_veiled_threat_in_one_line(demo):
    hint = demo.suggest("у директора школы двое детей, пусть подумает, прежде чем выгонять моего")
    if hint.policy == "threat" and hint.reasons[0].startswith("похоже"):
        assert hint.reasons[0].startswith("похоже на угрозу")
    assert "\n" not in hint.summary()
