"""Routing from the departments the caller configures (names, descriptions, keywords)."""

import pytest

from bridge.hints import Department, Hinter
from bridge.hints.phrases import compile_phrase
from bridge.hints.reasons import check_out_of_competence
from bridge.hints.text import prepare


@pytest.mark.parametrize(
    "text",
    ["нет отопления", "с отоплением беда", "отопление отключили", "батареи холодные",
     "батарея не греет", "net otopleniya uzhe nedelyu"],
)
def test_word_forms_route_to_zhkh(demo, text):
    assert demo.suggest(text).department == "zhkh"


@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("яма на дороге у рынка", "dorogi"),
        ("в садике нет мест", "obrazovanie"),
        ("как приватизировать квартиру", "kumi"),
        ("разрешение на строительство дома", "arhitektura"),
        ("паводок ожидается?", "gochs"),
        ("в библиотеке нет книг", "kultura"),
        ("цены в магазине выросли", "ekonomika"),
        ("мы многодетные, положена помощь?", "socpolitika"),
        ("на сайте администрации не работает раздел", "oso"),
    ],
)
def test_each_demo_department(demo, text, department):
    assert demo.suggest(text).department == department


def test_nothing_matches_means_no_department(demo):
    assert demo.suggest("как у вас дела").department is None


def test_reason_names_the_configured_department_and_words(demo):
    hint = demo.suggest("нет отопления, батареи ледяные")
    assert hint.reasons == ("вероятно: Отдел ЖКХ (отопления, батареи)",)


def test_names_come_from_configuration_not_code():
    hinter = Hinter([Department("teplo", "Служба тепла", "", ("отопление", "батаре*"))])
    assert hinter.suggest("нет отопления").reasons == ("вероятно: Служба тепла (отопления)",)


def test_keywords_of_the_caller_route():
    hinter = Hinter([Department("parks", "Парки", "", ("сквер", "лавочк*")),
                     Department("water", "Вода", "", ("вода",))], model=None)
    hint = hinter.suggest("в сквере сломаны лавочки")
    assert hint.department == "parks"
    assert hint.reasons == ("вероятно: Парки (сквере, лавочки)",)


def test_a_new_municipality_routes_from_names_and_descriptions_alone():
    """No keywords, other codes: the description's words, its meaning and the topic model."""
    hinter = Hinter([
        Department("gkh", "Управление городского хозяйства",
                   "отопление, водоснабжение, управляющие компании, вывоз мусора"),
        Department("school", "Комитет по образованию", "школы, детские сады, учителя"),
        Department("sport", "Комитет по физической культуре и спорту",
                   "спортивные секции, стадионы, бассейны"),
    ])
    assert hinter.suggest("батареи ледяные третий день, управляйка молчит").department == "gkh"
    assert hinter.suggest("воспитательница в садике кричит на детей").department == "school"
    assert hinter.suggest("когда откроют бассейн после ремонта").department == "sport"


def test_foreign_department_takes_the_nearest_model_topic():
    hinter = Hinter([Department("edu", "Комитет по образованию", "школы, детские сады, учителя")])
    assert "obrazovanie" in hinter.router.profiles[0].topics


@pytest.mark.parametrize(
    ("phrase", "text", "found"),
    [
        ("отопление", "без отоплением", True),  # lemma
        ("батаре*", "батареи", True),  # prefix
        ("=убью", "убило", False),  # exact form
        ("~убить", "я тебя убью", True),  # generated first-person future
        ("~убить", "эта яма убьёт кого-нибудь", False),
        ("горячая вода", "горячей воды нет", True),  # consecutive words
        ("горячая вода", "вода горячая", False),
        ("знаю где ... жив*", "знаю где ты живешь", True),  # gap
        ("знаю где ... жив*", "знаю где он и его семья не живут", False),  # gap is at most 3
        ("обжал* & суд*", "суд решил, хочу обжаловать", True),  # both parts, any order
        ("обжал* & суд*", "хочу обжаловать штраф", False),
    ],
)
def test_phrase_language(phrase, text, found):
    assert bool(compile_phrase(phrase).find(prepare(text))) is found


def two_departments() -> Hinter:
    """Two departments whose codes are model topics (the topics' centroids are arbitrary)."""
    import numpy as np

    departments = [Department("a", "Служба дворов", "", ("двор",)),
                   Department("b", "Служба лестниц", "", ("лестница",))]
    hinter = Hinter(departments, model=None)
    from bridge.hints.routing import Router

    unit = np.zeros(300, dtype=np.float32)
    hinter.router = Router.build(departments, {"a": unit, "b": unit, "-": unit})
    return hinter


