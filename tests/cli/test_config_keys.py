"""Unknown keys in the configuration are reported with the closest known one (issue 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import DEMO_CONFIG, parse
from bridge.core.errors import ConfigError


def test_a_misspelt_key_and_section_are_reported_together():
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace("imap_host", "imap_hots") + "\n[remiders]\ndigest_time = \"09:30\"\n"
    with pytest.raises(ConfigError) as error:
        parse(text, source=None, base_dir=Path("."))
    message = str(error.value)
    assert "mail.imap_hots: неизвестный параметр (может быть, «imap_host»?)" in message
    assert "неизвестный раздел [remiders] (может быть, «reminders»?)" in message


def test_the_demo_configuration_has_no_unknown_key():
    parse(DEMO_CONFIG.read_text(encoding="utf-8"), source=None, base_dir=Path("."))
