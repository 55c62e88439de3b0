"""The п. 3.7 explanation the citizen finally reads names the body competent for the question —
the one the hint found in the config directory `[[external_bodies]]` — or no body at all.

Before: a question no body's competence words matched literally got the first body of the
directory (a tax question was sent to the Social Fund), and a hint naming «ОГИБДД ОМВД России …»
gave the police (its name «ОМВД России …» is part of the other). Entered through the doors: a
citizen's VK comment, the operator's «Разъяснение» / «вне компетенции» and «Опубликовать» in the
workbook; asserted on the comment the VK stand-in received.
"""

from __future__ import annotations

import dataclasses

import pytest

from bridge.app import build_app
from tests.e2e_channels.conftest import Stand

SOCIAL_FUND = "Отделение Социального фонда России по Сахалинской области"


def explained(stand: Stand, question: str, user: int) -> str:
    """The citizen asks under a post; the operator explains by template and publishes."""
    stand.vk.add_user(user, "Анна", "Смирнова")
    stand.vk.post_wall_comment(10, user, question)
    stand.cycle()
    case = stand.case_with(question)
    stand.operator(case.id, Основание="вне компетенции", Решение_оператора="Разъяснение")
    stand.cycle()
    assert stand.app.store.get(case.id).status == "answered"       # template suffices: to review
    stand.operator(case.id, Решение_оператора="Опубликовать")
    stand.cycle()
    [comment] = [p for p in stand.vk.published if p.get("method") == "wall.createComment"]
    return comment["message"]


@pytest.mark.parametrize("question, body", [
    ("Как получить налоговый вычет за лечение? Куда обращаться?", "УФНС России по Сахалинской области"),
    ("Когда поменяют водительские права, куда идти?", "ОГИБДД ОМВД России по городскому округу «Охинский»"),
], ids=["tax", "driving-licence"])
def test_the_explanation_names_the_matching_body(stand, question, body):
    text = explained(stand, question, 31)
    assert f"Его решение входит в полномочия: {body}" in text
    assert SOCIAL_FUND not in text


def test_no_body_of_the_directory_fits_then_none_is_named(stand):
    """The directory comes from config: here it holds the registry office (ЗАГС) only."""
    config = stand.app.config
    zags = tuple(b for b in config.external_bodies if b.code == "zags")
    stand.app.mailbox.close()
    stand.app.store.close()
    stand.app = build_app(dataclasses.replace(config, external_bodies=zags))
    text = explained(stand, "Как получить налоговый вычет за лечение? Куда обращаться?", 32)
    assert "не относится к компетенции органов местного самоуправления" in text
    assert "Его решение входит в полномочия федеральных или региональных органов власти" in text
    assert zags[0].name not in text and SOCIAL_FUND not in text
