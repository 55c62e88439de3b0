"""`purge`: personal data of cases closed before a date goes; figures for reports stay; twice is once."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
from datetime import timedelta

import openpyxl
import pytest

from bridge import commands
from bridge.core.errors import InputError

from bridge.core.model import Status
from bridge.storage.outbox import enqueue
from bridge.steps.purge import ACTION
from bridge.steps import purge as purge_step
from bridge.app import build_app
from tests.storage_backend import open_test_store
from tests.control.conftest import add_case, add_routed, local

PERSONAL = dict(author_name="Иванова Мария", author_link="https://vk.com/id42", author_key="vk:42",
                link="https://vk.com/wall-1_2?reply=3", text="Мой адрес: ул. Ленина, 5, кв. 7",
                attachments=["фото.jpg"], reply_target={"peer_id": 42})


def purge(config, before, now=None):
    """`run.py purge` as the command runs it: the app over the data folder, one purge."""
    app = build_app(config, connect=False)
    try:
        return purge_step.purge(app.store, app.config, app.ports, before, now or local(2026, 4, 1, 9))
    finally:
        app.store.close()


def closed_case(app, closed_at, **extra):
    case = add_routed(app.store, local(2026, 1, 12, 10), **PERSONAL, **extra)
    case.dept_answer = case.publish_text = "Мария, мусор вывезут завтра."
    case.operator_comment = "Уточните дату для Марии"
    case.status, case.answered_at, case.handled_at = Status.PUBLISHED, local(2026, 1, 12, 15), local(2026, 1, 12, 15)
    case.closed_at = closed_at
    app.store.save(case, "оператор", "опубликовано", at=closed_at)
    app.files.save(case.id, "citizen", [("фото.jpg", b"jpeg")])
    raw = app.config.data_dir / "mail" / "2026-01" / f"{case.id}.eml"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_bytes("From: zhkh@adm-okha.ru\r\n\r\nМария, мусор вывезут завтра.".encode())
    with app.store.transaction():
        app.store.db.execute("INSERT INTO mail_seen (message_key, case_id, kind, at, raw_path) VALUES (?, ?, ?, ?, ?)",
                             (f"<{case.id}@x>", case.id, "answer", closed_at.isoformat(), str(raw)))
        enqueue(app.store, f"{case.id}:rework:1", "email", {"template": "rework", "case_id": case.id, "to": [],
                "msgid": "<m@x>", "context": {"comment": "Уточните дату для Марии"}}, case.id, closed_at)
        app.store.db.execute("UPDATE outbox SET state = 'done'")
    return app.store.get(case.id), raw


def test_purge_blanks_personal_data_and_keeps_figures(app, config):
    old, raw = closed_case(app, local(2026, 1, 13, 10))
    recent, recent_raw = closed_case(app, local(2026, 3, 2, 10))
    still_open = add_case(app.store, local(2026, 1, 12, 9), **PERSONAL)
    app.store.close()

    assert purge(config, local(2026, 2, 1).date(), now=local(2026, 4, 1, 9)) == 1

    store = open_test_store(config.data_dir)
    case = store.get(old.id)
    for name in ("author_name", "author_link", "author_key", "link", "text", "dept_answer", "publish_text",
                 "operator_comment"):
        assert getattr(case, name) == "", name
    assert case.attachments == [] and case.reply_target == {}
    assert (case.id, case.status, case.department, case.channel, case.posted_at, case.closed_at,
            case.routed_at, case.answered_at) == (old.id, old.status, old.department, old.channel, old.posted_at,
                                                  old.closed_at, old.routed_at, old.answered_at)
    history = store.history(old.id)
    dump = json.dumps([dict(r) for r in history], ensure_ascii=False)
    assert "Мария" not in dump and "Ленина" not in dump and "vk.com" not in dump
    assert history[-1]["action"] == ACTION
    assert not (config.data_dir / "attachments" / old.id).exists() and not raw.exists()
    payload = store.db.execute("SELECT payload FROM outbox WHERE case_id = ?", (old.id,)).fetchone()[0]
    assert "Мария" not in payload and json.loads(payload)["msgid"] == "<m@x>"
    # Cases closed later, or still open, keep everything.
    assert store.get(recent.id).author_name == "Иванова Мария" and recent_raw.exists()
    assert (config.data_dir / "attachments" / recent.id).exists()
    assert store.get(still_open.id).text == PERSONAL["text"]
    store.close()


def test_purge_is_idempotent(app, config):
    old, _ = closed_case(app, local(2026, 1, 13, 10))
    app.store.close()
    assert purge(config, local(2026, 2, 1).date()) == 1
    store = open_test_store(config.data_dir)
    before = (store.history_count(), store.get(old.id))
    store.close()
    assert purge(config, local(2026, 2, 1).date()) == 0
    store = open_test_store(config.data_dir)
    assert (store.history_count(), store.get(old.id)) == before
    assert [r["action"] for r in store.history(old.id)].count(ACTION) == 1
    store.close()


def test_purge_uses_the_local_date_of_closing(app, config):
    # 31.01.2026 23:30 Сахалин is still 31 January locally (12:30 UTC), so «before 01.02» covers it.
    old, _ = closed_case(app, local(2026, 1, 31, 23, 30))
    app.store.close()
    assert purge(config, local(2026, 1, 31).date()) == 0
    assert purge(config, local(2026, 2, 1).date()) == 1


def test_a_raw_mail_recorded_relative_to_another_working_directory_goes_too(app, config):
    # Stores of earlier versions kept `data/mail/…` (relative to the service's working directory).
    old, raw = closed_case(app, local(2026, 1, 13, 10))
    with app.store.transaction():
        app.store.db.execute("UPDATE mail_seen SET raw_path = ? WHERE case_id = ?",
                             (f"data/mail/2026-01/{raw.name}", old.id))
    app.store.close()
    assert purge(config, local(2026, 2, 1).date()) == 1
    assert not raw.exists()


def test_the_service_purges_on_the_retention_schedule(app, config):
    from bridge.cycle import run_cycle
    old, raw = closed_case(app, local(2026, 1, 13, 10))
    recent, _ = closed_case(app, local(2026, 3, 30, 10))
    app.store.close()
    scheduled = dataclasses.replace(config, raw={**config.raw, "retention": {"purge_after_days": 30}})
    service = build_app(scheduled, connect=False)
    try:
        run_cycle(service, local(2026, 4, 1, 9))
        assert service.store.get(old.id).text == "" and not raw.exists()
        assert service.store.get(recent.id).text == PERSONAL["text"]
        assert ACTION in [r["action"] for r in service.store.history(old.id)]
    finally:
        service.store.close()


def test_a_date_in_the_future_asks_first(app, config, monkeypatch, capsys):
    old, _ = closed_case(app, local(2026, 1, 13, 10))
    app.store.close()
    monkeypatch.setattr(commands, "_config", lambda args: config)
    tomorrow = (commands.utcnow() + timedelta(days=2)).date().isoformat()
    args = argparse.Namespace(before=tomorrow, yes=False, config=None)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "нет")
    assert commands.cmd_purge(args) == 1
    assert "Ничего не удалено" in capsys.readouterr().out
    store = open_test_store(config.data_dir)
    assert store.get(old.id).text == PERSONAL["text"]
    store.close()
    monkeypatch.setattr("builtins.input", lambda prompt: "да")
    assert commands.cmd_purge(args) == 0
    store = open_test_store(config.data_dir)
    assert store.get(old.id).text == ""
    store.close()


def test_a_date_in_the_future_without_a_terminal_needs_the_flag(app, config, monkeypatch):
    closed_case(app, local(2026, 1, 13, 10))
    app.store.close()
    monkeypatch.setattr(commands, "_config", lambda args: config)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    later = (commands.utcnow() + timedelta(days=2)).date().isoformat()
    with pytest.raises(InputError, match="--yes"):
        commands.cmd_purge(argparse.Namespace(before=later, yes=False, config=None))
    assert commands.cmd_purge(argparse.Namespace(before=later, yes=True, config=None)) == 0


def test_a_purge_killed_midway_is_finished_by_the_next_run(app, config, monkeypatch):
    old, _ = closed_case(app, local(2026, 1, 13, 10))
    stray = config.data_dir / "mail" / "2026-01" / "autoreply.eml"     # names the case, linked to none
    stray.write_bytes(f"Subject: Автоответ: [{old.id}] Мария\r\n\r\nМария".encode())
    app.store.close()

    def killed(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr(purge_step, "clean_folder", killed)
    with pytest.raises(KeyboardInterrupt):
        purge(config, local(2026, 2, 1).date())
    assert stray.exists()
    monkeypatch.undo()
    assert purge(config, local(2026, 2, 1).date()) == 0     # the case itself was already clean
    assert not stray.exists()
    store = open_test_store(config.data_dir)
    assert store.get_value(purge_step.FOLDER_PENDING) is None
    store.close()


def test_an_open_ledger_keeps_the_backups_pending_until_the_service_rewrites_it(app, config, monkeypatch, capsys):
    from bridge.cycle import run_cycle
    from tests.e2e.personal_data import find
    old, _ = closed_case(app, local(2026, 1, 13, 10))
    run_cycle(app, local(2026, 4, 1, 9))
    add_case(app.store, local(2026, 4, 1, 9, 30), text="Новое обращение")
    run_cycle(app, local(2026, 4, 1, 10))                # the first ledger, with Мария, is now a backup
    app.store.close()
    assert any("backups" in hit for hit in find(config.data_dir, ["Мария"]))
    lock = config.ledger.with_name(f"~${config.ledger.name}")
    lock.write_bytes(b"operator")                          # Excel has the ledger open
    monkeypatch.setattr(commands, "_config", lambda args: config)
    assert commands.cmd_purge(argparse.Namespace(before="2026-02-01", yes=True, config=None)) == 0
    assert "закройте его" in capsys.readouterr().err
    assert find(config.data_dir, ["Мария"])                # the open ledger and its copies still show it
    lock.unlink()
    service = build_app(config, connect=False)
    try:
        run_cycle(service, local(2026, 4, 1, 11))
        assert service.store.get_value(purge_step.PENDING) is None
    finally:
        service.store.close()
    assert find(config.data_dir, ["Мария", "Ленина"]) == []


@pytest.mark.parametrize("saved_by", ["otklik", "openpyxl", "libreoffice"])
def test_a_backup_loses_the_purged_rows_only(app, config, monkeypatch, saved_by, tmp_path):
    """Our own file (inline strings, hyperlinks), one openpyxl saved (character references) and
    one LibreOffice saved (shared strings), edited in their XML: the purged row keeps only «№»,
    every other row is as it was."""
    import shutil
    import openpyxl
    from bridge.cycle import run_cycle
    from ledger import scrub
    from tests.e2e.personal_data import find
    old, _ = closed_case(app, local(2026, 1, 13, 10))
    other = add_case(app.store, local(2026, 1, 14, 9), author_name="Петров Пётр", author_link="https://vk.com/id77",
                     text="Мария тоже просила убрать снег")      # shares a word with the purged case
    run_cycle(app, local(2026, 4, 1, 9))
    backup = config.data_dir / "backups" / "Журнал 2026-04-01 09-00-00.xlsx"
    backup.parent.mkdir(parents=True, exist_ok=True)
    if saved_by == "openpyxl":
        book = openpyxl.load_workbook(config.ledger)
        book.save(backup)
    elif saved_by == "libreoffice":
        from tests.ledger.office import convert
        convert(tmp_path / "lo-profile", "xlsx", tmp_path / "lo", config.ledger)
        shutil.move(tmp_path / "lo" / config.ledger.name, backup)
        assert b"sharedStrings" in backup.read_bytes()
    else:
        shutil.copy2(config.ledger, backup)
    before = _rows(backup)
    monkeypatch.setattr(openpyxl, "load_workbook", None)   # the XML edit alone must do it
    assert scrub.scrub_workbook(backup, {old.id}) == scrub.REWRITTEN
    monkeypatch.undo()
    after = _rows(backup)
    assert [cell for cell in after[old.id] if cell is not None] == [old.id]
    assert after[other.id] == before[other.id] and after["№"] == before["№"]
    hits = find(backup.parent, ["Иванова", "Ленина", "vk.com/id42", "мусор вывезут"])
    assert hits == [], hits
    assert find(backup.parent, ["Петров Пётр", "vk.com/id77"])     # the other citizen's row is whole


def _rows(path):
    import openpyxl
    sheet = openpyxl.load_workbook(path, read_only=True)["Журнал"]
    return {row[0]: list(row) for row in sheet.iter_rows(values_only=True) if row and row[0]}


def test_a_save_as_copy_in_the_backups_that_names_a_purged_case_goes(app, config, tmp_path):
    """«Save as» .ods/.xls copies are moved to backups/ once read (ledger/service.py): not a
    workbook openpyxl rewrites, so one that names a purged case is removed; others stay."""
    from bridge.cycle import run_cycle
    from ledger import scrub
    from tests.ledger.office import convert
    old, _ = closed_case(app, local(2026, 1, 13, 10))
    run_cycle(app, local(2026, 4, 1, 9))
    convert(tmp_path / "lo-profile", "ods", tmp_path / "lo", config.ledger)
    convert(tmp_path / "lo-profile", "xls", tmp_path / "lo", config.ledger)
    backups = config.data_dir / "backups"
    backups.mkdir(exist_ok=True)
    for suffix in ("ods", "xls"):
        (tmp_path / "lo" / f"{config.ledger.stem}.{suffix}").rename(backups / f"Журнал КОПИЯ 2026-04-01.{suffix}")
    unrelated = backups / "Журнал КОПИЯ 2025-12-01.ods"
    unrelated.write_bytes(b"PK\x03\x04 not this case")
    outcomes = {p.suffix: scrub.scrub_workbook(p, {old.id}) for p in app.files.ledger_backups() if "2026" in p.name}
    assert outcomes == {".ods": scrub.REMOVED, ".xls": scrub.REMOVED}
    assert scrub.scrub_workbook(unrelated, {old.id}) == scrub.KEPT and unrelated.exists()


def test_the_callback_journal_keeps_its_line_count_and_hostile_lines(app, config):
    """The VK channel's cursor counts journal lines: a purged event becomes a stub line, a line
    that is no JSON, a foreign event and a torn last line stay as they were."""
    old, _ = closed_case(app, local(2026, 1, 13, 10))
    event = {"type": "message_new", "event_id": "ev1", "group_id": 1,
             "object": {"message": {"id": 0, "date": 1700000000, "peer_id": 42, "from_id": 42, "text": "Привет",
                                    "conversation_message_id": 9}}}
    with app.store.transaction():
        app.store.remember_item("vk", "message:42_9", old.id)
    journal = config.data_dir / "vk_callback.jsonl"
    lines = [json.dumps(event).encode() + b"\n", b"\xff\xfe{not json\n",
             json.dumps({**event, "event_id": "ev2", "object": {"message": {**event["object"]["message"],
                                                                "conversation_message_id": 10}}}).encode() + b"\n",
             b'{"type": "message_new", "torn']
    journal.write_bytes(b"".join(lines))
    assert purge_step.redact_journal(app.store, app.files, journal, "vk", {old.id}, set()) == 1
    after = journal.read_bytes().splitlines(keepends=True)
    assert len(after) == len(lines) and after[1:] == lines[1:]
    assert json.loads(after[0]) == {"type": purge_step.STUB_TYPE, "event_id": "ev1", "object": {}}
    from bridge.channels.vk_events import parse_event
    assert parse_event(json.loads(after[0]), {}, 1, "vk") is None      # the channel skips the stub


@pytest.mark.parametrize("line, said", [
    ('[retention]\npurge_after_days = "три года"', "retention.purge_after_days: нужно целое число"),
    ("[retention]\npurge_after_days = 0", "retention.purge_after_days: нужно целое число от 1"),
    ("[retention]\npurge_after_dais = 1095", "может быть, «purge_after_days»"),
])
def test_a_wrong_retention_setting_is_reported_not_ignored(tmp_path, line, said):
    from bridge.config import DEMO_CONFIG, parse
    from bridge.core.errors import ConfigError
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace("[retention]\n", line.split("\n")[0] + "_old\n", 1)
    text = text.replace("[retention]_old\n", "[retention]\n" + line.split("\n")[1] + "\n", 1)
    with pytest.raises(ConfigError, match=re.escape(said)):
        parse(text, source=None, base_dir=tmp_path)


def test_the_site_address_must_be_absolute(tmp_path):
    from bridge.config import DEMO_CONFIG, parse
    from bridge.core.errors import ConfigError
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace('base_url = "https://adm-okha.ru/info/"', 'base_url = "info/"')
    with pytest.raises(ConfigError, match="site.base_url: «info/» — нужен полный адрес"):
        parse(text, source=None, base_dir=tmp_path)


def test_a_purge_killed_between_batches_leaves_the_rest_of_the_folder_to_the_next_run(app, config, monkeypatch):
    """Found with kill -9: cases committed by a killed run were skipped by the next one, and the
    mails and backups naming them stayed. Their ids are now committed with them."""
    first, _ = closed_case(app, local(2026, 1, 13, 10))
    second, _ = closed_case(app, local(2026, 1, 14, 10))
    stray = config.data_dir / "mail" / "2026-01" / "autoreply.eml"
    stray.write_bytes(f"Subject: Автоответ: [{first.id}]\r\n\r\nМария".encode())
    app.store.close()
    monkeypatch.setattr(purge_step, "BATCH", 1)
    real = purge_step.purge_case

    def killed_on_the_second(store, files, case, now):
        if case.id == second.id:
            raise KeyboardInterrupt
        return real(store, files, case, now)
    monkeypatch.setattr(purge_step, "purge_case", killed_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        purge(config, local(2026, 2, 1).date())
    assert stray.exists()
    monkeypatch.setattr(purge_step, "purge_case", real)
    assert purge(config, local(2026, 2, 1).date()) == 1          # the second case; the first was done
    assert not stray.exists()
