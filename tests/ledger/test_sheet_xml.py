"""The directly written sheet (ledger/sheet_xml.py, ledger/rowcache.py, ledger/package.py): what
any text becomes in a cell, read back by openpyxl and by calamine, and the pieces it is built from."""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from ledger.columns import BY_KEY, COLUMNS, PRINT_SHEET, SHEET
from ledger.package import compress, crc32_combine, join, write_zip
from ledger.render import BRIDGE_KEYS, TRACKED_KEYS, cell_text, fingerprint, normalize, row_hashes
from ledger.rowcache import CHUNK_ROWS, Layouts, Piece, RowCache, Snapshot, pack_hashes
from ledger.sheet_xml import build_frame, row_xml, xml_text
import ledger.view as view_module
from ledger.workbook import PRINT_COLUMNS, DirectoryRow, build_ledger

pytestmark = pytest.mark.pure

# Every code point, lone surrogates and XML-forbidden controls included.
ANY_TEXT = st.text(st.characters(codec=None, categories=None, exclude_categories=()), max_size=60)
TRICKY = st.sampled_from(["=1+1", "=HYPERLINK(\"http://x\")", "@SUM(A1)", "+7", "-", "_x000D_", "_x005F_x0041_", "_x0000_x0000_",
                          "a\rb", "a\r\nb", " lead", "trail ", "\t", "&amp;", "<t>", "]]>", "\ud800", "\udfff x",
                          "\x00\x01\x1f", "\ufffe\uffff", "ё" * 40_000, "x" * 32_767, "😀" * 3])
TEXT = st.one_of(ANY_TEXT, TRICKY, st.lists(st.one_of(ANY_TEXT, TRICKY), max_size=4).map("".join))


def expected(text: str) -> str:
    """What a cell shows: the text made safe by the renderer, a lone surrogate as «�»."""
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in cell_text(text))


def openpyxl_text(value: str | None) -> str:
    """openpyxl leaves Excel's `_xHHHH_` escapes of inline strings undecoded (calamine, Excel and
    LibreOffice decode them): undo the one escape the writer uses, `_x005F_` before `_xHHHH_`."""
    return re.sub("_x005F_(?=x[0-9A-Fa-f]{4}_)", "_", value or "")


def write_rows(path: Path, rows: list[dict]) -> None:
    """The ledger's own path: the XlsxWriter frame, kept pieces, the ZIP from parts."""
    def frame_bytes(probe) -> bytes:
        temp = build_ledger(path.with_name("frame.xlsx"), probe, [DirectoryRow("zhkh", "ЖКХ", "a@b.ru")],
                            [["Сводка"]], datetime(2026, 3, 12, 11), 7)
        try:
            return temp.read_bytes()
        finally:
            temp.unlink()
    frame = build_frame(frame_bytes, SHEET, COLUMNS, len(rows))
    cache = RowCache(Layouts(frame.layout, None, ()))
    pieces = []
    for n, row in enumerate(rows):
        xml, link, rel = row_xml(row, frame.layout, row.get("link"))
        pieces.append((row["id"], (Piece(pack_hashes(row_hashes(row)), None, ()),
                                   (xml.encode(), link.encode(), rel.encode(), b""))))
    cache.fill(pieces)
    with open(path, "wb") as handle:
        write_zip(handle, cache.members(frame), datetime(2026, 3, 12, 11))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(TEXT, min_size=1, max_size=6))
@example(["=1+1", "_x000D_", "a\rb", " lead", "\ud800", "\x00", "x" * 40_000])
def test_any_text_reads_back_exactly_in_openpyxl_and_calamine(tmp_path_factory, texts):
    path = tmp_path_factory.mktemp("sheet") / "book.xlsx"
    rows = [{"id": f"OKH-2026-{n + 1:05d}", "text": cell_text(t), "note": cell_text(t[::-1]),
             "channel": "ВКонтакте", "link": "https://vk.com/wall-1_1?a=1&b=\"2\" <3>"} for n, t in enumerate(texts)]
    write_rows(path, rows)
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    text_col = [c.key for c in COLUMNS].index("text") + 1
    note_col = [c.key for c in COLUMNS].index("note") + 1
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET).to_python(skip_empty_area=False)
    for n, text in enumerate(texts):
        for col, value in ((text_col, text), (note_col, text[::-1])):
            want = expected(value)
            assert openpyxl_text(sheet.cell(n + 2, col).value) == want, value[:80]
            assert (grid[n + 1][col - 1] or "") == want, value[:80]
        assert sheet.cell(n + 2, 3).hyperlink.target.startswith("https://vk.com/wall-1_1?a=1&b=%22")
        assert sheet.cell(n + 2, 1).value == rows[n]["id"]
        assert sheet.cell(n + 2, 1).data_type == "s"     # never a formula, whatever the text


