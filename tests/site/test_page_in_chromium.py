"""«Информационные сообщения» as a citizen sees it (п. 3.5; issue 16): rendered by Debian's Chromium
headless at a phone's width (360 px), a screenshot taken, and the feed checked against RSS 2.0
(https://www.rssboard.org/rss-specification). `OTKLIK_SCREENSHOTS=DIR` keeps the screenshot for a
person to look at."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest

from bridge.channels.site import SiteItem, write_site
from tests.site.browser import Browser, chromium

T0 = datetime(2026, 3, 2, 7, 55, tzinfo=timezone.utc)          # 18:55 on Sakhalin
SAKHALIN = ZoneInfo("Asia/Sakhalin")
BASE = "https://adm-okha.ru/info/"
TITLE = "Информационные сообщения — администрация городского округа «Охинский»"
LONG_LINK = "https://adm-okha.ru/upload/iblock/" + "a1b2c3d4e5" * 20 + "/raspisanie.pdf"
LONG_WORD = "Электроснабжениеотключаетсявсвязисплановымремонтомподстанции" * 3
# RFC 822 §5 as RSS 2.0 uses it: day name, two-digit day, month name, four-digit year, zone.
RFC822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                    r"\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$")


@pytest.fixture
def site(tmp_path):
    answer = tmp_path / "attachments" / "OKH-2026-00007" / "answer"
    answer.mkdir(parents=True)
    scan = answer / "График_отключений_электроэнергии_по_улицам_города_Оха_на_март_2026_года.pdf"
    scan.write_bytes(b"%PDF-1.4 " + b"x" * 5000)
    items = [
        SiteItem("OKH-2026-00001", T0 - timedelta(days=3), "Приём граждан главой — по вторникам.", "Отдел ЖКХ"),
        SiteItem("OKH-2026-00007", T0, f"График: {LONG_LINK}\n{LONG_WORD}\nСправки по телефону 8 (42437) 3-11-11.",
                 "Отдел по связям с общественностью, населением и территориальному управлению", (scan,)),
    ]
    out = tmp_path / "site"
    write_site(out, items, TITLE, tz=SAKHALIN, base_url=BASE)
    return out


def test_the_page_fits_a_phone_and_shows_local_times_one_title_and_the_files(site, tmp_path):
    if chromium() is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run installs it)")
    with Browser() as browser:
        page = browser.open((site / "index.html").as_uri(), width=360, height=800)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        shot = page.screenshot(Path(os.environ.get("OTKLIK_SCREENSHOTS", tmp_path)) / "site-360.png")
        title = page.evaluate("document.title")
        headings = page.evaluate("[...document.querySelectorAll('h1')].map(h => h.textContent)")
        times = page.evaluate("[...document.querySelectorAll('time')].map(t => t.textContent)")
        links = page.evaluate("[...document.querySelectorAll('.files a')].map(a => a.href)")
        body = page.evaluate("document.body.innerText")
    assert width <= 360, f"horizontal scroll on a phone: {width}px"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 2000
    assert title == TITLE and headings == [TITLE] and body.count("Информационные сообщения") == 1
    assert times == ["02.03.2026 18:55 (Сахалин)", "27.02.2026 18:55 (Сахалин)"]
    [link] = links
    assert Path(unquote(urlsplit(link).path)).read_bytes().startswith(b"%PDF")


def test_the_feed_follows_rss_2_0(site):
    root = ET.fromstring((site / "rss.xml").read_bytes())
    assert root.tag == "rss" and root.get("version") == "2.0"
    [channel] = root.findall("channel")
    for name in ("title", "link", "description"):            # required channel elements
        assert (channel.findtext(name) or "").strip(), name
    assert channel.findtext("title") == TITLE
    _absolute(channel.findtext("link"))
    _date(channel.findtext("lastBuildDate"))
    items = channel.findall("item")
    assert len(items) == 2
    for item in items:
        assert (item.findtext("title") or item.findtext("description")), "an item needs a title or description"
        _absolute(item.findtext("link"))
        assert item.findtext("guid")
        _date(item.findtext("pubDate"))
        for enclosure in item.findall("enclosure"):        # url, length and type are all required
            _absolute(enclosure.get("url"))
            assert enclosure.get("length").isdigit() and "/" in enclosure.get("type")
    newest = items[0]
    assert parsedate_to_datetime(newest.findtext("pubDate")) == T0
    assert newest.findtext("pubDate").endswith("+1100")
    [enclosure] = newest.findall("enclosure")
    assert enclosure.get("url").startswith(BASE + "files/OKH-2026-00007/") and enclosure.get("type") == "application/pdf"
    assert enclosure.get("url") in newest.findtext("description")


def _absolute(url: str | None) -> None:
    parts = urlsplit(url or "")
    assert parts.scheme in ("http", "https") and parts.netloc, f"not an absolute link: {url!r}"


def _date(text: str | None) -> None:
    assert text and RFC822.match(text), f"not an RFC 822 date: {text!r}"
    parsedate_to_datetime(text)
