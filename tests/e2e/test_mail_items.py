"""One bad mail never stops the others (issue 10), through the doors only: the operator types the
cases into the workbook, a stranger and the departments write into the real Dovecot mailbox, the
bridge sends through a real SMTP server.

Before the fix: a stranger's Message-ID that decodes to a lone surrogate made every cycle fail
with «почта: внутренняя ошибка» and no answer was read again; a Cyrillic attachment name of 270
bytes halted mail intake for good (File name too long) and a new raw copy was written each cycle.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest

from bridge.core.model import Status
from bridge.storage.files import RAW_IN_STORE
from ledger.columns import SHEET
from standins.department_replies import reply
from tests.e2e_mail.conftest import loop  # noqa: F401 - pytest fixture by name
from tests.e2e_mail.loop import BRIDGE_ADDRESS, ZHKH
from tests.servers.dovecot import dovecot  # noqa: F401
from tests.servers.smtp import smtp_sink  # noqa: F401
from tests.storage_backend import raw_mail_rows

LONG_NAME = "Акт_обследования_квартиры_" + "Иванова_Мария_Петровна_" * 5 + ".pdf"   # > 255 bytes


def typed_cases(loop, texts: list[str], department: str = "Отдел ЖКХ") -> list[str]:
    """The operator types phone calls into new rows with «Отдел» and «Направить»; two cycles."""
    loop.cycle()
    book = openpyxl.load_workbook(loop.config.ledger)
    sheet = book[SHEET]
    header = [c.value for c in sheet[1]]
    for text in texts:
        row = sheet.max_row + 1
        for name, value in {"Текст сообщения": text, "Автор": "Звонок", "Отдел": department,
                            "Решение оператора": "Направить"}.items():
            sheet.cell(row, header.index(name) + 1).value = value
    book.save(loop.config.ledger)
    loop.cycle()
    ids = [c.id for c in loop.app.store.all_cases() if c.text in texts]
    assert len(ids) == len(texts) and all(loop.sent_for(i) for i in ids)
    return ids


def stranger(msgid: bytes, body: bytes = b"hello", charset: bytes = b"utf-8") -> bytes:
    return (b"From: someone@evil.example\r\nTo: " + BRIDGE_ADDRESS.encode() + b"\r\nSubject: hi\r\n"
            b"Message-ID: " + msgid + b"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=" + charset +
            b"\r\n\r\n" + body + b"\r\n")


def test_a_stranger_with_a_surrogate_message_id_stops_nothing(loop):  # noqa: F811
    first, second = typed_cases(loop, ["Нет горячей воды", "Течёт крыша"])
    loop.deliver(stranger(b"=?utf-7?q?+2AA-x@evil?="),
                 stranger(b"<u@evil>", b"\\ud800 broken", b"unicode_escape"),
                 reply(loop.sent_for(first)[0], ZHKH, "Воду дадут к вечеру.", "outlook"))
    report = loop.cycle()
    assert report.replies == 1
    loop.deliver(reply(loop.sent_for(second)[0], ZHKH, "Крышу починим в среду.", "gmail"))
    report = loop.cycle()
    assert report.replies == 1
    rows = loop.ledger_rows()
    assert rows[first]["Статус"] == rows[second]["Статус"] == "Ответ получен"
    assert rows[second]["Ответ отдела"] == "Крышу починим в среду."


def test_an_attachment_name_over_255_bytes_is_stored_and_stops_nothing(loop, caplog):  # noqa: F811
    first, second = typed_cases(loop, ["Нет света в подъезде", "Не убран снег"])
    assert len(LONG_NAME.encode()) > 255
    caplog.set_level(logging.DEBUG)
    loop.deliver(reply(loop.sent_for(first)[0], ZHKH, "Акт во вложении.", "outlook", attachment=(LONG_NAME, b"%PDF-1")),
                 reply(loop.sent_for(second)[0], ZHKH, "Снег уберём сегодня.", "gmail"))
    assert loop.cycle().replies == 2
    [saved] = loop.app.files.files(first, "answer")
    assert saved.read_bytes() == b"%PDF-1" and len(saved.name.encode()) <= 255
    assert saved.name.startswith("Акт_обследования")
    assert len(raw_mail_rows(loop.app.store)) == 2        # small mails: their raw copies are in the store
    for _ in range(2):
        loop.cycle()
    assert len(raw_mail_rows(loop.app.store)) == 2
    assert "Иванова" not in caplog.text                       # no citizen's name in the log


def test_idn_department_addresses_are_sent(loop):  # noqa: F811
    """A Cyrillic domain goes as IDNA; Cyrillic before «@» goes with SMTPUTF8, which this server
    offers (before the fix: UnicodeEncodeError, the item and every one behind it stuck)."""
    import dataclasses
    from bridge.config import Department
    cyrillic = Department("idn", "Отдел на русском адресе", ("жкх@администрация-охи.рф",))
    domain_only = Department("rf", "Отдел на домене .рф", ("zhkh@администрация-охи.рф",))
    loop.app.config = dataclasses.replace(loop.config, departments=loop.config.departments + (cyrillic, domain_only))
    loop.cycle()
    book = openpyxl.load_workbook(loop.config.ledger)
    sheet = book[SHEET]
    header = [c.value for c in sheet[1]]
    for text, department in (("Вопрос на русский адрес", cyrillic.name), ("Вопрос на домен рф", domain_only.name),
                             ("Вопрос в ЖКХ", "Отдел ЖКХ")):
        row = sheet.max_row + 1
        for name, value in {"Текст сообщения": text, "Отдел": department, "Решение оператора": "Направить"}.items():
            sheet.cell(row, header.index(name) + 1).value = value
    book.save(loop.config.ledger)
    loop.cycle()
    cases = {c.text: c for c in loop.app.store.all_cases()}
    assert loop.sent_for(cases["Вопрос в ЖКХ"].id)                 # the mail behind it went out
    envelopes = [recipients for _, recipients, raw in loop.sink.messages if cases["Вопрос на домен рф"].id.encode() in raw]
    ascii_domain = "администрация-охи.рф".encode("idna").decode()
    assert envelopes == [[f"zhkh@{ascii_domain}"]]
    idn_case = loop.app.store.get(cases["Вопрос на русский адрес"].id)
    assert [r for _, r, raw in loop.sink.messages if idn_case.id.encode() in raw] == [[f"жкх@{ascii_domain}"]]


def test_cyrillic_before_at_without_smtputf8_is_refused_with_the_reason():
    """A real aiosmtpd server without SMTPUTF8: a clear permanent error, never a retry loop."""
    from aiosmtpd.controller import Controller
    from bridge.core.errors import PermanentError
    from mailer.smtp import SmtpSender

    class Accept:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Accept(), hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    try:
        sender = SmtpSender("127.0.0.1", port, "none", None, None)
        with pytest.raises(PermanentError) as error:
            sender.send("obrashcheniya@adm-okha.ru", ["жкх@администрация-охи.рф"], b"Subject: x\r\n\r\nx\r\n")
        assert "русские буквы до «@»" in str(error.value) and "SMTPUTF8" in str(error.value)
        assert not sender.supports_smtputf8()
    finally:
        controller.stop()

def test_a_mail_naming_a_case_never_sent_to_a_department_is_not_its_answer(loop):  # noqa: F811
    """After a store was lost, numbers restart: a late reply to the old OKH-2026-00001 must not
    land on a new citizen's case. Only a routed case, or a reply to a mail we sent, is answered."""
    loop.cycle()
    book = openpyxl.load_workbook(loop.config.ledger)
    sheet = book[SHEET]
    header = [c.value for c in sheet[1]]
    sheet.cell(2, header.index("Текст сообщения") + 1).value = "Новый вопрос жителя"
    book.save(loop.config.ledger)
    loop.cycle()
    [case] = loop.app.store.all_cases()
    late = (f"From: {ZHKH}\r\nTo: {BRIDGE_ADDRESS}\r\nSubject: RE: [{case.id}] Старое обращение\r\n"
            f"Message-ID: <late@adm-okha.ru>\r\nIn-Reply-To: <{case.id}.0123456789abcdef@adm-okha.ru>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nОтвет на старое.\r\n").encode()
    loop.deliver(late)
    assert loop.cycle().replies == 0
    kept = loop.app.store.get(case.id)
    assert kept.status == Status.NEW and kept.dept_answer == ""
    assert "не направлялось" in kept.system_note


