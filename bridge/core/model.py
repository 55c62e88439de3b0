"""A case and its closed vocabularies as codes (pure). The Russian words of SPEC §5 that the
operator sees live in `bridge/core/vocabulary.py`, one table per vocabulary, used only at the edges."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import datetime


class Status:
    """Where a case stands. Codes inside the program; the ledger's words are in vocabulary.py."""

    NEW = "new"
    ROUTED = "routed"
    ANSWERED = "answered"
    REWORK = "rework"
    AWAITING_CONSENT = "awaiting_consent"
    PUBLISHED = "published"
    PUBLISH_FAILED = "publish_failed"
    REJECTED = "rejected"
    APPEAL = "appeal"

    ALL = (NEW, ROUTED, ANSWERED, REWORK, AWAITING_CONSENT, PUBLISHED, PUBLISH_FAILED, REJECTED, APPEAL)
    CLOSED = (PUBLISHED, REJECTED, APPEAL)
    WITH_DEPARTMENT = (ROUTED, REWORK)


class Decision:
    """The operator's decisions (SPEC §5 «Решение оператора»)."""

    ROUTE = "route"
    PUBLISH = "publish"
    REWORK = "rework"
    EXPLAIN = "explain"
    REJECT = "reject"
    APPEAL = "appeal"

    ALL = (ROUTE, PUBLISH, REWORK, EXPLAIN, REJECT, APPEAL)


class Basis:
    """«Основание» for «Разъяснение» (п. 3.7) and «Не подлежит обработке» (п. 3.6)."""

    OUT_OF_COMPETENCE = "out_of_competence"
    BYPASS_LAW = "bypass_law"
    COURT_APPEAL = "court_appeal"
    REPEAT = "repeat"
    OBSCENE = "obscene"
    THREAT = "threat"

    EXPLANATIONS = (OUT_OF_COMPETENCE, BYPASS_LAW, COURT_APPEAL, REPEAT)
    REJECTIONS = (OBSCENE, THREAT)
    ALL = EXPLANATIONS + REJECTIONS


MANUAL_CHANNEL = "manual"

CASE_ID = re.compile(r"^(?P<prefix>[A-Z][A-Z0-9]{0,9})-(?P<year>\d{4})-(?P<number>\d{5,})$")


def format_case_id(prefix: str, year: int, number: int) -> str:
    """SPEC §3: `{prefix}-{year}-{number:05d}`, ASCII only."""
    return f"{prefix}-{year}-{number:05d}"


@dataclass
class Case:
    """One citizen message and everything done about it. The store keeps its history."""

    id: str
    channel: str                        # 'vk' | 'telegram' | 'ok' | 'manual'
    external_id: str
    posted_at: datetime                 # aware
    kind: str = ""                      # «Вид»
    public: bool = True                 # п. 3.4: public comment vs direct message
    author_name: str = ""
    author_link: str = ""
    text: str = ""
    link: str = ""
    attachments: list[str] = field(default_factory=list)   # stored file names (data_dir/attachments/ID/)
    reply_target: dict = field(default_factory=dict)
    hint: str = ""
    status: str = Status.NEW            # a Status code
    department: str = ""                # department code
    basis: str = ""                     # a Basis code (or the operator's own words)
    dept_answer: str = ""
    publish_text: str = ""
    operator_comment: str = ""
    informational: bool = False
    consent: bool = False
    sed_number: str = ""
    published: str = ""                 # link or id of the publication
    system_note: str = ""
    deadline_kind: str = "triage"       # which of SPEC §4's deadlines «Срок» shows
    deadline_start: datetime | None = None
    triaged_at: datetime | None = None  # the operator's first decision: when п. 3.1's term was met
    routed_at: datetime | None = None
    answered_at: datetime | None = None
    handled_at: datetime | None = None  # when the current deadline was met (SPEC §4)
    closed_at: datetime | None = None
    thread_ids: list[str] = field(default_factory=list)    # our Message-IDs for this case
    epoch: int = 0                      # moves when the case moves on by itself (new answer)
    applied_decision: str = ""          # the last Decision code applied, and at which epoch (SPEC §2)
    applied_epoch: int = -1
    author_key: str = ""                # channel-scoped author id, for the repeat hint (п. 3.7)
    linked_to: str = ""                 # the earlier case this message continues (a reply, the same dialogue)
    routed_to: str = ""                 # the department that was sent the case (re-routing, reminders)
    citizen_details: str = ""           # п. 3.8: name and address the citizen gave privately
    private_target: dict = field(default_factory=dict)    # п. 3.8: the citizen's private dialogue
    conversation: list[dict] = field(default_factory=list)  # п. 3.8: the citizen's replies {at, text}

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def channel_label(self) -> str:
        from bridge.core.vocabulary import channel_label
        return channel_label(self.channel)


CASE_FIELDS = tuple(f.name for f in fields(Case))
