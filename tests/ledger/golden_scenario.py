"""The demo ledger as rows of JSON: a fixed scenario on a fixed clock, dumped sheet by sheet.

`tests/ledger/test_golden.py` compares it with `golden/demo_ledger.json`; after an intended
change, `python tests/ledger/regen_golden.py` rewrites the file (review it with `git diff`).
The scenario: five messages come in; the operator routes two, rejects one (п. 3.6), asks for an
explanation of one (п. 3.7) and adds a phone call by hand; one department answers.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from python_calamine import CalamineWorkbook

from bridge.cycle import run_cycle
from mailer.reply import parse_reply
from bridge.steps.answers import take_reply
from tests.ledger.conftest import Clock, add_messages, edit_ledger, make_app, set_cell

MESSAGES = ("Третий день нет отопления в доме по ул. Ленина, 5",
            "На ул. Дзержинского огромная яма на дороге",
            "Да вы там все бездельники, б***ь!",
            "Почему мне не пересчитали пенсию?",
            "Когда откроется каток в парке?")


def _answer(case_id: str, thread: str) -> bytes:
    return (f"From: zhkh@adm-okha.ru\r\nTo: obrashcheniya@adm-okha.ru\r\nSubject: RE: [{case_id}] Обращение\r\n"
            f"Message-ID: <answer-{case_id}@adm-okha.ru>\r\nIn-Reply-To: {thread}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "Подача тепла восстановлена 13.03 в 14:00.\r\n").encode()


def build(tmp_path: Path) -> dict[str, list[list]]:
    app = make_app(tmp_path)
    clock = Clock()
    try:
        heat, pit, rude, pension, rink = add_messages(app, list(MESSAGES), clock.now)
        run_cycle(app, clock.tick())
        edit_ledger(app, lambda s: [change(s) for change in (
            set_cell(heat, "Отдел", "Отдел ЖКХ"), set_cell(heat, "Решение оператора", "Направить"),
            set_cell(pit, "Отдел", "Отдел транспорта, дорог и благоустройства"),
            set_cell(pit, "Решение оператора", "Направить"),
            set_cell(rude, "Решение оператора", "Не подлежит обработке"),
            set_cell(rude, "Основание", "нецензурные или оскорбительные выражения"),
            set_cell(pension, "Решение оператора", "Разъяснение"), set_cell(pension, "Основание", "вне компетенции"),
            set_cell(rink, "Комментарий оператора", "уточнить в отделе культуры"))])
        run_cycle(app, clock.tick())
        case = app.store.get(heat)
        raw = _answer(heat, case.thread_ids[-1])
        take_reply(app.store, app.files, raw, parse_reply(raw, case_prefix="OKH", departments=app.config.allow_list()),
                   clock.tick(60))
        run_cycle(app, clock.tick())
        return dump(app.config.ledger)
    finally:
        app.store.close()


def dump(path: Path) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: [[_plain(v) for v in row] for row in book.get_sheet_by_name(name).to_python()]
            for name in book.sheet_names}


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def as_text(sheets: dict) -> str:
    return json.dumps(sheets, ensure_ascii=False, indent=1) + "\n"
