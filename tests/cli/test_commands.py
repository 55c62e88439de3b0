"""End-to-end runs of `run.py` as an administrator types them (SPEC §6)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from tests.cli.configs import closed_port, example_config, run

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "mail_parse" / "fixtures"




def test_deadline_prints_the_due_moment(tmp_path):
    result = run("deadline", "answer", "2026-12-30T15:00+11:00", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2027-01-11T15:00:00+11:00\n"


def test_deadline_reads_stdin_one_per_line(tmp_path):
    result = run("deadline", "triage", cwd=tmp_path, stdin="2026-11-27T17:00+11:00\n2026-11-26T22:00Z\n")
    assert result.stdout.splitlines() == ["2026-11-30T11:00:00+11:00", "2026-11-27T12:00:00+11:00"]


@pytest.mark.parametrize("args", [("deadline", "weekly", "2026-01-01T00:00Z"),
                                  ("deadline", "answer", "вчера"),
                                  ("report", "--month", "2026-13"),
                                  ("purge", "--before", "soon")])
def test_bad_input_is_one_clear_line_and_a_nonzero_code(tmp_path, args):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("Ошибка: ") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_config_file_is_a_clear_error(tmp_path):
    result = run("once", "--config", "нет-такого.toml", cwd=tmp_path)
    assert result.returncode == 2 and "файл настроек не найден" in result.stderr


def test_invalid_config_lists_every_problem(tmp_path):
    (tmp_path / "bad.toml").write_text('[general]\ncase_prefix = "ОКХ"\ntimezone = "Mars/Base"\n'
                                       '[mail]\naddress = "x@y.ru"\nimap_password = "secret"\n',
                                       encoding="utf-8")
    result = run("check-config", "--config", "bad.toml", cwd=tmp_path)
    assert result.returncode == 2
    for fragment in ("case_prefix", "Mars/Base", "переменных окружения", "[[departments]]"):
        assert fragment in result.stderr


def test_parse_reply_json_lines(tmp_path):
    files = sorted(FIXTURES.glob("*.eml"))[:3]
    result = run("parse-reply", *map(str, files), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == list(map(str, files))
    assert all(set(line) == {"file", "kind", "case_id", "answer", "attachments"} for line in lines)


def test_hint_one_json_object_per_text(tmp_path):
    result = run("hint", "Третий день нет отопления, батареи холодные", "Спасибо!", cwd=tmp_path)
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["department"] == "zhkh" and first["policy"] == "normal"
    assert second["policy"] == "noise"


def test_once_with_servers_down_delays_and_exits_with_its_code(tmp_path):
    example_config(tmp_path, closed_port(), closed_port())
    result = run("once", cwd=tmp_path, env={"OTKLIK_IMAP_PASSWORD": "x", "OTKLIK_SMTP_PASSWORD": "x"})
    assert result.returncode == 5, result.stderr   # README «Коды завершения»: a step failed
    assert "Цикл выполнен" in result.stdout and "Traceback" not in result.stderr
    assert (tmp_path / "data" / "Журнал обращений.xlsx").exists()


def test_serve_stops_cleanly_on_sigterm(tmp_path):
    example_config(tmp_path, closed_port(), closed_port())
    process = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "OTKLIK_IMAP_PASSWORD": "x", "OTKLIK_SMTP_PASSWORD": "x"})
    time.sleep(3)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "Отклик остановлен" in err and "Traceback" not in err


def test_demo_leaves_ledger_mails_site_and_report(tmp_path):
    result = run("demo", cwd=tmp_path, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    out = tmp_path / "demo-output"
    book = openpyxl.load_workbook(out / "Журнал обращений.xlsx")
    rows = list(book["Журнал"].iter_rows(min_row=2, values_only=True))
    statuses = {row[8] for row in rows if row[0]}
    assert {"Опубликовано", "Не подлежит обработке", "Переведено в обращение"} <= statuses
    assert len(list((out / "Отправленные письма").glob("*.eml"))) >= 4
    assert "Библиотека работает" in (out / "Сайт — Информационные сообщения" / "index.html").read_text("utf-8")
    assert list((out / "data" / "reports").glob("*.xlsx")), "the monthly report is written"
    assert "Напоминаний" in result.stdout