def _seen_count(dovecot) -> int:
    from imapclient import IMAPClient
    from tests.e2e_mail.loop import PASSWORD
    with IMAPClient(dovecot.host, dovecot.port, ssl=False) as client:
        client.login(BRIDGE_ADDRESS, PASSWORD)
        client.select_folder("INBOX", readonly=True)
        return len(client.search(["SEEN"]))


def test_first_start_over_a_full_mailbox_takes_only_new_mail(loop):  # noqa: F811
    """6,000 old letters once became one batch of 894 MB, 6,000 alerts and all marked read."""
    loop.deliver(*[stranger(f"<old-{n}@example.org>".encode(), f"Старое письмо {n}".encode()) for n in range(600)])
    loop.cycle()
    assert loop.app.store.unreported_alerts() == [] and _seen_count(loop.dovecot) == 0
    [case] = typed_cases(loop, ["Нет отопления"])
    loop.deliver(reply(loop.sent_for(case)[0], ZHKH, "Отопление дадут завтра.", "outlook"),
                 stranger(b"<new-stranger@example.org>"))
    assert loop.cycle().replies == 1
    assert _seen_count(loop.dovecot) == 1                     # ours flagged; the stranger's left unread
    assert [a["kind"] for a in loop.app.store.unreported_alerts()] == ["no_case"]


