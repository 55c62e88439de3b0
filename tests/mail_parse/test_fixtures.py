"""One reply per client family (fixtures/*.eml): the exact words of the department come out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailer.reply import parse_reply

FIXTURES = Path(__file__).parent / "fixtures"
DEPARTMENTS = {"zhkh@adm-okha.ru": "zhkh", "dorogi@adm-okha.ru": "dorogi"}
CASE = "OKH-2026-00042"

ANSWERS = {
    "outlook_html_cp1251.eml": "Добрый день!\n\nФонарь во дворе дома 5 по ул. Ленина будет заменён "
                               "до 1 декабря.\nРаботы выполнит МУП «Охаэлектросеть».",
    "outlook_plain_cp1251.eml": "Добрый день.\nЗаявка передана подрядчику, срок исполнения — "
                                "30.11.2026.",
    "owa_html_only.eml": "Проверка проведена, нарушений не выявлено.\n\nПовторный осмотр — "
                         "3 декабря.",
    # format=flowed: the line ending in a space is soft-broken (RFC 3676 §4.2), so it joins
    "thunderbird_below_quote.eml": "Фонарь заменили сегодня утром. Просим сообщить, если он "
                                   "снова погаснет.",
    "gmail_html_only.eml": "Здравствуйте!\n\nОсвещение восстановлено 27 ноября.\nСпасибо за "
                           "сообщение.",
    "gmail_plain_wrapped.eml": "Добрый день.\n\nДвор включён в план ремонта на 2027 год.",
    "yandex_html.eml": "Заявка принята, выезд бригады — завтра.",
    "mailru_html.eml": "Яму на проезде засыпали.",
    "iphone_footer.eml": "Информацию проверим и ответим до пятницы.",
    "thebat_koi8r.eml": "Контейнерная площадка будет очищена в субботу.",
    "moyofis_header_block.eml": "Сообщаем, что ремонт кровли дома 12 по ул. Советской включён в "
                                "план на июнь.",
    "inline_reply.eml": "Фонарь заменят до 1 декабря.\n\nЯму засыплют щебнем на этой неделе.\n"
                        "Асфальтирование — весной.",
    "only_attachment.eml": "",
    "rfc2231_cyrillic_name.eml": "Акт обследования во вложении.",
    "cid_logo.eml": "График вывоза мусора утверждён, копия во вложении.",
    "winmail_dat.eml": "Ответ во вложении.",
}


def parse(name: str):
    return parse_reply((FIXTURES / name).read_bytes(), case_prefix="OKH", departments=DEPARTMENTS)


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_answer_is_exactly_the_department_words(name):
    reply = parse(name)
    assert reply.kind == "answer", reply.note
    assert reply.case_id == CASE
    assert reply.answer == ANSWERS[name]
    assert reply.sender == "zhkh@adm-okha.ru"
    assert reply.department == "zhkh"
    assert reply.message_id == "<20261126124003.ABCD@mail.adm-okha.ru>"


def test_attachment_only_reply_is_an_answer_with_its_file():
    reply = parse("only_attachment.eml")
    assert [a.filename for a in reply.attachments] == ["Ответ на обращение.pdf"]
    assert reply.attachments[0].data.startswith(b"%PDF-1.4")
    assert reply.attachments[0].content_type == "application/pdf"
    assert "только вложения (1)" in reply.note


def test_rfc2231_names_in_utf8_continuations_and_windows_1251():
    reply = parse("rfc2231_cyrillic_name.eml")
    assert [a.filename for a in reply.attachments] == [
        "Акт обследования освещения ул. Ленина, д. 5.docx", "Фото.jpg"]
    assert reply.attachments[1].data == b"\xff\xd8\xff\xe0fake-jpeg"


def test_cid_logo_is_body_not_attachment():
    reply = parse("cid_logo.eml")
    assert [a.filename for a in reply.attachments] == ["график.jpg"]


def test_winmail_dat_is_kept_and_explained():
    reply = parse("winmail_dat.eml")
    assert [a.filename for a in reply.attachments] == ["winmail.dat"]
    assert "winmail.dat" in reply.note and "TNEF" in reply.note


def test_outlook_out_of_office_is_auto_reply():
    reply = parse("auto_reply_oof.eml")
    assert (reply.kind, reply.case_id, reply.answer) == ("auto_reply", CASE, "")
    assert reply.note.startswith("Автоответ (Auto-Submitted: auto-generated)")


def test_dsn_bounce_names_the_failed_department_address_and_the_case():
    reply = parse("bounce_dsn.eml")
    assert reply.kind == "bounce"
    assert reply.failed_recipients == ("zhkh-old@adm-okha.ru",)
    assert reply.case_id == CASE      # from the returned original's headers
    assert "zhkh-old@adm-okha.ru" in reply.note


def test_unknown_sender_keeps_the_text_for_the_operator():
    reply = parse("unknown_sender.eml")
    assert (reply.kind, reply.case_id, reply.department) == ("unknown_sender", CASE, None)
    assert reply.sender == "ivanov.private@mail.ru"
    assert reply.answer == "Это ответ с личной почты: фонарь заменим до 1 декабря."
    assert "ivanov.private@mail.ru" in reply.note


def test_mail_without_case_id_is_no_case():
    reply = parse("no_case.eml")
    assert (reply.kind, reply.case_id, reply.answer) == ("no_case", None, "")
    assert reply.department == "zhkh"


def test_to_json_is_the_parse_reply_line():
    line = parse("rfc2231_cyrillic_name.eml").to_json("x.eml")
    assert line == {"file": "x.eml", "kind": "answer", "case_id": CASE,
                    "answer": "Акт обследования во вложении.",
                    "attachments": ["Акт обследования освещения ул. Ленина, д. 5.docx", "Фото.jpg"]}
    json.dumps(line, ensure_ascii=False)


def test_every_fixture_is_covered():
    tested = set(ANSWERS) | {"auto_reply_oof.eml", "bounce_dsn.eml", "unknown_sender.eml",
                             "no_case.eml"}
    assert {p.name for p in FIXTURES.glob("*.eml")} == tested
