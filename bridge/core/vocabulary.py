"""The Russian words of SPEC §5, one table per vocabulary: code → the word the operator reads.

Inside the program a status, a decision, a reason or a deadline label is a code (`model.py`,
`deadlines.py`); only the edges — the ledger, the mails, the command line — turn codes into these
words and read them back (`*_from_label`). A word a person typed is compared case- and
space-insensitively, so «направить » is «Направить».
"""

from __future__ import annotations

from bridge.core.deadlines import DONE_LATE, DONE_ON_TIME, EXPIRING, ON_TIME, OVERDUE
from bridge.core.model import MANUAL_CHANNEL, Basis, Decision, Status

STATUS_LABELS = {
    Status.NEW: "Новое",
    Status.ROUTED: "Направлено в отдел",
    Status.ANSWERED: "Ответ получен",
    Status.REWORK: "На доработке",
    Status.AWAITING_CONSENT: "Ожидает согласия",
    Status.PUBLISHED: "Опубликовано",
    Status.PUBLISH_FAILED: "Ошибка публикации",
    Status.REJECTED: "Не подлежит обработке",
    Status.APPEAL: "Переведено в обращение",
}

DECISION_LABELS = {
    Decision.ROUTE: "Направить",
    Decision.PUBLISH: "Опубликовать",
    Decision.REWORK: "На доработку",
    Decision.EXPLAIN: "Разъяснение",
    Decision.REJECT: "Не подлежит обработке",
    Decision.APPEAL: "Обращение 59-ФЗ",
}

BASIS_LABELS = {
    Basis.OUT_OF_COMPETENCE: "вне компетенции",
    Basis.BYPASS_LAW: "обход закона",
    Basis.COURT_APPEAL: "обжалование судебного акта",
    Basis.REPEAT: "повторный вопрос",
    Basis.OBSCENE: "нецензурные или оскорбительные выражения",
    Basis.THREAT: "угроза или намерение причинить вред",
}

CONTROL_LABELS = {
    ON_TIME: "в срок",
    EXPIRING: "истекает",
    OVERDUE: "просрочено",
    DONE_ON_TIME: "выполнено в срок",
    DONE_LATE: "выполнено с нарушением срока",
}

CHANNEL_LABELS = {"vk": "ВКонтакте", "telegram": "Telegram", "ok": "Одноклассники", MANUAL_CHANNEL: "Вручную"}

YES = "да"
_YES_WORDS = (YES, "yes", "+", "1", "true", "истина")


def _fold(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _reverse(table: dict[str, str]) -> dict[str, str]:
    return {_fold(label): code for code, label in table.items()}


_DECISIONS_BY_LABEL = _reverse(DECISION_LABELS)
_BASES_BY_LABEL = _reverse(BASIS_LABELS)


def status_label(code: str) -> str:
    return STATUS_LABELS.get(code, code)


def decision_label(code: str) -> str:
    return DECISION_LABELS.get(code, code)


def basis_label(code: str) -> str:
    """The word for a known reason; the operator's own words are shown as typed."""
    return BASIS_LABELS.get(code, code)


def control_label(code: str) -> str:
    return CONTROL_LABELS.get(code, code)


def channel_label(code: str) -> str:
    """A network's name, with the page when there are several («vk:Глава района» → «ВКонтакте:
    Глава района»); a hand-made row keeps the channel as the operator typed it."""
    network, _, page = code.partition(":")
    if network in CHANNEL_LABELS and network != MANUAL_CHANNEL:
        return f"{CHANNEL_LABELS[network]}: {page}" if page else CHANNEL_LABELS[network]
    return CHANNEL_LABELS.get(code, code)


def decision_from_label(text: str) -> str | None:
    """The decision a typed word names, or None when it names none."""
    return _DECISIONS_BY_LABEL.get(_fold(text))


def basis_from_label(text: str) -> str | None:
    return _BASES_BY_LABEL.get(_fold(text))


def is_yes(text: str) -> bool:
    """«Согласие», «Информационный»: what a person may type for yes."""
    return _fold(text) in _YES_WORDS


# Time zone names people in the Russian Far East and elsewhere recognise in a date line.
ZONE_LABELS = {
    "Europe/Kaliningrad": "Калининград", "Europe/Moscow": "Москва", "Europe/Samara": "Самара",
    "Asia/Yekaterinburg": "Екатеринбург", "Asia/Omsk": "Омск", "Asia/Novosibirsk": "Новосибирск",
    "Asia/Krasnoyarsk": "Красноярск", "Asia/Irkutsk": "Иркутск", "Asia/Chita": "Чита",
    "Asia/Yakutsk": "Якутск", "Asia/Vladivostok": "Владивосток", "Asia/Sakhalin": "Сахалин",
    "Asia/Magadan": "Магадан", "Asia/Kamchatka": "Камчатка", "Asia/Anadyr": "Анадырь",
    "UTC": "UTC",
}


def zone_label(tz: object) -> str:
    """«Сахалин» for Asia/Sakhalin: the zone as the mails, the site and the reports name it."""
    key = getattr(tz, "key", None) or str(tz)
    return ZONE_LABELS.get(key, key.rsplit("/", 1)[-1].replace("_", " "))
