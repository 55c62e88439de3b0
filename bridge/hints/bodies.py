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
    """The configured bodies, each with the lemmas and meaning of its competence; ``own`` are the
    lemmas of the bodies' competences that no municipal department names (``distinctive``)."""

    bodies: list[tuple[ExternalBody, frozenset[str], np.ndarray]]
    own: frozenset[str] = frozenset()
    competences: np.ndarray | None = None  # (bodies, dimensions): the competences' meaning

    @classmethod
    def build(cls, bodies: Iterable[ExternalBody], municipal: frozenset[str] = frozenset()
              ) -> BodyIndex:
        """Index BODIES; MUNICIPAL are the lemmas the municipality's departments use."""
        entries, own, competences = [], set(), []
        for body in bodies:
            message = prepare(f"{body.competence} {body.name}")
            content = frozenset(message.lemmas[i] for i in message.content)
            entries.append((body, content, message.vector))
            competence = prepare(body.competence)
            own |= {competence.lemmas[i] for i in competence.content
                    if len(competence.words[i]) > 2}
            if competence.vector.any():
                competences.append(competence.vector)
        matrix = np.array(competences, dtype=np.float32) if competences else None
        return cls(entries, frozenset(own - municipal), matrix)

    def names_a_field(self, message: Message) -> bool:
        """True when MESSAGE uses a word only the external bodies' competences use."""
        return not self.own.isdisjoint(message.lemmas[i] for i in message.content)

    def closeness(self, message: Message) -> float:
        """The cosine of MESSAGE to the nearest body's competence (0 without bodies)."""
        if self.competences is None or not message.vector.any():
            return 0.0
        return float(np.einsum("ij,j->i", self.competences, message.vector).max())

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
