"""Rules of outgoing mail: subjects, Message-IDs, threading, header safety, escaping, files."""

from __future__ import annotations

import email
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email import policy

import pytest

from mailer.compose import (
    OutgoingFile, compose, format_duration, format_when, message_id, plural, subject_for,
)

from .samples import CASE, FROM, HOST, NOW, TZ

MSGID = re.compile(r"^<OKH-2026-00042\.[0-9a-f]{16}@adm\.sakhalin\.ru>$")


def build(template="new_case", case=CASE, **kwargs):
    kwargs.setdefault("to", ["zhkh@adm.sakhalin.ru"])
    return compose(template, case=case, from_addr=FROM, host=HOST, tz=TZ, date=NOW, **kwargs)


def reparse(msg, compat=False):
    raw = msg.as_bytes()
    return email.message_from_bytes(raw) if compat else email.message_from_bytes(
        raw, policy=policy.default)


def excerpt(subject):
    return subject.split(": ", 1)[1]


# ---------------------------------------------------------------- subject

def test_subject_has_case_id_channel_and_first_words():
    assert subject_for(replace(CASE, text="Когда починят дорогу?")) == \
        "[OKH-2026-00042] ВКонтакте: Когда починят дорогу?"


def test_long_text_is_cut_to_first_words_with_ellipsis():
    text = "один два три четыре пять шесть семь восемь девять десять"
    assert excerpt(subject_for(replace(CASE, text=text))) == \
        "один два три четыре пять шесть семь восемь…"
    assert excerpt(subject_for(replace(CASE, text=text), max_words=3)) == "один два три…"


def test_long_words_are_cut_to_about_sixty_characters():
    text = "Администрация " * 3 + "Сахалинской " + "x" * 200
    cut = excerpt(subject_for(replace(CASE, text=text)))
    assert len(cut) <= 60 and cut.endswith("…")
    assert cut.startswith("Администрация Администрация")


def test_newlines_tabs_and_control_characters_collapse():
    text = "Яма\r\nна\tдороге\x00\x1b[31m \u200bу школы\u2028№ 2"
    subject = subject_for(replace(CASE, text=text))
    assert excerpt(subject) == "Яма на дороге [31m у школы № 2"
    assert not re.search(r"[\x00-\x1f\x7f]", subject)


def test_emoji_survive_whole_and_round_trip_through_the_header():
    text = "Спасибо 👍🏻 за ремонт ❤️ двора"
    subject = subject_for(replace(CASE, text=text))
    assert excerpt(subject) == text
    assert reparse(build(case=replace(CASE, text=text)))["Subject"] == subject


def test_empty_text_and_hand_typed_channel():
    subject = subject_for(replace(CASE, text=" \n ", channel_label="Телефон\r\nBcc: x@y.ru"))
    assert subject == "[OKH-2026-00042] Телефон Bcc: x@y.ru: (без текста)"


# ---------------------------------------------------------------- Message-ID and threading

def test_message_id_format_and_randomness():
    first, second = message_id("OKH-2026-00042", HOST), message_id("OKH-2026-00042", HOST)
    assert MSGID.match(first) and MSGID.match(second) and first != second


def test_message_id_rejects_what_would_break_the_header():
    with pytest.raises(ValueError):
        message_id("OKH-2026-00042>\r\nBcc: x", HOST)
    assert message_id("OKH-2026-00042", "adm.sakhalin.ru\r\nBcc: x").endswith(
        "@adm.sakhalin.ruBccx>")


def test_case_mail_gets_a_case_message_id_and_general_mail_an_otklik_one():
    assert MSGID.match(reparse(build())["Message-ID"])
    digest = reparse(build("digest", case=None, context={"now": NOW}))
    assert re.match(r"^<otklik\.[0-9a-f]{16}@adm\.sakhalin\.ru>$", digest["Message-ID"])
    assert digest["X-Otklik-Case"] is None


def test_threading_headers_chain_every_earlier_mail():
    first = "<OKH-2026-00042.aaaa@adm.sakhalin.ru>"
    second = "<OKH-2026-00042.bbbb@adm.sakhalin.ru>"
    msg = reparse(build("rework", context={"operator_comment": "x", "previous_answer": "y"},
                        in_reply_to=second, references=[first, second]))
    assert msg["In-Reply-To"] == second
    assert msg["References"].split() == [first, second]


def test_in_reply_to_alone_starts_references():
    msg = reparse(build(in_reply_to="OKH-2026-00042.cccc@adm.sakhalin.ru"))
    assert msg["In-Reply-To"] == "<OKH-2026-00042.cccc@adm.sakhalin.ru>"
    assert msg["References"] == "<OKH-2026-00042.cccc@adm.sakhalin.ru>"


def test_first_mail_has_no_threading_headers():
    msg = reparse(build())
    assert msg["In-Reply-To"] is None and msg["References"] is None


# ---------------------------------------------------------------- headers

def test_robot_headers_on_every_mail():
    msg = reparse(build(msgid="<OKH-2026-00042.fixed@adm.sakhalin.ru>"))
    assert msg["From"] == FROM and msg["Reply-To"] == FROM
    assert msg["To"] == "zhkh@adm.sakhalin.ru"
    assert msg["Message-ID"] == "<OKH-2026-00042.fixed@adm.sakhalin.ru>"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["X-Otklik-Case"] == "OKH-2026-00042"
    assert msg["Date"].datetime == NOW


