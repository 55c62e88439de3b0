"""A region on one PostgreSQL (issue 15): administrations isolated by schema and role, an SQLite
store moved over by `migrate-store`, the leadership an advisory lock that dies with its session,
and an outbox that several workers share without doubling."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from bridge.core.model import Case
from bridge.storage import outbox
from bridge.storage.instance import InstanceBusy
from bridge.storage.pg import PgStore
from bridge.storage.store import MIGRATIONS, Store
from tests.servers import postgres
from tests.storage_pg.conftest import new_schema, pg_store

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)


def add(store, n: int, text: str = "Жалоба") -> Case:
    case = Case(id=store.next_case_id("OKH", 2026), channel="vk", external_id=str(n), posted_at=T0, text=text)
    with store.transaction():
        store.add(case, "тест", at=T0)
        store.remember_item("vk", str(n), case.id)
    return case


def test_administrations_see_nothing_of_each_other(pg):
    """Each administration its own role and schema, as README «Региональное развёртывание» sets up."""
    for name in ("okha", "nogliki"):
        pg.psql(f"DROP SCHEMA IF EXISTS {name} CASCADE; DROP ROLE IF EXISTS {name}; "
                f"CREATE ROLE {name} LOGIN PASSWORD '{name}-pw'; CREATE SCHEMA {name} AUTHORIZATION {name}")
    okha = PgStore(pg.url().replace(f"{postgres.ROLE}@", "okha@"), "okha", "okha-pw")
    nogliki = PgStore(pg.url().replace(f"{postgres.ROLE}@", "nogliki@"), "nogliki", "nogliki-pw")
    try:
        add(okha, 1, "Охинская жалоба")
        with okha.transaction():
            okha.set_value("cursor.vk", 41)
        assert nogliki.all_cases() == [] and nogliki.get_value("cursor.vk") is None
        assert add(nogliki, 1).id == "OKH-2026-00001"      # its own numbering
        assert [c.text for c in okha.all_cases()] == ["Охинская жалоба"]
        for table in ("okha.cases", "okha.kv"):               # not even by naming the other schema
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                nogliki.db.execute(f"SELECT * FROM {table}")
        assert okha.try_lead() and nogliki.try_lead()          # one leader per administration
    finally:
        okha.close()
        nogliki.close()


def test_migrate_store_copies_everything_and_checks_it(pg, tmp_path):
    data = tmp_path / "data"
    store = Store(data / "otklik.sqlite3")
    cases = [add(store, n, f"Текст {n} «кавычки» 'и' \\ обратная черта") for n in range(1, 31)]
    cases[0].status, cases[0].department = "routed", "zhkh"
    store.save(cases[0], "оператор", "правка", at=T0)
    outbox.enqueue(store, "mail:1", "email", {"to": "a@b.ru", "now": T0}, cases[0].id, T0)
    store.remember_mail("<r@x>", cases[0].id, "reply", T0, "raw/r.eml", "")
    with store.transaction():
        store.alert("ledger", "Журнал открыт", key="l:1", at=T0)
        store.set_value("vk.cursor", {"ts": "1700"})
    store.keep_ledger_snapshot(7, T0, bytes(range(256)), kept=3)
    store.close()
    config = tmp_path / "config.toml"
    config.write_text(f'[general]\ndata_dir = "{data}"\n[[departments]]\ncode = "zhkh"\nname = "ЖКХ"\n'
                      'emails = ["zhkh@adm.ru"]\n', encoding="utf-8")
    env = dict(os.environ, **{postgres.PASSWORD_ENV: postgres.PASSWORD})
    schema = new_schema()

    def migrate():
        return subprocess.run([sys.executable, "run.py", "migrate-store", "--config", str(config), "--to", pg.url(),
                               "--schema", schema, "--password-env", postgres.PASSWORD_ENV],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    done = migrate()
    assert done.returncode == 0, done.stderr
    assert "контрольные суммы всех таблиц совпадают" in done.stdout and "НЕ СОВПАДАЕТ" not in done.stdout
    assert "cases          строк      30" in done.stdout
    target = pg_store(pg, schema)
    try:
        assert [c.id for c in target.all_cases()] == [c.id for c in cases]
        assert target.get(cases[0].id) == cases[0] and target.history_count() == 32
        assert [i.key for i in outbox.due_items(target, T0)] == ["mail:1"]
        assert bytes(target.ledger_snapshot(7)) == bytes(range(256))
        assert target.get_value("vk.cursor") == {"ts": "1700"} and target.raw_mail_paths(cases[0].id) == ["raw/r.eml"]
        assert add(target, 99).id == "OKH-2026-00031"        # numbering and identities go on
        outbox.enqueue(target, "mail:2", "email", {}, "", T0)
        assert [r["id"] for r in target.outbox_items("")] == [2]
    finally:
        target.close()
    again = migrate()                                         # never into a schema that has data
    assert again.returncode != 0 and "уже есть данные" in again.stderr and "Traceback" not in again.stderr


def test_a_second_instance_is_refused_and_the_standby_takes_over_after_kill_9(pg):
    schema = new_schema()
    leader = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from bridge.storage.pg import PgStore\n"
        f"s = PgStore({pg.url()!r}, {schema!r}, {postgres.PASSWORD!r}, 'serve')\n"
        "assert s.lead(wait=False); print('leading', flush=True); time.sleep(600)")],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert leader.stdout.readline().strip() == "leading"
        standby = pg_store(pg, schema, "serve")
        with pytest.raises(InstanceBusy, match="уже работает другой экземпляр"):
            standby.lead(wait=False)
        took: list[float] = []
        waiting = threading.Thread(target=lambda: took.append(standby.lead(wait=True, poll=0.2) and time.monotonic()))
        waiting.start()
        time.sleep(1)
        assert not took
        killed = time.monotonic()
        os.kill(leader.pid, signal.SIGKILL)
        waiting.join(30)
        assert took and took[0] - killed < 5, "the standby took over within seconds of the kill"
        assert standby.leading
        standby.close()
    finally:
        leader.kill()
        leader.wait()


def test_a_leader_whose_session_ends_stops(pg):
    from bridge.storage.instance import InstanceLost
    store = pg_store(pg)
    assert store.lead(wait=False)
    pid = store.db.execute("SELECT pg_backend_pid()").fetchone()[0]
    other = pg_store(pg)
    other.db.execute("SELECT pg_terminate_backend(?)", (pid,))
    with pytest.raises(InstanceLost, match="резервный"):
        store.check_file()
    other.close()


def test_several_workers_share_the_outbox_without_doubling(pg):
    schema = new_schema()
    workers = [pg_store(pg, schema) for _ in range(3)]
    for n in range(300):
        outbox.enqueue(workers[0], f"k{n}", "email", {"n": n}, "", T0)
    sent: list[tuple[int, int]] = []
    lock = threading.Lock()

    def handler_of(worker: int):
        def handle(payload: dict) -> dict:
            with lock:
                sent.append((worker, payload["n"]))
            time.sleep(0.001)
            return {"ok": True}
        return handle

    def work(worker: int) -> None:
        runner = outbox.OutboxRunner(workers[worker], {"email": handler_of(worker)})
        while runner.run(T0 + timedelta(seconds=1), limit=10):
            pass

    threads = [threading.Thread(target=work, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(n for _, n in sent) == list(range(300)), "every item once, none twice"
    assert len({w for w, _ in sent}) > 1, "the work was shared"
    assert {r["state"] for r in workers[0].outbox_items("")} == {"done"}
    for worker in workers:
        worker.close()


def _config_with_store(tmp_path: Path, store: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'[general]\ndata_dir = "{tmp_path / "data"}"\n[[departments]]\ncode = "zhkh"\n'
                      f'name = "ЖКХ"\nemails = ["zhkh@adm.ru"]\n[store]\n{store}\n', encoding="utf-8")
    return config


def _run(config: Path, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "run.py", *command, "--config", str(config)], cwd=ROOT, timeout=60,
                          env=dict(os.environ, **{postgres.PASSWORD_ENV: postgres.PASSWORD}),
                          capture_output=True, text=True)


def test_a_database_that_does_not_answer_is_one_line_and_a_restartable_exit(tmp_path):
    port = postgres._free_port()
    config = _config_with_store(tmp_path, f'url = "postgresql://okha@127.0.0.1:{port}/otklik"\nschema = "okha"\n'
                                          f'password_env = "{postgres.PASSWORD_ENV}"')
    done = _run(config, "once")
    assert done.returncode == 6, done.stderr
    assert done.stderr.startswith("Ошибка: к базе PostgreSQL 127.0.0.1") and "сервер не отвечает" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("store, words", [
    ('url = "postgresql://okha:secret@db/otklik"\nschema = "okha"', "пароль в настройках не хранится"),
    ('url = "mysql://okha@db/otklik"\nschema = "okha"', "только PostgreSQL"),
    ('url = "postgresql://okha@db/otklik"\nschema = "Охинский"', "store.schema"),
    ('schema = "okha"', "нужен url"),
])
def test_store_settings_are_checked(tmp_path, store, words):
    done = _run(_config_with_store(tmp_path, store), "once")
    assert done.returncode == 2 and words in done.stderr and "secret" not in done.stderr, done.stderr


def test_the_store_password_comes_only_from_the_environment(pg, tmp_path):
    config = _config_with_store(tmp_path, f'url = "{pg.url()}"\nschema = "{new_schema()}"\npassword_env = "NO_SUCH_VAR"')
    done = _run(config, "once")
    assert done.returncode == 2 and "NO_SUCH_VAR" in done.stderr, done.stderr
    config = _config_with_store(tmp_path, f'url = "{pg.url()}"\nschema = "{new_schema()}"\n'
                                          f'password_env = "{postgres.PASSWORD_ENV}"')
    done = _run(config, "once")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "data" / "otklik.sqlite3").exists(), "nothing of the store in the data folder"


def test_one_schema_on_both_engines(pg, tmp_path):
    """store.py's migrations are the one definition: the same tables, columns and indexes."""
    from bridge.storage.transfer import TABLES
    lite, base = Store(tmp_path / "otklik.sqlite3"), pg_store(pg)
    try:
        lite_columns = {t: [r[1] for r in lite.db.execute(f"PRAGMA table_info({t})")] for t in TABLES}
        pg_columns = {t: [r[0] for r in base.db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position", (base.schema, t))] for t in TABLES}
        assert lite_columns == pg_columns
        lite_indexes = {r[0] for r in lite.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
        pg_indexes = {r[0] for r in base.db.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = ? AND indexname NOT LIKE '%pkey' "
            "AND indexname NOT LIKE '%key'", (base.schema,))}
        assert lite_indexes == pg_indexes
        assert base.schema_version() == lite.schema_version()
    finally:
        lite.close()
        base.close()


def test_instances_starting_together_prepare_the_schema_once(pg):
    """The leader and the standby start at the same moment on a schema that does not exist yet."""
    schema, opened, failed = new_schema(), [], []

    def open_one() -> None:
        try:
            opened.append(pg_store(pg, schema))
        except Exception as exc:   # noqa: BLE001 - the test reports it
            failed.append(exc)

    for _ in range(3):
        threads = [threading.Thread(target=open_one) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert not failed and len(opened) == 12
    assert {store.schema_version() for store in opened} == {len(MIGRATIONS)}
    for store in opened:
        store.close()


def test_the_latest_moment_index_reads_each_case_once_and_serves_the_clock_query(pg):
    """`cases_latest` on PostgreSQL is `latest_moment(data, closed_at)` (one parse of the JSON per
    case written); the clock's query is put in the same words, so the index serves it; a schema
    made with the spelled-out index gets the new one at its next start, with the same answers."""
    schema = new_schema()
    store = pg_store(pg, schema)
    cases = [add(store, n) for n in range(3)]
    store.close()
    with psycopg.connect(pg.url(), password=postgres.PASSWORD, autocommit=True) as raw:
        raw.execute(f"SET search_path = {schema}")
        assert "latest_moment(data, closed_at)" in raw.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'cases_latest' AND schemaname = %s",
            (schema,)).fetchone()[0]
        raw.execute("SET enable_seqscan = off")
        plan = "\n".join(row[0] for row in raw.execute(
            "EXPLAIN SELECT id FROM cases WHERE latest_moment(data, closed_at) > julianday('2026-11-01')"))
        assert "cases_latest" in plan, plan
        # As a schema of before: the index spelled out.
        from bridge.storage.pg import _ddl
        from bridge.storage.store import LATEST_MOMENT
        raw.execute("DROP INDEX cases_latest")
        raw.execute(_ddl(f"CREATE INDEX cases_latest ON cases ({LATEST_MOMENT})").replace(
            "latest_moment(data, closed_at)", f"({LATEST_MOMENT})"))
        assert "latest_moment" not in raw.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'cases_latest' AND schemaname = %s",
            (schema,)).fetchone()[0]
    store = pg_store(pg, schema)
    try:
        assert [c.id for c in store.cases_with_moments_after(T0 - timedelta(hours=1))] == [c.id for c in cases]
        assert store.cases_with_moments_after(T0 + timedelta(hours=1)) == []
    finally:
        store.close()
    with psycopg.connect(pg.url(), password=postgres.PASSWORD, autocommit=True) as raw:
        assert "latest_moment(data, closed_at)" in raw.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'cases_latest' AND schemaname = %s",
            (schema,)).fetchone()[0]
