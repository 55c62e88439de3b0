"""The hints of SPEC §1 step 2 for one message: policy, likely department, repeat.

Hints are shown to the operator in the «Подсказка» column and by ``run.py hint``; nothing is
ever done on their strength alone. The caller passes the municipality in — its departments and
its directory of external bodies (configuration) — and gets a ``Hinter``.

How a policy is chosen (``Hinter.decide``), in the order of ``precedence.PRECEDENCE``: a strong
rule decides alone (an obscene word, «убью», a message without words); a weaker rule decides
unless the model rules it out; otherwise the model (``model.py``), which reads the words, their
letters, their meaning and every rule's findings, proposes a policy when it is sure enough
(``THRESHOLDS``, ``SUPPORT``). With no model the rules decide alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np

from bridge.hints.bodies import BodyIndex, ExternalBody
from bridge.hints.features import extract
from bridge.hints.model import Model, load
from bridge.hints.precedence import NOT_PROCESSED, POLICIES, PRECEDENCE
from bridge.hints.repeat import EarlierCase, find_repeat_match
from bridge.hints.routing import Department, Router, Routing
from bridge.hints.reasons import competence_field
from bridge.hints.rules import Verdict
from bridge.hints.text import Message, prepare

POLICY_TITLES = {
    "normal": "обычное",
    "obscene": "не подлежит обработке",
    "threat": "не подлежит обработке",
    "out_of_competence": "разъяснение",
    "court_appeal": "разъяснение",
    "bypass_law": "разъяснение",
    "informational": "информационное",
    "noise": "без ответа",
}
# What the model's guess is called when no rule gave a reason of its own.
LOOKS_LIKE = {
    "threat": "похоже на угрозу",
    "obscene": "похоже на оскорбление",
    "court_appeal": "похоже на обжалование судебного акта",
    "bypass_law": "похоже на просьбу в обход закона",
    "out_of_competence": "похоже, вне компетенции",
    "informational": "похоже на информационный вопрос",
    "noise": "похоже, вопроса нет",
}
REGULATION_POINT = {"threat": "п. 3.6", "obscene": "п. 3.6", "court_appeal": "п. 3.7",
                    "bypass_law": "п. 3.7", "out_of_competence": "п. 3.7",
                    "informational": "п. 3.5"}
# The model's probability a policy needs; lower for п. 3.6, where a miss costs most.
# The threat bar (0.25 → 0.2) and the unsupported bars below were chosen in session 6 by fitting
# on every other training set and measuring on sets v9 and v6 (both agreed; no held-out set);
# bypass_law 0.45 (was 0.55): chosen by --transfer on sets v13, v8 and v4 (session 6, training
# data only): recall up on each, precision held.
THRESHOLDS = {"threat": 0.2, "obscene": 0.25, "court_appeal": 0.45, "bypass_law": 0.45,
              "out_of_competence": 0.45, "informational": 0.5, "noise": 0.5}
# A п. 3.6 guess of the model alone needs evidence beyond the mood of the message: a cue word
# (weapon, fire, family, an official) for a threat, a context-dependent insult for an insult.
# Without it the model must be this sure.
# The threat value was first chosen by fitting on one training half and measuring on the other
# (main tuning part ↔ set v3), then lowered with the insult's in session 6 (0.6 → 0.5, 0.8 →
# 0.7; --transfer on sets v9 and v6): short, curt complaints («опять нет воды») must not read
# as insults.
# A way around the law guessed with no bypass phrase and no offer in return («сочтёмся») needs
# 0.75: lawful questions («можно ли получить жильё молодому специалисту?») read much alike
# (chosen by 5-fold cross-validation on the training data, session 4).
UNSUPPORTED = {"threat": 0.5, "obscene": 0.7, "court_appeal": 0.9, "noise": 0.7,
               "bypass_law": 0.75}
# A noun that judges the addressee («нелюди вы», «ваш начальник — индюк»: harm.py) supports an
# insult as a listed one does (session 5, measured by --transfer on set v6).
# A threat's form without a threat word supports it too: harm aimed at the addressee, a
# question of fear, a wish of harm, harm forecast by someone unnamed (harm.threat_forms), a
# condition put to the addressee (session 6, measured by --transfer on sets v9 and v6).
SUPPORT = {"threat": ("threat_cues:", "threat_form:aimed", "threat_form:fear", "threat_form:wish",
                      "threat_form:forecast", "threat_form:condition", "threat_form:body"),
           "obscene": ("soft_insult", "judging_noun"),
           "court_appeal": "court",
           "bypass_law": ("bypass", "offers_return")}
# Findings that speak against a guess of the model alone: a danger reported («яма кого-нибудь
# убьёт») is no threat; a way around the law named while asking why it was done or whether it
# is lawful («почему участок выдали без торгов?») is no request to bypass it.
AGAINST = {"threat": "danger", "bypass_law": "bypass_reported", "court_appeal": "court_against"}
# A court appeal is worded in too many ways for the rule's phrases («судья неправ, разберитесь»,
# «приставы списали всё, остановите»): a message that names a court, a judge, a sentence or the
# bailiffs supports the model's guess as the rule's phrase would — whether it appeals or asks to
# execute the decision is the model's to tell (hard negatives of set v5). Measured by fitting on
# the older training sets and measuring on set v5 (--transfer).
COURT_LEMMAS = frozenset({"суд", "судья", "судебный", "пристав", "приговор", "приговорить",
                          "осудить", "арбитраж", "апелляция", "кассация", "исполнительный",
                          "мировой", "засудить"})
CONTRADICTED = 0.9
# A court appeal guessed by the model alone while the message names no court's act, wants a
# decision carried out, or asks for a document for a court (``court_against``): the model may
# not decide it (set v8: «как обжаловать решение комиссии?», «отмените решение о закрытии
# школы» at 0.9 and above — an administration's decisions).
CONTRADICTED_BY = {"court_appeal": 1.01}
# No municipal department answers a question outside municipal competence (п. 3.7), and
# noise (thanks, spam) has nothing to route.
# A threat is not processed at all (п. 3.6): there is nobody to route it to either. A court act
# is appealed in court, not in a department (п. 3.7: the answer explains the appeal procedure).
POLICIES_WITHOUT_DEPARTMENT = frozenset({"out_of_competence", "noise", "threat", "court_appeal"})
SUMMARY_LIMIT = 200
# A rule that is not strong enough to decide alone decides when the model does not rule it out.
RULE_AGREEMENT = 0.05
# A federal body named beside a subject of a configured department («участковый сказал, что без
# фонаря…», «налог плачу, а горячей воды нет») is often a mere mention; whose matter it is, is the
# model's to tell: the competence rule then needs the model as sure as it would be alone (of the
# training messages the rule found, 130 of 180 that name a department's subject are municipal).
RULE_BESIDE_SUBJECT = {"out_of_competence"}


@dataclass(frozen=True)
class Hint:
    """What the bridge suggests for a message; see ``Hinter.suggest``."""

    department: str | None
    policy: str
    reasons: tuple[str, ...]
    repeat_of: str | None = None

    def to_json(self) -> dict:
        """The JSON object of ``run.py hint``."""
        return {
            "department": self.department,
            "policy": self.policy,
            "reasons": list(self.reasons),
            "repeat_of": self.repeat_of,
        }

    def summary(self) -> str:
        """One short Russian line for the ledger's «Подсказка» cell: the policy, the first two
        reasons and, always, the repeated case (the п. 3.7 explanation reads its ID there)."""
        head = POLICY_TITLES.get(self.policy, self.policy)
        tail = next((r for r in self.reasons if self.repeat_of and self.repeat_of in r), "")
        shown = [reason for reason in self.reasons[:2] if reason != tail]
        line = "; ".join((head, *shown))
        room = SUMMARY_LIMIT - (len(tail) + 2 if tail else 0)
        line = line if len(line) <= room else line[:room - 1] + "…"
        return f"{line}; {tail}" if tail else line


@dataclass(frozen=True)
class Decision:
    """A chosen policy, the reason that goes first, and where it came from."""

    policy: str
    reason: str | None
    by: str  # 'rule' | 'model' | 'none'


class Hinter:
    """Hints for one municipality: its departments and external bodies, the shared model."""

    def __init__(self, departments: Sequence[Department] = (),
                 external_bodies: Sequence[ExternalBody] = (), *,
                 model: Model | None | str = "shipped", use_model: bool = True):
        self.model = load() if model == "shipped" else model
        if not use_model:
            self.model = None
        self.departments = {d.code: d for d in departments}
        self.router = Router.build(departments, self.model.centroids if self.model else None)
        self.bodies = BodyIndex.build(external_bodies, self.router.lemmas())

    def verdicts(self, message: Message) -> dict[str, Verdict]:
        """Every rule's verdict, by rule name."""
        return {rule.name: rule.check(message) for _, rule in PRECEDENCE}

    def context(self, message: Message, verdicts: dict) -> tuple[tuple[str, ...], np.ndarray]:
        """What the model reads beside the words: every rule's flags, whether the message uses a
        word of a configured department or only of an external body's competence, and how near
        its meaning lies to the nearest department and to the nearest body (configuration)."""
        flags = tuple(flag for verdict in verdicts.values() for flag in verdict.flags)
        if self.names_a_subject(message):
            flags += ("department_word",)
            if "competence" in flags:
                flags += ("competence_beside_subject",)
        if self.bodies.names_a_field(message):
            flags += ("body_word",)
        dense = np.array([self.router.closeness(message), self.bodies.closeness(message)],
                         dtype=np.float32)
        return flags, dense

    def names_a_subject(self, message: Message) -> bool:
        """``Router.names_a_subject``, computed once per message (context, agreement and
        threshold all ask)."""
        key = ("names_a_subject", id(self.router))
        if key not in message.extra:
            message.extra[key] = self.router.names_a_subject(message)
        return message.extra[key]

    def features(self, message: Message, verdicts: dict):
        """The model's features of MESSAGE (``context``, then the nearest labelled examples)."""
        flags, dense = self.context(message, verdicts)
        if self.model.examples is not None:
            dense = np.concatenate([dense, self.model.examples.nearest(message.vector)])
        return extract(message, flags, dense)

    def probabilities(self, message: Message, verdicts: dict) -> tuple[dict, dict, object]:
        """The model's (policy, topic) probabilities and the features, or empty ones."""
        if self.model is None:
            return {}, {}, None
        features = self.features(message, verdicts)
        policy = dict(zip(self.model.policy.classes, self.model.policy.probabilities(features)))
        topic = dict(zip(self.model.topic.classes, self.model.topic.probabilities(features)))
        return policy, topic, features

    def decide(self, message: Message, verdicts: dict, probabilities: dict,
               features) -> Decision:
        """The policy of MESSAGE (see the module docstring)."""
        for policy, rule in PRECEDENCE:
            verdict = verdicts[rule.name]
            if not verdict.applies:
                continue
            if verdict.strong or not probabilities or \
                    probabilities.get(policy, 0.0) >= self.agreement(policy, message):
                return Decision(policy, verdict.reason, "rule")
        if not probabilities:
            return Decision("normal", None, "none")
        for policy, rule in PRECEDENCE:
            if probabilities.get(policy, 0.0) >= self.threshold(policy, verdicts, message):
                verdict = verdicts[rule.name]
                return Decision(policy, verdict.reason if verdict.applies
                                else self.explain(policy, features), "model")
        return Decision("normal", None, "none")

    def agreement(self, policy: str, message: Message) -> float:
        """The model probability an applying rule of POLICY needs (RULE_BESIDE_SUBJECT)."""
        if policy in RULE_BESIDE_SUBJECT and self.names_a_subject(message):
            return THRESHOLDS[policy]
        return RULE_AGREEMENT

    def threshold(self, policy: str, verdicts: dict, message: Message) -> float:
        """The model probability POLICY needs, given the rules' findings (SUPPORT, AGAINST)."""
        flags = [flag for verdict in verdicts.values() for flag in verdict.flags]
        if policy in AGAINST and AGAINST[policy] in flags:
            return CONTRADICTED_BY.get(policy, CONTRADICTED)
        wanted = SUPPORT.get(policy)
        doubtful = wanted is not None and not any(flag.startswith(wanted) for flag in flags)
        if doubtful and policy == "court_appeal":
            doubtful = COURT_LEMMAS.isdisjoint(message.lemmas)
        if policy == "noise":  # a question, or a municipal subject, is not «nothing to answer»
            doubtful = message.asks or self.names_a_subject(message)
        return max(THRESHOLDS[policy], UNSUPPORTED[policy]) if doubtful else THRESHOLDS[policy]

    def explain(self, policy: str, features) -> str:
        """«похоже на угрозу: «знаю», «живёт» (п. 3.6)» from the words that weighed most."""
        words = self.model.policy.evidence(features, policy) if features is not None else []
        shown = ", ".join(f"«{word}»" for word in words)
        point = REGULATION_POINT.get(policy)
        tail = f" ({point})" if point else ""
        return f"{LOOKS_LIKE[policy]}: {shown}{tail}" if shown else f"{LOOKS_LIKE[policy]}{tail}"

    def competence_reason(self, message: Message, reason: str | None) -> str:
        """The «вне компетенции» reason naming the configured body, when one fits."""
        field = competence_field(message)
        body = self.bodies.find(message, field)
        if body is not None:
            return f"вне компетенции: {body.name} (п. 3.7)"
        return reason or "вне компетенции (п. 3.7)"

    def suggest(self, text: str, *, earlier: Iterable[EarlierCase] = (),
                author_key: str | None = None) -> Hint:
        """Suggest policy, department and repeat for TEXT."""
        message = prepare(text or "")
        verdicts = self.verdicts(message)
        policy_p, topic_p, features = self.probabilities(message, verdicts)
        decision = self.decide(message, verdicts, policy_p, features)
        reasons = [decision.reason] if decision.reason else []
        if decision.policy == "out_of_competence":
            reasons = [self.competence_reason(message, decision.reason)]
        reasons += secondary_reasons(decision.policy, verdicts)
        guess = Routing(None)
        if decision.policy not in POLICIES_WITHOUT_DEPARTMENT:
            guess = self.router.route(message, topic_p)
        if guess.reason():
            reasons.append(guess.reason())
        match = find_repeat_match(text or "", author_key, earlier, message)
        repeat_of = match[0] if match else None
        if match:  # the thing both messages name explains the guess: «… — снова «качели»»
            thing = f" — снова «{match[1]}»" if match[1] else ""
            reasons.append(f"повторный вопрос, ранее: {repeat_of} (п. 3.7){thing}")
        return Hint(guess.code, decision.policy, tuple(reasons), repeat_of)


