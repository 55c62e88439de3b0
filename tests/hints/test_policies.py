"""п. 3.5 and 3.7 policies, the external bodies of configuration, and the precedence table."""

import pytest

from bridge.hints import ExternalBody, Hinter
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
        ("режим работы бассейна какой?", "informational", "информационный вопрос (п. 3.5)"),
        ("👍👍", "noise", "нет текста (эмодзи, знаки)"),
        ("спасибо большое!", "noise", "благодарность или поздравление, вопроса нет"),
        ("заработок без вложений, пиши в лс", "noise", "похоже на рекламу или спам"),
    ],
)
def test_policy_and_reason(demo, text, policy, reason):
    hint = demo.suggest(text)
    assert hint.policy == policy
    assert hint.reasons[0] == reason


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("пенсию когда проиндексируют", "Отделение Социального фонда России по Сахалинской области"),
        ("полиция не приезжает на вызов", "ОМВД России по городскому округу «Охинский»"),
        ("налог на имущество пришёл огромный", "УФНС России по Сахалинской области"),
    ],
)
def test_out_of_competence_names_the_configured_body(demo, text, body):
    hint = demo.suggest(text)
    assert hint.policy == "out_of_competence"
    assert hint.reasons[0] == f"вне компетенции: {body} (п. 3.7)"
    assert hint.department is None


def test_bodies_come_from_the_caller():
    hinter = Hinter((), (ExternalBody("Пенсионная служба края", "пенсии, пособия"),))
    assert hinter.suggest("пенсию когда проиндексируют").reasons[0] == (
        "вне компетенции: Пенсионная служба края (п. 3.7)")
    bare = Hinter((), ())
    assert bare.suggest("пенсию когда проиндексируют").reasons[0] == (
        "вне компетенции: пенсии и пособия (п. 3.7)")


@pytest.mark.parametrize(
    "text",
    [
        "сосед строит гараж без разрешения, примите меры",  # a complaint, not a request
        "служебное жилье для врачей обещали, где оно",  # «врачей» is not a health question
        "водитель автобуса нахамил пенсионерке",  # «пенсионерке» is not «пенсия»
        "спасибо, а когда починят дорогу?",  # thanks with a question
        "здравствуйте, нет воды третий день",  # greeting with a problem
        "в магазине продают просроченное молоко",  # «продают» is not the spam «продаю»
        "почему автобус не ходит",  # a complaint, not an informational question
        "снежный занос, скорая не сможет проехать к посёлку",  # «скорая» is no health question here
        "суд обязал администрацию отремонтировать дорогу, когда исполните?",  # no appeal
    ],
)
def test_ordinary_messages_are_normal(demo, text):
    assert demo.suggest(text).policy == "normal"


def test_sarcastic_thanks_is_a_complaint(demo):
    hint = demo.suggest("Спасибо огромное управляющей компании за то, что мы третью неделю без горячей воды 👏")
    assert hint.policy == "normal"
    assert hint.department == "zhkh"


def test_precedence_order_is_the_regulation_order():
    assert [policy for policy, _ in PRECEDENCE] == [
        "threat", "obscene", "noise", "court_appeal", "bypass_law", "out_of_competence",
        "informational", "noise",
    ]
    assert all(rule.name and rule.description for _, rule in PRECEDENCE)


def test_obscene_beats_out_of_competence_and_both_reasons_show(demo):
    hint = demo.suggest("пенсию когда дадут, бл*дь?")
    assert hint.policy == "obscene"
    assert hint.reasons[0] == "нецензурная лексика: «блядь» (п. 3.6)"
    assert "вне компетенции: пенсии и пособия (п. 3.7)" in hint.reasons


def test_court_appeal_beats_out_of_competence(demo):
    assert demo.suggest("хочу обжаловать решение суда, прокуратура молчит").policy == "court_appeal"


def test_spam_beats_out_of_competence(demo):
    assert demo.suggest("кредит без отказа за 5 минут, звоните").policy == "noise"


def test_informational_beats_noise(demo):
    assert demo.suggest("спасибо! а какой график вывоза мусора?").policy == "informational"


