"""Keep only what the department wrote: no quoted original, signature, footer or disclaimer.

SPEC §3 «Answer text». Works on plain text in which quoted lines start with '>' (HTML bodies
are converted by `html_text.py` first). Every rule below is a named pattern in a table, so an
administrator can read which lines are dropped and why.
"""

from __future__ import annotations

import re

from mailer.disclaimers import disclaimer_themes, is_disclaimer
from mailer.footers import footer_client
from mailer.html_text import CELL
from mailer.signatures import signature_start

I = re.IGNORECASE

# «Вы писали 26 ноября 2026 г., 10:15:» (The Bat!) — preceded by its template greeting.
BAT_ATTRIBUTION = re.compile(r"^(вы писали|you wrote)\b.*:$", I)
BAT_GREETING = re.compile(r"^(здравствуйте|добрый день|hello|hi)\b.{0,60}$", I)
DATE_OR_TIME = re.compile(r"\d{1,2}:\d{2}|\b(19|20)\d\d\b|\d{1,2}\.\d{1,2}\.\d{2,4}")
ADDRESS = re.compile(r"@|<[^<>]*>")
WROTE = re.compile(r"(пишет|писал|писала|написал|написала|написал\(а\)|писал\(а\)|wrote|"
                   r"schrieb|a écrit)\s*:$", I)

# Lines from which the rest is the original (Outlook, OWA, МойОфис, forwards).
SEPARATORS = [
    ("original", re.compile(r"^-{2,}\s*(исходное сообщение|original message|"
                            r"пересылаемое сообщение|forwarded message|переадресованное "
                            r"сообщение|перенаправленное сообщение)\s*-{2,}$", I)),
    ("forward", re.compile(r"^(begin forwarded message|начало переадресованного сообщения|"
                           r"начало пересылаемого сообщения):?$", I)),
    ("outlook rule", re.compile(r"^_{10,}$")),
]
HEADER_FROM = re.compile(r"^\*?(от|from|отправитель)\s*:\*?\s*\S", I)
HEADER_FIELD = re.compile(r"^\*?(отправлено|дата|sent|date|кому|to|тема|subject|копия|cc)"
                          r"\s*:\*?", I)

# Lines at which the department's own words end (SPEC §3: signature, footers, disclaimers);
# "sent from" footers are the table of footers.py.
SIGNATURE_STARTS = [
    ("sig dash", re.compile(r"^(--|—|__)\s*$")),
    ("valediction", re.compile(
        r"^(с уважением|с наилучшими пожеланиями|всего доброго|всего наилучшего|"
        r"best regards|kind regards|warm regards|regards|best wishes|sincerely)"
        r"\s*([,.!]|$)", I)),
    ("thanks", re.compile(r"^(спасибо|благодарю|thanks|thank you|cheers)\s*,?\s*$", I)),
    ("disclaimer heading", re.compile(
        r"^(конфиденциальность\s*:|предупреждение о конфиденциальности|confidentiality|"
        r"disclaimer)", I)),
    # a sentence that opens a disclaimer; it must speak of one of its themes (disclaimers.py),
    # so that «Данное письмо является ответом…, приложение — акт» stays
    ("disclaimer sentence", re.compile(
        r"^((данное|настоящее|это)\s+(электронное\s+)?(сообщение|письмо)\b.{0,60}"
        r"(вложени|приложени|конфиденциальн|предназначен)|информация,? содержащаяся в|"
        r"this (e-?mail|message)\b.{0,40}(attachments|confidential|intended))", I)),
]
NEEDS_THEME = {"disclaimer sentence"}
RULE_LINE = re.compile(r"^[-_=*~.•·—–\s]+$")
COLUMN_GAP = re.compile(r"(?<=\S)(\t+| {3,})(?=\S)")
BREAK = None   # marks where a quoted block stood: the department's blocks become paragraphs


