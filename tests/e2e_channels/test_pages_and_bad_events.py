"""Two official VK pages in one bridge (SPEC §7, issue 12) and unreadable events at each network's
door (issue 10), end to end: citizens write in the stand-ins, the bridge runs its cycle."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bridge.app import build_app
from bridge.channels import page_sections
from bridge.config import load
from standins.ok_api import FakeOk
from standins.smtp_sink import SmtpSink
from standins.telegram_api import FakeTelegram
from standins.vk_api import FakeVk
from tests.e2e_channels.conftest import MAILBOX_PASSWORD, Stand, channel_sections


@pytest.fixture
def two_pages(tmp_path, monkeypatch, mailboxes):
    dovecot, addresses = mailboxes
    address = next(addresses)
    with FakeVk(group_id=100, token="vk-adm") as admin, FakeVk(group_id=200, token="vk-head") as head, \
            FakeTelegram() as tg, FakeOk() as ok:
        smtp = SmtpSink(tmp_path / "sent").start()
        try:
            env = {"OTKLIK_VK_TOKEN": admin.token, "OTKLIK_VK_HEAD_TOKEN": head.token,
                   "OTKLIK_VK_USER_TOKEN": admin.user_token, "OTKLIK_TG_TOKEN": tg.token,
                   "OTKLIK_OK_TOKEN": ok.token, "OTKLIK_OK_APP_KEY": ok.app_key,
                   "OTKLIK_OK_APP_SECRET": ok.app_secret, "OTKLIK_IMAP_PASSWORD": MAILBOX_PASSWORD}
            for name, value in env.items():
                monkeypatch.setenv(name, value)
            sections = channel_sections(admin, tg, ok)
            first = {**sections["vk"], "name": "Администрация"}
            second = {**sections["vk"], "name": "Глава района", "group_id": 200, "token_env": "OTKLIK_VK_HEAD_TOKEN",
                      "api_url": head.api_url}
            second.pop("user_token_env")
            problems: list[str] = []
            pages = page_sections({"vk": [first, second], "telegram": sections["telegram"]}, problems)
            assert problems == []
            base = load(None)
            mail = dict(base.mail, imap_port=dovecot.port, smtp_port=smtp.port, imap_user=address, address=address)
            config = dataclasses.replace(base, base_dir=tmp_path, data_dir=tmp_path / "data",
                                         ledger=tmp_path / "Журнал обращений.xlsx", mail=mail, channels=pages,
                                         site_dir=tmp_path / "site")
            app = build_app(config)
            bench = Stand(app, admin, tg, ok, smtp, dovecot)
            bench.cycle()
            yield bench, head
            app.mailbox.close()
            app.store.close()
        finally:
            smtp.stop()


def test_each_page_has_its_cases_cursor_and_answers(two_pages):
    stand, head = two_pages
    assert set(stand.app.channels) == {"vk:Администрация", "vk:Глава района", "telegram"}
    stand.vk.add_user(1, "Анна", "Смирнова")
    head.add_user(1, "Анна", "Смирнова")
    stand.vk.post_wall_comment(10, 1, "Отопление в доме 5 не работает")
    head.post_wall_comment(20, 1, "Глава, отопление в доме 7 не работает")
    stand.cycle()
    admin_case, head_case = stand.case_with("доме 5"), stand.case_with("доме 7")
    assert (admin_case.channel, head_case.channel) == ("vk:Администрация", "vk:Глава района")
    assert stand.ledger_row(admin_case.id)["Канал"] == "ВКонтакте: Администрация"
    assert stand.ledger_row(head_case.id)["Канал"] == "ВКонтакте: Глава района"
    assert stand.app.store.get_value("cursor.vk:Глава района") != stand.app.store.get_value("cursor.vk:Администрация")

    for case, answer in ((admin_case, "Тепло дали (дом 5)."), (head_case, "Тепло дали (дом 7).")):
        stand.take_to_review(case, answer)
        stand.operator(case.id, Решение_оператора="Опубликовать")
    stand.cycle()
    assert [e["message"] for e in stand.vk.published] == ["Тепло дали (дом 5)."]
    assert [(e["message"], e["owner_id"]) for e in head.published] == [("Тепло дали (дом 7).", "-200")]


def test_unreadable_events_are_kept_and_reported_and_nothing_else_stops(stand):
    stand.vk.push_raw({"type": "wall_reply_new", "object": {"id": "x"}, "event_id": "bad-vk"})
    stand.vk.add_user(1, "Анна", "Смирнова")
    stand.vk.post_wall_comment(10, 1, "Нормальный комментарий ВКонтакте", attachments=[None])
    stand.tg.push_raw({"update_id": 1, "message": {"message_id": 5, "text": "без chat и date"}})
    stand.tg.send_dm(stand.tg.user(7, "Ирина"), "Нормальное сообщение в Telegram")
    topic = stand.ok.add_topic()
    stand.ok.post_comment(topic, "501", "Пётр Н.", "дата числом", date=1764570000)
    stand.ok.post_comment(topic, "501", "Пётр Н.", "Нормальный комментарий в OK")
    stand.cycle()
    assert sorted(c.text for c in stand.cases()) == sorted(["Нормальный комментарий ВКонтакте",
                                                            "Нормальный комментарий в OK",
                                                            "Нормальное сообщение в Telegram"])
    alerts = stand.app.store.db.execute("SELECT text, key FROM alerts WHERE kind = 'intake'").fetchall()
    assert len(alerts) == 3
    assert all("без chat и date" not in a["text"] and "дата числом" not in a["text"] for a in alerts)
    # The raw events are kept in the data folder's set-aside journal (bridge/storage/files.py).
    kept = [{"raw": p.read_text(encoding="utf-8")}
            for p in sorted((stand.app.config.data_dir / "journals" / "set_aside").rglob("*.json"))]
    assert len(kept) == 3 and all("journals/set_aside" in a["text"] for a in alerts)
    assert any("bad-vk" in k["raw"] for k in kept) and any("1764570000" in k["raw"] for k in kept)
    assert any(json.loads(k["raw"]).get("update_id") == 1 for k in kept)
    stand.cycle()
    assert len(stand.cases()) == 3
    assert len(stand.app.store.db.execute("SELECT * FROM alerts WHERE kind = 'intake'").fetchall()) == 3


def test_hostile_text_reaches_the_ledger_and_the_store_keeps_working(stand):
    stand.vk.add_user(1, "Анна\ud800", "Смирнова")
    stand.vk.post_wall_comment(10, 1, "=ЕСЛИ(1;2) \ud83d обрыв эмодзи и \x00 ноль " + "я" * 40_000)
    stand.tg.send_dm(stand.tg.user(7, "\udfff"), "\ud800")
    stand.cycle()
    cases = stand.cases()
    assert len(cases) == 2
    long_one = next(c for c in cases if "обрыв эмодзи" in c.text)
    assert "\ufffd" in long_one.text and len(long_one.text) > 40_000
    assert str(stand.ledger_row(long_one.id)["Текст сообщения"]).startswith("=ЕСЛИ")   # text, not a formula
    stand.cycle()
    assert len(stand.cases()) == 2
