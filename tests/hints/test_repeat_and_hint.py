"""Repeated questions (п. 3.7) and the Hint value itself."""

from bridge.hints import EarlierCase, Hint, suggest
from bridge.hints.repeat import content_stems, similarity

EARLIER = (
    EarlierCase("OKH-2025-00012", "vk:101", "когда отремонтируют дорогу на улице ленина возле рынка"),
    EarlierCase("OKH-2025-00040", "vk:202", "когда отремонтируют дорогу на улице ленина возле рынка"),
    EarlierCase("OKH-2025-00051", "vk:101", "в садике нет мест"),
)


def test_same_author_similar_text_is_a_repeat():
    hint = suggest("когда отремонтируют дорогу на ленина у рынка???", earlier=EARLIER,
                   author_key="vk:101")
    assert hint.repeat_of == "OKH-2025-00012"
    assert hint.reasons[-1] == "повторный вопрос, ранее: OKH-2025-00012 (п. 3.7)"


def test_other_author_is_not_a_repeat():
    hint = suggest("когда отремонтируют дорогу на улице ленина возле рынка", earlier=EARLIER,
                   author_key="vk:303")
    assert hint.repeat_of is None


def test_different_question_is_not_a_repeat():
    hint = suggest("когда отремонтируют крышу на советской", earlier=EARLIER, author_key="vk:101")
    assert hint.repeat_of is None


def test_no_author_key_no_repeat():
    assert suggest(EARLIER[0].text, earlier=EARLIER).repeat_of is None


def test_similarity_is_jaccard_of_content_stems():
    first = content_stems("отопления нет в доме")
    second = content_stems("отопление в доме есть")
    assert first == {"отоплен", "дом"}
    assert similarity(first, second) == 1.0
    assert similarity(frozenset(), frozenset()) == 0.0


def test_to_json_and_summary():
    hint = Hint("zhkh", "normal", ("вероятно: Отдел ЖКХ (отопления)",), None)
    assert hint.to_json() == {
        "department": "zhkh",
        "policy": "normal",
        "reasons": ["вероятно: Отдел ЖКХ (отопления)"],
        "repeat_of": None,
    }
    assert hint.summary() == "обычное; вероятно: Отдел ЖКХ (отопления)"
    assert Hint(None, "noise", ()).summary() == "без ответа"


def test_empty_text_is_noise_without_department():
    assert suggest("") == Hint(None, "noise", ("нет текста (эмодзи, знаки)",), None)
