"""Many official pages per network (SPEC §7): [[vk]], [[telegram]], [[ok]] with a `name` each."""

import pytest

from bridge.channels import build_channels, page_sections
from bridge.config import parse
from bridge.core.errors import ConfigError
from bridge.core.model import Case

ENV = {"VK1": "a", "VK2": "b", "TG": "1:t"}
BASE = """
[general]
data_dir = "data"
[[departments]]
code = "zhkh"
name = "Отдел ЖКХ"
emails = ["zhkh@adm.ru"]
"""


def test_two_vk_pages_are_two_channels_with_their_own_keys():
    config = parse(BASE + """
[[vk]]
name = "Администрация"
group_id = 100
token_env = "VK1"
[[vk]]
name = "Глава района"
group_id = 200
token_env = "VK2"
[telegram]
token_env = "TG"
""", source=None, base_dir=__import__("pathlib").Path("."))
    assert list(config.channels) == ["vk:Администрация", "vk:Глава района", "telegram"]
    channels = build_channels(config.channels, ENV.__getitem__)
    assert [(c.name, getattr(c, "group_id", None)) for c in channels] == [
        ("vk:Администрация", 100), ("vk:Глава района", 200), ("telegram", None)]


def test_the_page_shows_in_the_channel_column():
    def label(channel):
        return Case(id="", channel=channel, external_id="x", posted_at=None).channel_label
    assert label("vk:Глава района") == "ВКонтакте: Глава района"
    assert label("vk") == "ВКонтакте"
    assert label("Телефон: горячая линия") == "Телефон: горячая линия"


@pytest.mark.parametrize("toml, fragment", [
    ('[[vk]]\ngroup_id = 1\ntoken_env = "VK1"\n[[vk]]\ngroup_id = 2\ntoken_env = "VK2"\n', "только одна страница"),
    ('[[vk]]\nname = "А"\ngroup_id = 1\ntoken_env = "VK1"\n[[vk]]\nname = "А"\ngroup_id = 2\ntoken_env = "VK2"\n',
     "уже занято"),
    ('[vk]\ngroup_id = 1\ntoken_env = "VK1"\ngroup_idd = 3\n', "«group_id»"),
    ('[telegram]\ntoken = "123:plain"\n', "переменных окружения"),
    ('vk = 5\n', "должен быть разделом"),
    ('[[ok]]\nname = "\\u0007"\ngroup_id = "1"\n', "без управляющих"),
])
def test_mistakes_are_named(toml, fragment):
    with pytest.raises(ConfigError, match=fragment):
        parse((BASE + toml) if toml.startswith("[") else toml + BASE, source=None, base_dir=__import__("pathlib").Path("."))


def test_a_second_vk_table_is_no_longer_dropped():
    problems: list[str] = []
    pages = page_sections({"vk": [{"name": "1", "group_id": 1}, {"name": "2", "group_id": 2}]}, problems)
    assert list(pages) == ["vk:1", "vk:2"] and problems == []


def test_a_page_that_worked_alone_keeps_its_key_when_pages_are_added():
    problems: list[str] = []
    pages = page_sections({"vk": [{"group_id": 1}, {"name": "Глава района", "group_id": 2}]}, problems)
    assert list(pages) == ["vk", "vk:Глава района"] and problems == []


def test_build_channels_refuses_a_broken_list():
    with pytest.raises(ConfigError, match="name"):
        build_channels({"vk": [{"group_id": 1, "token_env": "VK1"}, {"group_id": 2, "token_env": "VK2"}]},
                       ENV.__getitem__)
