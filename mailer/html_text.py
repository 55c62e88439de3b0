"""Turn an HTML mail body into the plain text a reader sees, quoted material marked with '> '.

The HTML is parsed by lexbor (selectolax), an HTML5 parser, and rendered for visibility: what
CSS or attributes hide from the reader (`display:none` preheaders, `font-size:0` spans, the
`hidden` attribute, `mso-hide:all`, `visibility:hidden`, class rules of the body's <style>) is
left out, so it is never pre-filled for publication (п. 3.3); font-size, visibility and color
are inherited as CSS inherits them, so a descendant can undo them. Blockquotes and the quote
containers of known clients become '> ' lines, so that the plain-text rules of `quotes.py`
handle HTML-only replies and inline replies the same way. Outlook/OWA put the original after a
header block instead of inside a container: from there on all is quoted. Table cells are kept
apart by CELL so that a signature laid out as a table can be recognised cell by cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser

CELL = "\ue000"   # between table cells; quotes.py shows it as a space

# Containers whose whole content is the quoted original (class or id, lower case).
QUOTE_CONTAINERS = {
    "gmail_quote": "Gmail", "gmail_attr": "Gmail", "moz-cite-prefix": "Thunderbird",
    "yahoo_quoted": "Yahoo", "mail-quote-collapse": "Mail.ru", "protonmail_quote": "Proton",
    "yandex_quote": "Yandex", "mailru_quote": "Mail.ru",
}
# Markers after which everything is the original (Outlook desktop, OWA, Outlook mobile).
CUT_MARKERS = {"divrplyfwdmsg", "x_divrplyfwdmsg", "appendonsend", "stopspelling",
               "olk_src_body_section", "mail-editor-reference-message-container"}
# Containers in which clients put the signature (and a footer): the answer ends there.
SIGNATURE_MARKERS = {
    "_mailautosig": "Outlook desktop (<a name>)", "signature": "OWA / new Outlook",
    "x_signature": "OWA", "moz-signature": "Thunderbird", "gmail_signature": "Gmail",
    "gmail_signature_prefix": "Gmail", "applemailsignature": "Apple Mail / iOS",
    "ms-outlook-mobile-signature": "Outlook mobile", "composer_signature": "Samsung Email",
    "_rc_sig": "Roundcube",
}
SIGNATURE_ATTRIBUTES = {("data-signatureblock", "true"): "Windows Mail",
                        ("data-smartmail", "gmail_signature"): "Gmail",
                        ("data-signature-widget", "container"): "Mail.ru / VK WorkMail"}
OUTLOOK_HEADER_STYLE = re.compile(r"border-top:\s*solid\s+#(e1e1e1|b5c4df)|border-top-color:\s*"
                                  r"rgb\(229,\s*229,\s*229\)", re.IGNORECASE)
SKIPPED = {"style", "script", "head", "title", "xml", "template", "noscript", "-comment"}
BLOCKS = {"div", "p", "li", "tr", "table", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5",
          "h6", "address", "center", "section", "article", "header", "footer", "dl", "dt",
          "dd", "form", "fieldset", "blockquote", "hr", "tbody", "thead", "main", "aside"}
CELLS = {"td", "th"}
VOID = {"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source",
        "param", "track", "embed"}
# Elements whose end tag HTML5 may imply: they do not nest, so they do not count for depth.
IMPLIED_END = {"p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody",
               "tfoot", "colgroup", "caption", "rb", "rt", "rp"}
MAX_DEPTH = 400   # deeper nesting is flattened before parsing (lexbor slows down on it)

# CSS that removes an element with all it holds: no descendant can show itself again.
REMOVING = [
    ("display", re.compile(r"^none\b")),
    ("mso-hide", re.compile(r"^all\b")),
    ("opacity", re.compile(r"^0*(\.0+)?\s*(!important)?$")),
]
ZERO_BOX = re.compile(r"^0*(\.0+)?\s*(px|pt|em|rem|%|)\s*(!important)?$")
RELEVANT = re.compile(r"display|mso-hide|opacity|height|font-size|visibility|color", re.I)
# Inherited CSS that hides text, which a descendant may undo: e-mail templates put
# `font-size:0` on a layout cell and the real size on the text inside it.
INHERITED = {
    "font-size": (ZERO_BOX, re.compile(r"^[\d.]*[1-9]|^(small|medium|large|x|xx|smaller|larger)")),
    "visibility": (re.compile(r"^(hidden|collapse)\b"), re.compile(r"^visible\b")),
    "color": (re.compile(r"^transparent\b"),
              re.compile(r"^(?!inherit|currentcolor|unset|initial|revert)(#|rgb|hsl|[a-z]+)")),
}
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
COLLAPSIBLE = re.compile(r"[^\S\xa0]+")   # HTML collapses white space, never &nbsp;
TAG_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w:-]*)[^<>]*?(/?)>")
SIMPLE_SELECTOR = re.compile(r"^[a-z0-9]*([.#])([\w-]+)$", re.IGNORECASE)


@dataclass
class Rendered:
    text: str                                   # visible text, '> ' per quote level
    hidden: list[str] = field(default_factory=list)   # text a reader does not see


def declarations(style: str) -> dict[str, str]:
    out = {}
    for item in style.split(";"):
        name, colon, value = item.partition(":")
        if colon:
            out[name.strip().lower()] = value.strip().lower()
    return out


def removes(props: dict[str, str]) -> bool:
    if any(pattern.match(props[name]) for name, pattern in REMOVING if name in props):
        return True
    boxed = any(ZERO_BOX.match(props.get(name, "x")) for name in ("max-height", "height"))
    return boxed and props.get("overflow", "").startswith("hidden")


def veiled(props: dict[str, str], inherited: dict[str, bool]) -> dict[str, bool]:
    """The inherited hiding state after an element's declarations (True: its text is hidden)."""
    state = inherited
    for name, (hides, shows) in INHERITED.items():
        value = props.get(name)
        if value is None:
            continue
        if hides.match(value) and not state.get(name):
            state = {**state, name: True}
        elif shows.match(value) and not hides.match(value) and state.get(name):
            state = {**state, name: False}
    return state


