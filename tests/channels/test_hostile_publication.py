"""Answers that would break a client: lone surrogates (a broken emoji from a mail client), texts
over a network's documented limit. Each network gets what its documentation accepts."""

import json

from bridge.channels.base import split_text

BROKEN = "Ответ \ud83d без пары и 🙂 с парой"


def test_lone_surrogates_reach_every_network_as_a_replacement_character(fake_vk, vk, fake_tg, tg, fake_ok, ok):
    vk.publish_reply({"method": "messages.send", "peer_id": 5}, BROKEN, [], "k")
    assert fake_vk.published[0]["message"] == "Ответ \ufffd без пары и 🙂 с парой"
    tg.publish_reply({"chat_id": 42}, BROKEN, [], "k")
    assert fake_tg.published[0]["text"] == "Ответ \ufffd без пары и 🙂 с парой"
    fake_ok.send_group_message("78", "А", "вопрос")
    ok.publish_reply({"method": "graph.messages", "chat_id": "chat:C78"}, BROKEN, [], "k")
    ok.post_informational(BROKEN, [], "k")
    assert fake_ok.published[0]["message"]["text"] == "Ответ \ufffd без пары и 🙂 с парой"
    assert fake_ok.published[1]["attachment"]["media"][0]["text"] == "Ответ \ufffd без пары и 🙂 с парой"


def test_a_vk_message_over_9000_characters_goes_in_pieces_each_with_its_own_random_id(fake_vk, vk):
    text = ("Длинное разъяснение. " * 1000).strip()          # 21 000 characters
    vk.publish_reply({"method": "messages.send", "peer_id": 5}, text, [], "OKH-1/p")
    vk.publish_reply({"method": "messages.send", "peer_id": 5}, text, [], "OKH-1/p")   # a retry
    parts = [e["message"] for e in fake_vk.published]
    assert len(parts) == 3 and all(len(p) <= 9000 for p in parts)
    assert " ".join(parts) == text
    assert len({e["random_id"] for e in fake_vk.published}) == 3


def test_split_text_never_loses_a_character():
    text = "абв " * 5000 + "\n\n" + "x" * 9001
    pieces = split_text(text, 4096)
    assert all(len(p) <= 4096 for p in pieces)
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    assert split_text("", 10) == [] and split_text("  ", 10) == []
    assert json.dumps(split_text("🙂" * 5000, 4096, lambda t: len(t.encode("utf-16-le")) // 2))
