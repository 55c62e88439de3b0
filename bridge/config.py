"""Reading and validating the TOML configuration (SPEC §7).

Every problem is collected and reported at once, one Russian line each, so an administrator
fixes the file in one pass. Secrets are never in the file: only the names of environment
variables, read when a connection is made.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bridge.errors import ConfigError
from bridge.worktime import WorkCalendar, parse_hours

DEMO_CONFIG = Path(__file__).with_name("demo_config.toml")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_PREFIX = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SECURITY = ("ssl", "starttls", "none")


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    emails: tuple[str, ...]
    head_emails: tuple[str, ...] = ()
    keywords: tuple[str, ...] | None = None   # None → routing from name and description
    description: str = ""                     # what the department handles: routing hints read it


@dataclass(frozen=True)
class ExternalBody:
    code: str
    name: str
    competence: str
    address: str = ""
    site: str = ""


@dataclass(frozen=True)
class Config:
    source: Path | None                 # None → the embedded demo configuration
    base_dir: Path                      # relative paths are resolved against it
    case_prefix: str
    tz: ZoneInfo
    data_dir: Path
    ledger: Path
    calendar: WorkCalendar
    departments: tuple[Department, ...]
    mail: Mapping[str, Any]
    channels: Mapping[str, Mapping[str, Any]]   # "vk" / "telegram" / "ok" sections as given
    site_dir: Path
    site_title: str
    external_bodies: tuple[ExternalBody, ...] = ()
    operator_emails: tuple[str, ...] = ()
    deputy_head_emails: tuple[str, ...] = ()
    registry_emails: tuple[str, ...] = ()
    attachment_limit: int = 10 * 1024 * 1024
    ledger_lock_alert_minutes: int = 60
    raw: Mapping[str, Any] = field(default_factory=dict)

    def department(self, code: str) -> Department | None:
        return next((d for d in self.departments if d.code == code), None)

    def department_by_name_or_code(self, value: str) -> Department | None:
        wanted = value.strip().casefold()
        return next((d for d in self.departments
                     if wanted in (d.code.casefold(), d.name.casefold())), None)

    def allow_list(self) -> dict[str, str]:
        """Lower-cased address → department code: only these may answer (SPEC §3, §8)."""
        return {email.lower(): d.code for d in self.departments for email in d.emails}

    @property
    def host(self) -> str:
        """The domain used in our Message-IDs."""
        return str(self.mail.get("address", "otklik@localhost")).rpartition("@")[2] or "localhost"


def secret(env_name: str | None, what: str) -> str:
    """A password or token from the environment variable the configuration names."""
    if not env_name:
        return ""
    value = os.environ.get(env_name)
    if value is None:
        raise ConfigError(f"{what}: не задана переменная окружения {env_name}")
    return value


def load(path: Path | str | None) -> Config:
    """Load `path`; when it is the default name and does not exist, the embedded demo config."""
    if path is None or (str(path) == "config.toml" and not Path(path).exists()):
        return parse(DEMO_CONFIG.read_text(encoding="utf-8"), source=None, base_dir=Path.cwd())
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"файл настроек не найден: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"не удалось прочитать файл настроек {path}: {exc}") from None
    return parse(text, source=path, base_dir=path.resolve().parent)


def parse(text: str, *, source: Path | None, base_dir: Path) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"ошибка синтаксиса TOML в {source or 'настройках'}: {exc}") from None
    problems: list[str] = []
    config = _build(raw, base_dir, source, problems)
    if problems:
        raise ConfigError("; ".join(problems))
    return config


def _build(raw: dict, base_dir: Path, source: Path | None, problems: list[str]) -> Config:
    general = _section(raw, "general", problems)
    prefix = str(general.get("case_prefix", "OKH"))
    if not _PREFIX.match(prefix):
        problems.append(f"general.case_prefix «{prefix}»: только латинские заглавные буквы и цифры (ASCII)")
    tz = _zone(str(general.get("timezone", "Asia/Sakhalin")), problems)
    data_dir = base_dir / str(general.get("data_dir", "data"))
    ledger = base_dir / str(general.get("ledger", Path(str(general.get("data_dir", "data"))) / "Журнал обращений.xlsx"))
    mail = _section(raw, "mail", problems)
    _check_mail(mail, problems)
    site = _section(raw, "site", problems)
    return Config(
        source=source, base_dir=base_dir, case_prefix=prefix, tz=tz, data_dir=data_dir, ledger=ledger,
        calendar=_calendar(_section(raw, "worktime", problems), tz, problems),
        departments=_departments(raw.get("departments", []), problems),
        mail=mail,
        channels={name: raw[name] for name in ("vk", "telegram", "ok") if isinstance(raw.get(name), dict)},
        site_dir=base_dir / str(site.get("output_dir", "data/site")),
        site_title=str(site.get("title", "Информационные сообщения")),
        external_bodies=_external_bodies(raw.get("external_bodies", []), problems),
        operator_emails=_emails(general, "operator_emails", problems),
        deputy_head_emails=_emails(general, "deputy_head_emails", problems),
        registry_emails=_emails(general, "registry_emails", problems),
        attachment_limit=int(_number(general, "attachment_limit_mb", 10, problems) * 1024 * 1024),
        ledger_lock_alert_minutes=int(_number(general, "ledger_lock_alert_minutes", 60, problems)),
        raw=raw,
    )


def _section(raw: dict, name: str, problems: list[str]) -> dict:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        problems.append(f"[{name}] должен быть разделом")
        return {}
    return value


def _zone(name: str, problems: list[str]) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"general.timezone «{name}»: неизвестный часовой пояс (пример: Asia/Sakhalin)")
        return ZoneInfo("Asia/Sakhalin")


def _number(section: dict, key: str, default: float, problems: list[str]) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        problems.append(f"{key}: нужно положительное число, а не «{value}»")
        return default
    return value


def _emails(section: dict, key: str, problems: list[str]) -> tuple[str, ...]:
    value = section.get(key, [])
    if isinstance(value, str):
        value = [value]
    bad = [v for v in value if not isinstance(v, str) or not _EMAIL.match(v)]
    if bad:
        problems.append(f"{key}: неверные адреса {bad}")
    return tuple(v for v in value if isinstance(v, str) and _EMAIL.match(v))


def _check_mail(mail: dict, problems: list[str]) -> None:
    if not mail:
        return
    backend = mail.get("backend", "imap")
    if backend not in ("imap", "exchange"):
        problems.append(f"mail.backend «{backend}»: возможно «imap» или «exchange»")
    if not _EMAIL.match(str(mail.get("address", ""))):
        problems.append("mail.address: нужен адрес почтового ящика Отклика")
    for key in ("imap_security", "smtp_security"):
        if key in mail and mail[key] not in _SECURITY:
            problems.append(f"mail.{key} «{mail[key]}»: возможно {', '.join(_SECURITY)}")
    for key in ("imap_port", "smtp_port"):
        if key in mail and not (isinstance(mail[key], int) and 0 < mail[key] < 65536):
            problems.append(f"mail.{key}: неверный порт «{mail[key]}»")
    for key, value in mail.items():
        if ("password" in key or "token" in key) and not key.endswith("_env"):
            problems.append(f"mail.{key}: пароли хранятся только в переменных окружения (укажите {key}_env)")


def _calendar(worktime: dict, tz: ZoneInfo, problems: list[str]) -> WorkCalendar:
    try:
        hours = parse_hours(worktime.get("hours", ["09:00-13:00", "14:00-18:00"]))
    except ValueError as exc:
        problems.append(f"worktime.hours: {exc}")
        hours = parse_hours(["09:00-13:00", "14:00-18:00"])
    return WorkCalendar(tz=tz, hours=hours,
                        extra_days_off=_dates(worktime, "extra_days_off", problems),
                        extra_working_days=_dates(worktime, "extra_working_days", problems),
                        short_days=_dates(worktime, "short_days", problems))


def _dates(section: dict, key: str, problems: list[str]) -> frozenset[date]:
    result = set()
    for value in section.get(key, []):
        if isinstance(value, date):
            result.add(value)
            continue
        try:
            result.add(date.fromisoformat(str(value)))
        except ValueError:
            problems.append(f"worktime.{key}: «{value}» — не дата ГГГГ-ММ-ДД")
    return frozenset(result)


def _departments(items: Any, problems: list[str]) -> tuple[Department, ...]:
    departments, seen = [], set()
    for number, item in enumerate(items if isinstance(items, list) else [], start=1):
        code = str(item.get("code", ""))
        if not _CODE.match(code):
            problems.append(f"departments №{number}: код «{code}» — латиница в нижнем регистре, цифры, _")
        if code in seen:
            problems.append(f"departments: код «{code}» повторяется")
        seen.add(code)
        emails = _emails(item, "emails", problems)
        if not emails:
            problems.append(f"departments «{code}»: нужен хотя бы один адрес emails")
        keywords = item.get("keywords")
        departments.append(Department(
            code=code, name=str(item.get("name", code)), emails=tuple(e.lower() for e in emails),
            head_emails=_emails(item, "head_emails", problems),
            keywords=tuple(map(str, keywords)) if isinstance(keywords, list) else None,
            description=str(item.get("description", ""))))
    if not departments:
        problems.append("нужен хотя бы один раздел [[departments]]")
    return tuple(departments)


def _external_bodies(items: Any, problems: list[str]) -> tuple[ExternalBody, ...]:
    bodies = []
    for item in items if isinstance(items, list) else []:
        if not item.get("name"):
            problems.append("external_bodies: у органа нет name")
            continue
        bodies.append(ExternalBody(code=str(item.get("code", "")), name=str(item["name"]),
                                   competence=str(item.get("competence", "")),
                                   address=str(item.get("address", "")), site=str(item.get("site", ""))))
    return tuple(bodies)
