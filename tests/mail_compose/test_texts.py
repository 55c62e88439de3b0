"""Texts for citizens (п. 3.7, 3.8) and the optional parts of the mail templates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import jinja2
import pytest

from mailer.compose import REASON_LABELS, compose, render_text

from .samples import CASE, FROM, HOST, NOW, TZ

BODY = {"name": "Прокуратура Охинского района", "competence": "надзор за законностью"}


def plain_of(template, case=CASE, **context):
    msg = compose(template, case=case, to=["zhkh@adm.sakhalin.ru"], from_addr=FROM, host=HOST,
                  tz=TZ, context=context, date=NOW)
    return msg.get_body(("plain",)).get_content()


def test_out_of_competence_names_the_body_and_skips_what_is_missing():
    text = render_text("explanation_out_of_competence", body=BODY)
    assert "Прокуратура Охинского района (надзор за законностью)" in text
    assert "Адрес:" not in text and "Сайт:" not in text


def test_repeat_names_the_earlier_case_and_its_date():
    text = render_text("explanation_repeat", earlier_case_id="OKH-2026-00012",
                       earlier_date=date(2026, 3, 3), earlier_link="https://vk.com/wall-1_5")
    assert "№ OKH-2026-00012 от 03.03.2026): https://vk.com/wall-1_5" in text


def test_consent_request_asks_for_yes_under_59_fz():
    text = render_text("consent_request")
    assert "ответьте на это сообщение одним словом: «Да»" in text
    assert "№ 59-ФЗ «О порядке рассмотрения обращений граждан Российской Федерации»" in text


@pytest.mark.parametrize("name", ["explanation_bypass_law", "explanation_court_appeal",
                                  "consent_request"])
def test_greeting_uses_a_clean_author_name_and_paragraphs_stay_whole(name):
    text = render_text(name, author_name="Ирина\r\nСоколова", signature="Администрация")
    assert text.startswith("Здравствуйте, Ирина Соколова!\n\n")
    assert text.endswith("\n\nАдминистрация\n")
    assert "\n\n\n" not in text


def test_missing_required_context_fails_loudly():
    with pytest.raises(jinja2.UndefinedError):
        render_text("explanation_repeat", earlier_case_id="OKH-2026-00012")
    with pytest.raises(jinja2.UndefinedError):
        plain_of("overdue")                       # "now" is required


@pytest.mark.parametrize("reason", sorted(REASON_LABELS))
def test_explanation_mail_names_the_reason(reason):
    plain = plain_of("explanation", reason=reason)
    assert f"Основание: {REASON_LABELS[reason]}." in plain
    assert "В разъяснении" in plain
    assert "Проект разъяснения" not in plain        # no draft given


def test_reminder_prefers_the_callers_working_time_left():
    assert "Осталось 2 часа рабочего времени." in plain_of(
        "reminder", now=NOW, time_left="2 часа рабочего времени")
    assert "Осталось 1 час 30 минут." in plain_of(
        "reminder", case=replace(CASE, deadline=NOW + timedelta(minutes=90)), now=NOW)


def test_new_case_without_deadline_and_without_text():
    plain = plain_of("new_case", case=replace(CASE, deadline=None, text=""))
    assert "Ответить до" not in plain
    assert "(без текста, только вложения)" in plain


def test_empty_digest_says_there_is_nothing_to_do():
    msg = compose("digest", case=None, to=["oso@adm.sakhalin.ru"], from_addr=FROM, host=HOST,
                  tz=TZ, context={"now": NOW}, date=NOW)
    assert msg["Subject"] == "Отклик: сводка для оператора на 27.11.2026"
    assert "Сегодня нет дел, требующих внимания." in msg.get_body(("plain",)).get_content()