def test_rules_alone_still_work(rules_only):
    assert rules_only.suggest("я вас убью").policy == "threat"
    assert rules_only.suggest("хочу обжаловать решение суда").policy == "court_appeal"
    assert rules_only.suggest("нет отопления, батареи ледяные").department == "zhkh"


def test_explanation_names_the_body_the_hint_named(demo):
    """The «вне компетенции» explanation takes the body the «Подсказка» named (bridge/steps/explanations.py)."""
    from datetime import datetime, timezone

    from bridge.config import load
    from bridge.core.model import Case
    from bridge.steps.explanations import competent_body

    config = load(None)
    text = "налог на имущество пришёл огромный, разберитесь"
    case = Case(id="OKH-2026-00001", channel="manual", external_id="", text=text,
                posted_at=datetime(2026, 3, 2, tzinfo=timezone.utc))
    case.hint = demo.suggest(text).summary()
    assert competent_body(case, config).name == "УФНС России по Сахалинской области"


def test_a_bypass_reason_shows_its_phrase_readably(demo):
    hint = demo.suggest("оформите справку, что я многодетная, хотя детей у меня двое")
    assert hint.policy == "bypass_law"
    assert "&" not in hint.summary() and "*" not in hint.summary()


@pytest.mark.parametrize("text", [
    "почему участок у реки выдали без торгов какой-то фирме? проверьте законность",
    "Мы многодетные, имеем ли право на участок вне очереди? какие документы нужны",
    "подрядчик положил асфальт без экспертизы, всё развалилось, примите меры",
])
def test_a_way_around_the_law_reported_or_asked_about_lawfully_is_no_bypass_request(rules_only,
                                                                                   text):
    # п. 3.7 «обход закона» is the author's own request; naming someone else's bypass, or asking
    # whether a right exists, is an ordinary message (the model may still overrule, see hint.py)
    assert rules_only.suggest(text).policy != "bypass_law"


def test_the_author_asking_for_the_same_way_around_is_a_bypass_request(rules_only):
    hint = rules_only.suggest("продайте мне участок у реки без торгов, я в долгу не останусь")
    assert hint.policy == "bypass_law"


@pytest.mark.parametrize(("text", "shown"), [
    ("приставы сняли с пенсии половину, я одна живу, верните как было", "«приставы», «верните»"),
    ("нас выселяют по решению из квартиры, остановите выселение", "«по решению», «остановите»"),
    ("мировой лишил прав зря, повлияйте", "«мировой», «повлияйте»"),
])
def test_a_court_appeal_without_the_word_court_is_found_by_its_structure(rules_only, text,
                                                                          shown):
    # п. 3.7 «обжалование судебных актов»: a court's or the bailiffs' act and a wish to undo it
    hint = rules_only.suggest(text)
    assert hint.policy == "court_appeal" and hint.department is None
    assert hint.reasons[0] == f"обжалование судебного акта: {shown} (п. 3.7)"


@pytest.mark.parametrize("text", [
    "суд обязал администрацию отремонтировать дорогу и вернуть деньги, когда исполните?",
    "дайте справку о составе семьи, нужна для суда",
    "в соцзащите отказали в пособии, как обжаловать их решение у вас",
])
def test_executing_a_court_decision_or_asking_for_a_document_is_no_court_appeal(rules_only,
                                                                                 text):
    from bridge.hints.reasons import check_court_appeal
    from bridge.hints.text import prepare

    # the rule does not apply, and it tells the model not to guess an appeal alone
    verdict = check_court_appeal(prepare(text))
    assert not verdict.applies and "court_against" in verdict.flags
    assert rules_only.suggest(text).policy != "court_appeal"


@pytest.mark.parametrize(("text", "shown"), [
    # the bailiffs' act named by its effect: an enforcement verb said of nobody, what it took
    ("с карты списали всю зарплату, верните хоть прожиточный минимум", "«карты списали», «верните»"),
    ("счёт заблокирован, там детские, разблокируйте", "«счет заблокирован», «разблокируйте»"),
    ("у отца изъяли трактор за чужой долг, отмените", "«изъяли трактор», «отмените»"),
    # the wish by structure: the ruling called unjust
    ("мировик дал пятнадцать суток ни за что, это же несправедливо", "«мировик», «несправедливо»"),
    ("мне запрет на выезд повесили, я не согласен", "«запрет на выезд», «не согласен»"),
])
def test_a_court_act_named_by_its_effect_and_a_wish_by_structure_are_an_appeal(rules_only,
                                                                               text, shown):
    hint = rules_only.suggest(text)
    assert hint.policy == "court_appeal"
    assert hint.reasons[0] == f"обжалование судебного акта: {shown} (п. 3.7)"


