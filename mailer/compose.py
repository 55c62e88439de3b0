"""Build every email the bridge sends, from the Jinja2 templates in `templates/mail/`.

Pure: this module turns plain data into `email.message.EmailMessage` objects (HTML with a plain
alternative, the citizen's files attached) and never talks to a server; sending is the outbox's
job. Citizen text is cleaned of control characters before it reaches a template, HTML templates
autoescape, and every header value loses CR/LF so no header can be injected.
"""

from __future__ import annotations

import functools
import re
import secrets
import unicodedata
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Mapping, Sequence
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup, escape

from bridge.core.vocabulary import zone_label

from mailer.addresses import ascii_domain

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

# The one line of §1 step 4; templates show it, tests and readers can find it here.
REPLY_INSTRUCTION = ("Ответьте на это письмо; всё, что выше цитаты, станет ответом; "
                     "вложения будут приложены.")

# Reasons for an explanation (п. 3.7): code → words in «Основание» and in the mail.
REASON_LABELS = {
    "out_of_competence": "вне компетенции",
    "bypass_law": "обход закона",
    "court_appeal": "обжалование судебного акта",
    "repeat": "повторный вопрос",
}

# What the explanation must contain for each reason (п. 3.7, second list).
REASON_HINTS = {
    "out_of_competence": "В разъяснении укажите, какой орган или должностное лицо решает "
                         "этот вопрос.",
    "bypass_law": "В разъяснении укажите на недопустимость злоупотребления правом.",
    "court_appeal": "В разъяснении опишите порядок обжалования судебного акта.",
    "repeat": "В разъяснении сошлитесь на ответы, которые уже давались по этому вопросу.",
}


SUBJECT_EXCERPT_CHARS = 60
ELLIPSIS = "…"
NO_TEXT = "(без текста)"
DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024


@dataclass(frozen=True)
class MailCase:
    """What a case mail shows; plain data the caller passes (no store access here)."""

    case_id: str                # 'OKH-2026-00042'
    channel_label: str          # 'ВКонтакте' | 'Telegram' | 'Одноклассники' | hand-typed
    kind_label: str             # «Комментарий», «Личное сообщение», ...
    author_name: str
    link: str
    text: str
    posted_at: datetime         # aware
    deadline: datetime | None   # aware, shown in local time
    department_name: str


@dataclass(frozen=True)
class OutgoingFile:
    filename: str
    content_type: str
    data: bytes


# ---------------------------------------------------------------- text hygiene

def _is_invisible(char: str) -> bool:
    """Control, format, surrogate, private and unassigned code points (categories C*)."""
    return unicodedata.category(char)[0] == "C"


def clean_line(value: object) -> str:
    """One line of text: control characters and line breaks become spaces, runs collapse."""
    text = "".join(" " if _is_invisible(c) or c.isspace() else c for c in str(value or ""))
    return " ".join(text.split())


def clean_text(value: object) -> str:
    """Multi-line text: newlines normalised to \\n, other control characters dropped."""
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n").replace("\t", "    ")
    kept = "".join(c for c in text if c == "\n" or not _is_invisible(c))
    return "\n".join(line.rstrip() for line in kept.split("\n")).strip("\n")


def clean_case(case: MailCase) -> MailCase:
    """The case as templates see it: every field safe to print."""
    changes = {f.name: clean_line(getattr(case, f.name)) for f in fields(case)
               if isinstance(getattr(case, f.name), str) and f.name != "text"}
    return replace(case, text=clean_text(case.text), **changes)


# ---------------------------------------------------------------- formatting for people

def plural(number: int, one: str, few: str, many: str) -> str:
    """Russian noun form for a count: 1 день, 2 дня, 5 дней, 21 день."""
    n = abs(number) % 100
    if 11 <= n <= 14:
        return many
    return {1: one, 2: few, 3: few, 4: few}.get(n % 10, many)


def format_when(value: datetime | None, tz: ZoneInfo | None = None) -> str:
    """'28.11.2026 15:00 (Сахалин)'; an empty string for no date."""
    if value is None:
        return ""
    local = value.astimezone(tz) if tz is not None else value
    return f"{local:%d.%m.%Y %H:%M} ({zone_label(tz or local.tzinfo)})"


def format_day(value: date | datetime | None, tz: ZoneInfo | None = None) -> str:
    """'28.11.2026'."""
    if value is None:
        return ""
    if isinstance(value, datetime) and tz is not None:
        value = value.astimezone(tz)
    return f"{value:%d.%m.%Y}"


