"""п. 3.5 and 3.7 policies and the precedence table."""

import pytest

from bridge.hints import suggest
from bridge.hints.precedence import PRECEDENCE


@pytest.mark.parametrize(
    ("text", "policy", "reason"),
    [
        ("хочу обжаловать решение суда", "court_appeal", "обжалование судебного акта (п. 3.7)"),
        ("как подать апелляцию", "court_appeal", "обжалование судебного акта (п. 3.7)"),
        ("помогите получить квартиру без очереди", "bypass_law",
         "просьба в обход закона: «без очереди» (п. 3.7)"),
        ("оформите аренду задним числом", "bypass_law",
         "просьба в обход закона: «задним числом» (п. 3.7)"),
        ("можно ли построить баню без разрешения", "bypass_law",
         "просьба в обход закона: «можно & без разрешения» (п. 3.7)"),
        ("пенсию когда проиндексируют", "out_of_competence",
         "вне компетенции: Социальный фонд России (п. 3.7)"),
        ("полиция не приезжает", "out_of_competence", "вне компетенции: полиция (МВД) (п. 3.7)"),
        ("режим работы бассейна какой?", "informational", "информационный вопрос (п. 3.5)"),
        ("👍👍", "noise", "нет текста (эмодзи, знаки)"),
        ("спасибо большое!", "noise", "благодарность или поздравление, вопроса нет"),
        ("добрый вечер всем", "noise", "приветствие без вопроса"),
        ("заработок без вложений, пиши в лс", "noise", "похоже на рекламу или спам"),
    ],
)
def test_policy_and_reason(text, policy, reason):
    hint = suggest(text)
    assert hint.policy == policy
    assert hint.reasons[0] == reason


@pytest.mark.parametrize(
    "text",
    [
        "сосед строит гараж без разрешения, примите меры",  # a complaint, not a request
        "служебное жилье для врачей обещали, где оно",  # «врачей» is not a health question
        "водитель автобуса нахамил пенсионерке",  # «пенсионерке» is not «пенсия»
        "спасибо, а когда починят дорогу?",  # thanks with a question
        "здравствуйте, нет воды третий день",  # greeting with a problem
        "в магазине продают просроченное молоко",  # «продают» is not the spam «продаю»
        "договор социального найма как переоформить",  # «договор» is not «договоримся»
        "почему автобус не ходит",  # a complaint, not an informational question
    ],
)
def test_ordinary_messages_are_normal(text):
    assert suggest(text).policy == "normal"


def test_precedence_order_is_the_regulation_order():
    assert [policy for policy, _ in PRECEDENCE] == [
        "threat", "obscene", "court_appeal", "bypass_law", "out_of_competence",
        "informational", "noise",
    ]
    assert all(rule.name and rule.description for _, rule in PRECEDENCE)


def test_obscene_beats_out_of_competence_and_both_reasons_show():
    hint = suggest("пенсию когда дадут, бл*дь?")
    assert hint.policy == "obscene"
    assert hint.reasons == (
        "нецензурная лексика (п. 3.6)",
        "вне компетенции: Социальный фонд России (п. 3.7)",
    )


def test_court_appeal_beats_out_of_competence():
    assert suggest("хочу обжаловать решение суда, прокуратура молчит").policy == "court_appeal"


def test_informational_beats_noise():
    assert suggest("спасибо! а какой график вывоза мусора?").policy == "informational"


def test_out_of_competence_has_no_department():
    assert suggest("налог на машину пришел, управляющая компания").department is None
