"""The administrator's first hour (issue 16): the configuration files Windows editors really save,
typos, a cron job that must notice an outage, a folder without config.toml, Russian messages from
the command line itself, and a terminal that would otherwise wait in silence. Every test runs
`python run.py …` in its own process on real files."""

from __future__ import annotations

import logging
import os
import pty
import re
import subprocess
import sys
import time

import pytest

from bridge.channels import KNOWN_KEYS as CHANNEL_KEYS
from bridge.config import KNOWN_KEYS
from tests.cli.configs import (EXAMPLE, ROOT, closed_port, drop_section, example_config, fill, keys_by_section,
                               run)

SECRETS = {"OTKLIK_IMAP_PASSWORD": "x", "OTKLIK_SMTP_PASSWORD": "x"}


def problems_of(result) -> list[str]:
    """The numbered problem lines of a refused configuration (or its one line)."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    head, *more = result.stderr.strip().splitlines()
    assert head.startswith("Ошибка: "), head
    return [re.sub(r"^\s+\d+\. ", "", line) for line in more] or [head]


def config_text(tmp_path) -> str:
    return example_config(tmp_path, closed_port(), closed_port()).read_text(encoding="utf-8")


# -- what Windows editors save -------------------------------------------------------------------

def test_a_utf8_file_with_a_bom_is_read(tmp_path):
    text = config_text(tmp_path)
    notepad = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")   # «UTF-8 с BOM», CRLF
    (tmp_path / "config.toml").write_bytes(notepad)
    result = run("check-config", cwd=tmp_path, env=SECRETS)
    assert result.returncode == 1, result.stderr          # the file is fine; the servers are not there
    assert result.stdout.splitlines()[0] == "ок     Настройки (config.toml)"
    assert "SMTP (отправка)" in result.stdout and "Traceback" not in result.stderr


def test_a_cp1251_file_is_explained_with_the_fix(tmp_path):
    (tmp_path / "config.toml").write_bytes(config_text(tmp_path).replace("\n", "\r\n").encode("cp1251"))   # «ANSI»
    (line,) = problems_of(run("check-config", cwd=tmp_path))
    assert "не в кодировке UTF-8" in line and "Windows-1251" in line
    assert "Сохранить как" in line and "UTF-8" in line
    assert "первый такой символ — в строке 1" in line      # the first comment line is Russian


@pytest.mark.parametrize("path", [r"C:\Users\oso\Журнал обращений.xlsx",      # \U: an error in TOML
                                  r"C:\Otklik\data\Журнал обращений.xlsx",    # \O: an error too
                                  r"C:\new\table.xlsx"])                     # \n, \t: valid escapes!
def test_a_windows_path_with_backslashes_gets_both_fixes(tmp_path, path):
    text = config_text(tmp_path).replace('ledger = "data/Журнал обращений.xlsx"', f'ledger = "{path}"')
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    (line,) = problems_of(run("check-config", cwd=tmp_path))
    assert "ledger" in line and "обратной косой чертой" in line
    assert f"ledger = '{path}'" in line                          # single quotes: a literal string
    assert f'ledger = "{path.replace(chr(92), "/")}"' in line    # or forward slashes
    fixed = text.replace(f'ledger = "{path}"', f"ledger = '{path}'")
    (tmp_path / "config.toml").write_text(fixed, encoding="utf-8")
    assert run("check-config", cwd=tmp_path, env=SECRETS).returncode == 1   # read now; only servers fail


def test_a_misspelt_key_names_the_closest_one(tmp_path):
    text = config_text(tmp_path).replace("imap_host =", "imap_hots =")
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    (line,) = problems_of(run("check-config", cwd=tmp_path))
    assert line.endswith("mail.imap_hots: неизвестный параметр (может быть, «imap_host»?)")


def test_every_problem_of_a_file_is_reported_in_one_pass(tmp_path):
    text = (config_text(tmp_path)
            .replace("imap_host =", "imap_hots =")
            .replace('ledger = "data/Журнал обращений.xlsx"', r'ledger = "C:\Users\oso\Журнал.xlsx"')
            .replace('timezone = "Asia/Sakhalin"', 'timezone = "Asia/Okha"')
            .replace("imap_port = ", "imap_port ")                    # a syntax error …
            .replace('smtp_security = "none"', "smtp_security = none")  # … and another one
            .replace("[reminders]", "[remiders]"))
    (tmp_path / "config.toml").write_bytes(text.encode("cp1251"))
    found = problems_of(run("check-config", cwd=tmp_path))
    expected = ["не в кодировке UTF-8", "ledger: путь Windows", "«imap_port ", "«smtp_security = none»",
                "mail.imap_hots", "[remiders] (может быть, «reminders»?)", "«Asia/Okha»"]
    for fragment in expected:
        assert len([line for line in found if fragment in line]) == 1, (fragment, found)
    assert len(found) == len(expected), found


# -- cron and the Task Scheduler -------------------------------------------------------------------

def test_once_with_every_server_unreachable_exits_5_and_says_each_thing_once(tmp_path):
    port = closed_port()
    text = example_config(tmp_path, port, port, channels=True).read_text(encoding="utf-8")
    text = drop_section(drop_section(text, "vk"), "ok")
    text = fill(text, "telegram", "api_url", f"http://127.0.0.1:{port}")
    # After 09:30 Сахалин on a working day the operator's digest is due, and its failed sending
    # would be a third «Внимание» (отправка): out of working hours it is never due.
    text = fill(text, "reminders", "digest_time", "23:59")
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    result = run("once", cwd=tmp_path, env={**SECRETS, "OTKLIK_TG_TOKEN": "123:abc"})
    assert result.returncode == 5, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Внимание: ")]
    assert len(warnings) == 2, result.stderr                       # the mailbox and the channel
    assert any(f"IMAP 127.0.0.1:{port}" in line for line in warnings)
    assert any(line.startswith("Внимание: соцсети: telegram") for line in warnings)
    assert result.stderr.count(f"IMAP 127.0.0.1:{port}") == 1      # not again as a log line
    assert "Код завершения 5" in result.stderr and "Traceback" not in result.stderr


def test_serve_logs_a_lasting_outage_with_back_off(tmp_path):
    """The mailbox is down for the whole run: the service retries every 5 s (and runs a cycle on
    each pass) but the log says so once, not on every attempt."""
    example_config(tmp_path, closed_port(), closed_port())
    service = subprocess.Popen([sys.executable, str(ROOT / "tests" / "e2e" / "child_run.py"), "serve"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **SECRETS, "OTKLIK_TEST_CYCLE": "0.3"})
    time.sleep(16)                       # three or four 5-second waits, one cycle after each
    service.terminate()
    _, log = service.communicate(timeout=60)
    assert service.returncode == 0, log
    outage = [line for line in log.splitlines() if "IMAP 127.0.0.1" in line]
    assert len(outage) == 1, log         # the wait for mail and the cycle's «почта» are the same outage
    assert "WARNING otklik.service: почта: IMAP 127.0.0.1" in outage[0]


# -- no configuration ----------------------------------------------------------------------------

@pytest.mark.parametrize("command", [("once",), ("serve",), ("check-config",), ("report", "--month", "2026-11"),
                                     ("purge", "--before", "2020-01-01"), ("backup", "copies")])
def test_commands_on_real_data_refuse_the_demo_configuration(tmp_path, command):
    result = run(*command, cwd=tmp_path, timeout=60)
    assert result.returncode == 2, (result.stdout, result.stderr)
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Ошибка: нет файла настроек config.toml") and "config.example.toml" in line
    assert "python run.py demo" in line
    assert not (tmp_path / "data").exists() and not (tmp_path / "copies").exists()   # nothing was started


def test_the_demo_commands_still_work_without_a_file(tmp_path):
    assert run("deadline", "triage", "2026-11-27T17:00+11:00", cwd=tmp_path).stdout == "2026-11-30T11:00:00+11:00\n"


# -- the command line speaks Russian ---------------------------------------------------------------

ENGLISH = ("usage", "error", "required", "invalid choice", "unrecognized", "expected", "arguments", "options")


@pytest.mark.parametrize("args, fragment", [
    ((), "не хватает обязательных аргументов: команда"),
    (("sevre",), "неизвестное значение 'sevre'"),
    (("report",), "не хватает обязательных аргументов: --month"),
    (("once", "--frobnicate"), "лишние или неизвестные аргументы: --frobnicate"),
    (("deadline", "answer", "--config"), "аргумент --config: нужно одно значение"),
])
def test_argparse_errors_are_russian(tmp_path, args, fragment):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert fragment in result.stderr, result.stderr
    assert result.stderr.startswith("Использование: run.py") and "Ошибка: " in result.stderr
    assert not any(word in result.stderr.lower() for word in ENGLISH), result.stderr


@pytest.mark.parametrize("args", [("--help",), ("deadline", "--help"), ("check-config", "--help")])
def test_help_is_russian(tmp_path, args):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("Использование: run.py") and "показать эту справку и выйти" in result.stdout
    assert not any(word in result.stdout.lower() for word in ENGLISH), result.stdout


@pytest.mark.parametrize("command", ["hint", "deadline answer"])
def test_no_arguments_on_a_terminal_prints_the_usage_instead_of_waiting(tmp_path, command):
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, str(ROOT / "run.py"), *command.split()], cwd=tmp_path,
                               stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    os.close(follower)
    try:
        out, err = process.communicate(timeout=60)     # would hang for ever if it read the terminal
    finally:
        os.close(leader)
    assert process.returncode == 2, err
    assert err.startswith(f"Использование: run.py {command.split()[0]}") and "через stdin" in err
    assert out == ""


def test_no_arguments_from_a_pipe_still_reads_stdin(tmp_path):
    result = run("hint", cwd=tmp_path, stdin="Третий день нет отопления\n")
    assert result.returncode == 0 and '"department": "zhkh"' in result.stdout


# -- config.example.toml ---------------------------------------------------------------------------

def test_the_example_names_every_key_the_code_knows_and_no_other():
    named = keys_by_section(EXAMPLE.read_text(encoding="utf-8"))
    known = {**KNOWN_KEYS, **CHANNEL_KEYS}
    assert set(named) == set(known)
    for section, keys in known.items():
        assert named[section] == set(keys), (section, set(keys) ^ named[section])


def test_the_example_is_valid_as_it_ships(tmp_path):
    """Only its servers and secrets are placeholders: the file itself passes the checks."""
    (tmp_path / "config.toml").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    result = run("check-config", cwd=tmp_path, timeout=60)
    assert result.returncode == 1 and result.stdout.startswith("ок     Настройки (config.toml)"), result.stderr
    assert "Traceback" not in result.stderr



def test_a_key_given_twice_and_an_open_quote_name_their_lines(tmp_path):
    """tomllib names no line for a repeated key («at end of document»): the line is found anyway,
    and nothing about values the broken file only seems to lack is added."""
    lines = config_text(tmp_path).split("\n")
    port = next(n for n, line in enumerate(lines) if line.startswith("imap_port = "))
    lines.insert(port + 1, "imap_port = 994")
    prefix = next(n for n, line in enumerate(lines) if line.startswith("case_prefix = "))
    lines[prefix] = 'case_prefix = "OKH'
    (tmp_path / "config.toml").write_text("\n".join(lines), encoding="utf-8")
    found = problems_of(run("check-config", cwd=tmp_path))
    assert found == [f"строка {prefix + 1}: «case_prefix = \"OKH»: не закрыта кавычка: текст в кавычках должен "
                     "кончаться в той же строке (Illegal character '\\n')",
                     f"строка {port + 2}: «imap_port = 994»: параметр или раздел задан дважды — оставьте один "
                     "(Cannot overwrite a value)"]


def test_a_binary_file_is_refused_without_control_bytes_on_the_terminal(tmp_path):
    (tmp_path / "config.toml").write_bytes(bytes(range(256)) * 8)
    found = problems_of(run("check-config", cwd=tmp_path))
    assert found[0].startswith("файл сохранён не в кодировке UTF-8")
    assert not any(ord(c) < 32 for line in found for c in line)


def test_a_night_long_outage_is_a_dozen_log_lines(caplog):
    """Eight hours of an attempt every 5 seconds (5,760 attempts): logged at once, then after the
    outbox's back-off (30 s, 1 min, 2 min … 1 h), and once when it is over."""
    from bridge.serve import Repeats
    caplog.set_level(logging.INFO, "otklik.service")
    clock = [0.0]
    repeats = Repeats(clock=lambda: clock[0])
    for _ in range(8 * 3600 // 5):
        repeats.problem("problem:почта: IMAP", "почта: IMAP mail.example.ru:993: сервер недоступен")
        clock[0] += 5
    repeats.settled("problem:почта: IMAP", "почта")
    lines = [record.getMessage() for record in caplog.records]
    assert 10 <= len(lines) <= 16, lines
    assert lines[0] == "почта: IMAP mail.example.ru:993: сервер недоступен"
    assert lines[1] == "почта: IMAP mail.example.ru:993: сервер недоступен (повторяется уже 30 с, с прошлой записи — 6 раз)"
    assert lines[-1] == "почта: снова в порядке (проблема длилась 8 ч 0 мин)"


def test_no_stdin_at_all_prints_the_usage_too(tmp_path):
    result = subprocess.run(f'"{sys.executable}" "{ROOT / "run.py"}" hint <&-', shell=True, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("Использование: run.py hint")