def selector_styles(css: str) -> dict[str, str]:
    """Declarations of the '.class' and '#id' rules of the body's <style>; rules inside @media
    apply only on some screens and are not taken."""
    css = re.sub(r"/\*.*?\*/|<!--|-->", " ", css, flags=re.DOTALL)
    found: dict[str, str] = {}
    depth, start, at_rule = 0, 0, False
    for index, char in enumerate(css):
        if char == "{":
            if depth == 0:
                selector = css[start:index].strip()
                at_rule = selector.startswith("@")
                rule_start, rule_selector = index + 1, selector
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                body = css[rule_start:index]
                if not at_rule and RELEVANT.search(body):
                    for one in rule_selector.split(","):
                        match = SIMPLE_SELECTOR.match(one.strip())
                        if match:
                            key = match.group(1) + match.group(2).lower()
                            found[key] = found.get(key, "") + ";" + body
                start = index + 1
    return found


def flatten_deep(html: str) -> str:
    """Drop the tags that would nest deeper than MAX_DEPTH (their text stays)."""
    if html.count("<") < MAX_DEPTH:
        return html
    pieces, depth, last = [], 0, 0
    for match in TAG_TOKEN.finditer(html):
        closing, tag, selfclosing = match.group(1), match.group(2).lower(), match.group(3)
        if tag in VOID or tag in IMPLIED_END or selfclosing:
            continue
        if closing:
            depth = max(0, depth - 1)
        elif depth >= MAX_DEPTH:
            pieces.append(html[last:match.start()])
            last = match.end()
        else:
            depth += 1
    pieces.append(html[last:])
    return "".join(pieces)


