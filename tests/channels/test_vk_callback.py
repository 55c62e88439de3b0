"""The VK Callback API endpoint and the channel factory."""


import pytest
import requests

from bridge.channels import build_channels
from bridge.channels.ok import OkChannel
from bridge.channels.telegram import TelegramChannel
from bridge.channels.vk import VkChannel
from bridge.channels.vk_callback import CallbackJournal, handle_callback
from bridge.core.errors import ConfigError


def test_handle_callback_rules():
    assert handle_callback({"type": "confirmation", "group_id": 1}, "abc123", "s") == (200, "abc123")
    assert handle_callback({"type": "message_new", "secret": "s"}, "abc123", "s") == (200, "ok")
    assert handle_callback({"type": "message_new", "secret": "x"}, "abc123", "s")[0] == 403
    assert handle_callback({"no": "type"}, "abc123", "s")[0] == 400


def test_callback_mode_end_to_end(fake_vk, tmp_path):
    channel = VkChannel(fake_vk.group_id, fake_vk.token, fake_vk.api_url, min_interval=0,
                        callback=CallbackJournal(tmp_path / "vk.jsonl"),
                        listener={"host": "127.0.0.1", "port": 0, "confirmation": "c0de", "secret": "s3"})
    assert channel.fetch(None) == ([], "0")
    url = f"http://127.0.0.1:{channel.listener.server_address[1]}/"
    try:
        assert requests.post(url, json={"type": "confirmation", "group_id": 100}).text == "c0de"
        obj = {"message": {"id": 0, "date": 1700000000, "peer_id": 5, "from_id": 5, "text": "Привет",
                           "conversation_message_id": 9, "attachments": []}}
        body = fake_vk.event_body("message_new", obj, secret="s3")
        assert requests.post(url, json=body).text == "ok"
        assert requests.post(url, json={**body, "secret": "bad"}).status_code == 403
        (item,), cursor = channel.fetch("0")
        assert item.external_id == "message:5_9" and item.author_name == "Иван Петров"
        assert channel.fetch(cursor) == ([], "1")
        # a restart reads the same journal from the saved cursor; the secret is not kept
        assert len(CallbackJournal(tmp_path / "vk.jsonl").read("0")[0]) == 1
        assert "s3" not in (tmp_path / "vk.jsonl").read_text(encoding="utf-8")
    finally:
        channel.listener.shutdown()
        channel.listener.server_close()


def test_build_channels_from_sections(tmp_path):
    env = {"VK": "vk-t", "TG": "1:t", "OKT": "ok-t", "OKK": "key", "OKS": "sec"}
    config = {
        "general": {"data_dir": str(tmp_path)},
        "vk": {"group_id": 100, "token_env": "VK", "api_url": "http://127.0.0.1:1/method/"},
        "telegram": {"token_env": "TG", "channel": "@okha"},
        "ok": {"group_id": "5", "token_env": "OKT", "app_key_env": "OKK", "app_secret_env": "OKS"},
    }
    channels = build_channels(config, env.__getitem__, tmp_path)
    assert [type(c) for c in channels] == [VkChannel, TelegramChannel, OkChannel]
    assert [c.name for c in channels] == ["vk", "telegram", "ok"]
    assert build_channels({"telegram": config["telegram"]}, env.__getitem__)[0].name == "telegram"
    with pytest.raises(ConfigError, match="mode"):
        build_channels({"vk": {**config["vk"], "mode": "webhook"}}, env.__getitem__)
    with pytest.raises(ConfigError, match="group_id"):
        build_channels({"ok": {"token_env": "OKT"}}, env.__getitem__)


def test_vk_repeats_of_an_event_id_are_answered_ok_and_taken_once(fake_vk, tmp_path):
    """callback_base.event_id: "If it passed twice or more - you should ignore it"."""
    journal = CallbackJournal(tmp_path / "vk.jsonl")
    channel = VkChannel(fake_vk.group_id, fake_vk.token, fake_vk.api_url, min_interval=0, callback=journal,
                        listener={"host": "127.0.0.1", "port": 0, "confirmation": "c", "secret": "s"})
    channel.fetch(None)
    url = f"http://127.0.0.1:{channel.listener.server_address[1]}/"
    try:
        body = fake_vk.event_body("wall_reply_new", {"id": 3, "from_id": 5, "date": 1700000000, "text": "раз",
                                                     "post_id": 10, "owner_id": -100}, secret="s")
        assert [requests.post(url, json=body).text for _ in range(3)] == ["ok"] * 3
        items, _ = channel.fetch("0")
        assert [i.text for i in items] == ["раз"]
        assert len(CallbackJournal(tmp_path / "vk.jsonl")._seen) == 1   # remembered after a restart too
    finally:
        channel.listener.shutdown()
        channel.listener.server_close()


def test_a_torn_journal_line_is_set_aside(fake_vk, tmp_path):
    path = tmp_path / "vk.jsonl"
    path.write_text('{"type": "message_new", "object": {\n', encoding="utf-8")
    channel = VkChannel(fake_vk.group_id, fake_vk.token, fake_vk.api_url, min_interval=0,
                        callback=CallbackJournal(path))
    (item,), cursor = channel.fetch("0")
    assert item.event == "invalid" and "JSON" in item.reason and cursor == "1"
