"""A store that cannot silently vanish (issue 10): deleted, emptied or overwritten as an
administrator might (rm, `: > file`, a bad copy), before a start or under a running service, it
stops the bridge with one Russian line, exit code 3 and the way back, never a new empty store
that restarts the case numbers and rewrites the ledger with 0 rows. `backup DIR` copies the store
while another process writes to it.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.folder import Folder
from tests.servers.dovecot import dovecot  # noqa: F401
from tests.servers.smtp import smtp_sink  # noqa: F401

STORE_NEEDS_A_PERSON = 3


@pytest.fixture
def folder(tmp_path, dovecot, smtp_sink):  # noqa: F811
    return Folder(tmp_path, dovecot, smtp_sink)


def with_cases(folder: Folder, count: int) -> list[str]:
    assert folder.run("once").returncode == 0
    folder.type_new_rows([f"Звонок {n}: на улице Ленина {n} не горят фонари" for n in range(count)])
    done = folder.run("once")
    assert done.returncode == 0, done.stderr[-2000:]
    return sorted(folder.rows())


def assert_one_line(result_errors: str, *words: str) -> str:
    lines = result_errors.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Ошибка: "), result_errors
    assert "Traceback" not in result_errors
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def remove_store(folder: Folder) -> None:
    for path in folder.data.glob("otklik.sqlite3*"):
        if not path.name.endswith(".marker"):
            path.unlink()


def cases_in(path: Path) -> set[str]:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {row[0] for row in db.execute("SELECT id FROM cases")}


@pytest.mark.parametrize("damage", ["deleted", "deleted-with-its-marker", "emptied", "garbage"])
def test_a_start_on_a_missing_empty_or_foreign_store_refuses_and_says_how_to_restore(folder, tmp_path, damage):
    ids = with_cases(folder, 3)
    backup = folder.run("backup", str(tmp_path / "copies"))
    assert backup.returncode == 0, backup.stderr
    ledger_before = folder.ledger.read_bytes()
    if damage.startswith("deleted"):
        remove_store(folder)
        if damage == "deleted-with-its-marker":     # or a data folder from before the marker
            (folder.data / "otklik.sqlite3.marker").unlink()
    elif damage == "emptied":
        remove_store(folder)
        folder.store.write_bytes(b"")
    else:
        folder.store.write_bytes(b"\x00garbage, not a database\xff" * 200)
    for command in (("once",), ("report", "--month", "2026-11"), ("purge", "--before", "2020-01-01")):
        result = folder.run(*command)
        assert result.returncode == STORE_NEEDS_A_PERSON, (command, result.stderr)
        line = assert_one_line(result.stderr, "python run.py backup", "восстановите базу")
        assert ("повреждён" if damage == "garbage" else "следы прежней работы") in line
        if damage == "deleted-with-its-marker":
            assert "строк с номерами: 3" in line, line
    assert folder.ledger.read_bytes() == ledger_before, "the ledger is not rewritten from nothing"
    if damage != "garbage":
        assert not folder.store.exists() or folder.store.stat().st_size == 0, "no new store was created"

    # The way back, as the restore note says: put the copy in place of the store.
    copy = next((tmp_path / "copies").glob("otklik-*.sqlite3"))
    note = next((tmp_path / "copies").glob("*как восстановить.txt")).read_text(encoding="utf-8")
    assert copy.name in note and str(folder.store.resolve()) in note
    remove_store(folder)
    shutil.copy(copy, folder.store)
    again = folder.run("once")
    assert again.returncode == 0, again.stderr[-2000:]
    assert sorted(folder.rows()) == ids


def test_a_first_start_in_an_empty_folder_still_creates_the_store(folder):
    result = folder.run("once")
    assert result.returncode == 0, result.stderr
    assert folder.store.stat().st_size > 0 and (folder.data / "otklik.sqlite3.marker").exists()


def test_a_store_deleted_under_a_running_service_stops_it_and_a_copy_is_rescued(folder):
    ids = with_cases(folder, 5)
    service = folder.start("serve", fast=True)
    folder.wait_for_holder(service)
    time.sleep(0.5)                                        # a cycle or two on the real store
    folder.store.unlink()                                  # rm data/otklik.sqlite3
    _, errors = service.communicate(timeout=60)
    assert service.returncode == STORE_NEEDS_A_PERSON, errors[-3000:]
    assert "Traceback" not in errors
    last = errors.strip().splitlines()[-1]
    assert last.startswith("Ошибка: файл базы «") and "удалён во время работы" in last, last
    rescued = next((folder.data / "backups").glob("otklik-спасено-*.sqlite3"))
    assert str(rescued) in last
    assert cases_in(rescued) == set(ids)
    assert sorted(folder.rows()) == ids, "the ledger still shows every case"

    refused = folder.run("once")                           # systemd would not restart (exit 3) …
    assert refused.returncode == STORE_NEEDS_A_PERSON
    assert_one_line(refused.stderr, "файла базы нет")
    shutil.copy(rescued, folder.store)                     # … the administrator puts the copy back
    assert folder.run("once").returncode == 0
    assert sorted(folder.rows()) == ids


@pytest.mark.parametrize("damage", ["emptied", "replaced"])
def test_a_store_emptied_or_replaced_under_a_running_service_stops_it(folder, tmp_path, damage):
    ids = with_cases(folder, 4)
    service = folder.start("serve", fast=True)
    folder.wait_for_holder(service)
    time.sleep(0.5)
    if damage == "emptied":
        with open(folder.store, "r+b") as file:            # : > data/otklik.sqlite3
            file.truncate(0)
    else:                                                  # cp other.sqlite3 data/otklik.sqlite3 (new inode)
        other = tmp_path / "other.sqlite3"
        sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
        shutil.move(other, folder.store)
    _, errors = service.communicate(timeout=60)
    assert service.returncode == STORE_NEEDS_A_PERSON, errors[-3000:]
    assert "Traceback" not in errors, errors
    last = errors.strip().splitlines()[-1]
    assert ("обнулён" if damage == "emptied" else "заменён другим файлом") in last, last
    assert sorted(folder.rows()) == ids, "the ledger was not rewritten with 0 rows"
    if damage == "replaced":                               # the old store was still open: kept
        assert cases_in(next((folder.data / "backups").glob("otklik-спасено-*.sqlite3"))) == set(ids)
    refused = folder.run("once")                           # and a restart takes neither file for a store
    assert refused.returncode == STORE_NEEDS_A_PERSON, refused.stderr
    assert_one_line(refused.stderr, "база другой программы" if damage == "replaced" else "следы прежней работы")
    assert sorted(folder.rows()) == ids


def test_backup_while_another_process_writes_has_every_case(folder, tmp_path):
    assert folder.run("once").returncode == 0
    count = 300
    folder.type_new_rows([f"Звонок {n}: во дворе дома {n} яма на дороге" for n in range(count)])
    writer = folder.start("once")                          # takes 300 hand-made rows in
    copies = tmp_path / "copies"
    taken = []
    while writer.poll() is None:
        result = folder.run("backup", str(copies / str(len(taken))))
        assert result.returncode == 0, result.stderr
        taken.append(next((copies / str(len(taken))).glob("otklik-*.sqlite3")))
    assert writer.wait() == 0, writer.stderr.read()[-2000:]
    final = folder.run("backup", str(copies / "final"))
    assert final.returncode == 0 and f"обращений: {count}" in final.stdout, final.stdout
    assert taken, "at least one copy was taken while the writer ran"
    seen = []
    for copy in taken:                                     # each copy is one consistent moment
        with sqlite3.connect(copy) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            last = db.execute("SELECT coalesce(max(last), 0) FROM counters").fetchone()[0]
            assert db.execute("SELECT count(*) FROM cases").fetchone()[0] == last
            assert db.execute("SELECT count(DISTINCT case_id) FROM history").fetchone()[0] == last
            seen.append(last)
    print("cases in the copies taken while writing:", seen)
    assert cases_in(next((copies / "final").glob("otklik-*.sqlite3"))) == set(folder.rows())


def test_backup_refuses_without_a_store_and_into_an_unwritable_place(folder, tmp_path):
    result = folder.run("backup", str(tmp_path / "copies"))
    assert result.returncode == STORE_NEEDS_A_PERSON
    assert_one_line(result.stderr, "копировать нечего")
    assert not folder.store.exists(), "backup creates no store"
    assert folder.run("once").returncode == 0
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = folder.run("backup", str(blocker / "copies"))
    assert result.returncode == 2
    assert_one_line(result.stderr, "копию не удаётся записать")


def test_a_read_only_data_folder_is_one_line_and_backup_still_works(folder, tmp_path):
    ids = with_cases(folder, 2)
    with _read_only(folder):
        for command in (("once",), ("serve",), ("purge", "--before", "2020-01-01")):
            result = folder.run(*command, timeout=60)
            assert result.returncode == 2, (command, result.stderr)   # not the store's fault: 2, not 3
            assert_one_line(result.stderr, "только для чтения")
        report = folder.run("report", "--month", "2026-11")
        line = assert_one_line(report.stderr, "не удаётся открыть на запись")
        assert "повреждён" not in line, "a sound store is never called damaged"
        backup = folder.run("backup", str(tmp_path / "copies"))
        assert backup.returncode == 0, backup.stderr
    assert cases_in(next((tmp_path / "copies").glob("otklik-*.sqlite3"))) == set(ids)


@contextlib.contextmanager
def _read_only(folder: Folder):
    data = str(folder.data)
    if shutil.which("mount") is None or subprocess.run(["mount", "--bind", data, data],
                                                       capture_output=True).returncode:
        pytest.skip("bind mounts are not allowed here")
    try:
        if subprocess.run(["mount", "-o", "remount,ro,bind", data], capture_output=True).returncode:
            pytest.skip("a read-only remount is not allowed here")
        yield
    finally:
        subprocess.run(["umount", data], capture_output=True)
