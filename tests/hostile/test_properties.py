"""Property-based tests (hypothesis): the reply parser on arbitrary and generated mail, and the
ledger import on workbooks with arbitrary operator cells."""

from __future__ import annotations

import base64
import string
from datetime import datetime

import openpyxl
from hypothesis import HealthCheck, given, settings, strategies as st

from ledger.columns import COLUMNS, HEADERS, SHEET
from ledger.render import row_hashes
from ledger.sync import reconcile
from ledger.workbook import DirectoryRow, build_ledger, install_ledger, read_ledger
from mailer.reply import KINDS, parse_reply

DEPARTMENTS = {"zhkh@adm-okha.ru": "zhkh"}
CASE = "OKH-2026-00042"
SETTINGS = settings(deadline=None, max_examples=60, suppress_health_check=list(HealthCheck))

# -- the reply parser -------------------------------------------------------------------------

@SETTINGS
@given(st.binary(max_size=4000))
def test_parser_never_raises_on_arbitrary_bytes(raw):
    assert parse_reply(raw, departments=DEPARTMENTS).kind in KINDS


CHARSETS = st.sampled_from(["utf-8", "windows-1251", "koi8-r", "x-unknown", "utf-7", "", "bogus\"x",
                            "iso-8859-5", "utf-16"])
ENCODINGS = st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "bogus"])
HEADER_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
TYPES = st.sampled_from(["text/plain", "text/html", "application/pdf", "image/png", "message/rfc822",
                         "message/delivery-status", "text/rfc822-headers", "application/ms-tnef"])


def _leaf(draw) -> str:
    ctype, charset, cte = draw(TYPES), draw(CHARSETS), draw(ENCODINGS)
    text = draw(st.text(max_size=200))
    body = text.encode("utf-8", "surrogatepass")
    if cte == "base64" and draw(st.booleans()):
        body = base64.encodebytes(body)
    name = draw(st.one_of(st.none(), HEADER_TEXT))
    disposition = f'Content-Disposition: attachment; filename="{name}"\r\n' if name is not None else ""
    return (f"Content-Type: {ctype}; charset={charset}\r\nContent-Transfer-Encoding: {cte}\r\n"
            f"{disposition}\r\n") + body.decode("utf-8", "replace")


@st.composite
def mime_messages(draw, depth: int = 0) -> str:
    if depth >= 3 or not draw(st.booleans()):
        return _leaf(draw)
    boundary = draw(st.text(alphabet=string.ascii_letters, min_size=1, max_size=8))
    children = draw(st.lists(mime_messages(depth + 1), max_size=4))
    inner = "".join(f"--{boundary}\r\n{child}\r\n" for child in children)
    subtype = draw(st.sampled_from(["mixed", "alternative", "related", "report", "signed"]))
    return f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n{inner}--{boundary}--\r\n'


@st.composite
def whole_messages(draw) -> bytes:
    headers = draw(st.lists(st.tuples(st.sampled_from(
        ["From", "Subject", "In-Reply-To", "References", "Auto-Submitted", "Precedence", "X-Weird",
         "Message-ID", "Content-Type"]), HEADER_TEXT), max_size=6))
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    sender = draw(st.sampled_from(["zhkh@adm-okha.ru", "x@evil.ru", "MAILER-DAEMON@mx.ru", ""]))
    subject = draw(st.sampled_from([f"Re: [{CASE}]", "Автоответ: нет", "", f"Ответ: {CASE.lower()}"]))
    raw = f"From: {sender}\r\nSubject: {subject}\r\n{head}MIME-Version: 1.0\r\n" + draw(mime_messages())
    return raw.encode("utf-8", "surrogatepass")


@SETTINGS
@given(whole_messages())
def test_parser_never_raises_on_generated_mime(raw):
    reply = parse_reply(raw, departments=DEPARTMENTS)
    assert reply.kind in KINDS
    assert reply.kind != "answer" or reply.sender == "zhkh@adm-okha.ru"


LINE = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd", "Zs"),
                                      min_codepoint=32, max_codepoint=0x44F), min_size=3, max_size=40)