def test_dates_and_links_as_xlsxwriter_wrote_them(tmp_path):
    path = tmp_path / "book.xlsx"
    moment = datetime(2026, 3, 1, 10, 0, 59)
    write_rows(path, [{"id": "OKH-2026-00001", "posted": moment, "channel": "ВКонтакте",
                       "link": "https://vk.com/wall-1_1"},
                      {"id": "OKH-2026-00002", "channel": "Telegram", "link": "javascript:alert(1)"}])
    sheet = openpyxl.load_workbook(path)[SHEET]
    assert sheet["B2"].value == moment and sheet["B2"].number_format == "dd.mm.yyyy hh:mm"
    assert sheet["C2"].hyperlink.target == "https://vk.com/wall-1_1" and sheet["C2"].font.u == "single"
    assert sheet["C3"].hyperlink is None and sheet["C3"].value == "Telegram"
    assert sheet.auto_filter.ref == "A1:V3" and sheet.freeze_panes == "B2"


def test_rows_across_chunks_keep_their_numbers_when_one_is_put_before_the_others(tmp_path):
    rows = [{"id": f"OKH-2026-{n:05d}", "text": f"обращение {n}", "channel": "VK", "link": f"https://vk.com/{n}"}
            for n in range(2, CHUNK_ROWS + 30)]
    path = tmp_path / "book.xlsx"
    write_rows(path, rows)
    sheet = openpyxl.load_workbook(path)[SHEET]
    assert [sheet.cell(r, 1).value for r in (2, CHUNK_ROWS + 1, CHUNK_ROWS + 29)] == \
        ["OKH-2026-00002", f"OKH-2026-{CHUNK_ROWS + 1:05d}", f"OKH-2026-{CHUNK_ROWS + 29:05d}"]
    assert sheet.cell(CHUNK_ROWS + 29, 3).hyperlink.target == f"https://vk.com/{CHUNK_ROWS + 29}"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.binary(max_size=3000), st.binary(max_size=50))
def test_parts_join_into_one_deflate_stream_with_the_right_crc(a, b, c):
    parts = [compress(a), compress(b, 1), compress(c, 9)]
    pieces, crc, size, _ = join(parts)
    assert zlib.decompress(b"".join(pieces), -15) == a + b + c
    assert crc == zlib.crc32(a + b + c) and size == len(a + b + c)
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_a_zip_of_parts_is_a_valid_archive():
    handle = io.BytesIO()
    big = os.urandom(200_000)
    write_zip(handle, [("a.xml", [compress(b"<a>"), compress(big), compress(b"</a>")]), ("b", [])],
              datetime(2026, 3, 12, 11, 30, 58))
    archive = zipfile.ZipFile(io.BytesIO(handle.getvalue()))
    assert archive.testzip() is None and archive.read("a.xml") == b"<a>" + big + b"</a>" and archive.read("b") == b""
    assert archive.getinfo("a.xml").date_time == (2026, 3, 12, 11, 30, 58)


def reference_hashes(row) -> list[int]:
    """row_hashes as first written (ledger/render.py): snapshots already stored must still match."""
    bridge_text = "\x1f".join(normalize(row.get(key)) for key in BRIDGE_KEYS)
    return [fingerprint(bridge_text), *(fingerprint(normalize(row.get(key))) for key in TRACKED_KEYS)]


CELL = st.one_of(st.none(), ANY_TEXT, TRICKY, st.datetimes(), st.dates(), st.floats(allow_nan=False), st.integers())


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.sampled_from(BRIDGE_KEYS + TRACKED_KEYS + ("id", "decision")), CELL))
def test_the_fast_row_hashes_are_the_reference_ones(row):
    assert row_hashes(row) == reference_hashes(row)


def test_xml_text_is_total_and_idempotent_on_plain_text():
    assert xml_text("Житель: «двор»") == "Житель: «двор»"
    assert xml_text("a&b<c>\r_x0041_\x00\ud800") == "a&amp;b&lt;c&gt;&#13;_x005F_x0041_\ufffd\ufffd"


def test_a_snapshot_keeps_what_json_kept():
    plain = {"OKH-2026-00001": [0, 1, 2 ** 32 - 1], 'OKH-"2026"': [7], "Ё\ud800": []}
    snapshot = Snapshot.of(plain)
    assert dict(snapshot) == plain and dict(Snapshot.from_blob(snapshot.to_blob())) == plain
    assert dict(Snapshot.from_blob(Snapshot({}).to_blob())) == {}
    earlier = zlib.compress(json.dumps(plain).encode(), 1)     # what stores written before hold
    assert dict(Snapshot.from_blob(earlier)) == plain


