"""Routing by keywords with Russian morphology, and the phrase language of the lists."""

import pytest

from bridge.hints import DEFAULT_ROUTING, suggest
from bridge.hints.phrases import compile_phrase
from bridge.hints.text import prepare


@pytest.mark.parametrize(
    "text",
    ["нет отопления", "с отоплением беда", "отопление отключили", "батареи холодные",
     "батарея не греет"],
)
def test_word_forms_route_to_zhkh(text):
    assert suggest(text).department == "zhkh"


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
        ("на сайте не работает раздел", "oso"),
    ],
)
def test_each_demo_department(text, department):
    assert suggest(text).department == department


def test_nothing_matches_means_no_department():
    assert suggest("как у вас дела").department is None


def test_reason_names_the_department_and_words():
    hint = suggest("нет отопления, батареи ледяные")
    assert hint.reasons == ("вероятно: Отдел ЖКХ (отопления, батареи)",)


def test_configured_routing_replaces_the_default():
    routing = {"parks": ["сквер", "лавочк*"], "zhkh": ["отопление"]}
    assert suggest("в сквере сломаны лавочки", routing=routing).department == "parks"
    hint = suggest("в сквере сломаны лавочки", routing=routing)
    assert hint.reasons == ("вероятно: parks (сквере, лавочки)",)


def test_more_matched_words_win():
    routing = {"a": ["вода"], "b": ["школ*", "класс*"]}
    assert suggest("вода в школе, в классе потоп", routing=routing).department == "b"


def test_default_routing_covers_the_demo_codes():
    assert set(DEFAULT_ROUTING) == {
        "zhkh", "dorogi", "obrazovanie", "kumi", "arhitektura", "gochs", "kultura",
        "ekonomika", "socpolitika", "oso",
    }


@pytest.mark.parametrize(
    ("phrase", "text", "found"),
    [
        ("отопление", "без отоплением", True),  # stem
        ("батаре*", "батареи", True),  # prefix
        ("=убью", "убило", False),  # exact form
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
