"""The hostile mails once more through a real Dovecot and a whole cycle (IMAP fetch → parse →
store → ledger): one bad mail never stops the others, and only the department's answer counts."""

from __future__ import annotations

from tests.e2e_mail.conftest import loop  # noqa: F401 - pytest fixture by name
from tests.servers.dovecot import dovecot  # noqa: F401
from tests.servers.smtp import smtp_sink  # noqa: F401
from tests.hostile.conftest import mail
from tests.hostile.test_mail_content import _bomb, _with_files


def test_a_hostile_batch_in_one_cycle(loop):  # noqa: F811
    ids = loop.open_cases(["Нет отопления", "Яма", "Свет", "Мусор"])
    loop.route(ids)
    loop.deliver(
        mail(ids[0], "Подменный ответ", "zhkh@adm-okha.ru <evil@x.ru>", msgid="<h1@x>"),
        mail("OKH-2026-99999", "Ответ на выдуманное", msgid="<h2@x>"),
        _with_files(ids[1], [("../../x", b"1"), ("CON", b"2")]).replace(b"<m1@adm-okha.ru>", b"<h3@x>"),
        _bomb(ids[2], depth=200, width=3000).replace(b"<m1@adm-okha.ru>", b"<h4@x>"),
        mail(ids[3], content_type="text/plain; charset=x-unknown-cyr", msgid="<h5@x>",
             raw_body="Вывезем в четверг.".encode("koi8-r")),
    )
    report = loop.cycle()
    assert report.replies == 3
    rows = loop.ledger_rows()
    assert rows[ids[0]]["Статус"] == "Направлено в отдел" and not rows[ids[0]]["Ответ отдела"]
    assert "evil@x.ru" in rows[ids[0]]["Примечание системы"]
    assert rows[ids[1]]["Вложения"] == "x; _CON"
    assert rows[ids[2]]["Ответ отдела"] == "Ответ при бомбе."
    assert rows[ids[3]]["Ответ отдела"] == "Вывезем в четверг."
    assert "OKH-2026-99999" not in rows
    seen = loop.app.store.db.execute("SELECT kind, case_id FROM mail_seen").fetchall()
    assert len(seen) == 5                     # every mail recorded (kind as parsed, not outcome)
    assert any(r["kind"] == "no_case" for r in loop.app.store.unreported_alerts())