@pytest.mark.parametrize("text", [
    # someone named who took it, not the bailiffs: «мошенники сняли», «банк списал»
    "мошенники сняли деньги с карты, верните, полиция молчит",
    # a court ahead, or in a story, is no court's act
    "управляйка грозится подать в суд за долг, а считает неправильно, проверьте",
    "после суда с соседом подъезд так и не убрали, уберите",
    # a decision the author waits to see carried out
    "суд постановил, что УК должна заплатить за потоп, но деньги не выплачивают, повлияйте",
])
def test_an_enforcement_or_a_court_that_is_not_appealed_is_no_court_appeal(rules_only, text):
    from bridge.hints.reasons import check_court_appeal
    from bridge.hints.text import prepare

    assert not check_court_appeal(prepare(text)).applies
    assert rules_only.suggest(text).policy != "court_appeal"


def test_a_court_that_obliged_the_author_is_appealed_not_awaited(rules_only):
    # «меня обязали снести баню»: the author is obliged, so he appeals, he waits for nothing
    hint = rules_only.suggest("решением суда меня обязали снести баню, отмените это")
    assert hint.policy == "court_appeal"


@pytest.mark.parametrize("text", ["@Марина не слушайте его, надо было сразу идти к юристу",
                                  "Сергей, вы правы, я тоже так думаю",
                                  "[id123|Ольга], спасибо что подсказали"])
def test_a_reply_to_another_commenter_is_noise(rules_only, text):
    hint = rules_only.suggest(text)
    assert hint.policy == "noise"
    assert hint.reasons[0] == "ответ другому комментатору, вопроса нет"


def test_a_reply_that_asks_is_no_noise(rules_only):
    assert rules_only.suggest("@Марина а где вы узнали про график воды?").policy != "noise"


@pytest.mark.parametrize(("text", "fact"), [
    ("сколько стоит абонемент в спортзал?", True),
    ("подскажите, есть ли в садике группа с полутора лет?", True),
    ("сколько можно ждать, когда уберут мусор?", False),
    ("где мусоровоз? опять не приехал", False),
])
def test_a_question_for_a_fact_is_flagged_for_the_model(text, fact):
    from bridge.hints.rules import check_informational
    from bridge.hints.text import prepare

    assert ("fact_question" in check_informational(prepare(text)).flags) == fact


@pytest.mark.parametrize("text", ["отмените решение о закрытии школы в Тунгоре",
                                  "помогите пересмотреть очередь на квартиру, меня сдвинули",
                                  "как обжаловать решение комиссии об отказе в субсидии"])
def test_an_administrations_decision_is_no_court_appeal_even_for_the_model(demo, text):
    # п. 3.7 names court acts: with no court, judge, sentence or bailiffs named, the decision
    # to undo is the administration's, and the model may not call it an appeal alone
    assert demo.suggest(text).policy != "court_appeal"


@pytest.mark.parametrize("text", [
    "в подъезде, где живёт участковый, лампочки нет полгода",  # a «где» clause locates
    "в доме рядом с банком не вывозят мусор третий день",
    "после больницы у бабушки в квартире холодные батареи",
    "завуч говорит идите в полицию, а школа что делает?",  # someone else sends the author there
    "пенсионерке пересчитали квитанцию за отопление неверно",  # «пенсионерка» is not «пенсия»
])
def test_a_federal_body_as_a_mere_mention_leaves_competence_to_the_model(text):
    from bridge.hints.reasons import check_out_of_competence
    from bridge.hints.text import prepare

    verdict = check_out_of_competence(prepare(text))
    assert not verdict.applies
    assert "competence_mention" in verdict.flags or not verdict.flags


