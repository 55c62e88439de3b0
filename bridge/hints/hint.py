"""The hints of SPEC §1 step 2 for one message: policy, likely department, repeat.

Hints are shown to the operator in the «Подсказка» column and by ``run.py hint``; nothing is
ever done on their strength alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from bridge.hints.precedence import PRECEDENCE
from bridge.hints.repeat import EarlierCase, find_repeat
from bridge.hints.routing import route
from bridge.hints.text import prepare

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
# No municipal department answers a question outside municipal competence (п. 3.7), and
# noise (thanks, spam) has nothing to route.
POLICIES_WITHOUT_DEPARTMENT = frozenset({"out_of_competence", "noise"})


@dataclass(frozen=True)
class Hint:
    """What the bridge suggests for a message; see ``suggest``."""

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
        """One line for the ledger's «Подсказка» cell."""
        head = POLICY_TITLES.get(self.policy, self.policy)
        return "; ".join((head, *self.reasons)) if self.reasons else head


def suggest(
    text: str,
    *,
    routing: Mapping[str, Sequence[str]] | None = None,
    earlier: Iterable[EarlierCase] = (),
    author_key: str | None = None,
) -> Hint:
    """Suggest policy, department and repeat for TEXT (routing: department code → keywords)."""
    message = prepare(text or "")
    guess = route(message, routing)
    policy, reasons = "normal", []
    for candidate, rule in PRECEDENCE:
        verdict = rule.check(message, guess)
        if verdict.reason:
            reasons.append(verdict.reason)
        if verdict.applies and policy == "normal":
            policy = candidate
    department = None if policy in POLICIES_WITHOUT_DEPARTMENT else guess.department
    if department is not None and guess.reason():
        reasons.append(guess.reason())
    repeat_of = find_repeat(text or "", author_key, earlier)
    if repeat_of:
        reasons.append(f"повторный вопрос, ранее: {repeat_of} (п. 3.7)")
    return Hint(department, policy, tuple(reasons), repeat_of)