def normalize_lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = re.sub(r"[\u200b-\u200f\u2060\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
    # A tab or a wide gap inside a line separates columns (Outlook's plain text of a table).
    return [COLUMN_GAP.sub(CELL, line.rstrip()).replace("\t", " ") for line in text.split("\n")]


def is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def attribution_span(lines: list[str], i: int) -> tuple[int, bool]:
    """How many lines (1-3) starting at i form a «… пишет:» line; 0 if none. Bat! style flag."""
    candidate = ""
    for width in range(1, 4):
        if i + width > len(lines) or is_quoted(lines[i + width - 1]) or (
                width > 1 and not lines[i + width - 1].strip()):
            break
        candidate = (candidate + " " + lines[i + width - 1].strip()).strip()
        if len(candidate) > 400:
            break
        if BAT_ATTRIBUTION.match(candidate):
            return width, True
        if is_attribution(candidate):
            return (width, False) if width == 1 or is_wrapped_start(lines, i, width) else (0, False)
    return 0, False


def is_wrapped_start(lines: list[str], i: int, width: int) -> bool:
    """A wrapped attribution starts with its date or address, and must not swallow the
    department's last line before an attribution that is complete without it."""
    first = lines[i]
    rest = " ".join(line.strip() for line in lines[i + 1:i + width])
    starts = bool(DATE_OR_TIME.search(first) or ADDRESS.search(first))
    return starts and not (is_attribution(rest) and DATE_OR_TIME.search(rest))


def is_attribution(line: str) -> bool:
    if not line.endswith(":"):
        return False
    dated, addressed, wrote = (bool(DATE_OR_TIME.search(line)), bool(ADDRESS.search(line)),
                               bool(WROTE.search(line)))
    return (dated and (wrote or addressed)) or (addressed and wrote)


def is_header_block(lines: list[str], i: int) -> bool:
    """«От: … / Отправлено: … / Кому: … / Тема: …» — Outlook's and МойОфис's reply header."""
    if not HEADER_FROM.match(lines[i].strip()):
        return False
    following = [line.strip() for line in lines[i + 1:i + 9] if line.strip()][:6]
    return sum(1 for line in following if HEADER_FIELD.match(line)) >= 2


def is_separator(line: str) -> bool:
    return any(pattern.match(line.strip()) for _, pattern in SEPARATORS)


def drop_quotes(lines: list[str]) -> list[str | None]:
    """The unquoted lines, with BREAK where quoted material stood; stops at the original."""
    out: list[str | None] = []
    i = 0
    while i < len(lines):
        if is_quoted(lines[i]):
            out.append(BREAK)
            i += 1
            continue
        span, bat = attribution_span(lines, i)
        if span:
            if bat:
                drop_greeting(out)
            nxt = next((j for j in range(i + span, len(lines)) if lines[j].strip()), None)
            if nxt is not None and not is_quoted(lines[nxt]):
                break   # the original follows unquoted: nothing after is the department's
            out.append(BREAK)
            i += span
            continue
        if is_separator(lines[i]) or is_header_block(lines, i):
            break
        out.append(lines[i])
        i += 1
    return out


def drop_greeting(out: list[str | None]) -> None:
    """The Bat!'s template greeting right before «Вы писали …:» is not the department's."""
    while out and (out[-1] is BREAK or not out[-1].strip()):
        out.pop()
    if out and out[-1] is not BREAK and BAT_GREETING.match(out[-1].strip()):
        out.pop()


def is_break(line: str | None) -> bool:
    return line is BREAK


def ends_here(line: str) -> bool:
    text = line.strip()
    if footer_client(text):
        return True
    return any(p.match(text) and (name not in NEEDS_THEME or disclaimer_themes(text))
               for name, p in SIGNATURE_STARTS)


def cut_signature(lines: list[str | None]) -> list[str | None]:
    """Everything from a valediction, a '-- ' line, a "sent from" footer or a disclaimer on."""
    for index, line in enumerate(lines):
        if line is not BREAK and ends_here(line.replace(CELL, " ")):
            return lines[:index]
    return lines


def drop_disclaimers(lines: list[str | None]) -> list[str | None]:
    """Paragraphs that are disclaimers or gateway banners, wherever they sit."""
    out: list[str | None] = []
    paragraph: list[str] = []
    for index in range(len(lines) + 1):
        line = lines[index] if index < len(lines) else BREAK
        if line is not BREAK and line.strip():
            paragraph.append(line)
            continue
        out.extend(keep_around_disclaimer(paragraph))
        paragraph = []
        if index < len(lines):
            out.append(line)
    return out


def drop_trailing_disclaimers(lines: list[str | None]) -> list[str | None]:
    """Disclaimer paragraphs at the very end, where mail servers append them (a lower bar)."""
    end = len(lines)
    while True:
        while end and (lines[end - 1] is BREAK or not lines[end - 1].strip()):
            end -= 1
        start = end
        while start and lines[start - 1] is not BREAK and lines[start - 1].strip():
            start -= 1
        if start == end:
            return lines[:end]
        kept = keep_around_disclaimer(lines[start:end], trailing=True)
        if kept:   # not a disclaimer, or the department's lines stand around one: stop here
            return lines[:start] + kept
        end = start


def keep_around_disclaimer(paragraph: list[str], trailing: bool = False) -> list[str]:
    """A paragraph that reads as a disclaimer loses its lines from the first to the last one
    that speaks of its themes; lines of no theme before or after it (HTML blocks with no
    blank line between them) are the department's."""
    if not paragraph or not is_disclaimer(" ".join(paragraph).replace(CELL, " "), trailing):
        return paragraph
    themed = [i for i, line in enumerate(paragraph) if disclaimer_themes(line)]
    if not themed:
        return []
    return paragraph[:themed[0]] + paragraph[themed[-1] + 1:]


def drop_trailing_signature(lines: list[str | None]) -> list[str | None]:
    """A trailing block of name, position, phones, e-mails (signatures.py), without a
    valediction before it; the department's words before it must remain."""
    start = signature_start(lines, CELL, is_break)
    if start is None:
        return lines
    has_content = any(line is not BREAK and line.replace(CELL, "").strip()
                      for line in lines[:start])
    return lines[:start] if has_content else lines


def drop_trailing_rules(lines: list[str | None]) -> list[str | None]:
    """A line of dashes, underscores or stars left at the end (it stood above a disclaimer or
    a footer that is gone) is not the department's."""
    end = len(lines)
    while end and (lines[end - 1] is BREAK or not lines[end - 1].replace(CELL, "").strip()
                   or RULE_LINE.match(lines[end - 1].replace(CELL, "").strip())):
        end -= 1
    return lines[:end]


def format_paragraphs(lines: list[str | None]) -> str:
    paragraphs, current = [], []
    for line in lines + [BREAK]:
        text = "" if line is BREAK else line.replace(CELL, " ").strip()
        if not text:
            if current:
                paragraphs.append("\n".join(current))
            current = []
        else:
            current.append(re.sub(r" {2,}", " ", text))
    return "\n\n".join(paragraphs)


def extract_answer(text: str) -> str:
    """The department's words from a reply body, paragraphs separated by one blank line."""
    lines = drop_disclaimers(drop_quotes(normalize_lines(text)))
    lines = drop_trailing_disclaimers(cut_signature(lines))
    lines = drop_trailing_disclaimers(drop_trailing_signature(lines))
    return format_paragraphs(drop_trailing_rules(lines))