@SETTINGS
@given(st.lists(LINE.filter(lambda s: s.strip() and not s.strip().startswith(">")), min_size=1, max_size=4),
       st.lists(LINE, min_size=1, max_size=6))
def test_answer_never_contains_a_standard_quote(answer_lines, quoted_lines):
    marker = "ЦИТАТА-МАРКЕР"
    quote = "\r\n".join(f"> {marker} {line}" for line in quoted_lines)
    body = "\r\n".join(answer_lines) + f"\r\n\r\n{quote}\r\n"
    raw = (f"From: zhkh@adm-okha.ru\r\nSubject: Re: [{CASE}] x\r\nContent-Type: text/plain; "
           f"charset=utf-8\r\n\r\n{body}").encode()
    reply = parse_reply(raw, departments=DEPARTMENTS)
    assert reply.kind == "answer" and marker not in reply.answer


# -- the ledger import ------------------------------------------------------------------------

OPERATOR_COLUMNS = [i for i, c in enumerate(COLUMNS, start=1) if c.operator or c.manual]
CELL = st.one_of(
    st.none(),
    st.text(max_size=50),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=10),
    st.text(min_size=1, max_size=1).map(lambda ch: ch * 3000),
    st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(["=1+1", "+7", "-", "@x", "Направить", "да", "  "]),
)


def _clean(value):
    """openpyxl refuses XML-forbidden characters like Excel does: a person cannot type them."""
    if isinstance(value, str):
        return "".join(ch for ch in value if ch in "\t\n\r" or ord(ch) >= 32)[:32000]
    return value


@SETTINGS
@given(st.lists(st.lists(CELL, min_size=len(OPERATOR_COLUMNS), max_size=len(OPERATOR_COLUMNS)),
                min_size=1, max_size=5), st.booleans())
def test_ledger_import_never_raises(tmp_path_factory, rows, with_ids):
    path = tmp_path_factory.mktemp("book") / "ledger.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(list(HEADERS))
    for n, values in enumerate(rows, start=2):
        if with_ids:
            sheet.cell(n, 1).value = f"OKH-2026-{n:05d}"
        for col, value in zip(OPERATOR_COLUMNS, values):
            sheet.cell(n, col).value = _clean(value)
    book.save(path)
    found = read_ledger(path)
    known = {f"OKH-2026-{n:05d}" for n in range(2, 4)}
    written = {case_id: row_hashes({"id": case_id}) for case_id in known}
    result = reconcile(found.rows, known, written, lambda case_id: {"id": case_id})
    for edit in result.edits:
        assert isinstance(edit.value, str)


TEXT = st.text(max_size=300)
MOMENT = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1)).map(
    lambda m: m.replace(microsecond=0))


@st.composite
def rendered_rows(draw):
    row = {c.key: draw(MOMENT) if c.kind == "date" else draw(TEXT) for c in COLUMNS}
    row["decision"] = ""
    row["link"] = draw(st.sampled_from(["", "https://vk.com/wall-1_1?reply=2", "javascript:x"]))
    return row


@SETTINGS
@given(st.lists(rendered_rows(), min_size=1, max_size=6, unique_by=lambda r: r["id"]))
def test_our_own_write_reads_back_as_no_edit(tmp_path_factory, rows):
    from ledger.render import cell_text
    rows = [{k: cell_text(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows]
    for n, row in enumerate(rows):
        row["id"] = f"OKH-2026-{n + 1:05d}"
    folder = tmp_path_factory.mktemp("own")
    path = folder / "ledger.xlsx"
    temp = build_ledger(path, rows, [DirectoryRow("zhkh", "Отдел ЖКХ", "zhkh@adm-okha.ru")], [["Сводка"]],
                        datetime(2026, 3, 12, 11), write_id=1)
    install_ledger(temp, path, folder / "backups", datetime(2026, 3, 12, 11))
    written = {row["id"]: row_hashes(row) for row in rows}
    result = reconcile(read_ledger(path).rows, set(written), written, lambda case_id: {})
    assert not result.edits and not result.bridge_edits and not result.new_rows, (
        result.edits[:3], result.bridge_edits)
    assert not result.missing and not result.duplicates
