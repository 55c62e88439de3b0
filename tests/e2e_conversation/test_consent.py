"""п. 3.8 as the citizen lives it (issue 11): consent and the name and address are asked for in
private only (152-ФЗ: under a public comment the citizen is asked to write privately); their
«да» and their details are recorded on the case, never new cases; the registration card to the
registry office carries the name, address, text, files and link."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bridge.steps.purge import purge
from tests.e2e_conversation.conftest import mails_to, plain

QUESTION = "Прошу разобраться: управляющая компания третий год не делает ремонт крыши, дом Ленина, 5."
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 30
DETAILS = "Смирнова Анна Петровна, 694490, г. Оха, ул. Ленина, д. 5, кв. 3"
PERSONAL_WORDS = ("фамили", "отчеств", "адрес")    # what must never be asked for publicly


def citizen_writes_back(stand) -> int:
    """Intake takes the message; what it queues goes out on the next cycle (the outbox runs first)."""
    created = stand.cycle().new_cases
    return created + stand.cycle().new_cases


def registry(stand) -> str:
    return stand.app.config.registry_emails[0]


def convert(stand, case_id: str) -> None:
    stand.operator(case_id, Отдел="Отдел ЖКХ", Решение_оператора="Обращение 59-ФЗ")
    stand.cycle()


def vk_dm_awaiting_consent(stand):
    """Олег writes to the community privately; the operator chooses «Обращение 59-ФЗ»."""
    stand.vk.add_user(2, "Олег", "Ким")
    stand.vk.send_dm(2, QUESTION)
    stand.cycle()
    case = stand.case_with("ремонт крыши")
    convert(stand, case.id)
    return case


def private_messages(stand, peer: int) -> list[str]:
    return [e["message"] for e in stand.vk.published if e["method"] == "messages.send" and e["peer_id"] == str(peer)]


def test_public_vk_comment_consent_in_private_and_the_card_carries_everything(stand):
    stand.vk.add_user(1, "Анна", "Смирнова")
    photo = stand.vk.citizen_photo(PHOTO)
    comment = stand.vk.post_wall_comment(10, 1, QUESTION, attachments=[photo])
    stand.cycle()
    case = stand.case_with("ремонт крыши")
    convert(stand, case.id)

    [invite] = stand.vk.published
    assert (invite["method"], invite["reply_to_comment"]) == ("wall.createComment", str(comment))
    assert "личные сообщения" in invite["message"] and case.id in invite["message"]
    assert not any(word in invite["message"].casefold() for word in PERSONAL_WORDS)
    assert stand.ledger_row(case.id)["Статус"] == "Ожидает согласия"

    stand.vk.send_dm(1, "Здравствуйте, я по поводу комментария про крышу")
    assert citizen_writes_back(stand) == 0
    [request] = private_messages(stand, 1)
    assert "«Да»" in request and "фамилия, имя, отчество" in request

    stand.vk.send_dm(1, "Да")
    assert citizen_writes_back(stand) == 0
    assert stand.ledger_row(case.id)["Согласие"] == "да"
    assert "запрошены ФИО и адрес" in stand.ledger_row(case.id)["Примечание системы"]
    assert "фамилию, имя, отчество" in private_messages(stand, 1)[-1]
    assert mails_to(stand, registry(stand)) == []                # no card without name and address

    stand.vk.send_dm(1, DETAILS)
    assert citizen_writes_back(stand) == 0
    [card] = mails_to(stand, registry(stand))
    text = plain(card)
    assert DETAILS in text and QUESTION in text and case.link in text and "https://vk.com/id1" in text
    assert [part.get_content() for part in card.iter_attachments()] == [PHOTO]
    assert case.id in card["Subject"]

    done = stand.app.store.get(case.id)
    assert (done.consent, done.citizen_details) == (True, DETAILS)
    assert [m["text"] for m in done.conversation][-2:] == ["Да", DETAILS]
    assert len(stand.cases()) == 1
    row = stand.ledger_row(case.id)
    assert (row["Статус"], row["Согласие"]) == ("Переведено в обращение", "да")
    # Nothing personal was ever published under the comment: the invitation is all there is.
    assert [e for e in stand.vk.published if e["method"] == "wall.createComment"] == [invite]

    stand.operator(case.id, **{"Рег. № СЭД": "12-345/26"})
    stand.cycle()
    assert stand.app.store.get(case.id).closed

    # 152-ФЗ: the name, the address and the replies go with the rest at `purge`.
    later = stand.now + timedelta(days=1)
    local_day = stand.app.config.calendar.local(later).date()        # purge takes a local date
    purge(stand.app.store, stand.app.config, stand.app.ports, local_day, later)
    db = stand.app.store.db
    rows = [r[0] for r in db.execute("SELECT data FROM cases")] + \
        [f"{r[0]} {r[1]}" for r in db.execute("SELECT old, new FROM history")] + \
        [r[0] for r in db.execute("SELECT payload FROM outbox")] + [r[0] for r in db.execute("SELECT value FROM kv")]
    assert not [r for r in rows if "Ленина, д. 5" in str(r) or "Смирнова Анна" in str(r)]
    stand.vk.send_dm(1, "Спасибо!")                              # the purged dialogue starts afresh
    stand.cycle()
    assert stand.case_with("Спасибо!").linked_to == ""


def test_telegram_dm_consent_and_details_in_one_message(stand):
    ira = stand.tg.user(7, "Ирина")
    stand.tg.send_dm(ira, QUESTION)
    stand.cycle()
    case = stand.case_with("ремонт крыши")
    convert(stand, case.id)
    [request] = stand.tg.published
    assert request["chat_id"] == 7 and "фамилия, имя, отчество" in request["text"]

    stand.tg.send_dm(ira, "Да, согласна. Петрова Ирина Сергеевна, ivanova@mail.ru")
    assert citizen_writes_back(stand) == 0
    [card] = mails_to(stand, registry(stand))
    assert "Петрова Ирина Сергеевна, ivanova@mail.ru" in plain(card)
    assert len(stand.tg.published) == 1                          # nothing more to ask
    assert stand.ledger_row(case.id)["Статус"] == "Переведено в обращение"


def test_ok_public_yes_under_our_invite_then_details_privately(stand):
    topic = stand.ok.add_topic()
    stand.ok.post_comment(topic, "501", "Пётр Н.", QUESTION)
    stand.cycle()
    case = stand.case_with("ремонт крыши")
    convert(stand, case.id)
    [invite] = stand.ok.published
    assert invite["method"] == "discussions.addDiscussionComment" and "в сообщения группы" in invite["comment"]
    assert not any(word in invite["comment"].casefold() for word in PERSONAL_WORDS)

    stand.ok.post_comment(topic, "501", "Пётр Н.", "Да", reply_to=invite["id"])
    assert citizen_writes_back(stand) == 0
    row = stand.ledger_row(case.id)
    assert row["Согласие"] == "да" and "только в личных сообщениях" in row["Примечание системы"]
    assert stand.ok.published == [invite]                        # details are never asked for publicly

    stand.ok.send_group_message("501", "Пётр Н.", "Никитин Пётр Ильич, Оха, ул. Дзержинского, 12")
    assert citizen_writes_back(stand) == 0
    [card] = mails_to(stand, registry(stand))
    assert "Никитин Пётр Ильич, Оха, ул. Дзержинского, 12" in plain(card)


def test_no_stays_without_consent_and_another_citizens_yes_is_a_case_of_its_own(stand):
    case = vk_dm_awaiting_consent(stand)
    stand.vk.add_user(3, "Борис", "Ли")
    stand.vk.send_dm(3, "Да")
    stand.vk.send_dm(2, "Нет, не надо")
    assert citizen_writes_back(stand) == 1                      # Борис's «Да» is his own message
    row = stand.ledger_row(case.id)
    assert (row["Статус"], row["Согласие"]) == ("Ожидает согласия", None)
    assert "не согласен" in row["Примечание системы"]
    assert mails_to(stand, registry(stand)) == []


def test_hostile_replies_are_recorded_and_the_card_still_goes(stand):
    case = vk_dm_awaiting_consent(stand)
    stand.vk.send_dm(2, "=HYPERLINK(\"http://evil\")\x00\x07 \ud800")      # neither yes nor no
    stand.vk.send_dm(2, "Да")
    stand.vk.send_dm(2, "Ким Олег, г. Оха, ул. Ленина, 5 " + "кв. 7 " * 40_000)
    stand.vk.send_dm(2, "Да")                                          # one more yes after the card
    created = citizen_writes_back(stand)
    assert created == 1                                                # only the last «Да» is a new message
    [card] = mails_to(stand, registry(stand))
    assert "Ким Олег, г. Оха, ул. Ленина, 5" in plain(card)
    done = stand.app.store.get(case.id)
    assert len(done.conversation) == 3 and done.status == "appeal"
    assert stand.case_with("Да").linked_to == case.id                  # after the card: a linked new case
    assert stand.ledger_row(case.id)["Статус"] == "Переведено в обращение"


def test_the_same_reply_seen_twice_is_taken_once(stand):
    """A long poll repeated after a restart (the cursor saved only after the page) brings the
    citizen's «Да» again: it is recorded once and asks for the details once."""
    case = vk_dm_awaiting_consent(stand)
    stand.vk.send_dm(2, "Да")
    stand.vk.push_raw(dict(stand.vk.events[-1]))                       # the very same event again
    assert citizen_writes_back(stand) == 0
    stand.vk.push_raw(dict(stand.vk.events[-1]))                       # and once more, a cycle later
    assert citizen_writes_back(stand) == 0
    done = stand.app.store.get(case.id)
    assert len(done.conversation) == 1 and done.consent
    assert len(private_messages(stand, 2)) == 2                        # the request, then the details request


