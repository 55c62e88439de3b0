"""Reading and validating the TOML configuration (SPEC §7).

Every problem is collected and reported at once, one Russian line each, so an administrator
fixes the file in one pass. Secrets are never in the file: only the names of environment
variables, read when a connection is made.
"""

from __future__ import annotations

import codecs
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bridge.core.errors import ConfigError
from bridge.core.worktime import MAX_IDLE_DAYS, WorkCalendar, longest_idle_run, parse_hours

DEMO_CONFIG = Path(__file__).with_name("demo_config.toml")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_PREFIX = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SECURITY = ("ssl", "starttls", "none")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DEFAULT_HOURS = ["09:00-13:00", "14:00-18:00"]


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
    channels: Mapping[str, Mapping[str, Any]]   # one per page: "vk" or "vk:<name>" → its table
    site_dir: Path
    site_title: str
    external_bodies: tuple[ExternalBody, ...] = ()
    operator_emails: tuple[str, ...] = ()
    deputy_head_emails: tuple[str, ...] = ()
    registry_emails: tuple[str, ...] = ()
    attachment_limit: int = 10 * 1024 * 1024
    ledger_lock_alert_minutes: int = 60
    raw: Mapping[str, Any] = field(default_factory=dict)
    # [store]: empty → SQLite in the data folder; "postgresql://user@host/db" → that database,
    # this administration's own schema, the password from the variable `store_password_env`.
    store_url: str = ""
    store_schema: str = ""
    store_password_env: str = ""

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


class ConfigProblems(ConfigError):
    """Every problem of one configuration file, one Russian line each (`problems`)."""

    def __init__(self, problems: list[str], source: Path | None = None) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)
        self.source = source


def load(path: Path | str | None, *, demo_allowed: bool = True) -> Config:
    """Load `path`. When it is the default name and does not exist: the embedded demo
    configuration, or (`demo_allowed=False`, the commands that work on real data, SPEC §6) a
    refusal pointing at the commented example that ships with the project."""
    if path is None or (str(path) == "config.toml" and not Path(path).exists()):
        if not demo_allowed:
            raise ConfigError(NO_CONFIG)
        return parse(DEMO_CONFIG.read_text(encoding="utf-8"), source=None, base_dir=Path.cwd())
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"файл настроек не найден: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"«{path}» — папка, а нужен файл настроек") from None
    except OSError as exc:
        raise ConfigError(f"не удалось прочитать файл настроек {path}: {exc.strerror or exc}") from None
    problems: list[str] = []
    text = decode_config(data, problems)
    return parse(text, source=path, base_dir=path.resolve().parent, problems=problems)


EXAMPLE_CONFIG = Path(__file__).resolve().parents[1] / "config.example.toml"
NO_CONFIG = (f"нет файла настроек config.toml в текущей папке. Скопируйте пример с пояснениями "
             f"«{EXAMPLE_CONFIG}» в config.toml и заполните его (или укажите файл: --config ПУТЬ); "
             "встроенные демонстрационные настройки работают только в «python run.py demo»")


