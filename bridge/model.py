"""A case and the closed vocabularies the operator sees (SPEC §5), each kept in one place."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import datetime


class Status:
    NEW = "Новое"
    ROUTED = "Направлено в отдел"
    ANSWERED = "Ответ получен"
    REWORK = "На доработке"
    AWAITING_CONSENT = "Ожидает согласия"
    PUBLISHED = "Опубликовано"
    PUBLISH_FAILED = "Ошибка публикации"
    REJECTED = "Не подлежит обработке"
    APPEAL = "Переведено в обращение"

    ALL = (NEW, ROUTED, ANSWERED, REWORK, AWAITING_CONSENT, PUBLISHED, PUBLISH_FAILED, REJECTED, APPEAL)
    CLOSED = (PUBLISHED, REJECTED, APPEAL)
    WITH_DEPARTMENT = (ROUTED, REWORK)


class Decision:
    ROUTE = "Направить"
    PUBLISH = "Опубликовать"
    REWORK = "На доработку"
    EXPLAIN = "Разъяснение"
    REJECT = "Не подлежит обработке"
    APPEAL = "Обращение 59-ФЗ"

    ALL = (ROUTE, PUBLISH, REWORK, EXPLAIN, REJECT, APPEAL)


# «Основание» for «Разъяснение» (п. 3.7) and «Не подлежит обработке» (п. 3.6).
class Basis:
    OUT_OF_COMPETENCE = "вне компетенции"
    BYPASS_LAW = "обход закона"
    COURT_APPEAL = "обжалование судебного акта"
    REPEAT = "повторный вопрос"
    OBSCENE = "нецензурные или оскорбительные выражения"
    THREAT = "угроза или намерение причинить вред"

    EXPLANATIONS = (OUT_OF_COMPETENCE, BYPASS_LAW, COURT_APPEAL, REPEAT)
    REJECTIONS = (OBSCENE, THREAT)
    ALL = EXPLANATIONS + REJECTIONS


CHANNEL_LABELS = {"vk": "ВКонтакте", "telegram": "Telegram", "ok": "Одноклассники", "manual": "Вручную"}
YES, NO = "да", "нет"

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
    status: str = Status.NEW
    department: str = ""                # department code
    basis: str = ""                     # «Основание»
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
    routed_at: datetime | None = None
    answered_at: datetime | None = None
    handled_at: datetime | None = None  # when the current deadline was met (SPEC §4)
    closed_at: datetime | None = None
    thread_ids: list[str] = field(default_factory=list)    # our Message-IDs for this case
    epoch: int = 0                      # moves when the case moves on by itself (new answer)
    applied_decision: str = ""          # the last decision applied, and at which epoch (SPEC §2)
    applied_epoch: int = -1
    author_key: str = ""                # channel-scoped author id, for the repeat hint (п. 3.7)

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def channel_label(self) -> str:
        network, _, page = self.channel.partition(":")   # "vk:Глава района" → «ВКонтакте: Глава района»
        if network in CHANNEL_LABELS and network != "manual":
            return f"{CHANNEL_LABELS[network]}: {page}" if page else CHANNEL_LABELS[network]
        return CHANNEL_LABELS.get(self.channel, self.channel)


CASE_FIELDS = tuple(f.name for f in fields(Case))