class _Renderer:
    """Walks the DOM (iteratively: depth is unbounded) and collects (quote depth, line)."""

    def __init__(self, outlook_paragraphs: bool, rules: dict[str, str]) -> None:
        self.outlook = outlook_paragraphs
        self.rules = rules
        self.veil: dict[str, bool] = {}     # inherited hiding state (INHERITED)
        self.lines: list[tuple[int, str]] = []
        self.hidden: list[str] = []
        self.current: list[str] = []
        self.cut = False
        self.pre = 0
        self.quotes = 0

    def depth(self) -> int:
        return self.quotes + (1 if self.cut else 0)

    def flush(self, force: bool = False) -> None:
        line = "".join(self.current).strip(" \t\n\r\f\v" + CELL)
        if not line.replace(CELL, "").strip(" \t\n\r\f\v"):
            line = ""
        elif not line.replace(CELL, "").strip():
            line, force = "", True   # a block of &nbsp; alone is a blank line on screen
        if line or force:
            self.lines.append((self.depth(), line))
        self.current = []

    def style_of(self, attrs: dict, marks: set[str]) -> dict[str, str]:
        """Class/id rules first, the style attribute over them."""
        styles = [self.rules[mark] for mark in sorted(marks) if mark in self.rules]
        return declarations(";".join(styles + [attrs.get("style") or ""]))

    def is_removed(self, tag: str, attrs: dict, props: dict[str, str]) -> bool:
        if tag in SKIPPED or "hidden" in attrs:
            return True
        if tag == "input" and (attrs.get("type") or "").lower() == "hidden":
            return True
        return removes(props)

    def enter(self, node, tag: str) -> tuple[bool, bool]:
        """Open an element; returns (visit children, counts as a quote)."""
        attrs = node.attributes
        classes = (attrs.get("class") or "").lower().split()
        ident = (attrs.get("id") or "").lower()
        marks = {"." + c for c in classes} | ({"#" + ident} if ident else set())
        props = self.style_of(attrs, marks) if (attrs.get("style") or marks & self.rules.keys()) \
            else {}
        if self.is_removed(tag, attrs, props):
            if tag not in SKIPPED:
                self.hidden.append(re.sub(r"\s+", " ", node.text(deep=True)).strip())
            return False, False
        self.veil = veiled(props, self.veil) if props else self.veil
        names = set(classes) | {ident, (attrs.get("name") or "").lower() if tag == "a" else ""}
        if tag in BLOCKS or tag in CELLS and self.outlook:
            self.flush()
        if tag == "br":
            self.flush(force=True)
        if names & CUT_MARKERS or names & SIGNATURE_MARKERS.keys() or any(
                (attrs.get(key) or "").lower() == value for key, value in SIGNATURE_ATTRIBUTES) or (
                tag == "div" and OUTLOOK_HEADER_STYLE.search(attrs.get("style") or "")):
            self.flush()
            self.cut = True
        if tag == "pre":
            self.pre += 1
        quotes = tag == "blockquote" or bool(names & QUOTE_CONTAINERS.keys())
        self.quotes += quotes
        return True, quotes

    def leave(self, tag: str, quotes: bool) -> None:
        if tag in BLOCKS:
            self.flush(force=(tag == "p" and self.outlook))
            if tag == "p" and not self.outlook:
                self.lines.append((self.depth(), ""))
        if tag in CELLS:
            self.current.append(CELL)
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        self.quotes -= quotes

    def text(self, data: str) -> None:
        data = data.replace(CELL, "")
        if any(self.veil.values()):
            self.hidden.append(" ".join(data.split()))
            return
        if self.pre:
            pieces = data.split("\n")
            for piece in pieces[:-1]:
                self.current.append(piece)
                self.flush(force=True)
            self.current.append(pieces[-1])
            return
        self.current.append(COLLAPSIBLE.sub(" ", data))

    def walk(self, root) -> None:
        stack = [(root, False, False, self.veil)]
        while stack:
            node, leaving, quotes, veil = stack.pop()
            tag = (node.tag or "").lower()
            if leaving:
                self.leave(tag, quotes)
                self.veil = veil          # an element's inherited CSS ends with it
                continue
            if tag == "-text":
                self.text(node.text_content or "")
                continue
            if tag.startswith("-"):
                continue      # comments and other non-element nodes are not shown
            saved = self.veil
            visit, quotes = self.enter(node, tag)
            if not visit:
                continue
            stack.append((node, True, quotes, saved))
            children, child = [], node.child
            while child is not None:
                children.append(child)
                child = child.next
            stack.extend((c, False, False, None) for c in reversed(children))


def render_html(html: str) -> Rendered:
    """Visible text of an HTML body (quoted parts prefixed with '> ' per level) and the text
    that was hidden from the reader."""
    outlook = "MsoNormal" in html or "urn:schemas-microsoft-com:office" in html
    html = LONE_SURROGATE.sub("\ufffd", html)   # lexbor reads UTF-8, which cannot carry them
    tree = LexborHTMLParser(flatten_deep(html))
    css = " ".join(node.text(deep=True) for node in tree.css("style"))
    renderer = _Renderer(outlook, selector_styles(css) if css.strip() else {})
    if tree.body is not None:
        renderer.walk(tree.body)
    renderer.flush()
    out = []
    for depth, line in renderer.lines:
        line = line.replace("\xa0", " ").strip()
        out.append(("> " * depth + line).rstrip() if depth else line)
    return Rendered("\n".join(out), [h for h in renderer.hidden if h])


def html_to_text(html: str) -> str:
    """Plain text of an HTML body, quoted parts prefixed with '> ' per level."""
    return render_html(html).text
