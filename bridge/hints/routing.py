"""Guess the department a message belongs to, from the departments the caller configures.

Every department comes from configuration (``[[departments]]``: code, name, optional
description, optional keywords) — nothing municipal is written here. Three kinds of evidence
are added up per department:

- its keywords (phrase language of ``phrases.py``; without keywords, the nouns of its name and
  description), per matched word of the message, at most three;
- the similarity of the message's meaning vector to the department's (name, description and
  keywords read as one text);
- the topic model's probabilities for the topics the department stands for: a department whose
  code is one of the model's topics takes it directly; every other topic goes to the configured
  department whose profile lies nearest the topic's centroid, when it lies near enough and
  clearly nearer than the next one — so another municipality, with other codes and other
  splits of the work, still gets the model's help.

The best department wins when its score clears ``MIN_SCORE`` and beats the model's «no topic»;
otherwise no department is suggested (the operator chooses).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable

import numpy as np

from bridge.hints.morph import pos
from bridge.hints.phrases import Phrase, compile_all
from bridge.hints.text import Message, prepare

NO_TOPIC = "-"
# Weights chosen by fitting on the older training sets and measuring on set v5 (written by other
# hands, «--transfer»): a keyword counts half a topic-model certainty (at 1.0, «зебру у школы» went
# to the schools and «бесплатный проезд в автобусе» to the buses against the model), and the
# model's «no topic» needs twice the best department's score — a message with a municipal topic is
# rather routed than left unrouted.
KEYWORD_WEIGHT = 0.5  # per matched keyword word, at most MAX_KEYWORDS of them
MAX_KEYWORDS = 3
SIMILARITY_WEIGHT = 1.0  # times (cosine − SIMILARITY_FLOOR), when above the floor
SIMILARITY_FLOOR = 0.25
TOPIC_WEIGHT = 1.0
MIN_SCORE = 0.2
NO_TOPIC_WEIGHT = 0.5  # the model's «no topic» wins when its probability times this beats the best
TOPIC_MATCH = 0.4  # cosine a department's profile needs to take over a model topic
TOPIC_MARGIN = 0.03  # ... and by how much it must be nearer than the next department


@dataclass(frozen=True)
class Department:
    """A department as the hints see it (from configuration)."""

    code: str
    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Routing:
    """The routing guess: a department (or None), its score and the words that decided."""

    department: Department | None
    score: float = 0.0
    words: tuple[str, ...] = ()

    @property
    def code(self) -> str | None:
        return self.department.code if self.department else None

    def reason(self) -> str | None:
        """The ledger phrase, e.g. «вероятно: Отдел ЖКХ (отопление, батареи)»."""
        if self.department is None:
            return None
        words = f" ({', '.join(self.words[:3])})" if self.words else ""
        return f"вероятно: {self.department.name}{words}"


def own_words(department: Department) -> tuple[str, ...]:
    """Keywords of a department configured without any: content words of its name and text."""
    message = prepare(f"{department.name} {department.description}")
    return tuple(dict.fromkeys(message.words[i] for i in message.content
                               if len(message.words[i]) > 3 and pos(message.words[i]) == "NOUN"))


def derived_keywords(departments: list[Department]) -> dict[str, tuple[str, ...]]:
    """Keywords for the departments configured without any: the phrases of the description
    («дома культуры», «вывоз мусора»: between commas, up to three words) and the nouns of name and
    description that no other department uses («дом» of «дома культуры» is also in «аварийных
    домов», «управление» in every name: neither tells one department from another)."""
    nouns = {d.code: own_words(d) for d in departments}
    users: dict[str, set[str]] = {}
    for code, words in nouns.items():
        for word in words:
            users.setdefault(lemma_of(word), set()).add(code)
    derived = {}
    for department in departments:
        if department.keywords:
            continue
        phrases = [part.strip() for part in department.description.replace(";", ",").split(",")
                   if 1 < len(part.split()) <= 3]
        single = [word for word in nouns[department.code] if len(users[lemma_of(word)]) == 1]
        derived[department.code] = tuple(dict.fromkeys(phrases + single))
    return derived


def lemma_of(word: str) -> str:
    return prepare(word).lemmas[0] if prepare(word).lemmas else word


@dataclass
class Profile:
    """A department compiled for routing."""

    department: Department
    phrases: tuple[Phrase, ...]
    vector: np.ndarray
    topics: frozenset[str] = frozenset()


@dataclass
class Router:
    """Routes messages among the configured departments (see the module docstring)."""

    profiles: list[Profile]
    model_topics: tuple[str, ...] = ()
    topic_index: dict = field(default_factory=dict)  # department code → topic column

    @classmethod
    def build(cls, departments: Iterable[Department], centroids: dict | None = None) -> Router:
        """Compile DEPARTMENTS; CENTROIDS (topic → vector) come from the model, if there is one."""
        departments = list(departments)
        derived = derived_keywords(departments)
        profiles = []
        for department in departments:
            keywords = department.keywords or derived[department.code]
            text = " ".join((department.name, department.description, *keywords))
            profiles.append(Profile(department, compile_all(keywords), prepare(text).vector))
        assign_topics(profiles, centroids or {})
        return cls(profiles, tuple(sorted(centroids or {})))

    def route(self, message: Message, topics: dict[str, float] | None = None) -> Routing:
        """Pick the department; TOPICS are the model's topic probabilities, if any."""
        topics = topics or {}
        best, best_score = None, 0.0
        for profile in self.profiles:
            score, words = self.score(profile, message, topics)
            if score > best_score:
                best, best_score, best_words = profile, score, words
        unrouted = NO_TOPIC_WEIGHT * topics.get(NO_TOPIC, 0.0)
        if best is None or best_score < MIN_SCORE or unrouted > best_score:
            return Routing(None)
        return Routing(best.department, best_score, best_words)

    def lemmas(self) -> frozenset[str]:
        """Every lemma the departments' names, descriptions and keywords use."""
        found: set[str] = set()
        for profile in self.profiles:
            department = profile.department
            text = prepare(" ".join((department.name, department.description,
                                     *department.keywords)))
            found |= {text.lemmas[i] for i in text.content}
        return frozenset(found)

    @cached_property
    def profile_vectors(self) -> np.ndarray | None:
        """The departments' profile vectors as one matrix (None without any)."""
        vectors = [profile.vector for profile in self.profiles if profile.vector.any()]
        return np.array(vectors, dtype=np.float32) if vectors else None

    def closeness(self, message: Message) -> float:
        """The cosine of MESSAGE to the nearest department's profile (0 without departments)."""
        if self.profile_vectors is None or not message.vector.any():
            return 0.0
        return float(np.einsum("ij,j->i", self.profile_vectors, message.vector).max())

    def names_a_subject(self, message: Message) -> bool:
        """True when the message uses a keyword of some department."""
        return any(phrase.find(message) for profile in self.profiles
                   for phrase in profile.phrases.candidates(message))

    def score(self, profile: Profile, message: Message, topics: dict) -> tuple[float, tuple]:
        """The score of one department for MESSAGE, and the keyword words that matched."""
        positions: set[int] = set()
        for phrase in profile.phrases.candidates(message):
            positions.update(phrase.find(message))
        words = tuple(dict.fromkeys(message.words[p] for p in sorted(positions)))
        score = KEYWORD_WEIGHT * min(len(positions), MAX_KEYWORDS)
        similarity = float(message.vector @ profile.vector)
        score += SIMILARITY_WEIGHT * max(0.0, similarity - SIMILARITY_FLOOR)
        score += TOPIC_WEIGHT * sum(topics.get(topic, 0.0) for topic in profile.topics)
        return score, words


def assign_topics(profiles: list[Profile], centroids: dict) -> None:
    """Give each model topic to the department it stands for (see the module docstring)."""
    by_code = {profile.department.code: profile for profile in profiles}
    for topic, centroid in centroids.items():
        if topic == NO_TOPIC:
            continue
        if topic in by_code:
            chosen = by_code[topic]
        else:
            scored = sorted(((float(p.vector @ centroid), i) for i, p in enumerate(profiles)
                             if p.vector.any() and p.department.code not in centroids),
                            reverse=True)
            if not scored or scored[0][0] < TOPIC_MATCH:
                continue
            if len(scored) > 1 and scored[0][0] - scored[1][0] < TOPIC_MARGIN:
                continue
            chosen = profiles[scored[0][1]]
        chosen.topics = chosen.topics | {topic}
