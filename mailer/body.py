"""Which of a reply's bodies the answer is read from: text/plain or text/html, by content.

The plain alternative is preferred (its quote marks are the client's own), unless it is only a
placeholder («используйте почтовую программу с поддержкой HTML», «This is an HTML message…»),
is markup itself (tags, entities, CSS left by a converter) or holds no answer at all while the
HTML does. Lines of the plain alternative that the HTML hides from the reader (a `display:none`
preheader copied into the plain text) are left out too.
"""

from __future__ import annotations

import re

from mailer.html_text import CELL, Rendered, render_html
from mailer.mime import MailParts
from mailer.quotes import extract_answer

I = re.IGNORECASE
PLACEHOLDER_MAX = 400
PLACEHOLDER_SUBJECT = re.compile(
    r"\bhtml\b|почтов\w*\s+(программ|клиент|приложени)|mail (client|program|reader|app)|"
    r"веб-верси|web version|в браузере|in (a|your) browser|форматированн\w* текст", I)
PLACEHOLDER_ASK = re.compile(
    r"поддерж\w*|просмотр\w*|отобража\w*|открой\w*|откройте|используйте|воспользуйтесь|"
    r"формате|view|support\w*|open|use|display\w*|read", I)
MIN_HIDDEN = 4
MAX_HIDDEN = 100     # fragments looked for in the plain part (a preheader is one or two)
MARKUP = re.compile(r"</?(div|p|br|span|table|td|tr|font|b|html|body)\b[^<>]{0,200}>|&(nbsp|quot|"
                    r"laquo|raquo|mdash|amp);|\bmso-[a-z-]+\s*:|p\.MsoNormal", I)


def is_placeholder(text: str, visible_html: str) -> bool:
    """A plain part that only tells the reader to look at the HTML one (and whose words the
    HTML does not show: a real answer is in both)."""
    words = " ".join(text.split())
    return (0 < len(words) <= PLACEHOLDER_MAX and bool(PLACEHOLDER_SUBJECT.search(words))
            and bool(PLACEHOLDER_ASK.search(words)) and squash(words) not in visible_html)


def is_markup(text: str) -> bool:
    """A plain part that is really HTML or CSS (a converter that forgot to convert)."""
    return len(MARKUP.findall(text[:20_000])) >= 3


def squash(text: str) -> str:
    return " ".join(text.replace(CELL, " ").split()).casefold()


def without_hidden(plain: str, rendered: list[Rendered]) -> str:
    """The plain alternative without the text that the HTML alternative hides from the reader
    (a preheader, a zero-size marker copied into the plain text)."""
    visible = " ".join(squash(r.text) for r in rendered)
    fragments = dict.fromkeys(" ".join(h.split()) for r in rendered for h in r.hidden[:MAX_HIDDEN])
    hidden = sorted((h for h in fragments if len(h) >= MIN_HIDDEN and squash(h) not in visible),
                    key=len, reverse=True)[:MAX_HIDDEN]
    if not hidden:
        return plain
    whole = {squash(h) for h in hidden}
    kept = []
    for line in plain.split("\n"):
        flat = " ".join(line.split())
        if squash(flat) in whole:
            continue
        for fragment in hidden:
            if fragment in flat:
                line = " ".join(flat.replace(fragment, " ").split())
                flat = line
        kept.append(line)
    return "\n".join(kept)


def answer_body(parts: MailParts) -> str:
    """The body text (quoted parts marked with '>') that the answer is extracted from."""
    return choose(parts)[0]


def answer_text(parts: MailParts) -> str:
    """The department's answer, read from the body chosen by content."""
    return choose(parts)[1]


def choose(parts: MailParts) -> tuple[str, str]:
    """(body, answer extracted from it)."""
    plain = "\n\n".join(text.replace(CELL, "") for text in parts.plain)
    rendered = [render_html(html) for html in parts.html]
    html = "\n\n".join(r.text for r in rendered)
    if not plain.strip():
        return html, extract_answer(html)
    if not rendered or not html.strip():
        return plain, extract_answer(plain)
    if is_placeholder(plain, squash(html)) or is_markup(plain):
        html_answer = extract_answer(html)
        if html_answer:
            return html, html_answer
    plain = without_hidden(plain, rendered)
    plain_answer = extract_answer(plain)
    if not plain_answer:
        html_answer = extract_answer(html)
        if html_answer:
            return html, html_answer
    return plain, plain_answer
