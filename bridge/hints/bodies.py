"""Find the external body competent for a question outside municipal competence (п. 3.7).

The directory of bodies comes from configuration (``[[external_bodies]]``: name and competence),
so the explanation can name who answers such questions («должностных лицах и органах, к чьей
компетенции отнесены поставленные в сообщении вопросы», п. 3.7). A body is chosen by the words
its competence shares with the message and with the field the rule recognised, then by meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from bridge.hints.text import Message, prepare

MIN_SIMILARITY = 0.45


@dataclass(frozen=True)
class ExternalBody:
    """A body outside the municipality: its name and what it is competent for."""

    name: str
    competence: str = ""
    code: str = ""


@dataclass
class BodyIndex:
    """The configured bodies, each with the lemmas and meaning of its competence."""

    bodies: list[tuple[ExternalBody, frozenset[str], np.ndarray]]

    @classmethod
    def build(cls, bodies: Iterable[ExternalBody]) -> BodyIndex:
        entries = []
        for body in bodies:
            message = prepare(f"{body.competence} {body.name}")
            content = frozenset(message.lemmas[i] for i in message.content)
            entries.append((body, content, message.vector))
        return cls(entries)

    def find(self, message: Message, field: str | None) -> ExternalBody | None:
        """The body whose competence best covers MESSAGE (and the recognised FIELD)."""
        if not self.bodies:
            return None
        wanted = set(message.lemmas[i] for i in message.content)
        vector = message.vector
        if field:
            field_message = prepare(field)
            wanted |= {field_message.lemmas[i] for i in field_message.content}
            vector = vector + field_message.vector
        best = max(self.bodies, key=lambda entry: (len(wanted & entry[1]),
                                                   float(vector @ entry[2])))
        if wanted & best[1]:
            return best[0]
        norm = float(np.linalg.norm(vector)) or 1.0
        return best[0] if float(vector @ best[2]) / norm >= MIN_SIMILARITY else None
