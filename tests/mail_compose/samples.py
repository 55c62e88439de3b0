"""Sample cases and contexts for every mail and text template, rendered for the golden files.

Everything here is fixed (dates, Message-IDs, file contents), so rendering twice gives the same
bytes; `regen.py` writes the result to `golden/`, `test_golden.py` compares against it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from mailer.compose import MailCase, OutgoingFile, compose, render_text

TZ = ZoneInfo("Asia/Sakhalin")
NOW = datetime(2026, 11, 27, 16, 30, tzinfo=TZ)
HOST = "adm.sakhalin.ru"
FROM = "obrashcheniya@adm.sakhalin.ru"
SMALL_LIMIT = 1024 * 1024   # keeps the "too big" sample small in memory

CASE = MailCase(
    case_id="OKH-2026-00042",
    channel_label="ВКонтакте",
    kind_label="Комментарий",
    author_name="Ирина Соколова",
    link="https://vk.com/wall-123456_789?reply=1011",
    text=("Здравствуйте! Во дворе дома 5 по ул. Ленина\n"
          "уже месяц не вывозят мусор, контейнеры переполнены.\n\n"
          "Когда это исправят? Фото прилагаю."),
    posted_at=datetime(2026, 11, 26, 10, 15, tzinfo=TZ),
    deadline=datetime(2026, 11, 27, 15, 0, tzinfo=TZ),
    department_name="Отдел ЖКХ",
)

FILES = (
    OutgoingFile("Фото двора.jpg", "image/jpeg", b"\xff\xd8\xff" + b"\x00" * 48_000),
    OutgoingFile("Видео с площадки.mp4", "video/mp4", b"\x00" * (1536 * 1024)),
)

DRAFT = render_text("explanation_out_of_competence", body={
    "name": "Государственная жилищная инспекция Сахалинской области",
    "competence": "контроль за управляющими организациями",
    "address": "г. Южно-Сахалинск, ул. Ленина, 1",
    "site": "https://gji.sakhalin.gov.ru",
})

# name → (case, recipients, context, attachments)
MAIL_SAMPLES: dict[str, tuple] = {
    "new_case": (CASE, ["zhkh@adm.sakhalin.ru"], {}, FILES),
    "rework": (CASE, ["zhkh@adm.sakhalin.ru"], {
        "operator_comment": "Укажите точную дату вывоза\nи кто отвечает за контейнерную площадку.",
        "previous_answer": "Вопрос передан в управляющую компанию.",
    }, ()),
    "reminder": (CASE, ["zhkh@adm.sakhalin.ru"],
                 {"now": CASE.deadline - timedelta(hours=5, minutes=30)}, FILES[:1]),
    "overdue": (replace(CASE, deadline=NOW - timedelta(days=1, hours=3)),
                ["zhkh@adm.sakhalin.ru", "glava.zhkh@adm.sakhalin.ru"], {"now": NOW}, ()),
    "explanation": (replace(CASE, text="Почему управляющая компания не отвечает на жалобы?"),
                    ["zhkh@adm.sakhalin.ru"], {"reason": "out_of_competence", "draft": DRAFT}, ()),
    "digest": (None, ["oso@adm.sakhalin.ru"], {
        "now": NOW,
        "near_triage": [{"case_id": "OKH-2026-00051", "label": "Не горят фонари на ул. Советской",
                         "due": NOW + timedelta(hours=1)}],
        "awaiting_review": [{"case_id": "OKH-2026-00042", "label": "Вывоз мусора, ул. Ленина",
                             "department": "Отдел ЖКХ"}],
        "bounces": [{"case_id": "OKH-2026-00047", "label": "dorogi@adm.sakhalin.ru: адрес не найден"}],
        "unknown_senders": [{"case_id": "OKH-2026-00039", "label": "ivanov@mail.ru"}],
        "publication_errors": [{"case_id": "OKH-2026-00033",
                                "label": "ВКонтакте: комментарий удалён автором"}],
        "ledger_locked_since": NOW - timedelta(hours=2),
    }, ()),
    "summary": (None, ["zam.glavy@adm.sakhalin.ru"], {
        "period_start": date(2026, 11, 16), "period_end": date(2026, 11, 22),
        "rows": [
            {"department": "Отдел ЖКХ", "received": 14, "in_time": 11, "late": 2, "returned": 1,
             "overdue_now": 1},
            {"department": "Отдел дорог", "received": 6, "in_time": 6, "late": 0, "returned": 0,
             "overdue_now": 0},
        ],
    }, ()),
    "registration_card": (CASE, ["kanc@adm.sakhalin.ru"], {
        "consent_at": NOW - timedelta(hours=3),
        "citizen_details": "Соколова Ирина Петровна\nг. Оха, ул. Ленина, д. 5, кв. 12",
        "author_link": "https://vk.com/id1",
        "operator_contact": "отдел по связям с общественностью",
        "history": ["26.11.2026 10:15 — сообщение поступило",
                    "26.11.2026 11:02 — решение «Обращение 59-ФЗ»",
                    "27.11.2026 13:30 — получено согласие гражданина"],
    }, FILES[:1]),
    "withdrawn": (CASE, ["dorogi@adm.sakhalin.ru"], {"new_department": "Отдел ЖКХ"}, ()),
}

TEXT_SAMPLES: dict[str, dict] = {
    "explanation_out_of_competence": {"body": {
        "name": "Государственная жилищная инспекция Сахалинской области",
        "competence": "контроль за управляющими организациями",
        "address": "г. Южно-Сахалинск, ул. Ленина, 1", "site": "https://gji.sakhalin.gov.ru"}},
    "explanation_bypass_law": {},
    "explanation_court_appeal": {"author_name": "Ирина"},
    "explanation_repeat": {"earlier_case_id": "OKH-2026-00012", "earlier_date": date(2026, 3, 3)},
    "consent_request": {"signature": "Администрация городского округа «Охинский»"},
    "consent_invite": {"author_name": "Ирина", "case_id": "OKH-2026-00042",
                       "private_place": "в личные сообщения сообщества"},
    "details_request": {"case_id": "OKH-2026-00042"},
}


def compose_sample(name: str) -> EmailMessage:
    case, to, context, files = MAIL_SAMPLES[name]
    msgid = f"<{case.case_id if case else 'otklik'}.0000000000000000@{HOST}>"
    return compose(name, case=case, to=to, from_addr=FROM, host=HOST, tz=TZ, context=context,
                   attachments=files, attachment_limit=SMALL_LIMIT, msgid=msgid, date=NOW)


def render_all() -> dict[str, str]:
    """Golden file name → content, for every template."""
    out: dict[str, str] = {}
    subjects = []
    for name in MAIL_SAMPLES:
        msg = compose_sample(name)
        out[f"mail_{name}.txt"] = msg.get_body(("plain",)).get_content()
        out[f"mail_{name}.html"] = msg.get_body(("html",)).get_content()
        subjects.append(f"{name}: {msg['Subject']}")
    out["subjects.txt"] = "\n".join(subjects) + "\n"
    for name, context in TEXT_SAMPLES.items():
        out[f"text_{name}.txt"] = render_text(name, **context)
    return out
