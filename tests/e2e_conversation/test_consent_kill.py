"""kill -9 while the citizen answers the п. 3.8 request (issue 11): the service runs in its own
process (tests/fault's harness) and is SIGKILLed at random moments while the citizen's «Да» and
details come in. Afterwards: still one case, consent and details recorded once each, each
private message to the citizen sent once (VK `random_id`), the card delivered (again at most once
per kill, under its own Message-ID)."""

from __future__ import annotations

import random
import time
from collections import Counter

from bridge.core.model import Status
from standins.ok_api import FakeOk
from standins.telegram_api import FakeTelegram
from standins.vk_api import FakeVk
from tests.e2e_mail.loop import BRIDGE_ADDRESS, PASSWORD, parse
from tests.fault.test_kill_anywhere import Service, child_environment, store_value, wait_for, write_config
from tests.fault.workload import People
from tests.servers.dovecot import dovecot  # noqa: F401 - pytest fixtures by name
from tests.servers.smtp import smtp_sink  # noqa: F401
from tests.storage_backend import open_test_store

QUESTION = "Прошу разобраться: управляющая компания третий год не делает ремонт крыши, дом Ленина, 5."
DETAILS = "Ким Олег Игоревич, 694490, г. Оха, ул. Ленина, д. 5, кв. 7"
KILLS = 6


def private_texts(vk) -> list[str]:
    return [e["message"] for e in list(vk.published) if e["method"] == "messages.send"]


def test_kill_9_while_the_citizen_answers_loses_and_doubles_nothing(tmp_path, dovecot, smtp_sink):
    dovecot.add_user(BRIDGE_ADDRESS, PASSWORD)
    rng = random.Random(11)
    with FakeVk() as vk, FakeTelegram() as tg, FakeOk() as ok:
        config = write_config(tmp_path, dovecot, smtp_sink.port, vk, tg, ok)
        data_dir, logs = tmp_path / "data", tmp_path / "logs"
        logs.mkdir()
        service = Service(config, child_environment(vk, tg, ok), logs)
        people = People(vk, tg, ok, smtp_sink, dovecot, data_dir / "Журнал обращений.xlsx")
        service.start()
        kills = 0
        try:
            wait_for(lambda: store_value(data_dir, "cursor.vk"), 20, "the first cycle")
            vk.add_user(2, "Олег", "Ким")
            vk.send_dm(2, QUESTION)
            wait_for(lambda: people.look_at_ledger() and people.rows, 20, "the case in the ledger")
            [case_id] = people.rows
            wait_for(lambda: people._type_into_ledger(
                {case_id: {"Отдел": "Отдел ЖКХ", "Решение оператора": "Обращение 59-ФЗ"}}), 20, "the decision")
            wait_for(lambda: len(private_texts(vk)) == 1, 20, "the consent request")
            for text in ("Да", DETAILS):
                vk.send_dm(2, text)
                for _ in range(KILLS // 2):
                    time.sleep(rng.uniform(0.2, 1.2))
                    service.kill()
                    service.start()
                    kills += 1
            wait_for(lambda: any("kancelyariya@adm-okha.ru" in rcpt
                                 for _, rcpt, _ in list(smtp_sink.messages)), 30, "the card")
            time.sleep(1.5)
            service.stop()
        finally:
            service.end()
    store = open_test_store(data_dir)
    try:
        [case] = store.all_cases()
        assert (case.status, case.consent, case.citizen_details) == (Status.APPEAL, True, DETAILS)
        assert [m["text"] for m in case.conversation] == ["Да", DETAILS]
        states = Counter(r[0] for r in store.db.execute("SELECT state FROM outbox"))
        assert set(states) == {"done"}, states
    finally:
        store.close()
    texts = private_texts(vk)
    assert len(texts) == 2 and "фамилию, имя, отчество" in texts[1], texts     # request, details request
    cards = Counter(str(parse(raw)["Message-ID"]) for _, rcpt, raw in smtp_sink.messages
                    if "kancelyariya@adm-okha.ru" in rcpt)
    assert len(cards) == 1 and sum(cards.values()) <= 1 + kills
    print(f"\nkill -9 x{kills}: card delivered {sum(cards.values())} time(s) under one Message-ID")
