"""Hostile and broken input: parse_reply never raises, names are made safe, walks are capped."""

from __future__ import annotations

import base64
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailer.html_text import render_html
from mailer.mime import sanitize_filename
from mailer.quotes import extract_answer
from mailer.reply import parse_reply

DEPARTMENTS = {"zhkh@adm-okha.ru": "zhkh"}
HEAD = ("From: zhkh@adm-okha.ru\r\nSubject: Re: [OKH-2026-00042] x\r\nMIME-Version: 1.0\r\n")


def with_attachment(disposition: str, data: str = "aGVsbG8=") -> bytes:
    return (HEAD + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\nСм. файл.\r\n--b\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Disposition: {disposition}\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{data}\r\n--b--\r\n").encode()


def names(raw: bytes) -> list[str]:
    return [a.filename for a in parse_reply(raw, departments=DEPARTMENTS).attachments]


@pytest.mark.parametrize("given, safe", [
    ("../../x", "x"), ("..\\..\\Windows\\system.ini", "system.ini"), ("CON", "_CON"),
    ("nul.txt", "_nul.txt"), ("com1", "_com1"), ("a..b.pdf", "a.b.pdf"), ("..", "вложение.bin"),
    ("evil\x00na\x1bme\r\n.doc", "evilname.doc"), ('a<b>c:"d|e?f*.txt', "a_b_c__d_e_f_.txt"),
    ("отчёт\u202e.exe", "отчёт.exe"),
])
def test_filenames_are_made_safe(given, safe):
    assert sanitize_filename(given) == safe


def test_long_name_is_cut_to_150_keeping_the_extension():
    name = sanitize_filename("д" * 300 + ".pdf")
    assert len(name) == 150 and name.endswith("д.pdf")


def test_hostile_names_in_a_real_message():
    assert names(with_attachment('attachment; filename="../../x"')) == ["x"]
    assert names(with_attachment('attachment; filename="CON"')) == ["_CON"]
    long = names(with_attachment(f'attachment; filename="{"a" * 300}.xlsx"'))[0]
    assert len(long) == 150 and long.endswith(".xlsx")
    encoded = base64.b64encode("../Отчёт\r\nX-Evil: 1.pdf".encode()).decode()
    assert names(with_attachment(f'attachment; filename="=?utf-8?B?{encoded}?="')) == [
        "Отчёт X-Evil_ 1.pdf"]


def test_broken_base64_keeps_going():
    reply = parse_reply(with_attachment('attachment; filename="a.bin"', "@@not*base64==="),
                        departments=DEPARTMENTS)
    assert reply.kind == "answer" and reply.answer == "См. файл."
    assert [a.filename for a in reply.attachments] == ["a.bin"]


def test_broken_base64_text_body():
    raw = (HEAD + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64"
           "\r\n\r\n0J7RgtCy0LXRgi4=!!!\r\n%%%").encode()
    reply = parse_reply(raw, departments=DEPARTMENTS)
    assert reply.kind == "answer"


@pytest.mark.parametrize("charset, codec", [("x-unknown-cyr", "cp1251"), ("x-unknown-cyr", "koi8-r"),
                                            ("utf-99", "utf-8"), ("", "cp1251")])
def test_unknown_charset_falls_back_to_cyrillic_guess(charset, codec):
    text = "Работы будут выполнены в срок."
    raw = (HEAD + f"Content-Type: text/plain; charset={charset}\r\n\r\n").encode() + text.encode(codec)
    assert parse_reply(raw, departments=DEPARTMENTS).answer == text


def test_raw_8bit_cp1251_subject_and_filename():
    raw = (b"From: zhkh@adm-okha.ru\r\nSubject: " + "Ответ: [OKH-2026-00042] фонарь".encode("cp1251")
           + b'\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: '
           b"text/plain\r\n\r\nok\r\n--b\r\nContent-Disposition: attachment; filename=\""
           + "Акт.pdf".encode("cp1251") + b'"\r\n\r\nx\r\n--b--\r\n')
    reply = parse_reply(raw, departments=DEPARTMENTS)
    assert (reply.kind, reply.case_id) == ("answer", "OKH-2026-00042")
    assert [a.filename for a in reply.attachments] == ["Акт.pdf"]


def test_crlf_and_folding_in_headers_do_not_leak():
    raw = (b"From: =?utf-8?Q?=D0=9E=0D=0AX-Evil=3A_1?=\r\n <zhkh@adm-okha.ru>\r\n"
           b"Subject: =?utf-8?B?" + base64.b64encode("Re:\r\n[OKH-2026-00042]".encode())
           + b"?=\r\n\r\nOK\r\n")
    reply = parse_reply(raw, departments=DEPARTMENTS)
    assert (reply.kind, reply.sender, reply.case_id) == ("answer", "zhkh@adm-okha.ru",
                                                         "OKH-2026-00042")


@pytest.mark.parametrize("raw", [b"", b"\x00\xff" * 1000, b"From:\r\n\r\n", b"Content-Type: "
                                 b"multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
                                 b"Content-Type: text/html\r\n\r\n<div><blockquote><p>" * 50])
def test_garbage_never_raises(raw):
    reply = parse_reply(raw, departments=DEPARTMENTS)
    assert reply.kind in {"no_case", "answer", "auto_reply", "bounce", "unknown_sender"}


def timed(raw: bytes):
    start = time.monotonic()
    reply = parse_reply(raw, departments=DEPARTMENTS)
    return reply, time.monotonic() - start


def test_200_levels_of_nesting_finish_quickly():
    raw = HEAD
    for level in range(200):
        raw += f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'
    raw += "Content-Type: text/plain\r\n\r\nглубоко\r\n"
    for level in reversed(range(200)):
        raw += f"--b{level}--\r\n"
    reply, seconds = timed(raw.encode())
    assert reply.kind in {"answer", "no_case"} and seconds < 5


def test_5000_parts_finish_quickly_and_say_so():
    parts = "".join(f"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: "
                    f"attachment; filename=f{i}.bin\r\n\r\nx\r\n" for i in range(5000))
    raw = (HEAD + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: '
           "text/plain\r\n\r\nОтвет.\r\n" + parts + "--b--\r\n").encode()
    reply, seconds = timed(raw)
    assert reply.kind == "answer" and seconds < 5
    assert 0 < len(reply.attachments) < 5000 and "только его часть" in reply.note


def test_huge_text_is_handled_quickly():
    body = ("Строка ответа без конца " * 40 + "\n") * 20_000   # ~20 MB of text
    raw = (HEAD + "Content-Type: text/plain; charset=utf-8\r\n\r\nКороткий ответ.\r\n\r\n")
    reply, seconds = timed(raw.encode() + body.encode())
    assert reply.kind == "answer" and reply.answer.startswith("Короткий ответ.") and seconds < 10


def test_huge_html_with_unclosed_tags():
    raw = (HEAD + "Content-Type: text/html; charset=utf-8\r\n\r\n<p>Ответ.</p>").encode() \
        + b"<div><span>x" * 100_000
    reply, seconds = timed(raw)
    assert reply.answer.startswith("Ответ.") and seconds < 10


# --- issue 17: charsets that are not charsets, lone surrogates, hostile HTML ------------------

def every_text_encodes(reply) -> None:
    texts = [reply.answer, reply.note, reply.sender, reply.message_id, reply.case_id or "",
             *(a.filename for a in reply.attachments), *(a.content_type for a in reply.attachments)]
    for text in texts:
        text.encode("utf-8")          # a lone surrogate would raise here (store, workbook, JSON)


@pytest.mark.parametrize("charset, body, answer", [
    ("unicode_escape", b"\\ud800 \\N{BELL} answer", "\\ud800 \\N{BELL} answer"),
    ("raw_unicode_escape", b"\\udfff answer", "\\udfff answer"),
    ("utf-7", b"+2AA- answer +BB4EQgQyBDUEQg-", "\ufffd answer Ответ"),
    ("utf-16-le", b"\x00\xd8a\x00", None),
    ("idna", b"xn--80ak6aa92e", None),
])
def test_escape_codecs_are_not_charsets_and_no_lone_surrogate_leaves(charset, body, answer):
    for ctype in ("text/plain", "text/html"):
        raw = (HEAD + f"Content-Type: {ctype}; charset={charset}\r\n\r\n").encode() + body
        reply = parse_reply(raw, departments=DEPARTMENTS)
        assert reply.kind == "answer"
        every_text_encodes(reply)
        if answer is not None:
            assert reply.answer == answer


@pytest.mark.parametrize("header", [
    "Subject: =?unicode_escape?Q?\\ud800_[OKH-2026-00042]?=",
    "Subject: =?utf-7?Q?+2AA-_[OKH-2026-00042]?=",
    "Subject: [OKH-2026-00042] \udc80\udcff",
])
def test_lone_surrogates_in_headers(header):
    raw = ("From: zhkh@adm-okha.ru\r\n" + header + "\r\n\r\nОтвет.").encode("utf-8", "surrogateescape")
    reply = parse_reply(raw, departments=DEPARTMENTS)
    assert (reply.kind, reply.case_id) == ("answer", "OKH-2026-00042")
    every_text_encodes(reply)


@pytest.mark.parametrize("disposition", [
    'attachment; filename="=?utf-7?Q?+2AA-.pdf?="',
    "attachment; filename*=unicode_escape''%5Cud800.pdf",
    "attachment; filename*=utf-16''%00%D8.pdf",
])
def test_lone_surrogates_in_file_names(disposition):
    reply = parse_reply(with_attachment(disposition), departments=DEPARTMENTS)
    assert reply.kind == "answer" and len(reply.attachments) == 1
    every_text_encodes(reply)


def test_300_byte_cyrillic_file_name_in_rfc2231():
    name = "".join(f"%{b:02X}" for b in ("я" * 150 + ".pdf").encode())
    [file] = names(with_attachment(f"attachment; filename*=utf-8''{name}"))
    assert len(file) == 150 and file.endswith("я.pdf")


@pytest.mark.parametrize("opening", ["<div>", "<b>", "<a>", "<font>", "<table>", "<blockquote>",
                                     "<p>", "<li>", "<i><b>", "<td>", "<span style='x'>"])
def test_100k_nested_tags_finish_quickly(opening):
    raw = (HEAD + "Content-Type: text/html; charset=utf-8\r\n\r\n<p>Ответ.</p>").encode() \
        + f"{opening}x".encode() * 100_000
    reply, seconds = timed(raw)
    assert reply.answer.startswith("Ответ.") and seconds < 10


def test_deep_but_closed_nesting_keeps_the_text_after_it():
    html = "<div>" * 40_000 + "глубоко" + "</div>" * 40_000 + "<p>Ответ.</p>"   # < 500k chars
    raw = (HEAD + "Content-Type: text/html; charset=utf-8\r\n\r\n" + html).encode()
    reply, seconds = timed(raw)
    assert reply.answer == "глубоко\nОтвет." and seconds < 10


@pytest.mark.parametrize("html", [
    "<style>" + "{" * 200_000 + "</style><p>Ответ.</p>",
    "<style>" + ".a{display:none}" * 20_000 + "</style><p class=a>скрыто</p><p>Ответ.</p>",
    "<p>\x00Отв\x00ет.\x1b</p>",
    "<p>Ответ.</p>" + "<table><tr><td style='display:none'>x</td><td>y</td></tr></table>" * 30_000,
])
def test_hostile_html_bodies(html):
    raw = (HEAD + "Content-Type: text/html; charset=utf-8\r\n\r\n" + html).encode()
    reply, seconds = timed(raw)
    assert reply.answer.startswith("Ответ.") and seconds < 10
    every_text_encodes(reply)


def test_flowed_bombs():
    for body in (b"a \r\n" * 500_000, "Ответ.\r\n".encode() + b">" * 100_000 + b" x \r\n"):
        raw = (HEAD + "Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes"
               "\r\n\r\n").encode() + body
        reply, seconds = timed(raw)
        assert reply.kind == "answer" and seconds < 10


HTML_BITS = ["<div>", "</div>", "<p>", "</p>", "<br>", "<table>", "<tr>", "<td>", "</td>",
             "<blockquote>", "</blockquote>", "<span style='display:none'>", "</span>",
             "<style>.a{display:none}</style>", "<div class=a>", "<div id=divRplyFwdMsg>",
             "<a name=_MailAutoSig>", "<pre>", "</pre>", "<!--", "-->", "&nbsp;", "\ue000",
             "<div hidden>", "С уважением,", "-- ", "> цитата", "Иванов И.И.", "тел. 2-22-22",
             "Отправлено с iPhone", "конфиденциально, для адресата, удалите при ошибке"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(HTML_BITS), st.text(max_size=20)), max_size=50))
