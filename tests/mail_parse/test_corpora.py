"""Public mail fixtures of other projects (/work/shared/corpora, see its SOURCES.md): read in
place, never copied. None is a reply to one of our cases, so none may come out as 'answer',
even when its sender is allow-listed; and none may make the parser fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.html_text import html_to_text
from mailer.mime import collect_parts
from mailer.quotes import extract_answer
from mailer.reply import body_text, parse_reply

CORPORA = Path("/work/shared/corpora")
FILES = sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.name != "SOURCES.md") \
    if CORPORA.is_dir() else []
TALON_HTML = CORPORA / "peer_mail/talon/tests/fixtures/html_replies"

pytestmark = pytest.mark.skipif(not FILES, reason="shared corpora are not on this machine")


def test_corpus_is_large_enough_to_mean_something():
    assert len(FILES) > 150


def test_no_corpus_file_is_an_answer_or_breaks_the_parser():
    kinds = {}
    for path in FILES:
        raw = path.read_bytes()
        sender = parse_reply(raw, departments={}).sender
        reply = parse_reply(raw, departments={sender: "zhkh"} if sender else {})
        assert "не удалось разобрать" not in reply.note, path
        kinds[path.name] = reply.kind
    answers = [name for name, kind in kinds.items() if kind == "answer"]
    assert answers == []
    assert kinds.get("m4006.txt") == "auto_reply"   # an Outlook «Read:» receipt


@pytest.mark.parametrize("name", ["mail_ru.html", "yandex_ru.html"])
def test_russian_webmail_html_replies(name):
    html = (TALON_HTML / name).read_text(encoding="utf-8")
    assert extract_answer(html_to_text(html)) == "Hi. I am fine."


@pytest.mark.parametrize("path", sorted((CORPORA / "peer_mail/talon/tests/fixtures/standard_replies")
                                        .glob("*.eml")), ids=lambda p: p.name)
def test_talon_standard_replies_keep_only_the_reply(path):
    reply = parse_reply(path.read_bytes(), departments={})
    assert reply.kind == "no_case"          # not ours; the text rules are checked directly:
    assert extract_answer(body_text(collect_parts(path.read_bytes()))) == "Hello"