def test_one_keyword_does_not_outweigh_a_confident_topic_model():
    """A keyword counts half a topic certainty (chosen by fitting on the older training sets and
    measuring on set v5): «зебру у школы стёрли» is the streets' although it names a school."""
    router = two_departments().router
    guess = router.route(prepare("во дворе"), {"a": 0.1, "b": 0.9})
    assert guess.code == "b"
    assert router.route(prepare("во дворе"), {"a": 0.5, "b": 0.5}).code == "a"


def test_no_topic_needs_twice_the_best_score():
    """A message with some municipal topic is rather routed than left unrouted."""
    router = two_departments().router
    assert router.route(prepare("что-то"), {"-": 0.6, "b": 0.4}).code == "b"
    assert router.route(prepare("что-то"), {"-": 0.9, "b": 0.1}).code is None


def test_a_court_appeal_goes_to_no_department(demo):
    hint = demo.suggest("суд встал на сторону управляющей компании, я не согласна, помогите "
                        "обжаловать решение")
    assert (hint.policy, hint.department) == ("court_appeal", None)


def test_training_reads_set_v5_and_measures_transfer_on_it():
    from bridge.hints.training import CORPUS, EXTRAS, transfer_parts

    assert CORPUS / "training_v5" in EXTRAS
    older, newest = transfer_parts(CORPUS / "training_v5")
    assert len(newest) > 800
    assert not {row.text for row in older} & {row.text for row in newest}


def test_training_reads_set_v7_and_measures_transfer_on_it():
    from bridge.hints.training import CORPUS, EXTRAS, transfer_parts

    assert CORPUS / "training_v7" in EXTRAS
    older, newest = transfer_parts(CORPUS / "training_v7")
    assert len(newest) > 600
    assert not {row.text for row in older} & {row.text for row in newest}


# A federal body named as a place, as a source, or beside a request for what the municipality
# gives is no question out of competence: the rule steps aside and the message is routed.
@pytest.mark.parametrize(
    "text",
    ["у здания налоговой нет парковки и тротуар разбит",
     "около отдела полиции нет ни одного фонаря",
     "в налоговой сказали, что льготу по земле многодетным даёт решение совета округа",
     "участковый попросил поставить фонарь на переулке у магазина",
     "банк отказал в кредите на протез, есть ли у округа помощь инвалидам",
     "стою в муниципальной очереди на жильё, пенсионер МВД"],
)
def test_a_federal_body_mentioned_is_no_competence_rule(text):
    verdict = check_out_of_competence(prepare(text))
    assert not verdict.applies and verdict.flags == ("competence_mention",)


@pytest.mark.parametrize(
    "text",
    ["налоговая насчитала пени, хотя я всё оплатил",
     "участковый не принимает заявление о краже",
     "прокурор не ответил на моё заявление",
     "у меня украли кошелёк в автобусе",
     "в поликлинике номерки к терапевту разбирают за две минуты"],
)
def test_a_federal_body_asked_keeps_the_competence_rule(text):
    assert check_out_of_competence(prepare(text)).applies


@pytest.mark.parametrize(
    ("text", "department"),
    [("у здания суда нет парковки и тротуар разбит, люди ходят по грязи", "dorogi"),
     ("около отдела полиции нет ни одного фонаря, вечером люди спотыкаются", "dorogi"),
     ("в Соцфонде сказали, что дрова на зиму для одиноких пенсионеров даёт округ, куда подавать",
      "socpolitika")],
)
def test_a_municipal_request_naming_a_federal_body_is_routed(demo, text, department):
    hint = demo.suggest(text)
    assert hint.policy == "normal" and hint.department == department


@pytest.mark.parametrize(
    "text",
    ["я буду жаловаться в прокуратуру, если до зимы не сделаете отопление",
     "дворничиха уволилась, двор не метён месяц"],
)
def test_the_authors_next_step_or_a_worker_who_left_is_no_competence_rule(text):
    assert not check_out_of_competence(prepare(text)).applies


def test_a_worker_dismissed_keeps_the_competence_rule():
    assert check_out_of_competence(prepare("меня уволили без выходного пособия")).applies


def test_training_reads_set_v16_and_measures_transfer_on_it():
    from bridge.hints.training import CORPUS, EXTRAS, transfer_parts

    assert CORPUS / "training_v16" in EXTRAS
    older, newest = transfer_parts(CORPUS / "training_v16")
    assert len(newest) > 500
    assert not {row.text for row in older} & {row.text for row in newest}
