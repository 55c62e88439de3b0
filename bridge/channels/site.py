"""The site section «Информационные сообщения» (п. 3.5): a static `index.html` and an RSS 2.0
feed written to the configured folder from Jinja2 templates in `templates/site/`.

Autoescaping is always on (citizens' and departments' text is never trusted as HTML), items
are shown newest first, and each file is replaced atomically so a web server never serves half
a page. The caller passes every informational item from the store, so nothing published is lost.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Sequence

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "site"
SECTION_NAME = "Информационные сообщения"
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")   # never valid in XML 1.0


@dataclass(frozen=True)
class SiteItem:
    case_id: str
    published_at: datetime  # timezone-aware
    text: str
    department_name: str


def write_site(output_dir: Path, items: Sequence[SiteItem], title: str, now: datetime | None = None) -> None:
    """Render both files and put them in place atomically; `now` is the feed's build date (by
    default the newest item's, so the same items give the same files)."""
    env = _environment()
    ordered = sorted(items, key=lambda item: (item.published_at, item.case_id), reverse=True)
    now = now or (ordered[0].published_at if ordered else datetime(2000, 1, 1, tzinfo=timezone.utc))
    context = {"title": title, "section": SECTION_NAME, "items": ordered,
               "built_at": now}
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    _write_atomically(output_dir / "index.html", env.get_template("index.html").render(context))
    _write_atomically(output_dir / "rss.xml", env.get_template("rss.xml").render(context))


def _environment() -> Environment:
    # autoescape=True for every template, .xml included: RSS text must be escaped too.
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, keep_trailing_newline=True,
                      finalize=lambda value: _XML_FORBIDDEN.sub("", value) if isinstance(value, str) else value)
    env.filters["rfc822"] = lambda moment: format_datetime(moment)
    env.filters["headline"] = headline
    return env


def headline(text: str, words: int = 12) -> str:
    """The first words of a message, for the feed's <title>."""
    parts = text.split()
    short = " ".join(parts[:words])
    return short + ("…" if len(parts) > words else "")


def _write_atomically(path: Path, content: str) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