def test_read_existing_reads_an_old_mailbox_in_bounded_batches(loop):  # noqa: F811
    import dataclasses
    loop.app.config = dataclasses.replace(loop.config, mail={**loop.config.mail, "read_existing": True})
    loop.deliver(*[stranger(f"<old-{n}@example.org>".encode()) for n in range(450)])
    fetched = []
    real = loop.app.mailbox.fetch_new
    loop.app.mailbox.fetch_new = lambda state: (lambda got: fetched.append(len(got[0])) or got)(real(state))
    loop.cycle()
    assert max(fetched) <= 200 and sum(fetched) == 450
    assert loop.app.store.db.execute("SELECT count(*) FROM mail_seen").fetchone()[0] == 450


def test_raw_copies_of_mail_that_answered_nothing_expire(loop):  # noqa: F811
    """A small mail's raw copy is kept in the store, a large one's in `mail/` (files.RAW_IN_STORE);
    both go after `raw_mail_days`."""
    loop.cycle()
    small = stranger(b"<spam@example.org>", "Иванов И. И., паспорт 1234 567890".encode())
    large = stranger(b"<scan@example.org>", (b"QUJD" * 19 + b"\r\n") * 5000)   # ~390 KB
    assert len(small) <= RAW_IN_STORE < len(large)
    loop.deliver(small, large)
    start = datetime.now(timezone.utc)
    loop.cycle(start)
    [raw] = (loop.config.data_dir / "mail").rglob("*.eml")
    as_kept = lambda data: data.replace(b"\r\n", b"\n").split(b"From: ", 1)[1]    # after Dovecot's own lines
    assert as_kept(raw.read_bytes()) == as_kept(large)
    assert as_kept(raw_mail_rows(loop.app.store).get("<spam@example.org>")) == as_kept(small)
    loop.cycle(start + timedelta(days=89))
    assert raw.exists() and len(raw_mail_rows(loop.app.store)) == 1
    loop.cycle(start + timedelta(days=91))
    assert not raw.exists() and len(raw_mail_rows(loop.app.store)) == 0


def test_text_hidden_in_the_html_never_reaches_the_text_for_publication(loop):  # noqa: F811
    [case] = typed_cases(loop, ["Когда уберут снег?"])
    sent = loop.sent_for(case)[0]
    import email as email_lib
    original = email_lib.message_from_bytes(sent)
    html = ('<html><body><span style="display:none">ПРЕВЬЮ-СЛУЖЕБНОЕ</span>'
            '<div hidden>СКРЫТЫЙ-АТРИБУТ</div><p style="mso-hide:all">ТОЛЬКО-ДЛЯ-OUTLOOK</p>'
            '<p>Снег уберут до четверга.</p></body></html>')
    raw = (f"From: {ZHKH}\r\nTo: {BRIDGE_ADDRESS}\r\nSubject: RE: {original['Subject']}\r\n"
           f"Message-ID: <hidden@adm-okha.ru>\r\nIn-Reply-To: {original['Message-ID']}\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n").encode()
    loop.deliver(raw)
    assert loop.cycle().replies == 1
    row = loop.ledger_rows()[case]
    assert row["Текст для публикации"] == "Снег уберут до четверга."
    for hidden in ("ПРЕВЬЮ", "СКРЫТЫЙ", "OUTLOOK"):
        assert hidden not in row["Ответ отдела"]
