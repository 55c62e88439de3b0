"""Turn an HTML mail body into plain text in which quoted material is marked with '> '.

Blockquotes and the quote containers of known clients become '> ' lines, so that the plain-text
rules of `quotes.py` handle HTML-only replies and inline replies the same way. Outlook/OWA put
the original after a header block instead of inside a container: from there on all is quoted.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Containers whose whole content is the quoted original (class or id, lower case).
QUOTE_CONTAINERS = {
    "gmail_quote": "Gmail", "gmail_attr": "Gmail", "moz-cite-prefix": "Thunderbird",
    "yahoo_quoted": "Yahoo", "mail-quote-collapse": "Mail.ru", "protonmail_quote": "Proton",
    "yandex_quote": "Yandex", "mailru_quote": "Mail.ru",
}
# Markers after which everything is the original (Outlook desktop, OWA, Outlook mobile).
CUT_MARKERS = {"divrplyfwdmsg", "x_divrplyfwdmsg", "appendonsend", "stopspelling",
               "olk_src_body_section", "mail-editor-reference-message-container"}
OUTLOOK_HEADER_STYLE = re.compile(r"border-top:\s*solid\s+#(e1e1e1|b5c4df)", re.IGNORECASE)
SKIPPED = {"style", "script", "head", "title", "xml", "o:p_hidden"}
VOID = {"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source"}
BLOCKS = {"div", "p", "li", "tr", "table", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5",
          "h6", "address", "center", "section", "article", "header", "footer", "dl", "dt",
          "dd", "form", "fieldset", "blockquote", "hr", "tbody", "thead"}
MAX_STACK = 2000


class _TextBuilder(HTMLParser):
    """Collects (quote depth, line) pairs while tracking open elements."""

    def __init__(self, outlook_paragraphs: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.outlook = outlook_paragraphs
        self.stack: list[tuple[str, bool, bool]] = []   # (tag, quotes, skips)
        self.lines: list[tuple[int, str]] = []
        self.current: list[str] = []
        self.cut = False
        self.pre = 0
        self.quotes = 0   # open quoting elements, kept in step with the stack
        self.skips = 0    # open skipped elements (style, script, head)

    def depth(self) -> int:
        return self.quotes + (1 if self.cut else 0)

    def push(self, entry: tuple[str, bool, bool]) -> None:
        self.stack.append(entry)
        self.quotes += entry[1]
        self.skips += entry[2]

    def pop_to(self, index: int) -> None:
        for _, quotes, skips in self.stack[index:]:
            self.quotes -= quotes
            self.skips -= skips
        del self.stack[index:]

    def flush(self, force: bool = False) -> None:
        line = "".join(self.current).strip()
        if line or force:
            self.lines.append((self.depth(), line))
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        marks = {*values.get("class", "").lower().split(), values.get("id", "").lower()}
        if tag == "body" and any(entry[0] == "head" for entry in self.stack):
            self.pop_to(next(i for i, entry in enumerate(self.stack) if entry[0] == "head"))
        if tag in BLOCKS:
            self.flush()
        if tag == "br":
            self.flush(force=True)
        if marks & CUT_MARKERS or (tag == "div" and OUTLOOK_HEADER_STYLE.search(
                values.get("style", ""))):
            self.flush()
            self.cut = True
        if tag == "pre":
            self.pre += 1
        if tag in VOID or len(self.stack) >= MAX_STACK:
            return
        quotes = tag == "blockquote" or bool(marks & QUOTE_CONTAINERS.keys())
        self.push((tag, quotes, tag in SKIPPED))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        index = next((i for i in range(len(self.stack) - 1, -1, -1)
                      if self.stack[i][0] == tag), None)
        if index is None:
            return
        if tag in BLOCKS:
            self.flush(force=(tag == "p" and self.outlook))
            if tag == "p" and not self.outlook:
                self.lines.append((self.depth(), ""))
        if tag in {"td", "th"}:
            self.current.append(" ")
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        self.pop_to(index)

    def handle_data(self, data: str) -> None:
        if self.skips:
            return
        if self.pre:
            pieces = data.split("\n")
            for piece in pieces[:-1]:
                self.current.append(piece)
                self.flush(force=True)
            self.current.append(pieces[-1])
            return
        self.current.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Plain text of an HTML body, quoted parts prefixed with '> ' per level."""
    outlook = "MsoNormal" in html or "urn:schemas-microsoft-com:office" in html
    builder = _TextBuilder(outlook_paragraphs=outlook)
    try:
        builder.feed(html)
        builder.close()
    except Exception:  # noqa: BLE001 - html.parser gives up on some garbage; keep what it read
        pass
    builder.flush()
    out = []
    for depth, line in builder.lines:
        line = line.replace("\xa0", " ").strip()
        out.append(("> " * depth + line).rstrip() if depth else line)
    return "\n".join(out)
