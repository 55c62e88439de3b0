"""The scripted people around a bridge that keeps crashing (the kill -9 test).

Citizens write on all six places (tests/e2e_channels/sources.py), the operator routes new rows
and approves answered ones in the workbook (as Excel does: the lock file is there while the
book is open and saved), the department replies by mail to each case mail it received. Each
actor looks only at what its person would see: the fakes, the workbook, the department's inbox
(the SMTP sink). `step()` does whatever is possible now and never waits.
"""

from __future__ import annotations

import time
from collections import Counter
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import openpyxl

from bridge.core.vocabulary import decision_from_label
from standins.department_replies import reply
from tests.e2e_channels.sources import SOURCES
from tests.storage_backend import query
from tests.e2e_mail.loop import BRIDGE_ADDRESS, ZHKH, case_of, parse, read_ledger_rows

OPERATOR = "Петрова Е. В."
DEPARTMENT = "Отдел ЖКХ"
STYLES = ("outlook", "gmail", "iphone", "thebat")
LEDGER_ERRORS = (OSError, zipfile.BadZipFile, KeyError, EOFError, StopIteration, ValueError)


def question(number: int) -> str:
    return f"Вопрос №{number:03d}: во дворе дома не убран снег, пройти невозможно."


def answer(number: int) -> str:
    return f"Ответ №{number:03d}: снег во дворе уберут сегодня до 18:00."


def token_of(text: str, word: str) -> int | None:
    """The number in «Вопрос №007» / «Ответ №007» inside `text`."""
    start = str(text or "").find(f"{word} №")
    return int(text[start + len(word) + 2:start + len(word) + 5]) if start >= 0 else None


