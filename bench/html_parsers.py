"""Why mailer/html_text.py parses with selectolax (lexbor): the measurement behind issue 17.

Run from the repository root:  python bench/html_parsers.py

For each candidate that is installed (the standard library's html.parser, lxml, selectolax's
lexbor, inscriptis) it prints: parse time of the HTML bodies of the fixtures, of a 2 MB table,
of 5,000 nested closed <div>s and of 100,000 unclosed ones; and whether the text after deep
nesting survives (a parser that drops it would lose the end of a reply). The last row is lexbor
behind the depth guard that mailer/html_text.py puts in front of it.
"""

from __future__ import annotations

import email
import email.policy
import importlib.util
import time
from html.parser import HTMLParser
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "mail_parse" / "fixtures"
BIG = "<table>" + "<tr><td style='font-size:12px'>Ячейка <b>текста</b></td></tr>" * 40_000 + "</table><p>после</p>"
DEEP = "<div>" * 5000 + "глубоко" + "</div>" * 5000 + "<p>после</p>"
UNCLOSED = "<p>Ответ.</p>" + "<div><span>x" * 100_000 + "<p>после</p>"


def bodies() -> list[str]:
    found = []
    for path in sorted(FIXTURES.rglob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found += [part.get_content() for part in message.walk()
                  if part.get_content_type() == "text/html"]
    return found


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def stdlib(html: str) -> str:
    parser = _Collect()
    parser.feed(html)
    parser.close()
    return "".join(parser.text)


def candidates() -> dict:
    found = {"html.parser (stdlib)": stdlib}
    if importlib.util.find_spec("lxml"):
        import lxml.html
        parser = lxml.html.HTMLParser(huge_tree=True, encoding="utf-8")
        found["lxml (libxml2)"] = lambda h: lxml.html.document_fromstring(
            h.encode(), parser=parser).text_content()
    if importlib.util.find_spec("selectolax"):
        from selectolax.lexbor import LexborHTMLParser
        found["selectolax (lexbor)"] = lambda h: LexborHTMLParser(h).body.text()
        import sys
        sys.path.insert(0, str(FIXTURES.parent.parent.parent))
        from mailer.html_text import flatten_deep
        found["lexbor + flatten_deep"] = lambda h: LexborHTMLParser(flatten_deep(h)).body.text()
    if importlib.util.find_spec("inscriptis"):
        import inscriptis
        found["inscriptis"] = inscriptis.get_text
    return found


def timed(parse, docs: list[str], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        for doc in docs:
            parse(doc)
    return (time.perf_counter() - start) / (repeat * len(docs)) * 1000


def main() -> None:
    typical = bodies()
    print(f"{len(typical)} HTML bodies from the fixtures, {sum(map(len, typical)) // len(typical)} "
          "characters on average")
    for name, parse in candidates().items():
        row = [f"{name:22}", f"typical {timed(parse, typical, 50):.3f} ms"]
        for label, doc in (("2 MB table", BIG), ("5k deep", DEEP), ("100k unclosed", UNCLOSED)):
            start = time.perf_counter()
            text = parse(doc)
            row.append(f"{label} {(time.perf_counter() - start) * 1000:.0f} ms"
                       + ("" if "после" in text else " (text after it LOST)"))
        print(" | ".join(row))


if __name__ == "__main__":
    main()
