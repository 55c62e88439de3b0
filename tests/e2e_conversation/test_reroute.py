"""The operator changes their mind (issue 11): re-routing before the first answer sends the case
to the new department and tells the old one it was withdrawn; reminders follow the department
that has the case; after a permanent send failure (a mistyped address, fixed in the
configuration) «Направить» again sends again."""

from __future__ import annotations

from datetime import timedelta

from standins.department_replies import reply
from tests.e2e_conversation.conftest import mails_to, plain, with_department_emails

QUESTION = "На перекрёстке Ленина и Советской третью неделю не работает светофор"
DOROGI = "Отдел транспорта, дорог и благоустройства"
ZHKH_MAIL, DOROGI_MAIL = "zhkh@adm-okha.ru", "dorogi@adm-okha.ru"
TYPO = "zhkh@adm-okha.ry"


def new_case(stand):
    stand.vk.add_user(2, "Олег", "Ким")
    stand.vk.send_dm(2, QUESTION)
    stand.cycle()
    return stand.case_with("светофор")


def days_pass(stand, days: int) -> None:
    """Hourly cycles through DAYS whole working days, whatever the hour and the date the test starts
    at: a day counts once its 09:00 and its 23:00 have been seen (started on 31 December at 23:55,
    three calendar days were New Year holidays with no working hour, and no reminder was due)."""
    calendar = stand.app.config.calendar
    begun, passed = set(), 0
    while passed < days:
        stand.cycle(timedelta(hours=1))
        local = calendar.local(stand.now)
        if calendar.is_working_day(local.date()):
            if local.hour == 9:
                begun.add(local.date())
            elif local.hour == 23 and local.date() in begun:
                passed += 1


def test_reroute_sends_to_the_new_department_and_withdraws_from_the_old(stand):
    case = new_case(stand)
    stand.route(case.id)                                      # «Отдел ЖКХ»
    stand.cycle()
    [first] = mails_to(stand, ZHKH_MAIL)

    stand.route(case.id, Отдел=DOROGI)
    stand.cycle()
    [given] = mails_to(stand, DOROGI_MAIL)
    assert given["Subject"].startswith(f"[{case.id}] ВКонтакте:")
    assert "отозвано у прежнего исполнителя («Отдел ЖКХ»)" in plain(given)
    first_again, withdrawn = mails_to(stand, ZHKH_MAIL)
    assert withdrawn["Subject"] == f"[{case.id}] Отозвано: обращение передано в другой отдел"
    assert f"«{DOROGI}»" in plain(withdrawn) and "Отвечать на это обращение не нужно" in plain(withdrawn)
    assert withdrawn["In-Reply-To"] == first["Message-ID"]       # the same thread (SPEC §3)
    row = stand.ledger_row(case.id)
    assert (row["Отдел"], row["Статус"]) == (DOROGI, "Направлено в отдел")
    assert "прежнему отправлено уведомление об отзыве" in row["Примечание системы"]

    stand.route(case.id, Отдел=DOROGI)                          # the same decision again: nothing new
    stand.cycle()
    assert (len(mails_to(stand, DOROGI_MAIL)), len(mails_to(stand, ZHKH_MAIL))) == (1, 2)

    days_pass(stand, 3)                                           # overdue: reminders to the holder only
    assert len(mails_to(stand, ZHKH_MAIL)) == 2
    chased = mails_to(stand, DOROGI_MAIL)[1:]
    assert chased and all(case.id in m["Subject"] for m in chased)

    raw = [r for _, rcpt, r in stand.smtp.messages if DOROGI_MAIL in rcpt][0]
    stand.dovecot.deliver(reply(raw, DOROGI_MAIL, "Светофор отремонтирован.", "outlook"),
                          to=stand.app.config.mail["address"])
    stand.cycle()
    assert stand.ledger_row(case.id)["Статус"] == "Ответ получен"


