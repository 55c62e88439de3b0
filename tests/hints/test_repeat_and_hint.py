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
    assert hint.reasons[-1].startswith("повторный вопрос, ранее: OKH-2025-00012 (п. 3.7) — снова «")


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


def test_the_hint_names_the_thing_both_messages_are_about(demo):
    earlier = (EarlierCase("OKH-2025-00104", "vk:707",
                           "Прошу починить качели на детской площадке возле дома 21 по "
                           "Ломоносова"),)
    hint = demo.suggest("прикладываю фото: сиденье качелей на Ломоносова 21 висит на одной цепи. "
                        "детям так качаться? я уже писала", earlier=earlier, author_key="vk:707")
    assert hint.repeat_of == "OKH-2025-00104"
    assert hint.reasons[-1] == "повторный вопрос, ранее: OKH-2025-00104 (п. 3.7) — снова «качели»"
    assert hint.summary().endswith("— снова «качели»") and len(hint.summary()) <= 200


def test_a_day_of_a_month_names_no_place_and_other_months_conflict():
    from bridge.hints.repeat import month_conflict, numbers
    from bridge.hints.text import prepare

    assert numbers(prepare("заявка на пандус с 15 сентября лежит, дом 31")) == {"31"}
    assert numbers(prepare("обращение от 14 октября про дорогу у 25 дома")) == {"25"}
    november = prepare("прошу перерасчёт за отопление за ноябрь")
    assert month_conflict(prepare("прошу перерасчёт за отопление за февраль"), november)
    assert not month_conflict(prepare("перерасчёт за ноябрь так и не сделали"), november)
    assert not month_conflict(prepare("перерасчёт так и не сделали"), november)


def test_a_reminder_is_read_by_the_verbs_tense_and_person():
    from bridge.hints.repeat import reminder
    from bridge.hints.text import prepare

    for text in ("я писала 10 дней назад", "мы же просили", "вы обещали летом",
                 "пишу уже третий раз", "с весны жду", "вы там моё заявление потеряли?",
                 "обращение от 14 октября — результата ноль", "ответьте уже людям"):
        assert reminder(prepare(text)), text
    for text in ("прошу починить качели", "как подать заявку на участок?",
                 "мне не писали ничего", "когда откроют библиотеку?"):
        assert not reminder(prepare(text)), text


def test_a_thank_you_for_a_done_deed_is_a_follow_up_not_a_repeat(demo):
    from bridge.hints.repeat import resolved
    from bridge.hints.text import prepare

    assert resolved(prepare("библиотеку открыли, спасибо! а будет ли там клуб?"))
    assert not resolved(prepare("спасибо большое за заботу, воды так и нет"))
    assert not resolved(prepare("спасибо, но так и не починили"))
    earlier = (EarlierCase("OKH-2025-00105", "vk:808", "Сломаны перила на мосту через Кадыланьи"),)
    hint = demo.suggest("перила на мосту починили, спасибо! А когда уберут старые сваи из русла "
                        "Кадыланьи?", earlier=earlier, author_key="vk:808")
    assert hint.repeat_of is None


def test_misspelt_and_derived_words_count_as_shared():
    from bridge.hints.morph import letter_like

    assert letter_like("лесница", "лестница") and letter_like("цинтральный", "центральный")
    assert letter_like("математичка", "математика") and letter_like("обработать", "обработка")
    assert not letter_like("квартира", "квартал") and not letter_like("дом", "дым")
    assert not letter_like("подвал", "подъезд") and not letter_like("улица", "улика")


def test_a_quoted_name_is_a_place_and_a_place_in_another_case_is_no_conflict():
    from bridge.hints.repeat import place_conflict, place_words
    from bridge.hints.text import prepare

    assert "рассвет" in place_words(prepare("от магазина «Рассвет» до автостанции темно"))
    old = prepare("Не работает освещение в посёлке Тунгор по улице Центральной")
    assert not place_conflict(prepare("на цинтральной в тунгоре темно, Тунгор забыт"), old)


def test_a_set_of_repeat_pairs_only_is_read_for_repeats_and_not_for_messages():
    from bridge.hints import training

    v12, v19 = training.CORPUS / "training_v12", training.CORPUS / "training_v19"
    sets = dict(training.training_sets())
    assert sets[v12] == [] and sets[v19] == [] and training.NEWEST not in (v12, v19)
    assert training.NEWEST_PAIRS == v19  # the newest set of pairs
    pairs = dict(training.pair_sets())
    assert len(pairs[v12]) >= 220 and sum(p.repeat for p in pairs[v12]) >= 130
    assert sum(not p.repeat for p in pairs[v12]) >= 90
    assert len(pairs[v19]) >= 200 and sum(not p.repeat for p in pairs[v19]) >= 110


def test_a_flood_of_words_or_one_endless_word_is_compared_within_bounds(demo):
    from bridge.hints.morph import letter_like
    from bridge.hints.repeat import MAX_WORDS, content_vectors
    from bridge.hints.text import prepare

    flood = " ".join(f"слово{'а' * (i % 7)}{chr(0x430 + i % 32)}{chr(0x430 + i // 32 % 32)}"
                     for i in range(MAX_WORDS * 3))
    assert len(content_vectors(prepare(flood))) == MAX_WORDS
    assert not letter_like("а" * 20_000, "а" * 19_999)  # no edit distance of endless words
    earlier = (EarlierCase("OKH-2025-00106", "vk:909", "а" * 20_000 + " яма на Ленина"),
               EarlierCase("OKH-2025-00107", "vk:909", ""),
               EarlierCase("OKH-2025-00108", "vk:909", None))
    hint = demo.suggest("\ud800 яма на Ленина \x00 " + "б" * 20_000, earlier=earlier,
                        author_key="vk:909")
    assert hint.repeat_of in (None, "OKH-2025-00106")