@dataclass
class People:
    vk: object
    tg: object
    ok: object
    sink: object
    dovecot: object
    ledger: Path
    written: int = 0                                     # citizens' messages so far
    case_of_question: dict[int, str] = field(default_factory=dict)
    routed: set[str] = field(default_factory=set)
    approved: set[str] = field(default_factory=set)
    rechecked: dict[str, str] = field(default_factory=dict)   # case id → what the operator saw after «исход неизвестен»
    replied: dict[str, str] = field(default_factory=dict)   # case id → reply Message-ID
    rows: dict[str, dict] = field(default_factory=dict)
    store: dict = field(default_factory=dict)            # query()'s url and schema when the config names a database

    # -- citizens -------------------------------------------------------------------------------

    def write_wave(self) -> None:
        """One message on each of the six places."""
        hands = SimpleNamespace(vk=self.vk, tg=self.tg, ok=self.ok)
        for source in SOURCES:
            self.written += 1
            source.write(hands, question(self.written))

    # -- the operator ---------------------------------------------------------------------------

    def look_at_ledger(self) -> bool:
        """Read the workbook as it is now; False when it cannot be read at this moment."""
        if not self.ledger.exists():
            return False
        try:
            self.rows = read_ledger_rows(self.ledger)
        except LEDGER_ERRORS:
            return False
        for case_id, row in self.rows.items():
            number = token_of(row.get("Текст сообщения"), "Вопрос")
            if number is not None:
                self.case_of_question[number] = case_id
        return True

    def operator_decides(self) -> int:
        """«Направить» new rows, «Опубликовать» answered ones; each decision typed once."""
        decisions = {}
        for case_id, row in self.rows.items():
            if row.get("Статус") == "Новое" and case_id not in self.routed:
                decisions[case_id] = {"Отдел": DEPARTMENT, "Решение оператора": "Направить"}
            elif row.get("Статус") == "Ответ получен" and case_id not in self.approved:
                decisions[case_id] = {"Решение оператора": "Опубликовать"}
            elif row.get("Статус") == "Ошибка публикации" and case_id not in self.rechecked and \
                    str(row.get("Примечание системы") or "").startswith("Исход публикации неизвестен"):
                # The operator looks at the page, as the note asks: confirm, or publish again.
                seen = self.answer_on_a_page(token_of(row.get("Текст сообщения"), "Вопрос"))
                self.rechecked[case_id] = "на странице" if seen else "нет на странице"
                decisions[case_id] = {"Комментарий оператора": "опубликовано", "Решение оператора": "Опубликовать"} \
                    if seen else {"Решение оператора": "Опубликовать"}
        if not decisions or not self._type_into_ledger(decisions):
            return 0
        for case_id, cells in decisions.items():
            (self.routed if cells["Решение оператора"] == "Направить" else self.approved).add(case_id)
        return len(decisions)

    def answer_on_a_page(self, number: int | None) -> bool:
        """Is the answer to question `number` visible on any network (what a person checks)?"""
        import json
        wanted = f"Ответ №{number:03d}" if number is not None else None
        return bool(wanted) and any(wanted in json.dumps(entry, ensure_ascii=False)
                                    for fake in (self.vk, self.tg, self.ok) for entry in list(fake.published))

    def _type_into_ledger(self, decisions: dict[str, dict[str, str]]) -> bool:
        """Open in «Excel» (the lock file appears), type, save, close (the lock goes)."""
        lock = self.ledger.with_name("~$" + self.ledger.name)
        lock.write_text(OPERATOR, encoding="utf-8")
        try:
            time.sleep(0.15)                     # a write the bridge began before the lock ends
            try:
                book = openpyxl.load_workbook(self.ledger)
            except LEDGER_ERRORS:
                return False
            sheet = book["Журнал"]
            headers = [cell.value for cell in sheet[1]]
            typed = set()
            for row in sheet.iter_rows(min_row=2):
                for header, value in decisions.get(row[0].value, {}).items():
                    row[headers.index(header)].value = value
                    typed.add(row[0].value)
            if typed != set(decisions):
                return False
            book.properties.lastModifiedBy = OPERATOR
            book.save(self.ledger)
            self._stay_open_until_read(decisions)
            return True
        finally:
            lock.unlink()

    def _stay_open_until_read(self, decisions: dict[str, dict[str, str]], longest: float = 5.0) -> None:
        """Keep «Excel» open until the bridge has taken the decisions in.

        A cycle that read the workbook before this save and writes it after the lock is gone
        would overwrite the save (see test_ledger_race.py); a person keeps the book open far
        longer than a cycle, so waiting here stays within what people do."""
        deadline = time.monotonic() + longest
        wanted = {(case_id, decision_from_label(cells["Решение оператора"])) for case_id, cells in decisions.items()}
        while time.monotonic() < deadline and not wanted <= self._applied():
            time.sleep(0.05)

    def _applied(self) -> set[tuple[str, str]]:
        rows = query(self.ledger.parent, "SELECT case_id, new FROM history WHERE action = 'решение'", **self.store)
        return {tuple(row) for row in rows or ()}

    # -- the department -------------------------------------------------------------------------

    def department_replies(self) -> int:
        """Reply once to the first case mail of every routed case (a repeat mail is ignored)."""
        number_of = {case_id: number for number, case_id in self.case_of_question.items()}
        replies = []
        for _, recipients, raw in list(self.sink.messages):
            case_id = case_of(raw)
            if not case_id or case_id in self.replied or ZHKH not in recipients or case_id not in number_of:
                continue
            number = number_of[case_id]
            mail = reply(raw, ZHKH, answer(number), STYLES[number % len(STYLES)])
            self.replied[case_id] = str(parse(mail)["Message-ID"])
            replies.append(mail)
        if replies:
            self.dovecot.deliver_many(replies, BRIDGE_ADDRESS)
        return len(replies)

    # -- the whole -----------------------------------------------------------------------------

    def step(self) -> None:
        if self.look_at_ledger():
            self.operator_decides()
        self.department_replies()

    def all_published(self) -> bool:
        return (len(self.case_of_question) == self.written and
                all(self.rows.get(case_id, {}).get("Статус") == "Опубликовано"
                    for case_id in self.case_of_question.values()))

    def progress(self) -> str:
        """What the people see now, for a failure message."""
        statuses = Counter(row.get("Статус") for row in self.rows.values())
        notes = Counter(str(row.get("Примечание системы") or "")[:80] for row in self.rows.values())
        return (f"written {self.written}, rows {len(self.rows)} {dict(statuses)}, routed {len(self.routed)}, "
                f"replied {len(self.replied)}, approved {len(self.approved)}, notes {dict(notes)}")
