"""Printing the ledger, proved on paper (issue 16): LibreOffice turns what a cycle wrote into a
PDF, and the PDF is measured (pdfminer.six): every character at least 8 pt on A4 landscape; the
print layout «Для печати» one page wide with its header on every page; «Отделы», «Сводка» and
«Оповещения» one page each; the date and «Стр. N из M» in the footers; a wrapped message does not
run into the next row.
"""

from __future__ import annotations

import re
import shutil
from collections import defaultdict

import openpyxl
import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTTextContainer, LTTextLine

from ledger.columns import PRINT_SHEET
from tests.ledger.conftest import Clock, add_messages, cycle, edit_ledger, make_app, set_cell
from tests.ledger.office import convert, profile  # noqa: F401 - a fixture by name

MIN_POINTS = 8.0
A4_LANDSCAPE = (842, 595)       # points
LONG = "Во дворе дома по ул. Советской, 12 третью неделю не вывозят мусор, контейнеры переполнены. " * 6
THREE_LINES = "Нет воды\nуже второй день\nи третий"
# Footer titles (ledger/workbook.py) → the sheet a page belongs to.
SHEETS = {"Журнал обращений": "Журнал", "Отделы": "Отделы", "Сводка по отделам": "Сводка",
          "Оповещения": "Оповещения", "Обращения в работе": PRINT_SHEET}


class Page:
    def __init__(self, layout) -> None:
        self.width, self.height = layout.width, layout.height
        self.sizes: list[float] = []
        self.lines: list[tuple[float, float, str]] = []     # (top, bottom, text), PDF y grows upwards
        self._walk(layout)
        self.text = "\n".join(text for _, _, text in self.lines)
        footer = next((t for _, _, t in self.lines if ", напечатано" in t), "")
        title = footer.split(", напечатано")[0]
        self.sheet = next((sheet for start, sheet in SHEETS.items() if title.split(" (")[0] == start), title)

    def _walk(self, item) -> None:
        if isinstance(item, LTChar):
            if item.get_text().strip():
                self.sizes.append(item.size)
            return
        if isinstance(item, LTTextLine):
            self.lines.append((item.y1, item.y0, item.get_text().strip()))
        if isinstance(item, (LTTextContainer,)) or hasattr(item, "__iter__"):
            for child in item:
                self._walk(child)


@pytest.fixture(scope="module")
def pdf(profile, tmp_path_factory):
    """One ledger of 40 rows written by a cycle, printed once for the module's tests."""
    tmp_path = tmp_path_factory.mktemp("print")
    app, clock = make_app(tmp_path), Clock()
    ids = add_messages(app, [LONG, THREE_LINES, "Коротко"] + [f"Сообщение {n}: не горит фонарь" for n in range(37)],
                       clock.now)
    cycle(app, clock)
    app.store.close()
    source = tmp_path / "ledger.xlsx"
    shutil.copy(app.config.ledger, source)
    convert(profile, "pdf", tmp_path / "pdf", source)
    pages = [Page(p) for p in extract_pages(tmp_path / "pdf" / "ledger.pdf")]
    by_sheet = defaultdict(list)
    for page in pages:
        by_sheet[page.sheet].append(page)
    return ids, pages, by_sheet, source


def test_every_page_is_a4_landscape_and_readable(pdf):
    _, pages, by_sheet, _ = pdf
    assert set(by_sheet) == set(SHEETS.values()), list(by_sheet)
    for number, page in enumerate(pages, start=1):
        assert (round(page.width), round(page.height)) == A4_LANDSCAPE
        assert page.sizes and min(page.sizes) >= MIN_POINTS, (page.sheet, min(page.sizes))
        assert re.search(r", напечатано \d{1,2}[./]\d{1,2}[./]\d{2,4}", page.text), page.sheet   # the date
        assert f"Стр. {number} из {len(pages)}" in page.text


def test_the_print_layout_is_one_page_wide_with_the_header_on_every_page(pdf):
    ids, _, by_sheet, _ = pdf
    printed = by_sheet[PRINT_SHEET]
    assert 2 <= len(printed) <= 3                  # 40 rows: pages down only, never across
    for page in printed:
        words = set(page.text.split())               # a header may wrap on two lines
        assert {"№", "Поступило", "Текст", "сообщения", "Отдел", "Статус", "Срок", "Контроль", "срока",
                "Ответ", "отдела"} <= words
    text = "\n".join(p.text for p in printed)
    assert all(case_id in text for case_id in ids)  # every row, none cut off at the right edge


def test_the_other_sheets_fit_one_page_and_the_journal_repeats_its_number_column(pdf):
    ids, _, by_sheet, _ = pdf
    assert [len(by_sheet[s]) for s in ("Отделы", "Сводка", "Оповещения")] == [1, 1, 1]
    journal = by_sheet["Журнал"]
    assert len(journal) > 1
    assert all(ids[-1] in p.text or ids[0] in p.text for p in journal)   # «№» on every page across


def test_wrapped_text_stays_in_its_row(pdf):
    """LibreOffice does not grow a row for wrapped text: the heights are written (capped)."""
    ids, _, by_sheet, source = pdf
    for page in (by_sheet["Журнал"][0], by_sheet[PRINT_SHEET][0]):
        top_of = {text: top for top, _, text in page.lines}
        bottom_of_three = min(bottom for _, bottom, text in page.lines if text == "и третий")
        assert top_of[ids[2]] <= bottom_of_three + 1, page.sheet    # the next row starts below the third line
        # The capped long one: no line of it starts inside the next row (LibreOffice clips the line
        # that crosses the boundary; without a height its lines would run over the next rows).
        long_lines = [top for top, _, text in page.lines if any(w in text for w in ("Советской", "мусор", "контейнеры"))]
        assert len(long_lines) >= 8 and min(long_lines) > top_of[ids[1]], page.sheet
    sheet = openpyxl.load_workbook(source)["Журнал"]
    assert sheet.row_dimensions[3].height == 45     # three lines of 15 pt
    assert sheet.row_dimensions[2].height == 120    # the long one: capped at eight lines
    assert sheet.row_dimensions[4].height is None   # one line: the default



def test_the_print_layout_leaves_closed_cases_out(app, clock):
    kept, rude = add_messages(app, ["Яма у школы", "Грубое сообщение"], clock.now)
    cycle(app, clock)
    edit_ledger(app, lambda s: (set_cell(rude, "Решение оператора", "Не подлежит обработке")(s),
                                set_cell(rude, "Основание", "нецензурные или оскорбительные выражения")(s)))
    cycle(app, clock)
    book = openpyxl.load_workbook(app.config.ledger)
    assert [r[0] for r in book[PRINT_SHEET].iter_rows(min_row=2, values_only=True) if r[0]] == [kept]
    assert [r[0] for r in book["Журнал"].iter_rows(min_row=2, values_only=True) if r[0]] == [kept, rude]