def test_any_html_renders_and_extracts_without_raising(bits):
    html = "".join(bits)
    raw = (HEAD + "Content-Type: text/html; charset=utf-8\r\n\r\n").encode() + html.encode(
        "utf-8", "replace")
    reply = parse_reply(raw, departments=DEPARTMENTS)
    assert "не удалось разобрать" not in reply.note
    extract_answer(render_html(html).text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([
    "text/plain; charset=utf-8; format=flowed; delsp=yes", "text/html; charset=utf-7",
    "text/plain; charset=unicode_escape", 'multipart/alternative; boundary="b"']))
def test_any_body_bytes_are_read_without_raising(body, ctype):
    raw = (HEAD + f"Content-Type: {ctype}\r\n\r\n").encode() + body
    reply = parse_reply(raw, departments=DEPARTMENTS)
    assert "не удалось разобрать" not in reply.note
    reply.answer.encode("utf-8")


def test_surrogate_escapes_mixed_with_other_surrogates_do_not_raise():
    from mailer.mime import repair_surrogates
    assert repair_surrogates("\udcce\udcf2\udcf7\udce5\udcf2.pdf") == "Отчет.pdf"
    repair_surrogates("Отчёт \udcc0\udce1 \ud800.pdf").encode("utf-8")
    assert sanitize_filename("Акт\udcc0\ud800.pdf").endswith(".pdf")