def test_changing_the_department_without_route_keeps_the_case_where_it_is(stand):
    case = new_case(stand)
    stand.route(case.id)
    stand.cycle()
    stand.operator(case.id, Отдел=DOROGI)
    stand.cycle()
    assert mails_to(stand, DOROGI_MAIL) == []
    note = stand.ledger_row(case.id)["Примечание системы"]
    assert "Обращение пока у отдела «Отдел ЖКХ»" in note and "выберите «Направить»" in note
    days_pass(stand, 3)
    assert mails_to(stand, DOROGI_MAIL) == []                   # reminders go where the case is
    reminders = mails_to(stand, ZHKH_MAIL)[1:]
    assert reminders and all("Отдел ЖКХ" in plain(m) and DOROGI not in plain(m) for m in reminders)


def test_after_a_mistyped_address_is_fixed_route_again_resends(stand, restart):
    stand.smtp.reject_recipient(TYPO)
    restart(lambda config: with_department_emails(config, "zhkh", (TYPO,)))
    case = new_case(stand)
    stand.route(case.id)
    stand.cycle()
    assert mails_to(stand, TYPO) == [] and mails_to(stand, ZHKH_MAIL) == []
    note = stand.ledger_row(case.id)["Примечание системы"]
    assert "Письмо в отдел не отправлено" in note and "выберите «Направить» ещё раз" in note

    restart(lambda config: with_department_emails(config, "zhkh", (ZHKH_MAIL,)))
    stand.cycle()
    assert mails_to(stand, ZHKH_MAIL) == []                     # nothing goes by itself
    stand.route(case.id)
    stand.cycle()
    [sent] = mails_to(stand, ZHKH_MAIL)
    assert QUESTION in plain(sent)
    assert "отозвано" not in plain(sent)                        # the typo never got it: nothing to withdraw
    row = stand.ledger_row(case.id)
    assert (row["Статус"], row["Примечание системы"]) == ("Направлено в отдел",
                                                         "Направлено в отдел; срок ответа — 24 часа рабочих дней (п. 3.2).")
    stand.dovecot.deliver(reply(bytes(sent), ZHKH_MAIL, "Передали подрядчику, починят завтра.", "outlook"),
                          to=stand.app.config.mail["address"])
    stand.cycle()
    assert stand.ledger_row(case.id)["Статус"] == "Ответ получен"


def test_rerouted_while_the_first_mail_still_waits_the_old_department_gets_nothing(stand):
    case = new_case(stand)
    stand.smtp.fail_next(count=3, code=451, stage="rcpt")     # the mail server says «later»
    stand.route(case.id)
    stand.cycle()
    assert stand.case_mails() == []
    stand.route(case.id, Отдел=DOROGI)
    stand.cycle(timedelta(minutes=10))
    days_pass(stand, 1)
    assert mails_to(stand, ZHKH_MAIL) == []                     # neither the case nor a withdrawal
    # the case itself, once; a day of hourly cycles that starts at 08:xx Сахалин also reaches
    # the deadline (one working day) and its notice «Срок ответа истёк»
    [given] = [m for m in mails_to(stand, DOROGI_MAIL) if plain(m).startswith("Новое сообщение")]
    assert QUESTION in plain(given)
    states = {r["state"] for r in stand.app.store.outbox_items(case.id) if r["kind"] == "email"}
    assert "cancelled" in states and "failed" not in states


def test_a_case_routed_by_the_previous_version_can_be_rerouted(stand):
    case = new_case(stand)
    stand.route(case.id)
    stand.cycle()
    # What the previous version left in the store: the case JSON without `routed_to`.
    with stand.app.store.transaction():
        stand.app.store.db.execute("UPDATE cases SET data = json_remove(data, '$.routed_to') WHERE id = ?", (case.id,))
    assert stand.app.store.get(case.id).routed_to == ""
    stand.route(case.id, Отдел=DOROGI)
    stand.cycle()
    assert len(mails_to(stand, DOROGI_MAIL)) == 1
    assert mails_to(stand, ZHKH_MAIL)[-1]["Subject"].startswith(f"[{case.id}] Отозвано")
