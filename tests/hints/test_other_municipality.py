"""Everything municipal comes from configuration: a municipality with other codes, names and
splits of the work, configured with names and descriptions only, gets sensible routing, and its
own directory of external bodies names who answers an out-of-competence question."""

from pathlib import Path

import pytest

from bridge.hints import Hinter
from bridge.hints.evaluation import demo_municipality

CONFIG = Path(__file__).with_name("other_municipality.toml")
MESSAGES = [
    ("батареи ледяные, в квартире +14, управляйка трубку не берёт", "gorhoz"),
    ("во дворе мусор не вывозят вторую неделю", "gorhoz"),
    ("на улице яма на яме, машину разбил", "gorhoz"),
    ("фонари на нашей улице не горят", "gorhoz"),
    ("в садике холодно, дети болеют", "edu"),
    ("сына не берут в первый класс рядом с домом", "edu"),
    ("как взять землю в аренду под огород", "zemlya"),
    ("наш барак аварийный, когда расселят", "zemlya"),
    ("почему закрыли библиотеку в микрорайоне", "sport"),
    ("секцию бокса закрыли, куда отдать ребёнка", "sport"),
    ("я одинокая пенсионерка, помогите с дровами на зиму", "social"),
    ("многодетной семье какая помощь положена", "social"),
]


@pytest.fixture(scope="module")
def other():
    return Hinter(*demo_municipality(CONFIG))


def test_routing_from_names_and_descriptions(other):
    right = [text for text, code in MESSAGES if other.suggest(text).department == code]
    assert len(right) >= len(MESSAGES) - 1, set(t for t, _ in MESSAGES) - set(right)


def test_reason_names_the_configured_department(other):
    hint = other.suggest("в садике холодно, дети болеют")
    assert any(reason.startswith("вероятно: Комитет образования") for reason in hint.reasons)


def test_out_of_competence_names_the_configured_body(other):
    hint = other.suggest("пенсию задерживают второй месяц, куда звонить")
    assert hint.policy == "out_of_competence" and hint.department is None
    assert "Пенсионный отдел Социального фонда" in hint.summary()
