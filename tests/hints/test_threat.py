"""п. 3.6 threats: explicit, conditional and veiled ones; danger words that threaten nobody."""

import pytest

from bridge.hints.harm import check_threat
from bridge.hints.text import prepare


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


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("Если и в этот раз трубу не поменяете, то не обижайтесь", "threat_form:condition"),
        ("только попробуйте снести мой гараж", "threat_form:condition"),
        ("ещё раз откажете — пожалеете", "threat_form:condition"),
        ("крысиный яд в пирожке не видно", "threat_cues:poison"),
        ("готовьте венки, господа чиновники", "threat_cues:funeral"),
        ("у вас ведь тоже дети есть", "threat_cues:family+addressed"),
    ],
)
def test_the_form_and_allusions_of_a_threat_are_findings(text, flag):
    assert flag in check_threat(prepare(text)).flags


@pytest.mark.parametrize("text", ["если пособие не назначат, нам нечего будет есть",
                                  "ещё раз прошу ответить", "если можно, ответьте письменно"])
def test_a_request_or_a_plea_is_no_condition_put(text):
    assert "threat_form:condition" not in check_threat(prepare(text)).flags


@pytest.mark.parametrize("text", ["отравлю вашу собаку", "подстрелю как куропатку", "зарублю"])
def test_harm_verbs_found_by_meaning_are_strong(text):
    verdict = check_threat(prepare(text))
    assert verdict.applies and verdict.strong


@pytest.mark.parametrize("text", ["отравились в школьной столовой", "оболью себя бензином у "
                                  "администрации, раз никто не слышит", "объявлю голодовку"])
def test_harm_to_oneself_or_by_accident_is_no_strong_threat(text):
    assert not check_threat(prepare(text)).strong


def test_a_threat_retold_without_quotation_marks_is_a_report():
    verdict = check_threat(prepare("слесарь сказал, что если я ещё раз позвоню, он мне голову "
                                   "оторвёт. разберитесь с таким сотрудником"))
    assert not verdict.applies and "threat_quoted" in verdict.flags
    own = check_threat(prepare("мне сказали, что вы отказали, так я вам голову оторву"))
    assert own.applies and own.strong


@pytest.mark.parametrize("text", ["я приеду на личный приём с монтировкой вместо заявления",
                                  "нагряну к вам с канистрой бензина", "приеду со стрельбой"])
def test_coming_with_a_weapon_or_fire_is_a_threat(text):
    verdict = check_threat(prepare(text))
    assert verdict.applies and verdict.strong


@pytest.mark.parametrize("text", ["зайду в магазин за спичками", "приеду на стрельбище в "
                                  "субботу, где записаться", "приду к вам с документами",
                                  "сосед сказал, что придёт с топором"])
def test_coming_for_matches_or_to_a_range_is_no_threat(text):
    assert not check_threat(prepare(text)).applies


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("вашу дачу спалят, и никто не найдёт", "threat_form:aimed"),
        ("ваш кабинет однажды сгорит", "threat_form:aimed"),
        ("а вы не боитесь ходить вечером одна?", "threat_form:fear"),
        ("вам не страшно за свою машину?", "threat_form:fear"),
        ("чтоб у вас дача сгорела", "threat_form:wish"),
        ("кто-нибудь вас однажды встретит у подъезда", "threat_form:forecast"),
    ],
)
def test_threat_forms_without_a_threat_word_are_findings(text, flag):
    """Session 6: harm aimed at the addressee, a question of fear, a wish, a forecast."""
    verdict = check_threat(prepare(text))
    assert flag in verdict.flags and "danger" not in verdict.flags


@pytest.mark.parametrize(
    "text",
    ["проводка горит, скоро весь дом сгорит, сделайте ремонт",
     "сосед кричит, что подожжёт мой дом, куда обращаться?",
     "а вы не боитесь, что дети провалятся в открытый люк?",
     "а вы не боитесь ответственности за невывоз мусора?",
     "кто-нибудь вам обязательно расскажет, как мы живём"],
)
def test_own_dangers_retold_threats_and_lawful_fears_show_no_threat_form(text):
    flags = check_threat(prepare(text)).flags
    assert not [flag for flag in flags if flag in (
        "threat_form:aimed", "threat_form:fear", "threat_form:wish", "threat_form:forecast")]


def test_a_danger_aimed_at_the_addressee_is_no_reported_danger():
    assert "danger" in check_threat(prepare("на переходе кого-нибудь задавят")).flags
    assert "danger" not in check_threat(prepare("кто-нибудь вас подкараулит")).flags


def test_training_reads_set_v9_and_measures_transfer_on_it():
    from bridge.hints.training import CORPUS, EXTRAS, transfer_parts

    assert CORPUS / "training_v9" in EXTRAS
    older, newest = transfer_parts(CORPUS / "training_v9")
    assert len(newest) >= 450
    assert sum(row.policy == "threat" for row in newest) >= 150
    assert sum(row.policy == "normal" for row in newest) >= 120
    assert not {row.text for row in older} & {row.text for row in newest}
