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


def test_times_are_local_the_title_is_once_and_links_absolute(tmp_path):
    from zoneinfo import ZoneInfo
    item = SiteItem("OKH-2026-00009", datetime(2026, 3, 2, 7, 55, tzinfo=timezone.utc), "Сход граждан", "Отдел ЖКХ")
    write_site(tmp_path, [item], "Информационные сообщения — администрация", tz=ZoneInfo("Asia/Sakhalin"),
               base_url="https://adm-okha.ru/info")
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "02.03.2026 18:55 (Сахалин)" in page and "07:55" not in page
    assert page.count("Информационные сообщения") == 3          # <title>, the feed's link title, <h1>
    feed = ET.fromstring((tmp_path / "rss.xml").read_bytes()).find("channel")
    assert feed.findtext("title") == "Информационные сообщения — администрация"
    assert feed.findtext("link") == "https://adm-okha.ru/info/index.html"
    assert feed.find("item").findtext("link") == "https://adm-okha.ru/info/index.html#OKH-2026-00009"
    assert feed.find("item").findtext("pubDate") == "Mon, 02 Mar 2026 18:55:00 +1100"


def test_answer_files_are_published_and_go_with_their_item(tmp_path):
    scan = tmp_path / "акт осмотра.pdf"
    scan.write_bytes(b"%PDF-1.4 scan")
    item = SiteItem("OKH-2026-00010", T0, "Акт осмотра", "Отдел ЖКХ", (scan,))
    out = tmp_path / "site"
    write_site(out, [item], "А", base_url="https://adm-okha.ru/info/")
    published = out / "files" / "OKH-2026-00010" / "акт осмотра.pdf"
    assert published.read_bytes() == scan.read_bytes()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="files/OKH-2026-00010/%D0%B0%D0%BA%D1%82%20%D0%BE%D1%81%D0%BC%D0%BE%D1%82%D1%80%D0%B0.pdf"' in page
    write_site(out, [], "А", base_url="https://adm-okha.ru/info/")
    assert not published.exists()
