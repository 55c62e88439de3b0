"""The README and docs/install.md stand alone (issue 16): no link to a file a user does not have,
the two commands on the first screen, and every section they tell the administrator to edit is in
config.example.toml."""

from __future__ import annotations

import re

import pytest

from tests.cli.configs import EXAMPLE, ROOT, keys_by_section

README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "install.md"


@pytest.mark.parametrize("document", [README, GUIDE], ids=["README", "install"])
def test_every_link_points_at_a_file_that_ships(document):
    text = document.read_text(encoding="utf-8")
    assert "../shared" not in text and "SPEC.md" not in text
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        if target.startswith(("http://", "https://")):
            continue
        assert (document.parent / target).exists(), target


def test_the_first_screen_keeps_exactly_the_two_commands():
    first_screen = README.read_text(encoding="utf-8").split("\n---\n")[0]
    blocks = re.findall(r"```\n(.*?)```", first_screen, flags=re.S)
    assert [block.strip() for block in blocks] == ["pip install -r requirements.txt && python run.py demo",
                                                  "python -m pytest"]


@pytest.mark.parametrize("document", [README, GUIDE], ids=["README", "install"])
def test_the_sections_the_documents_name_are_in_the_example(document):
    named = set(re.findall(r"`\[\[?([a-z_]+)\]\]?`", document.read_text(encoding="utf-8")))
    assert {"vk", "telegram", "ok", "worktime"} <= named
    assert named <= set(keys_by_section(EXAMPLE.read_text(encoding="utf-8"))), named


def test_the_keys_the_guide_names_are_known():
    known = set().union(*keys_by_section(EXAMPLE.read_text(encoding="utf-8")).values())
    text = GUIDE.read_text(encoding="utf-8") + README.read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z]+_[a-z_]+) = ", text)) | set(re.findall(r"^([a-z]+_[a-z_]+) = ", text, flags=re.M))
    assert named and named <= known, named - known
