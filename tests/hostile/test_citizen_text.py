"""Citizen text through intake → cycle → ledger, department email, site page and RSS feed:
never a formula, never markup, never a header, never an invalid file."""

from __future__ import annotations

import email
import email.policy
import xml.etree.ElementTree as ET

import openpyxl
import pytest

from bridge.channels.base import IncomingItem
from bridge.steps.outgoing import compose_email
from bridge.steps.intake import take_items
from bridge.core.model import Status
from ledger.columns import CELL_LIMIT, HEADERS, SHEET
from tests.ledger.conftest import cycle

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)> & <b>жирный</b>'
TEXTS = {
    "formula =": '=HYPERLINK("http://evil.example","нажми")',
    "formula +": "+7 (999) 123-45-67 звоните",
    "formula -": "-2+3 двор не убран",
    "formula @": "@SUM(A1:A9) мусор",
    "control": "Яма\x00на\x07дороге\x1b[31m\x0bкрасная\x7f\u202eтекст",
    "huge": "очень длинно " * 8000,                      # ~104,000 characters
    "emoji": "😡🔥🏚️🚧👎",
    "html": SCRIPT,
}
HOSTILE_NAME = "Иван\r\nBcc: victim@evil.example\r\nX-Injected: 1"


def _take(app, clock, key: str, text: str) -> str:
    item = IncomingItem(channel="vk", external_id=f"wall_comment:-1_1_{key}", kind="Комментарий",
                        public=True, posted_at=clock.now, author_name=HOSTILE_NAME,
                        author_link="https://vk.com/id1", text=text,
                        link="https://vk.com/wall-1_1?reply=1", reply_target={"from_id": 1})
    assert take_items(app.store, app.config.case_prefix, [item], app.hint_text, clock.now) == 1
    return app.store.case_for_item("vk", item.external_id)


@pytest.fixture
def cases(app, clock):
    ids = {name: _take(app, clock, name, text) for name, text in TEXTS.items()}
    report = cycle(app, clock)
    assert report.ledger == "записан" and not report.problems
    return ids


def _cells(app, case_id: str) -> dict[str, openpyxl.cell.Cell]:
    sheet = openpyxl.load_workbook(app.config.ledger)[SHEET]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == case_id)
    return dict(zip(HEADERS, row))


def test_ledger_keeps_text_as_text(app, cases):
    for name, case_id in cases.items():
        cells = _cells(app, case_id)
        text, author = cells["Текст сообщения"], cells["Автор"]
        assert text.data_type == "s" and author.data_type == "s", name     # never a formula
        assert len(text.value) <= CELL_LIMIT
        assert app.store.get(case_id).text == TEXTS[name]                   # the store keeps it whole
    assert _cells(app, cases["formula ="])["Текст сообщения"].value == TEXTS["formula ="]
    assert _cells(app, cases["html"])["Текст сообщения"].value == SCRIPT
    assert _cells(app, cases["emoji"])["Текст сообщения"].value == TEXTS["emoji"]
    assert "текст обрезан" in _cells(app, cases["huge"])["Текст сообщения"].value
    control = _cells(app, cases["control"])["Текст сообщения"].value
    assert "\x00" not in control and "\x07" not in control and "Яма" in control


def test_a_second_cycle_reads_no_edits_from_hostile_cells(app, clock, cases):
    edit = openpyxl.load_workbook(app.config.ledger)
    edit.properties.lastModifiedBy = "Иванова"
    edit.save(app.config.ledger)                    # saved unchanged: every cell as we wrote it
    before = app.store.history_count()
    report = cycle(app, clock)
    assert not report.problems and report.decisions_read == 0
    assert app.store.history_count() == before
    assert all(not app.store.get(c).system_note for c in cases.values())


def test_department_email_escapes_and_has_no_injected_header(app, clock, cases):
    for name, case_id in cases.items():
        case = app.store.get(case_id)
        case.department = "zhkh"
        raw = compose_email(app.store, app.config, app.files, case, {"template": "new_case", "to": ["zhkh@adm-okha.ru"],
                                        "msgid": f"<{case_id}.t@adm-okha.ru>", "context": {}}, clock.now)
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert b"Bcc" not in head and b"X-Injected" not in head, name
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])
        html = message.get_body(("html",)).get_content()
        assert "<script" not in html and "<img" not in html
        assert "<b>жирный" not in html
        plain = message.get_body(("plain",)).get_content()
        assert "\x00" not in plain and "\x1b" not in plain
    html = email.message_from_bytes(compose_email(app.store, app.config, app.files, app.store.get(cases["html"]), {
        "template": "new_case", "to": ["zhkh@adm-okha.ru"], "msgid": "<h.t@adm-okha.ru>", "context": {}}, clock.now),
        policy=email.policy.default).get_body(("html",)).get_content()
    assert "&lt;script&gt;" in html


def test_site_page_and_feed_escape_and_stay_valid_xml(app, clock, cases):
    for case_id in cases.values():
        case = app.store.get(case_id)
        case.publish_text, case.informational, case.status = case.text, True, Status.PUBLISHED
        case.closed_at = clock.tick()
        app.store.save(case, "система", "опубликовано", at=clock.now)
    assert app.refresh_site(clock.now, force=True) == len(cases)
    page = (app.config.site_dir / "index.html").read_text(encoding="utf-8")
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "<img" not in page and "victim@" not in page
    feed = ET.fromstring((app.config.site_dir / "rss.xml").read_bytes())   # must parse
    texts = [item.findtext("description") for item in feed.iter("item")]
    assert SCRIPT in texts                                  # escaped in the file, whole when read
    assert TEXTS["emoji"] in texts
