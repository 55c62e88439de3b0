"""Case lookup and the order of kinds (SPEC §3), one rule at a time."""

from __future__ import annotations

import pytest

from mailer.reply import parse_reply

DEPARTMENTS = {"zhkh@adm-okha.ru": "zhkh"}


def kind_and_case(raw: bytes, prefix: str = "OKH") -> tuple[str, str | None]:
    reply = parse_reply(raw, case_prefix=prefix, departments=DEPARTMENTS)
    return reply.kind, reply.case_id


@pytest.mark.parametrize("subject", [
    "Re: [OKH-2026-00042] ВКонтакте: фонарь", "RE: RE: OKH-2026-00042 фонарь",
    "Ответ: [OKH-2026-00042]", "Отв: OKH-2026-00042", "AW: [OKH-2026-00042] x",
    "Fwd: [OKH-2026-00042]", "Пересл: OKH-2026-00042", "re: [okh-2026-00042] регистр",
    "=?utf-8?B?0J7RgtCy0LXRgjogW09LSC0yMDI2LTAwMDQyXQ==?=",
])
def test_subject_carries_the_case(mail, subject):
    assert kind_and_case(mail(subject=subject)) == ("answer", "OKH-2026-00042")


def test_in_reply_to_wins_over_subject(mail):
    raw = mail(subject="Re: [OKH-2026-00007]", extra="In-Reply-To: <OKH-2026-00042.x1y2@adm>\r\n")
    assert kind_and_case(raw) == ("answer", "OKH-2026-00042")


def test_references_alone_name_the_case_newest_first(mail):
    raw = mail(subject="Re: фонарь", extra="References: <a@b> <OKH-2026-00001.q@h>\r\n"
                                           " <OKH-2026-00042.r@h>\r\n")
    assert kind_and_case(raw) == ("answer", "OKH-2026-00042")


def test_body_carries_the_case_when_subject_does_not(mail):
    raw = mail("По обращению OKH-2026-00042 работы выполнены.", subject="Ответ")
    reply = parse_reply(raw, departments=DEPARTMENTS)
    assert (reply.kind, reply.case_id) == ("answer", "OKH-2026-00042")
    assert reply.answer == "По обращению OKH-2026-00042 работы выполнены."


def test_ids_glued_to_other_text_or_other_prefix_do_not_count(mail):
    assert kind_and_case(mail(subject="XOKH-2026-00042 / OKH-2026-000421")) == ("no_case", None)
    assert kind_and_case(mail(subject="[MSK-2026-00042]"), prefix="OKH") == ("no_case", None)
    assert kind_and_case(mail(subject="[MSK-2026-00042]"), prefix="MSK") == ("answer",
                                                                           "MSK-2026-00042")


def test_sender_compares_case_insensitively(mail):
    reply = parse_reply(mail(sender="Отдел <ZhKh@ADM-Okha.RU>"),
                        departments={"ZHKH@adm-okha.ru": "zhkh"})
    assert (reply.kind, reply.sender, reply.department) == ("answer", "zhkh@adm-okha.ru", "zhkh")


@pytest.mark.parametrize("extra, subject", [
    ("Auto-Submitted: auto-replied\r\n", "Re: [OKH-2026-00042]"),
    ("X-Autoreply: yes\r\n", "Re: [OKH-2026-00042]"),
    ("X-Autorespond: Re: [OKH-2026-00042]\r\n", "Re: [OKH-2026-00042]"),
    ("Precedence: bulk\r\n", "Re: [OKH-2026-00042]"),
    ("Precedence: auto_reply\r\n", "Re: [OKH-2026-00042]"),
    ("X-Auto-Response-Suppress: All\r\n", "RE: [OKH-2026-00042]"),
    ("", "Автоматический ответ: [OKH-2026-00042] фонарь"),
    ("", "Automatic reply: [OKH-2026-00042]"),
    ("", "Out of Office: [OKH-2026-00042]"),
])
def test_auto_replies_are_never_answers(mail, extra, subject):
    assert kind_and_case(mail(subject=subject, extra=extra))[0] == "auto_reply"


def test_auto_submitted_no_is_a_person(mail):
    assert kind_and_case(mail(extra="Auto-Submitted: no\r\nPrecedence: list\r\n"))[0] == "answer"


def test_order_auto_reply_before_no_case_before_unknown_sender(mail):
    assert kind_and_case(mail(subject="Отпуск", extra="Auto-Submitted: auto-replied\r\n"))[0] \
        == "auto_reply"
    assert kind_and_case(mail(subject="Привет", sender="x@mail.ru"))[0] == "no_case"
    assert kind_and_case(mail(sender="x@mail.ru"))[0] == "unknown_sender"


def test_plain_bounce_from_mailer_daemon_with_failed_recipients_header(mail):
    raw = mail("This message was created automatically by mail delivery software.\n\n"
               "A message that you sent could not be delivered to one or more of its\n"
               "recipients. This is a permanent error.\n\n  zhkh@adm-okha.ru\n",
               subject="Mail delivery failed: returning message to sender",
               sender="Mail Delivery System <Mailer-Daemon@mx.adm-okha.ru>",
               extra="X-Failed-Recipients: zhkh@adm-okha.ru\r\nAuto-Submitted: auto-replied\r\n")
    reply = parse_reply(raw, departments=DEPARTMENTS)
    assert (reply.kind, reply.failed_recipients) == ("bounce", ("zhkh@adm-okha.ru",))


def test_russian_bounce_text_names_the_department_from_the_allow_list(mail):
    raw = mail("Ваше сообщение не доставлено адресату zhkh@adm-okha.ru: ящик переполнен.",
               subject="Недоставленное сообщение", sender="postmaster@adm-okha.ru")
    reply = parse_reply(raw, departments=DEPARTMENTS)
    assert (reply.kind, reply.failed_recipients) == ("bounce", ("zhkh@adm-okha.ru",))


def test_postmaster_mail_that_is_not_a_bounce_is_not_one(mail):
    assert kind_and_case(mail("Плановые работы на сервере в субботу.", subject="Работы",
                              sender="postmaster@adm-okha.ru"))[0] == "no_case"