def decode_config(data: bytes, problems: list[str]) -> str:
    """The file's text. A UTF-8 BOM (Notepad's «UTF-8 с BOM») and UTF-16 with a BOM (Notepad's
    «Юникод») are read as they are; any other non-UTF-8 file is a problem explained with the fix,
    and its text is decoded as Windows-1251 so that the rest of the file is still checked."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        guess = " (похоже, в кодировке Windows-1251 — «ANSI» в Блокноте)" if _looks_cp1251(data) else ""
        problems.append(f"файл сохранён не в кодировке UTF-8{guess}, первый такой символ — в строке {line}: "
                        "откройте файл в Блокноте, «Файл → Сохранить как», внизу «Кодировка: UTF-8» "
                        "(в Notepad++: «Кодировки → Преобразовать в UTF-8») и сохраните")
        return data.decode("cp1251", errors="replace")


def _looks_cp1251(data: bytes) -> bool:
    """Most bytes above 0x7F are Cyrillic letters in Windows-1251 (0xC0–0xFF, Ё/ё)."""
    high = [b for b in data if b > 0x7F]
    return bool(high) and sum(b >= 0xC0 or b in (0xA8, 0xB8) for b in high) >= 0.8 * len(high)


def parse(text: str, *, source: Path | None, base_dir: Path, problems: list[str] | None = None) -> Config:
    problems = [] if problems is None else problems
    raw = parse_toml(text, problems)
    if raw is None:    # not TOML enough to check the values: what is missing would only mislead
        raise ConfigProblems(problems, source)
    config = _build(raw, base_dir, source, problems)
    if problems:
        raise ConfigProblems(problems, source)
    return config


MAX_SYNTAX_PROBLEMS = 20
_AT = re.compile(r"\(at line (\d+), column (\d+)\)$")


def parse_toml(text: str, problems: list[str]) -> dict | None:
    """The TOML document; each syntax error becomes one explained problem and its line is left
    out, so that the errors after it (and the values' own problems) are found in the same pass.
    None when the document could not be recovered."""
    lines = text.split("\n")
    for _ in range(MAX_SYNTAX_PROBLEMS):
        try:
            return tomllib.loads("\n".join(lines))
        except tomllib.TOMLDecodeError as exc:
            where = _AT.search(str(exc))
            number = int(where.group(1)) if where else _first_failing_line(lines, _AT_END.sub("", str(exc)))
            if number is None or not 0 < number <= len(lines):
                problems.append(f"ошибка синтаксиса TOML: {explain_syntax(str(exc), '')}")
                return None
            problems.append(f"строка {number}: {explain_syntax(str(exc), lines[number - 1])}")
            lines[number - 1] = ""
    problems.append(f"ошибок синтаксиса больше {MAX_SYNTAX_PROBLEMS}: это точно файл настроек TOML?")
    return None


_AT_END = re.compile(r"\s*\(at end of document\)$")


def _first_failing_line(lines: list[str], reason: str) -> int:
    """tomllib names no line for an error on the last statement (a key given twice, a string
    left open: «at end of document»). The first prefix of the file that fails for the same reason
    ends on that line; errors come in the order of the text, so a bisection finds it."""
    def fails(number: int) -> bool:
        try:
            tomllib.loads("\n".join(lines[:number]))
        except tomllib.TOMLDecodeError as exc:
            return _AT.sub("", _AT_END.sub("", str(exc))).strip() == reason
        return False
    low, high = 1, len(lines)          # fails(len(lines)) holds: it is the error being placed
    while low < high:
        middle = (low + high) // 2
        if fails(middle):
            high = middle
        else:
            low = middle + 1
    return low


# tomllib's messages (Python 3.11) and what a person should do about each.
_SYNTAX_HINTS = (
    ("Cannot overwrite a value", "параметр или раздел задан дважды — оставьте один"),
    ("Cannot declare", "раздел задан дважды — оставьте один (список разделов пишут [[…]])"),
    ("Expected '=' after a key", "после имени параметра нужен знак «=»: имя = значение"),
    ("Expected ']' at the end of a table", "название раздела закрывают скобкой: [mail]"),
    ("Unterminated string", "не закрыта кавычка"),
    ("Expected newline or end of document", "после значения в строке лишний текст (комментарий начинают с #)"),
    ("Invalid value", "неверное значение: текст берут в кавычки (\"…\"), числа и true/false — без"),
    ("Invalid statement", "строка не похожа ни на «имя = значение», ни на [раздел]"),
    ("Illegal character '\\n'", "не закрыта кавычка: текст в кавычках должен кончаться в той же строке"),
    ("Illegal character", "недопустимый символ (например, табуляция или управляющий символ внутри текста)"),
    ("Unclosed array", "не закрыт список: нужна «]»"),
    ("Unclosed inline table", "не закрыта «}»"),
)


def explain_syntax(message: str, line: str) -> str:
    """A Russian explanation of a tomllib error; `line` is the text of the line it names."""
    reason = _AT_END.sub("", _AT.sub("", message)).strip()
    if "\\" in line and '"' in line and any(word in reason for word in ("Unescaped '\\'", "hex value",
                                                                          "escape sequence")):
        return backslash_hint(line)
    hint = next((text for start, text in _SYNTAX_HINTS if reason.startswith(start)), None)
    shown = "".join(c if c.isprintable() else "·" for c in line.strip())   # no control bytes on a terminal
    shown = f"«{shown[:80]}{'…' if len(shown) > 80 else ''}»: " if shown else ""
    return f"{shown}{hint} ({reason})" if hint else f"{shown}ошибка синтаксиса TOML ({reason})"


def backslash_hint(line: str) -> str:
    """A Windows path written "C:\\…": TOML takes «\\» in "…" for an escape (\\U, \\n …)."""
    key, _, value = line.partition("=")
    key, value = key.strip() or "путь", value.strip()
    if value.count('"') >= 2:
        value = value[value.index('"') + 1:value.rindex('"')]
    else:
        value = "C:\\Отклик\\data"
    return (f"{key}: путь Windows с обратной косой чертой «\\» в двойных кавычках — в TOML она начинает "
            f"спецсимвол (\\n, \\U …). Напишите путь в одинарных кавычках: {key} = '{value}' "
            f"или через прямую черту: {key} = \"{value.replace(chr(92), '/')}\"")


# Values that are paths: a "C:\\new" that TOML read without an error has a line break in it.
PATH_KEYS = {"general": ("data_dir", "ledger"), "site": ("output_dir",)}


def _check_paths(raw: dict, problems: list[str]) -> None:
    for section, keys in PATH_KEYS.items():
        table = raw.get(section)
        for key in keys if isinstance(table, dict) else ():
            value = table.get(key)
            if isinstance(value, str) and any(ord(c) < 32 for c in value):
                shown = value.encode("unicode_escape").decode("ascii").replace("\\\\", "\\")
                problems.append(f"{section}.{key}: в пути «{shown}» управляющий символ — "
                                + backslash_hint(f'{key} = "{shown}"'))
            elif value is not None and not isinstance(value, str):
                problems.append(f"{section}.{key}: нужен путь в кавычках, а не «{value}»")


# Exchange beyond url/user/password (mailer/exchange.py): OAuth 2.0 client credentials, the folders
# (paths under the Inbox, «/» between levels) and the seconds between two looks for new mail.
EXCHANGE_KEYS = ("exchange_client_id", "exchange_tenant_id", "exchange_client_secret_env", "exchange_token_url",
                 "exchange_oauth_scope", "exchange_folder", "exchange_processed_folder",
                 "exchange_set_aside_folder", "exchange_poll_interval")
EXCHANGE_AUTH = ("ntlm", "basic", "oauth2")
EXCHANGE_VERSIONS = ("2013", "2016", "2019")


# Every key the configuration knows, per section (SPEC §7); anything else is reported with the
# closest known key, so a typo («imap_hots») never silently falls back to a default.
KNOWN_KEYS: dict[str, frozenset[str]] = {
    "general": frozenset({"case_prefix", "timezone", "data_dir", "ledger", "operator_emails", "deputy_head_emails",
                          "registry_emails", "attachment_limit_mb", "ledger_lock_alert_minutes"}),
    "mail": frozenset({"backend", "address", "imap_host", "imap_port", "imap_security", "imap_user",
                       "imap_password_env", "processed_folder", "smtp_host", "smtp_port", "smtp_security",
                       "smtp_user", "smtp_password_env", "exchange_url", "exchange_user", "exchange_password_env",
                       "exchange_auth", "exchange_version", "read_existing", "batch_size", *EXCHANGE_KEYS}),
    "worktime": frozenset({"hours", "extra_days_off", "extra_working_days", "short_days"}),
    "site": frozenset({"output_dir", "title", "base_url"}),
    "reminders": frozenset({"escalate_after_days", "digest_time"}),
    "report": frozenset({"min_messages"}),
    "retention": frozenset({"raw_mail_days", "journal_days", "purge_after_days"}),
    "store": frozenset({"url", "schema", "password_env"}),
    "departments": frozenset({"code", "name", "emails", "head_emails", "keywords", "description"}),
    "external_bodies": frozenset({"code", "name", "competence", "address", "site"}),
}
CHANNEL_SECTIONS = ("vk", "telegram", "ok")     # their keys are checked by bridge/channels


def _unknown_keys(raw: dict, problems: list[str]) -> None:
    sections = set(KNOWN_KEYS) | set(CHANNEL_SECTIONS)
    for name, value in raw.items():
        if name not in sections:
            problems.append(f"неизвестный раздел [{name}]{_closest(name, sections)}")
            continue
        if name in CHANNEL_SECTIONS:
            continue
        tables = value if isinstance(value, list) else [value]
        for table in tables:
            if not isinstance(table, dict):
                continue
            for key in table:
                if key not in KNOWN_KEYS[name]:
                    problems.append(f"{name}.{key}: неизвестный параметр{_closest(key, KNOWN_KEYS[name])}")


def _closest(word: str, known) -> str:
    import difflib
    found = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return f" (может быть, «{found[0]}»?)" if found else ""


def _build(raw: dict, base_dir: Path, source: Path | None, problems: list[str]) -> Config:
    _unknown_keys(raw, problems)
    _check_paths(raw, problems)
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
    _check_base_url(site, problems)
    _check_schedule(raw, problems)
    store = _store(_section(raw, "store", problems), problems)
    return Config(
        **store,
        source=source, base_dir=base_dir, case_prefix=prefix, tz=tz, data_dir=data_dir, ledger=ledger,
        calendar=_calendar(_section(raw, "worktime", problems), tz, problems),
        departments=_departments(raw.get("departments", []), problems),
        mail=mail,
        channels=_channel_pages(raw, problems),
        site_dir=base_dir / str(site.get("output_dir", "data/site")),
        site_title=str(site.get("title", "Информационные сообщения")),
        external_bodies=_external_bodies(raw.get("external_bodies", []), problems),
        operator_emails=_emails(general, "operator_emails", problems),
        deputy_head_emails=_emails(general, "deputy_head_emails", problems),
        registry_emails=_emails(general, "registry_emails", problems),
        attachment_limit=int(_number(general, "attachment_limit_mb", 10, problems, maximum=10240) * 1024 * 1024),
        ledger_lock_alert_minutes=int(_number(general, "ledger_lock_alert_minutes", 60, problems,
                                              maximum=7 * 24 * 60)),
        raw=raw,
    )


def _channel_pages(raw: dict, problems: list[str]) -> dict[str, dict]:
    """[vk]/[[vk]], [telegram]/[[telegram]], [ok]/[[ok]]: one entry per page (`vk`, `vk:<name>`)."""
    from bridge.channels import page_sections
    return page_sections(raw, problems)


_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _store(store: dict, problems: list[str]) -> dict:
    """[store] url / schema / password_env (issue 15; README «Региональное развёртывание»)."""
    url = str(store.get("url", "")).strip()
    if not url:
        if store:
            problems.append("[store]: нужен url, например \"postgresql://otklik@db.region.local/otklik\"")
        return {}
    if not re.match(r"^postgres(ql)?://", url):
        problems.append(f"store.url «{url}»: поддерживается только PostgreSQL (postgresql://…); без [store] "
                        "база — SQLite в папке данных")
    elif re.match(r"^postgres(ql)?://[^/@]*:[^/@]*@", url):
        problems.append("store.url: пароль в настройках не хранится — уберите его из адреса и назовите "
                        "переменную окружения в store.password_env")
    schema = str(store.get("schema", ""))
    if not _SCHEMA.match(schema):
        problems.append(f"store.schema «{schema}»: нужна схема этой администрации — строчные латинские буквы, "
                        "цифры и «_», например \"okha\"")
    return {"store_url": url, "store_schema": schema, "store_password_env": str(store.get("password_env", ""))}


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


def _number(section: dict, key: str, default: float, problems: list[str], *, maximum: float) -> float:
    """A positive finite number up to `maximum` (TOML also allows inf and nan)."""
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        problems.append(f"{key}: нужно положительное число, а не «{value}»")
        return default
    if value > maximum:
        problems.append(f"{key}: «{value}» — слишком много (не больше {maximum:g})")
        return default
    return value


def _whole(section: dict, name: str, low: int, high: int, problems: list[str]) -> None:
    """`name` is "section.key"; an absent key is fine (its step has a default)."""
    value = section.get(name.partition(".")[2], low)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(f"{name}: нужно целое число от {low} до {high}, а не «{value}»")


def _check_base_url(site: dict, problems: list[str]) -> None:
    """RSS 2.0 wants absolute links: `[site] base_url` is the section's address on the web."""
    from urllib.parse import urlsplit
    value = site.get("base_url")
    if value is None:
        return
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(f"site.base_url: «{value}» — нужен полный адрес раздела на сайте, например "
                        "\"https://adm-okha.ru/info/\"")


def _check_schedule(raw: dict, problems: list[str]) -> None:
    """[reminders] and [report]: read by their steps, which would quietly fall back to defaults
    (or overflow on a huge number), so a wrong value is reported here."""
    reminders, report = raw.get("reminders", {}), raw.get("report", {})
    if isinstance(reminders, dict):
        _whole(reminders, "reminders.escalate_after_days", 1, 365, problems)
        digest_time = reminders.get("digest_time", "09:30")
        try:
            time.fromisoformat(digest_time if isinstance(digest_time, str) else "")
        except ValueError:
            problems.append(f"reminders.digest_time: «{digest_time}» — нужно время ЧЧ:ММ, например \"09:30\"")
    if isinstance(report, dict):
        _whole(report, "report.min_messages", 1, 100000, problems)
    retention = raw.get("retention", {})
    if isinstance(retention, dict):   # 152-ФЗ: a typo must not keep data for ever or purge it at once
        for key in ("raw_mail_days", "journal_days", "purge_after_days"):
            _whole(retention, f"retention.{key}", 1, 36500, problems)


def _emails(section: dict, key: str, problems: list[str]) -> tuple[str, ...]:
    value = section.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        problems.append(f"{key}: нужен список адресов, например [\"oso@adm-okha.ru\"], а не «{value}»")
        return ()
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
    if backend == "exchange":
        _check_exchange(mail, problems)
    for key, value in mail.items():
        if ("password" in key or "token" in key or "secret" in key) and not key.endswith(("_env", "_url")):
            problems.append(f"mail.{key}: пароли хранятся только в переменных окружения (укажите {key}_env)")


def _check_exchange(mail: dict, problems: list[str]) -> None:
    """[mail] with backend = "exchange": the keys mailer/exchange.py needs, by way of entry."""
    auth = mail.get("exchange_auth", "ntlm")
    if auth not in EXCHANGE_AUTH:
        problems.append(f"mail.exchange_auth «{auth}»: возможно {', '.join(EXCHANGE_AUTH)}")
    if "exchange_version" in mail and str(mail["exchange_version"]) not in EXCHANGE_VERSIONS:
        problems.append(f"mail.exchange_version «{mail['exchange_version']}»: возможно {', '.join(EXCHANGE_VERSIONS)}")
    needed = ["exchange_url"] + (["exchange_client_id", "exchange_tenant_id", "exchange_client_secret_env"]
                                 if auth == "oauth2" else ["exchange_user", "exchange_password_env"])
    for key in needed:
        if not str(mail.get(key, "")).strip():
            problems.append(f"mail.{key}: нужен для backend = \"exchange\" и exchange_auth = \"{auth}\"")
    for key in ("exchange_url", "exchange_token_url"):
        if key in mail and not str(mail[key]).startswith(("https://", "http://")):
            problems.append(f"mail.{key}: нужен адрес вида https://…, а не «{mail[key]}»")
    interval = mail.get("exchange_poll_interval", 10)
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not 1 <= interval <= 3600:
        problems.append(f"mail.exchange_poll_interval: нужно число секунд от 1 до 3600, а не «{interval}»")
    for key in ("exchange_folder", "exchange_processed_folder", "exchange_set_aside_folder"):
        if key in mail and not isinstance(mail[key], str):
            problems.append(f"mail.{key}: нужен путь папки под «Входящими», например \"Обращения/Обработанные\"")


def _calendar(worktime: dict, tz: ZoneInfo, problems: list[str]) -> WorkCalendar:
    calendar = WorkCalendar(tz=tz, hours=_hours(worktime, problems),
                            extra_days_off=_dates(worktime, "extra_days_off", problems),
                            extra_working_days=_dates(worktime, "extra_working_days", problems),
                            short_days=_dates(worktime, "short_days", problems))
    both = sorted(calendar.extra_days_off & calendar.extra_working_days)
    if both:
        problems.append(f"worktime: {', '.join(f'{d:%d.%m.%Y}' for d in both[:3])}"
                        f"{' …' if len(both) > 3 else ''} — и в extra_days_off, и в extra_working_days")
    idle = longest_idle_run(calendar)
    if idle and (idle[1] - idle[0]).days + 1 > MAX_IDLE_DAYS:
        first, last = idle
        problems.append(f"worktime: с {first:%d.%m.%Y} по {last:%d.%m.%Y} нет рабочего времени, больше двух "
                        "лет подряд — сроки нельзя посчитать; проверьте extra_days_off и short_days")
    return calendar


def _hours(worktime: dict, problems: list[str]) -> tuple:
    spans = worktime.get("hours", _DEFAULT_HOURS)
    if not isinstance(spans, list) or not spans or not all(isinstance(span, str) for span in spans):
        problems.append(f"worktime.hours: нужен непустой список интервалов, например "
                        f"[\"09:00-13:00\", \"14:00-18:00\"], а не «{spans}»")
        return parse_hours(_DEFAULT_HOURS)
    try:
        return parse_hours(spans)
    except ValueError as exc:
        problems.append(f"worktime.hours: {exc}")
        return parse_hours(_DEFAULT_HOURS)


def _dates(section: dict, key: str, problems: list[str]) -> frozenset[date]:
    """A list of dates: TOML dates or "ГГГГ-ММ-ДД" text. A TOML date-time is refused, not
    ignored: a `datetime` is a `date` subclass that never equals a day of the calendar."""
    values = section.get(key, [])
    if not isinstance(values, list):
        problems.append(f"worktime.{key}: нужен список дат, например [\"2026-12-31\"], а не «{values}»")
        return frozenset()
    result = set()
    for value in values:
        if isinstance(value, datetime):
            problems.append(f"worktime.{key}: «{value.isoformat()}» — дата со временем; нужна только "
                            "дата ГГГГ-ММ-ДД")
        elif isinstance(value, date):
            result.add(value)
        elif isinstance(value, str) and _ISO_DATE.match(value.strip()):
            try:
                result.add(date.fromisoformat(value.strip()))
            except ValueError:
                problems.append(f"worktime.{key}: «{value}» — такой даты нет")
        else:
            problems.append(f"worktime.{key}: «{value}» — не дата ГГГГ-ММ-ДД")
    return frozenset(result)


def _departments(items: Any, problems: list[str]) -> tuple[Department, ...]:
    departments, seen = [], set()
    for number, item in enumerate(items if isinstance(items, list) else [], start=1):
        if not isinstance(item, dict):
            problems.append(f"departments №{number}: «{item}» — нужен раздел [[departments]] с code, name, emails")
            continue
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
        if not isinstance(item, dict):
            problems.append(f"external_bodies: «{item}» — нужен раздел [[external_bodies]] с name")
            continue
        if not item.get("name"):
            problems.append("external_bodies: у органа нет name")
            continue
        bodies.append(ExternalBody(code=str(item.get("code", "")), name=str(item["name"]),
                                   competence=str(item.get("competence", "")),
                                   address=str(item.get("address", "")), site=str(item.get("site", ""))))
    return tuple(bodies)
