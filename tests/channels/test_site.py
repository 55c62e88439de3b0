"""The «Информационные сообщения» page and feed (п. 3.5)."""

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

from bridge.channels.site import SiteItem, write_site

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def items():
    return [
        SiteItem("OKH-2026-00001", T0, "Старое сообщение", "Отдел ЖКХ"),
        SiteItem("OKH-2026-00007", T0 + timedelta(days=2), "<script>alert('x')</script> & «план»",
                 "Отдел <b>культуры</b>"),
    ]


def test_page_is_escaped_and_newest_first(tmp_path):
    write_site(tmp_path, items(), "Администрация Охинского округа")
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; «план»" in page
    assert "&lt;b&gt;культуры&lt;/b&gt;" in page
    assert page.index("OKH-2026-00007") < page.index("OKH-2026-00001")
    assert "Информационные сообщения" in page


def test_feed_is_valid_rss_with_escaped_text(tmp_path):
    write_site(tmp_path, items(), "Администрация")
    raw = (tmp_path / "rss.xml").read_text(encoding="utf-8")
    assert "<script>" not in raw
    channel = ET.fromstring(raw.encode("utf-8")).find("channel")
    entries = channel.findall("item")
    assert [e.findtext("guid") for e in entries] == ["OKH-2026-00007", "OKH-2026-00001"]
    assert entries[0].findtext("description") == "<script>alert('x')</script> & «план»"
    assert entries[1].findtext("pubDate") == "Mon, 02 Mar 2026 01:00:00 +0000"


def test_rewrite_keeps_every_item_and_leaves_no_temp_files(tmp_path):
    write_site(tmp_path, items()[:1], "А")
    write_site(tmp_path, items(), "А")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html", "rss.xml"]
    assert (tmp_path / "index.html").read_text(encoding="utf-8").count("<article") == 2


def test_empty_section(tmp_path):
    write_site(tmp_path / "new", [], "А")
    assert "Сообщений пока нет" in (tmp_path / "new" / "index.html").read_text(encoding="utf-8")