def test_crlf_in_author_name_and_text_cannot_inject_headers():
    evil = replace(CASE, author_name="Иван\r\nBcc: spy@evil.ru\r\n\r\n<b>",
                   text="Привет\r\nBcc: spy@evil.ru\nX-Evil: 1")
    raw = build(case=evil, to=["zhkh@adm.sakhalin.ru\r\nBcc: spy@evil.ru"]).as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    header_block = raw.split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in header_block and b"\nX-Evil" not in header_block
    assert "Иван Bcc: spy@evil.ru <b>" in parsed.get_body(("plain",)).get_content()


def test_deadline_is_shown_in_local_time():
    utc_deadline = datetime(2026, 11, 27, 4, 0, tzinfo=timezone.utc)   # 15:00 on Sakhalin
    plain = reparse(build(case=replace(CASE, deadline=utc_deadline))).get_body(("plain",))
    assert "Ответить до 27.11.2026 15:00 (Сахалин)" in plain.get_content()


def test_no_recipients_or_a_broken_msgid_is_a_programming_error():
    with pytest.raises(ValueError):
        build(to=["\r\n"])
    with pytest.raises(ValueError):
        build(msgid="<>\r\n")


# ---------------------------------------------------------------- escaping

def test_script_in_citizen_text_is_inert_in_html():
    evil = replace(CASE, text='<script>alert("x")</script>\n<img src=x onerror=alert(1)>',
                   author_name="<b onclick=x>Иван</b>", link="javascript:alert(1)")
    msg = reparse(build(case=evil))
    html = msg.get_body(("html",)).get_content()
    assert "<script" not in html and "<img" not in html and "<b onclick" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert 'href="javascript' not in html
    assert '<script>alert("x")</script>' in msg.get_body(("plain",)).get_content()


def test_operator_and_digest_text_is_escaped_too():
    rework = build("rework", context={"operator_comment": "<script>1</script>",
                                      "previous_answer": "<iframe>"})
    digest = build("digest", case=None, context={
        "now": NOW, "bounces": [{"case_id": "<i>", "label": "<script>2</script>"}]})
    for msg in (rework, digest):
        html = reparse(msg).get_body(("html",)).get_content()
        assert "<script" not in html and "<iframe" not in html and "<i>" not in html
        assert "&lt;script&gt;" in html or "&lt;iframe&gt;" in html


# ---------------------------------------------------------------- attachments

def attachments_of(msg):
    return [(part.get_filename(), part.get_content()) for part in msg.iter_attachments()]


def test_big_attachment_is_replaced_by_a_note():
    small = OutgoingFile("фото.jpg", "image/jpeg", b"1" * 1000)
    big = OutgoingFile("видео.mp4", "video/mp4", b"2" * (3 * 1024 * 1024))
    msg = reparse(build(attachments=[big, small], attachment_limit=2 * 1024 * 1024))
    assert attachments_of(msg) == [("фото.jpg", b"1" * 1000)]
    note = "файл слишком большой для письма (3,0 МБ), он сохранён в системе: видео.mp4"
    assert note in msg.get_body(("plain",)).get_content()
    assert "файл слишком большой для письма (3,0 МБ), он сохранён в системе: <b>видео.mp4</b>" \
        in msg.get_body(("html",)).get_content()


def test_files_that_together_exceed_the_limit_are_not_all_attached():
    files = [OutgoingFile(f"{n}.pdf", "application/pdf", bytes(600)) for n in range(3)]
    msg = reparse(build(attachments=files, attachment_limit=1300))
    assert [name for name, _ in attachments_of(msg)] == ["0.pdf", "1.pdf"]
    assert "он сохранён в системе: 2.pdf" in msg.get_body(("plain",)).get_content()


@pytest.mark.parametrize("name", [
    "фото.jpg",
    "Акт обследования придомовой территории дома 5 по улице Ленина (с фото).pdf",
    "Жалоба; «срочно» = да, 100%.docx",
])
def test_cyrillic_file_names_round_trip(name):
    data = b"%PDF-1.4 test"
    raw = build(attachments=[OutgoingFile(name, "application/pdf", data)]).as_bytes()
    compat = [p for p in email.message_from_bytes(raw).walk() if p.get_filename()]
    assert [p.get_filename() for p in compat] == [name]
    assert compat[0].get_payload(decode=True) == data
    assert b"filename*" in raw          # RFC 2231, not raw 8-bit bytes in the header
    assert name.encode() not in raw


def test_file_names_lose_paths_and_control_characters():
    files = [OutgoingFile("..\\..\\Windows\\evil\r\n.exe", "nonsense", b"x"),
             OutgoingFile("", "text/plain", b"y")]
    msg = reparse(build(attachments=files))
    parts = list(msg.iter_attachments())
    assert [p.get_filename() for p in parts] == ["evil .exe", "вложение"]
    assert parts[0].get_content_type() == "application/octet-stream"


# ---------------------------------------------------------------- formatting

def test_date_format_and_duration_words():
    assert format_when(datetime(2026, 11, 28, 4, 0, tzinfo=timezone.utc), TZ) == \
        "28.11.2026 15:00 (Сахалин)"
    assert format_duration(timedelta(days=1, hours=3, minutes=5)) == "1 день 3 часа"
    assert format_duration(timedelta(hours=5, minutes=21)) == "5 часов 21 минута"
    assert format_duration(timedelta(seconds=20)) == "меньше минуты"
    assert [plural(n, "день", "дня", "дней") for n in (1, 2, 5, 11, 21, 112)] == \
        ["день", "дня", "дней", "дней", "день", "дней"]