def secondary_reasons(policy: str, verdicts: dict) -> list[str]:
    """Reasons of other applying п. 3.6/3.7 rules (and quoted threats), for the operator to see.

    Thanks, greetings and informational phrases are shown only when they are the policy: an
    obscene insult is never also «благодарность … вопроса нет».
    """
    shown = []
    for other, verdict in verdicts.items():
        if other == policy or other in ("noise", "spam", "informational") or not verdict.reason:
            continue
        if verdict.applies or other == "threat":
            shown.append(verdict.reason)
    return shown


@lru_cache(maxsize=8)
def hinter_for(departments: tuple[Department, ...], bodies: tuple[ExternalBody, ...]) -> Hinter:
    """A shared ``Hinter`` for one municipality (building one compiles its departments)."""
    return Hinter(departments, bodies)


def suggest(text: str, *, departments: Sequence[Department] = (),
            external_bodies: Sequence[ExternalBody] = (), earlier: Iterable[EarlierCase] = (),
            author_key: str | None = None) -> Hint:
    """The hint for TEXT in the municipality of DEPARTMENTS and EXTERNAL_BODIES."""
    hinter = hinter_for(tuple(departments), tuple(external_bodies))
    return hinter.suggest(text, earlier=earlier, author_key=author_key)


__all__ = ["Decision", "Hint", "Hinter", "POLICIES", "NOT_PROCESSED", "suggest"]
