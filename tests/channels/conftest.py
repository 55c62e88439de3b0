"""Fixtures: each network's stand-in on 127.0.0.1 and an adapter pointed at it."""

import pytest

from bridge.channels.ok import OkChannel
from bridge.channels.telegram import TelegramChannel
from bridge.channels.vk import VkChannel
from standins.ok_api import FakeOk
from standins.telegram_api import FakeTelegram
from standins.vk_api import FakeVk


@pytest.fixture
def fake_vk():
    with FakeVk() as fake:
        fake.add_user(5, "Иван", "Петров")
        yield fake


@pytest.fixture
def vk(fake_vk):
    return VkChannel(fake_vk.group_id, fake_vk.token, fake_vk.api_url,
                     user_token=fake_vk.user_token, min_interval=0)


@pytest.fixture
def fake_tg():
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def tg(fake_tg):
    return TelegramChannel(fake_tg.token, fake_tg.api_url, channel="@okha_adm",
                           discussion_chat_id=fake_tg.group_id)


@pytest.fixture
def fake_ok():
    with FakeOk() as fake:
        yield fake


@pytest.fixture
def ok(fake_ok):
    return OkChannel(fake_ok.group_id, fake_ok.token, fake_ok.app_key, fake_ok.app_secret,
                     fake_ok.api_url, bot_token=fake_ok.bot_token)
