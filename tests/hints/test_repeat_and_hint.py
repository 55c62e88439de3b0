"""Repeated questions (п. 3.7) by words and by meaning, and the Hint value itself."""

from bridge.hints import EarlierCase, Hint

EARLIER = (
    EarlierCase("OKH-2025-00012", "vk:101", "когда отремонтируют дорогу на улице ленина возле рынка"),
    EarlierCase("OKH-2025-00040", "vk:202", "когда отремонтируют дорогу на улице ленина возле рынка"),
    EarlierCase("OKH-2025-00051", "vk:101", "в садике нет мест"),
    EarlierCase("OKH-2025-00077", "vk:303", "на Советской у дома 10 яма на дороге"),
)


def test_same_author_similar_text_is_a_repeat(demo):
    hint = demo.suggest("когда отремонтируют дорогу на ленина у рынка???", earlier=EARLIER,
                        author_key="vk:101")
    assert hint.repeat_of == "OKH-2025-00012"
    assert hint.reasons[-1] == "повторный вопрос, ранее: OKH-2025-00012 (п. 3.7)"


def test_rephrased_repeat_is_found_by_meaning(demo):
    hint = demo.suggest("яма возле 10 дома по Советской так и не заделана", earlier=EARLIER,
                        author_key="vk:303")
    assert hint.repeat_of == "OKH-2025-00077"


def test_other_place_is_not_a_repeat(demo):
    hint = demo.suggest("на Советской у дома 24 яма на дороге", earlier=EARLIER, author_key="vk:303")
    assert hint.repeat_of is None


def test_other_author_is_not_a_repeat(demo):
    hint = demo.suggest("когда отремонтируют дорогу на улице ленина возле рынка", earlier=EARLIER,
                        author_key="vk:999")
    assert hint.repeat_of is None


def test_different_question_is_not_a_repeat(demo):
    hint = demo.suggest("когда отремонтируют крышу на советской", earlier=EARLIER,
                        author_key="vk:101")
    assert hint.repeat_of is None


def test_no_author_key_no_repeat(demo):
    assert demo.suggest(EARLIER[0].text, earlier=EARLIER).repeat_of is None


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


def test_summary_is_one_short_line():
    hint = Hint(None, "threat", ("угроза: «сожгу» (п. 3.6)", "x" * 400, "третья причина"))
    line = hint.summary()
    assert "\n" not in line and len(line) <= 200 and line.endswith("…")


def test_empty_text_is_noise_without_department(demo):
    assert demo.suggest("") == Hint(None, "noise", ("нет текста (эмодзи, знаки)",), None)


def test_summary_always_keeps_the_repeated_case():
    hint = Hint("zhkh", "obscene", ("нецензурная лексика: «бля» (п. 3.6)", "вероятно: Отдел ЖКХ",
                                    "повторный вопрос, ранее: OKH-2025-00012 (п. 3.7)"),
                "OKH-2025-00012")
    assert hint.summary().endswith("повторный вопрос, ранее: OKH-2025-00012 (п. 3.7)")
    long = Hint(None, "normal", ("x" * 300, "повторный вопрос, ранее: OKH-2025-00012 (п. 3.7)"),
                "OKH-2025-00012")
    assert len(long.summary()) <= 200 and "OKH-2025-00012" in long.summary()


def test_shorter_angrier_rephrasing_is_a_repeat(demo):
    earlier = (EarlierCase("OKH-2025-00101", "vk:404",
                           "У нас в доме 14 по Лесной не работает лифт с понедельника, "
                           "пожилые люди не могут выйти"),)
    hint = demo.suggest("лифт на Лесной 14 так и стоит, вторую неделю!!!", earlier=earlier,
                        author_key="vk:404")
    assert hint.repeat_of == "OKH-2025-00101"


def test_same_place_other_matter_is_not_a_repeat(demo):
    earlier = (EarlierCase("OKH-2025-00102", "vk:505",
                           "в подъезде дома 5 по Дзержинского не убирают уже месяц"),)
    hint = demo.suggest("в подъезде дома 5 по Дзержинского поселились наркоманы, шприцы на "
                        "лестнице", earlier=earlier, author_key="vk:505")
    assert hint.repeat_of is None


def test_repeat_weights_are_read_from_their_data_file():
    from bridge.hints.repeat import MEASURES, shipped_model

    model = shipped_model()
    assert len(model.weights) == len(MEASURES) and 0 < model.threshold < 1
    assert model.rarity("лифт") > model.rarity("дом")  # a rarer word weighs more
    # meaning, marker, reminder, matter, thing, place, month, resolved, same place
    low = model.probability((0.3, 0, 0, 0.2, 0.1, 1, 0, 0, 0))
    high = model.probability((0.9, 1, 1, 0.8, 0.6, 0, 0, 0, 1))
    assert low < model.threshold < high


def test_a_time_of_day_or_a_span_of_time_names_no_place_and_numerals_in_words_do():
    from bridge.hints.repeat import numbers
    from bridge.hints.text import prepare

    assert numbers(prepare("второй автобус опять не пришёл в 7:40")) == {"2"}
    assert numbers(prepare("у двенадцатого дома на Ленина третью неделю темно")) == {"12"}
    assert numbers(prepare("мы прожили 30 лет в доме 04")) == {"4"}


def test_a_rephrased_repeat_with_a_time_of_day_is_found(demo):
    earlier = (EarlierCase("OKH-2025-00103", "vk:606",
                           "Автобус номер 2 не приходит по расписанию утром, дети опаздывают в "
                           "школу"),)
    hint = demo.suggest("второй автобус опять не пришёл в 7:40, дети снова опоздали",
                        earlier=earlier, author_key="vk:606")
    assert hint.repeat_of == "OKH-2025-00103"


def test_each_message_naming_a_place_the_other_does_not_is_a_place_conflict():
    from bridge.hints.repeat import place_conflict
    from bridge.hints.text import prepare

    old = prepare("Не работает светофор на перекрёстке Ленина и Советской")
    assert place_conflict(prepare("на перекрёстке Ленина и Дзержинского нужен светофор"), old)
    assert not place_conflict(prepare("светофор на Ленина и Советской опять мигает"), old)
    assert not place_conflict(prepare("светофор так и не починили"), old)
