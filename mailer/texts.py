"""Standard texts for citizens (п. 3.7 explanations, п. 3.8 consent) from `templates/texts/`."""

from __future__ import annotations

from bridge.config import Config, ExternalBody
from bridge.core.model import Basis, Case
from mailer.compose import render_text


def explanation_for(case: Case, basis: str, config: Config, store, body: ExternalBody | None = None) -> str:
    """The п. 3.7 standard text for the reason code `basis` (templates/texts/explanation_<code>).
    `body`: the competent body for «вне компетенции» (bridge/steps/explanations.py chooses it);
    None makes the text name no body rather than a wrong one."""
    if basis not in Basis.EXPLANATIONS:
        raise ValueError(basis)
    reason = basis
    context = {"author_name": case.author_name, "reason": reason}
    if reason == "out_of_competence":
        context["body"] = {"name": body.name, "competence": body.competence,
                           "address": body.address, "site": body.site} if body else None
    if reason == "repeat":
        earlier = _earlier(case, store)
        context.update(earlier_case_id=earlier.id if earlier else "—",
                       earlier_date=(earlier.closed_at or earlier.posted_at) if earlier else case.posted_at,
                       earlier_link=earlier.published if earlier else "")
    return render_text(f"explanation_{reason}", **context)


def consent_request(case: Case) -> str:
    return render_text("consent_request", author_name=case.author_name)


# п. 3.8 messages to the citizen: templates/texts/<name>.txt.j2
CITIZEN_TEXTS = ("consent_invite", "consent_request", "details_request")


# Where the citizen writes privately, in each network's words (the invitation under a comment).
PRIVATE_PLACES = {"vk": "в личные сообщения сообщества", "telegram": "в личные сообщения нашему боту",
                  "ok": "в сообщения группы"}


def citizen_text(name: str, case: Case) -> str:
    """A п. 3.8 message to the citizen (consent_invite goes under a public comment and asks for
    nothing personal; the other two are sent privately)."""
    if name not in CITIZEN_TEXTS:
        raise ValueError(name)
    place = PRIVATE_PLACES.get(case.channel.split(":")[0], "в личные сообщения")
    return render_text(name, author_name=case.author_name, case_id=case.id, private_place=place)


def _earlier(case: Case, store):
    """The case the hint named as answered before (п. 3.7 repeated question), else the earlier
    case of the conversation this one continues (Case.linked_to)."""
    import re
    found = re.search(rf"{re.escape(case.id.split('-')[0])}-\d{{4}}-\d{{5}}", case.hint or "")
    if found:
        return store.get(found.group(0))
    return store.get(case.linked_to) if case.linked_to else None