@pytest.mark.parametrize(("text", "field"), [
    ("где сделать прививку от клеща?", "здравоохранение"),  # «где» asks, opens no clause
    ("ответьте, почему закрыли роддом", "здравоохранение"),  # an imperative, not a report
    ("дознаватель не звонит, дело стоит третий месяц", "полиция"),
    ("к эндокринологу запись только на март", "здравоохранение"),
    ("на моё имя взяли микрозайм", "полиция"),
    ("декретные посчитали меньше в два раза", "пенсии и пособия"),
    ("поезд из Ногликов отменили", "железнодорожные перевозки"),
])
def test_federal_matters_named_by_what_the_person_lives_through(text, field):
    from bridge.hints.reasons import check_out_of_competence
    from bridge.hints.text import prepare

    assert check_out_of_competence(prepare(text)).reason == f"вне компетенции: {field} (п. 3.7)"


def test_a_trip_is_no_train():
    from bridge.hints.reasons import check_out_of_competence
    from bridge.hints.text import prepare

    assert not check_out_of_competence(prepare("помогите команде с поездкой на соревнования")).applies


def test_the_competence_rule_beside_a_departments_subject_needs_the_models_threshold(demo):
    # «налог» names a federal field, «горячая вода» a subject of the configured ЖКХ: whose matter
    # it is, the model tells at its own threshold; a bare federal matter needs only its agreement
    from bridge.hints.hint import RULE_AGREEMENT, THRESHOLDS
    from bridge.hints.text import prepare

    beside = prepare("налог плачу исправно, а горячей воды нет с мая")
    assert demo.agreement("out_of_competence", beside) == THRESHOLDS["out_of_competence"]
    assert demo.agreement("out_of_competence", prepare("дознаватель не звонит")) == RULE_AGREEMENT
    assert demo.agreement("court_appeal", beside) == RULE_AGREEMENT


@pytest.mark.parametrize(("text", "cue"), [
    ("оформите мне участок у озера как-нибудь, без всех этих торгов", "bypass_structure"),
    ("дайте сыну квартиру в порядке исключения, ждать мы не можем", "bypass_structure"),
    ("прошу не включать в акт мою перепланировку, пусть комиссия не смотрит", "bypass_structure"),
    ("напишите в акте, что сгорел дом, хотя сгорел сарай", "bypass_pretence"),
    ("разведусь с мужем на бумаге, а жить будем вместе, чтобы дали квартиру", "bypass_pretence"),
])
def test_a_request_around_a_procedure_is_found_by_its_structure(text, cue):
    # п. 3.7: the author asks for what a procedure gives or guards and names an exemption from
    # it, or asks to write down what is not so — without «без очереди» or «задним числом»
    from bridge.hints.reasons import bypass_cues
    from bridge.hints.text import prepare

    assert cue in bypass_cues(prepare(text))


@pytest.mark.parametrize("text", [
    "почему участок у реки отдали как-нибудь, без торгов? прошу проверить",
    "соседка получает пособие как одинокая мать, хотя муж с ней живёт, разберитесь",
    "участок у реки ушёл знакомому чиновника без торгов",
    "когда подойдёт наша очередь на квартиру? стоим с 2009 года",
])
def test_a_procedure_bypassed_by_someone_else_or_asked_about_has_no_structure_cue(text):
    from bridge.hints.reasons import bypass_structure
    from bridge.hints.text import prepare

    assert bypass_structure(prepare(text)) == ((), ())


def test_a_request_around_a_procedure_says_which_words_show_it(rules_only):
    # a weak verdict: the rule decides unless the model rules it out (hint.RULE_AGREEMENT)
    hint = rules_only.suggest("напишите в акте обследования, что сгорел дом, хотя сгорел сарай")
    assert hint.policy == "bypass_law"
    assert hint.reasons[0] == "похоже на просьбу в обход порядка: «напишите … хотя» (п. 3.7)"


@pytest.mark.parametrize("text", [
    "можно ли в порядке исключения, которое предусмотрено для ветеранов, получить участок?",
    "как-нибудь ответьте уже на мою заявку про отопление, я пенсионер",
    "сосед построил пристройку без разрешения, кто ему позволил?",
])
def test_a_lawful_look_alike_of_a_request_around_a_procedure_stays_ordinary(demo, text):
    assert demo.suggest(text).policy != "bypass_law"
