"""The п. 3.7 explanation a citizen gets: the standard text (mailer/texts.py, templates/texts/)
naming the body competent for the question, from the directory of external bodies in config.

The body is the one the hint named in «Подсказка» (bridge/hints chose it with its BodyIndex);
when the hint named none (the operator judged the question foreign, the hint did not), the same
BodyIndex is asked about the message. When no body of the directory fits, the text names none:
naming the first body of the directory would send a tax question to the Social Fund.
"""

from __future__ import annotations

from functools import lru_cache

from bridge.config import Config, ExternalBody
from bridge.core.model import Basis, Case
from mailer.texts import explanation_for


def explanation_text(case: Case, basis: str, config: Config, store) -> str:
    """The standard explanation for the reason code `basis` (decision «Разъяснение»)."""
    body = competent_body(case, config) if basis == Basis.OUT_OF_COMPETENCE else None
    return explanation_for(case, basis, config, store, body=body)


def competent_body(case: Case, config: Config) -> ExternalBody | None:
    return named_in_hint(case.hint, config.external_bodies) or _found_by_index(case.text, config.external_bodies)


def named_in_hint(hint: str, bodies: tuple[ExternalBody, ...]) -> ExternalBody | None:
    """The body whose full name the hint shows. The longest name wins: «ОМВД России по …» is
    part of «ОГИБДД ОМВД России по …», and the hint that named the traffic police meant it."""
    named = [body for body in bodies if body.name and body.name in (hint or "")]
    return max(named, key=lambda body: len(body.name)) if named else None


def _found_by_index(text: str, bodies: tuple[ExternalBody, ...]) -> ExternalBody | None:
    try:
        from bridge.hints.reasons import competence_field
        from bridge.hints.text import prepare
    except ImportError:          # hints are optional (bridge/app.py): then only the hint's name counts
        return None
    message = prepare(text or "")
    found = _index(bodies).find(message, competence_field(message))
    return next((body for body in bodies if found is not None and body.name == found.name), None)


@lru_cache(maxsize=4)
def _index(bodies: tuple[ExternalBody, ...]):
    from bridge.hints.bodies import BodyIndex, ExternalBody as Known
    return BodyIndex.build([Known(body.name, body.competence, body.code) for body in bodies])
