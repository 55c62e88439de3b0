"""The site section «Информационные сообщения» (п. 3.5): a static `index.html` and an RSS 2.0
feed written to the configured folder from Jinja2 templates in `templates/site/`, and the files the
department attached to each answer under `files/<case>/` beside them.

Autoescaping is always on (citizens' and departments' text is never trusted as HTML), items
are shown newest first in the local zone (`[general] timezone`), and each file is replaced
atomically so a web server never serves half a page. The caller passes every informational item
from the store, so nothing published is lost; the files of an item no longer listed (a purged
case, 152-ФЗ) are removed. The feed follows RSS 2.0 (https://www.rssboard.org/rss-specification):
absolute links from `[site] base_url`, RFC 822 dates, one <enclosure> per item (the spec allows
one), every file also linked in the item's description.
"""

from __future__ import annotations

import filecmp
import mimetypes
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from email.utils import format_datetime
from pathlib import Path
from typing import Sequence
from urllib.parse import quote, urljoin

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bridge.core.vocabulary import zone_label

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "site"
SECTION_NAME = "Информационные сообщения"
FILES = "files"
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")   # never valid in XML 1.0


@dataclass(frozen=True)
class SiteItem:
    case_id: str
    published_at: datetime  # timezone-aware
    text: str
    department_name: str
    files: tuple[Path, ...] = field(default=())   # the department's files with the answer


@dataclass(frozen=True)
class SiteFile:
    name: str
    href: str               # relative to the page
    url: str                # absolute (the feed)
    size: int
    type: str


def full_title(title: str) -> str:
    """«Информационные сообщения — <title>», once: a title that already names the section is kept."""
    title = (title or "").strip()
    return title if not title or SECTION_NAME.lower() in title.lower() else f"{SECTION_NAME} — {title}"


def write_site(output_dir: Path, items: Sequence[SiteItem], title: str, now: datetime | None = None,
               tz: tzinfo | None = None, base_url: str = "") -> None:
    """Render both files and put them in place atomically; `now` is the feed's build date (by
    default the newest item's, so the same items give the same files); times are shown in `tz`."""
    env = _environment()
    zone = tz or timezone.utc
    ordered = sorted(items, key=lambda item: (item.published_at, item.case_id), reverse=True)
    now = now or (ordered[0].published_at if ordered else datetime(2000, 1, 1, tzinfo=timezone.utc))
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    base = base_url if not base_url or base_url.endswith("/") else base_url + "/"
    entries = [{"case_id": item.case_id, "text": item.text, "department_name": item.department_name,
                "published_at": item.published_at.astimezone(zone),
                "files": _publish_files(output_dir, item, base)} for item in ordered]
    _remove_unlisted(output_dir, {item.case_id for item in ordered})
    context = {"title": full_title(title) or SECTION_NAME, "section": SECTION_NAME, "items": entries,
               "built_at": now.astimezone(zone), "base": base, "zone": zone_label(zone)}
    _write_atomically(output_dir / "index.html", env.get_template("index.html").render(context))
    _write_atomically(output_dir / "rss.xml", env.get_template("rss.xml").render(context))


def _publish_files(output_dir: Path, item: SiteItem, base: str) -> list[SiteFile]:
    """Copy the answer's files beside the page (a web server serves the folder as it is)."""
    published = []
    folder = output_dir / FILES / item.case_id
    for source in item.files:
        if not source.is_file():
            continue
        target = folder / source.name
        folder.mkdir(parents=True, exist_ok=True)
        if not target.exists() or not filecmp.cmp(source, target, shallow=False):
            _copy_atomically(source, target)
        href = f"{FILES}/{quote(item.case_id)}/{quote(source.name)}"
        published.append(SiteFile(source.name, href, urljoin(base, href) if base else href, target.stat().st_size,
                                  mimetypes.guess_type(source.name)[0] or "application/octet-stream"))
    return published


def _copy_atomically(source: Path, target: Path) -> None:
    temporary = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, temporary)
    os.chmod(temporary, 0o644)
    os.replace(temporary, target)


def _remove_unlisted(output_dir: Path, listed: set[str]) -> None:
    folder = output_dir / FILES
    for path in folder.iterdir() if folder.is_dir() else ():
        if path.is_dir() and path.name not in listed:
            shutil.rmtree(path, ignore_errors=True)


def _environment() -> Environment:
    # autoescape=True for every template, .xml included: RSS text must be escaped too.
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, keep_trailing_newline=True,
                      finalize=lambda value: _XML_FORBIDDEN.sub("", value) if isinstance(value, str) else value)
    env.filters["rfc822"] = lambda moment: format_datetime(moment)
    env.filters["headline"] = headline
    env.filters["size"] = file_size
    return env


def file_size(size: int) -> str:
    """«12 КБ», «3,4 МБ»: how big a file is, as a reader on a phone wants to know."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} КБ"
    return f"{size / 1024 / 1024:.1f} МБ".replace(".", ",")


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