def test_a_card_refused_for_a_mistyped_registry_address_goes_after_the_fix(stand, restart):
    typo = "kancelyariya@adm-okha.ry"
    stand.smtp.reject_recipient(typo)
    fixed = restart(lambda config: dataclasses.replace(config, registry_emails=(typo,))).registry_emails
    ira = stand.tg.user(7, "Ирина")
    stand.tg.send_dm(ira, QUESTION)
    stand.cycle()
    case = stand.case_with("ремонт крыши")
    convert(stand, case.id)
    stand.tg.send_dm(ira, "Да. Петрова Ирина Сергеевна, ivanova@mail.ru")
    citizen_writes_back(stand)
    assert fixed == (typo,) and stand.case_mails() == []
    assert "Карточка в канцелярию не отправлена" in stand.ledger_row(case.id)["Примечание системы"]

    restart(lambda config: dataclasses.replace(config, registry_emails=("kancelyariya@adm-okha.ru",)))
    stand.operator(case.id, Решение_оператора="Обращение 59-ФЗ")
    stand.cycle()
    [card] = mails_to(stand, "kancelyariya@adm-okha.ru")
    assert "Петрова Ирина Сергеевна, ivanova@mail.ru" in plain(card)


def test_consent_while_the_operator_keeps_the_workbook_open(stand):
    case = vk_dm_awaiting_consent(stand)
    lock = stand.app.config.ledger.with_name("~$" + stand.app.config.ledger.name)
    lock.write_text("Петрова", encoding="utf-8")                      # Excel has it open
    stand.vk.send_dm(2, "Да, " + DETAILS)
    citizen_writes_back(stand)
    assert len(mails_to(stand, registry(stand))) == 1                 # the card does not wait for the book
    assert stand.ledger_row(case.id)["Согласие"] is None              # the open book is not written
    stand.operator(case.id, Комментарий_оператора="позвонить в пятницу")   # saved with the old «Согласие»
    lock.unlink()
    stand.cycle()
    row = stand.ledger_row(case.id)
    assert (row["Согласие"], row["Статус"], row["Комментарий оператора"]) == \
        ("да", "Переведено в обращение", "позвонить в пятницу")
    assert stand.app.store.get(case.id).consent
