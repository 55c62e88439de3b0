"""Rendered mails and texts must match the reviewed golden files (regenerate: regen.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.compose import REPLY_INSTRUCTION, format_when

from .samples import DRAFT, MAIL_SAMPLES, TZ, compose_sample, render_all

GOLDEN = Path(__file__).resolve().parent / "golden"
RENDERED = render_all()
PHONE_LINE = 90   # longest template line; the reply instruction (87) is the longest we allow
CASE_MAILS = ["new_case", "rework", "reminder", "overdue", "explanation"]


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_rendering_matches_golden_file(name):
    path = GOLDEN / name
    assert path.exists(), f"нет эталона {name}: запустите python tests/mail_compose/regen.py"
    assert RENDERED[name] == path.read_text(encoding="utf-8"), (
        f"{name} изменился: запустите regen.py и просмотрите diff")


def test_no_stale_golden_files():
    assert {p.name for p in GOLDEN.iterdir()} == set(RENDERED)


@pytest.mark.parametrize("name", sorted(MAIL_SAMPLES))
def test_plain_lines_are_short_enough_for_a_phone(name):
    for line in RENDERED[f"mail_{name}.txt"].splitlines():
        if line and line in DRAFT:      # the citizen-facing draft is one paragraph per line
            continue
        assert len(line) <= PHONE_LINE, line


@pytest.mark.parametrize("name", CASE_MAILS)
def test_department_mails_carry_the_one_reply_instruction(name):
    assert RENDERED[f"mail_{name}.txt"].count(REPLY_INSTRUCTION) == 1
    assert RENDERED[f"mail_{name}.html"].count(REPLY_INSTRUCTION) == 1


@pytest.mark.parametrize("name", CASE_MAILS)
def test_deadline_comes_before_the_message(name):
    plain = RENDERED[f"mail_{name}.txt"]
    deadline = format_when(MAIL_SAMPLES[name][0].deadline, TZ)
    assert plain.index(deadline) < plain.index("Сообщение (")


@pytest.mark.parametrize("name", sorted(MAIL_SAMPLES))
def test_every_sample_serialises_and_parses_back(name):
    import email
    from email import policy

    msg = compose_sample(name)
    parsed = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == msg["Subject"]
    assert parsed.get_body(("plain",)).get_content() == RENDERED[f"mail_{name}.txt"]
    assert parsed.get_body(("html",)).get_content() == RENDERED[f"mail_{name}.html"]
