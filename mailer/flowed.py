"""Decode RFC 3676 `format=flowed` text (and `DelSp=yes`) into one line per paragraph.

A line that ends in a space is soft-broken and continues on the next line of the same quote
depth (§4.2); `DelSp=yes` means that trailing space was added by the sender and goes away when
the lines are joined (§4.5). Quote marks ('>' without spaces between them, §4.5) and the
stuffed space at the start of a line (§4.4) are read the RFC's way; the result is written back
with '> ' per level so that the quote rules see ordinary quoted text.
"""

from __future__ import annotations

SIGNATURE_SEPARATOR = "-- "


def split_quote(line: str) -> tuple[int, str]:
    """(quote depth, content without the marks and without the stuffed space)."""
    depth = len(line) - len(line.lstrip(">"))
    content = line[depth:]
    if content.startswith(" "):
        content = content[1:]
    return depth, content


def is_soft(content: str) -> bool:
    return content.endswith(" ") and content != SIGNATURE_SEPARATOR


def decode_flowed(text: str, delsp: bool = False) -> str:
    """Plain text of a flowed body: soft breaks joined, quote depth kept as '> ' prefixes."""
    out: list[str] = []
    pending: list[str] = []
    pending_depth = -1
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        depth, content = split_quote(raw)
        if pending and (depth != pending_depth or content == SIGNATURE_SEPARATOR):
            out.append(render(pending_depth, "".join(pending)))   # §4.2: depth change ends it
            pending = []
        if is_soft(content):
            pending.append(content[:-1] if delsp else content)
            pending_depth = depth
            continue
        pending.append(content)
        out.append(render(depth, "".join(pending)))
        pending, pending_depth = [], -1
    if pending:
        out.append(render(pending_depth, "".join(pending)))
    return "\n".join(out)


def render(depth: int, content: str) -> str:
    return ("> " * depth + content).rstrip() if depth else content.rstrip(" ")