def _template(row: dict, layouts: Layouts, printed: bool) -> tuple:
    xml, link, rel = row_xml(row, layouts.journal, row.get("link"))
    shown = row_xml({"id": row["id"], "text": row["text"]}, layouts.printed, None)[0] if printed else ""
    return (Piece(pack_hashes(row_hashes(row)), None, ()), (xml.encode(), link.encode(), rel.encode(), shown.encode()))


def test_kept_rows_follow_edits_new_cases_the_operators_order_and_hidden_rows(tmp_path):
    """Across chunks: a row changed, one added, the operator's order and a hidden row put back,
    «Для печати» numbered on after a case in work closes in the first chunk."""
    path = tmp_path / "book.xlsx"
    count = CHUNK_ROWS * 2 + 40
    rows = {f"OKH-2026-{n:05d}": {"id": f"OKH-2026-{n:05d}", "text": f"обращение {n}", "channel": "VK",
                                  "link": f"https://vk.com/{n}"} for n in range(1, count + 1)}

    def frame_bytes(probe) -> bytes:
        temp = build_ledger(path.with_name("frame.xlsx"), probe, [], [["Сводка"]], datetime(2026, 3, 12, 11), 7)
        try:
            return temp.read_bytes()
        finally:
            temp.unlink()

    def frame(rows: int, printed: int):
        return build_frame(frame_bytes, SHEET, COLUMNS, rows, PRINT_SHEET, [BY_KEY[key] for key, _ in PRINT_COLUMNS],
                           printed)

    probe = frame(0, 0)
    layouts = Layouts(probe.layout, probe.print_layout, ())
    cache = RowCache(layouts)
    cache.fill((case_id, _template(row, layouts, True)) for case_id, row in rows.items())
    cache.streams()
    changed = dict(rows["OKH-2026-00700"], text="исправлено")
    closed = "OKH-2026-00003"
    new = {"id": "OKH-2026-09999", "text": "новое", "channel": "VK", "link": "https://vk.com/new"}
    cache.update({"OKH-2026-00700": _template(changed, layouts, True), closed: _template(rows[closed], layouts, False),
                  new["id"]: _template(new, layouts, True)})
    order = ("OKH-2026-00002", "OKH-2026-00001") + tuple(rows)[2:]
    cache.arrange(order)
    hidden = frozenset({"OKH-2026-00600"})
    cache.streams(hidden)
    with open(path, "wb") as handle:
        write_zip(handle, cache.members(frame(len(cache), cache.printed_count()), hidden), datetime(2026, 3, 12, 11))
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    ids = [sheet.cell(r, 1).value for r in range(2, count + 3)]
    assert ids[:3] == ["OKH-2026-00002", "OKH-2026-00001", "OKH-2026-00003"] and ids[-1] == new["id"]
    assert sheet.cell(701, 6).value == "исправлено" and sheet.cell(701, 3).hyperlink.target == "https://vk.com/700"
    assert sheet.cell(count + 2, 3).hyperlink.target == "https://vk.com/new"
    assert sheet.row_dimensions[601].hidden and not sheet.row_dimensions[602].hidden
    printed = book[PRINT_SHEET]
    shown = [printed.cell(r, 1).value for r in range(2, count + 2)]
    assert closed not in shown and shown[-1] == new["id"] and len(shown) == count and None not in shown
    assert printed.auto_filter.ref == f"A1:H{count + 1}"
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET).to_python()[count + 1][0] == new["id"]


@pytest.mark.parametrize("block", [7, 64, 1 << 22])
def test_the_view_is_read_from_the_sheet_streamed_in_blocks(tmp_path, monkeypatch, block):
    """ledger/view.py reads a 120 MB sheet block by block: a tag across two blocks is still read."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    for col, column in enumerate(COLUMNS, start=1):
        sheet.cell(1, col, column.header)
    for n in range(2, 40):
        sheet.cell(n, 1, f"OKH-2026-{n:05d}")
        sheet.cell(n, 6, "hidden=\"1\" в тексте" if n == 5 else f"текст {n}")
    for n in (3, 17, 39):
        sheet.row_dimensions[n].hidden = True
    sheet.column_dimensions["F"].width = 80
    sheet.auto_filter.ref = "A1:V39"
    sheet.auto_filter.add_filter_column(8, ["Новое"])
    path = tmp_path / "view.xlsx"
    book.save(path)
    monkeypatch.setattr(view_module, "_BLOCK", block)
    found = view_module.read_view(path, {n: f"OKH-2026-{n:05d}" for n in range(2, 40)})
    assert found.hidden == {"OKH-2026-00003", "OKH-2026-00017", "OKH-2026-00039"}
    assert abs(found.widths["text"] - 80) < 1 and found.filters[0].values == ("Новое",)