def test_plain_and_html_both_huge_with_thousands_of_hidden_fragments():
    plain = "Ответ.\r\n" + "строка текста номер такая-то\r\n" * 15_000
    html = "<p>Ответ.</p>" + "".join(f"<span style='display:none'>скрыто {i}</span>"
                                     for i in range(20_000))
    raw = (HEAD + 'Content-Type: multipart/alternative; boundary="b"\r\n\r\n--b\r\nContent-Type: '
           "text/plain; charset=utf-8\r\n\r\n" + plain + "\r\n--b\r\nContent-Type: text/html; "
           "charset=utf-8\r\n\r\n" + html + "\r\n--b--\r\n").encode()
    reply, seconds = timed(raw)
    assert reply.answer.startswith("Ответ.") and seconds < 10


@pytest.mark.parametrize("tail", [
    "Сообщение конфиденциально и предназначено только для адресата.\n\n" * 20_000,
    "Иванов И.И.\nтел. 2-22-22\n\n" * 20_000, "-----\n" * 50_000, "> q\nа\n" * 50_000,
    "26.11.2026 10:15, Отклик пишет:\n" * 20_000,
])
def test_long_repetitive_tails_stay_linear(tail):
    start = time.monotonic()
    assert extract_answer("Ответ.\n\n" + tail).startswith("Ответ.")
    assert time.monotonic() - start < 10
