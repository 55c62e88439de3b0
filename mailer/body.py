"""Which of a reply's bodies the answer is read from: text/plain or text/html, by content.

The plain alternative is preferred (its quote marks are the client's own), unless it is only a
placeholder («используйте почтовую программу с поддержкой HTML», «This is an HTML message…»)
or holds no answer at all while the HTML does. Lines of the plain alternative that the HTML
hides from the reader (a `display:none` preheader copied into the plain text) are left out too.
"""

from __future__ import annotations

import re

from mailer.html_text import CELL, Rendered, render_html
from mailer.mime import MailParts
from mailer.quotes import extract_answer

I = re.IGNORECASE
PLACEHOLDER_MAX = 400
PLACEHOLDER_WORDS = re.compile(
    r"почтов\w*\s+(программ|клиент|приложени)|поддерж\w*|просмотр\w*|отобража\w*|"
    r"открой\w*|формате|браузер\w*|mail (client|program|reader|application)|view|support\w*|"
    r"browser|read this (message|e-?mail)|display", I)


def is_placeholder(text: str) -> bool:
    """A plain part that only tells the reader to look at the HTML one."""
    words = " ".join(text.split())
    return (0 < len(words) <= PLACEHOLDER_MAX and "html" in words.lower()
            and bool(PLACEHOLDER_WORDS.search(words)))


def squash(text: str) -> str:
    return " ".join(text.replace(CELL, " ").split()).casefold()


def without_hidden(plain: str, rendered: list[Rendered]) -> str:
    """Plain lines that are text the HTML alternative hides from the reader."""
    hidden = {squash(h) for r in rendered for h in r.hidden if len(squash(h)) >= 3}
    if not hidden:
        return plain
    visible = " ".join(squash(r.text) for r in rendered)
    kept = [line for line in plain.split("\n")
            if not (squash(line) in hidden and squash(line) not in visible)]
    return "\n".join(kept)


def answer_body(parts: MailParts) -> str:
    """The body text (quoted parts marked with '>') that the answer is extracted from."""
    plain = "\n\n".join(text.replace(CELL, "") for text in parts.plain)
    rendered = [render_html(html) for html in parts.html]
    html = "\n\n".join(r.text for r in rendered)
    if not plain.strip():
        return html
    if not rendered or not html.strip():
        return plain
    if is_placeholder(plain) and extract_answer(html):
        return html
    plain = without_hidden(plain, rendered)
    if not extract_answer(plain) and extract_answer(html):
        return html
    return plain