def format_duration(delta: timedelta) -> str:
    """The two largest units of a span: '1 день 3 часа', '5 часов 20 минут', '15 минут'."""
    minutes = max(0, int(abs(delta).total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    units = [(days, ("день", "дня", "дней")), (hours, ("час", "часа", "часов")),
             (mins, ("минута", "минуты", "минут"))]
    shown = [f"{n} {plural(n, *forms)}" for n, forms in units if n][:2]
    return " ".join(shown) or "меньше минуты"


def format_size(size: int) -> str:
    """'12,4 МБ' or '35 КБ' (decimal comma, as Russian readers expect)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} КБ"
    return f"{size / (1024 * 1024):.1f}".replace(".", ",") + " МБ"


# ---------------------------------------------------------------- identifiers and subject

_CASE_ID = re.compile(r"[A-Za-z0-9_-]+")
_HOST_JUNK = re.compile(r"[^A-Za-z0-9.-]")


def _clean_host(host: str) -> str:
    cleaned = _HOST_JUNK.sub("", host or "").strip(".")
    if not cleaned:
        raise ValueError(f"bad host for Message-ID: {host!r}")
    return cleaned


def message_id(case_id: str, host: str) -> str:
    """'<OKH-2026-00042.<random hex>@host>' (§3): the case ID is readable in every reply."""
    if not _CASE_ID.fullmatch(case_id or ""):
        raise ValueError(f"bad case id for Message-ID: {case_id!r}")
    return f"<{case_id}.{secrets.token_hex(8)}@{_clean_host(host)}>"


def general_message_id(host: str) -> str:
    """Message-ID for mail that belongs to no case (digest, summary)."""
    return f"<otklik.{secrets.token_hex(8)}@{_clean_host(host)}>"


def _shorten(text: str, limit: int) -> str:
    """Cut at a word boundary when there is one, and mark the cut with '…'."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:-") + ELLIPSIS


def subject_for(case: MailCase, max_words: int = 8) -> str:
    """'[OKH-2026-00042] ВКонтакте: <first words of the message>' (§3)."""
    words = clean_line(case.text).split()
    excerpt = " ".join(words[:max_words])
    if len(words) > max_words and len(excerpt) < SUBJECT_EXCERPT_CHARS:
        excerpt = excerpt.rstrip(" ,.;:-") + ELLIPSIS
    excerpt = _shorten(excerpt, SUBJECT_EXCERPT_CHARS) or NO_TEXT
    channel = clean_line(case.channel_label) or "Сообщение"
    return f"[{clean_line(case.case_id)}] {channel}: {excerpt}"


# ---------------------------------------------------------------- templates

def nl2br(value: object) -> Markup:
    """Escaped text with its line breaks kept, for HTML parts."""
    return Markup("<br>\n").join(escape(line) for line in clean_text(value).split("\n"))


def safe_url(value: object) -> str:
    """Only http(s) links become clickable; anything else (javascript:, data:) is dropped."""
    url = clean_line(value)
    return url if re.match(r"^https?://", url, re.IGNORECASE) else ""


def _require(value: object) -> object:
    """A missing context value must fail the render, not print as a blank date."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises UndefinedError naming the missing key
    return value


@jinja2.pass_context
def _when_filter(ctx: jinja2.runtime.Context, value: datetime | None) -> str:
    return format_when(_require(value), ctx.get("tz"))


@jinja2.pass_context
def _day_filter(ctx: jinja2.runtime.Context, value: date | datetime | None) -> str:
    return format_day(_require(value), ctx.get("tz"))


def build_environment(root: Path = TEMPLATES_DIR) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html"),
                                            default_for_string=False, default=False),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    env.filters.update(when=_when_filter, day=_day_filter, duration=format_duration,
                       size=format_size, nl2br=nl2br, url=safe_url, line=clean_line,
                       text=clean_text, filename=clean_filename)
    env.globals.update(reply_instruction=REPLY_INSTRUCTION, reason_labels=REASON_LABELS,
                       reason_hints=REASON_HINTS)
    return env


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared environment over `templates/` (built once; templates are cached in it)."""
    return build_environment()


def _tidy(text: str) -> str:
    """No trailing spaces (but the '-- ' signature mark), at most one blank line in a row."""
    lines = [line if line == "-- " else line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def _tidy_html(html: str) -> str:
    """Blank lines left by template tags carry no meaning in HTML; drop them."""
    return "\n".join(line for line in html.split("\n") if line.strip()) + "\n"


def render_text(name: str, **context: object) -> str:
    """A plain text for citizens from `templates/texts/<name>.txt.j2` (п. 3.7, 3.8)."""
    context.setdefault("tz", None)
    template = environment().get_template(f"texts/{name}.txt.j2")
    return _tidy(template.render(context))


def _render_subject(template: jinja2.Template, context: Mapping) -> str | None:
    block = template.blocks.get("subject")
    if block is None:
        return None
    return clean_line("".join(block(template.new_context(dict(context))))) or None


def render_parts(name: str, context: Mapping) -> tuple[str | None, str, str]:
    """(subject from the template or None, plain text, HTML) of `templates/mail/<name>`."""
    plain = environment().get_template(f"mail/{name}.txt.j2")
    html = environment().get_template(f"mail/{name}.html.j2")
    return (_render_subject(plain, context), _tidy(plain.render(context)),
            _tidy_html(html.render(context)))


# ---------------------------------------------------------------- attachments

_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$")


def clean_filename(name: str) -> str:
    """A file name safe for a header and for the reader's disk: no paths, no control chars."""
    base = clean_line(name).replace("\\", "/").rsplit("/", 1)[-1].strip(" .")
    return base or "вложение"


def split_attachments(files: Sequence[OutgoingFile], limit: int
                      ) -> tuple[list[OutgoingFile], list[OutgoingFile]]:
    """(attached, too big): files go in while they fit in `limit` bytes for the whole mail,
    so a mail server with a size limit never rejects the mail; the rest are listed instead."""
    attached, too_big, used = [], [], 0
    for file in files:
        if used + len(file.data) <= limit:
            attached.append(file)
            used += len(file.data)
        else:
            too_big.append(file)
    return attached, too_big


def _attach(msg: EmailMessage, file: OutgoingFile) -> None:
    content_type = file.content_type.strip().lower()
    if not _CONTENT_TYPE.match(content_type):
        content_type = "application/octet-stream"
    maintype, subtype = content_type.split("/", 1)
    name = clean_filename(file.filename)
    # filename* and name* in RFC 2231 form: Outlook, Thunderbird and webmail all read them.
    msg.add_attachment(file.data, maintype=maintype, subtype=subtype, filename=name,
                       params={"name": name})


# ---------------------------------------------------------------- the message

def _msg_ids(values: Sequence[str]) -> list[str]:
    ids = []
    for value in values:
        text = clean_line(value).strip("<>")
        if text and " " not in text and f"<{text}>" not in ids:
            ids.append(f"<{text}>")
    return ids


def _set_threading(msg: EmailMessage, in_reply_to: str | None, references: Sequence[str]) -> None:
    """All mail for a case stays in one thread (§3): RFC 5322 §3.6.4."""
    parent = _msg_ids([in_reply_to] if in_reply_to else [])
    chain = _msg_ids([*references, *parent])
    if parent:
        msg["In-Reply-To"] = parent[0]
    if chain:
        msg["References"] = " ".join(chain)


def _set_headers(msg: EmailMessage, *, subject: str, to: Sequence[str], from_addr: str,
                 msgid: str, when: datetime, case_id: str | None) -> None:
    """Every value goes through clean_line: no CR/LF, so header injection is impossible."""
    recipients = [ascii_domain(clean_line(addr)) for addr in to if clean_line(addr)]
    ids = _msg_ids([msgid])
    if not recipients or not ids:
        raise ValueError("an email needs a recipient and a valid Message-ID")
    msg["Subject"] = clean_line(subject)
    msg["From"] = clean_line(from_addr)
    msg["Reply-To"] = clean_line(from_addr)
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = ids[0]
    # RFC 3834 §5: we are a robot; Exchange must not send out-of-office replies to us.
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    if case_id:
        msg["X-Otklik-Case"] = clean_line(case_id)


def compose(template: str, *, case: MailCase | None, to: Sequence[str], from_addr: str,
            host: str, tz: ZoneInfo, context: Mapping = {},
            attachments: Sequence[OutgoingFile] = (),
            attachment_limit: int = DEFAULT_ATTACHMENT_LIMIT, in_reply_to: str | None = None,
            references: Sequence[str] = (), msgid: str | None = None,
            date: datetime) -> EmailMessage:
    """One ready-to-send mail from `templates/mail/<template>.{txt,html}.j2`.

    The subject is the template's `{% block subject %}` when it has one, else `subject_for`.
    `date` is the Date header (the cycle's now); templates that need "now" get it in `context`.
    """
    shown = clean_case(case) if case else None
    attached, too_big = split_attachments(attachments, attachment_limit)
    values = {**context, "case": shown, "tz": tz, "attached": attached, "too_big": too_big}
    subject, plain, html = render_parts(template, values)
    msg = EmailMessage()
    _set_headers(msg, subject=subject or (subject_for(case) if case else "Отклик"), to=to,
                 from_addr=from_addr, case_id=case.case_id if case else None,
                 msgid=msgid or (message_id(case.case_id, host) if case
                                 else general_message_id(host)),
                 when=date)
    _set_threading(msg, in_reply_to, references)
    msg.set_content(plain, subtype="plain", cte="base64")
    msg.add_alternative(html, subtype="html", cte="base64")
    for file in attached:
        _attach(msg, file)
    return msg
