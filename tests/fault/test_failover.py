"""The hot standby (issue 15): two services of one administration on one PostgreSQL; the one
holding the advisory lock works, the other waits. Across the kill -9 workload of
test_kill_anywhere.py (three channels, six pages, mail, the operator in the workbook) the leader
is SIGKILLed ten times; each time the standby takes over and a new standby is started in the
place of the dead one. At the end: every message one case, every answer once, every decision
once, no publication twice, the outbox drained — and the takeover times printed.

Shared storage: both services use one data folder and one ledger (a network share in a real
region): the new leader goes on with the attachments and raw mail the old one kept and with the
operator's workbook; the ledger's write snapshots, the cursors and the outbox are in the database.

    OTKLIK_FAILOVERS=10 python -m pytest tests/fault/test_failover.py -s
"""

from __future__ import annotations

import os
import random
import statistics
import time
from pathlib import Path

from bridge.storage.pg import LOCK_CLASS, PgStore
from standins.ok_api import FakeOk
from standins.telegram_api import FakeTelegram
from standins.vk_api import FakeVk
from tests.e2e_mail.loop import BRIDGE_ADDRESS, PASSWORD
from tests.fault.test_kill_anywhere import (WAVES, Service, check_everything_once, child_environment, store_value,
                                            wait_for, write_config)
from tests.fault.workload import People
from tests.servers import postgres
from tests.servers.postgres import pg  # noqa: F401
from tests.storage_backend import query

FAILOVERS = int(os.environ.get("OTKLIK_FAILOVERS", "10"))
SEED = int(os.environ.get("OTKLIK_FAILOVER_SEED", "15"))
ALIVE = (1.0, 3.0)                  # seconds a leader lives before it is killed
TAKEOVER_LIMIT = 30.0               # the bound
BUDGET = 60 + 12 * FAILOVERS


def leader_pid(store: dict) -> int | None:
    """The process holding the administration's advisory lock (its application name ends in its PID)."""
    rows = query(Path("."), "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
                            "AND l.classid::bigint = ? AND l.objid::bigint = ?",
                 (LOCK_CLASS, store["key"] & 0xFFFFFFFF), url=store["url"], schema=store["schema"])
    return int(rows[0][0].split()[-1]) if rows else None


def test_the_standby_takes_over_after_kill_9_and_nothing_is_lost_or_doubled(tmp_path, pg, dovecot, smtp_sink):  # noqa: F811
    dovecot.add_user(BRIDGE_ADDRESS, PASSWORD)
    schema = "failover"
    pg.psql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    probe = PgStore(pg.url(), schema, postgres.PASSWORD)          # the schema made before both start
    key = probe._leader_key()[1]
    probe.close()
    store = {"url": pg.url(), "schema": schema, "key": key}
    with FakeVk() as vk, FakeTelegram() as tg, FakeOk() as ok:
        config = write_config(tmp_path, dovecot, smtp_sink.port, vk, tg, ok)
        config.write_text(config.read_text(encoding="utf-8") + f'\n[store]\nurl = "{pg.url()}"\nschema = "{schema}"\n'
                          f'password_env = "{postgres.PASSWORD_ENV}"\n', encoding="utf-8")
        env = {**child_environment(vk, tg, ok), postgres.PASSWORD_ENV: postgres.PASSWORD}
        data_dir = tmp_path / "data"
        services: list[Service] = []

        def start() -> Service:
            logs = tmp_path / f"logs-{len(services)}"
            logs.mkdir()
            service = Service(config, env, logs)
            service.start()
            services.append(service)
            return service

        running = [start(), start()]
        takeovers: list[float] = []
        try:
            wait_for(lambda: store_value(data_dir, "cursor.vk", url=pg.url(), schema=schema), 30, "the first cycle")
            people = People(vk, tg, ok, smtp_sink, dovecot, data_dir / "Журнал обращений.xlsx",
                            store={"url": pg.url(), "schema": schema})
            rng = random.Random(SEED)
            started, next_kill = time.monotonic(), time.monotonic() + rng.uniform(*ALIVE)
            while not (len(takeovers) >= FAILOVERS and people.written == 6 * WAVES and people.all_published()):
                assert time.monotonic() - started < BUDGET, f"workload not done: {people.progress()}"
                if people.written < 6 * WAVES and len(takeovers) >= (people.written // 6) * FAILOVERS // WAVES:
                    people.write_wave()
                people.step()
                if len(takeovers) < FAILOVERS and time.monotonic() >= next_kill:
                    takeovers.append(kill_the_leader(running, store))
                    running.append(start())                        # the dead one comes back as the standby
                    next_kill = time.monotonic() + rng.uniform(*ALIVE)
                time.sleep(0.05)
            time.sleep(2.5)
            people.step()
            for service in running:
                service.stop()
        finally:
            for service in services:
                service.end()
        check_everything_once(data_dir, people, vk, tg, ok, smtp_sink, len(takeovers),
                              store=PgStore(pg.url(), schema, postgres.PASSWORD))
    print(f"\nfailover x{len(takeovers)}: takeover median {statistics.median(takeovers):.2f} s, "
          f"max {max(takeovers):.2f} s")
    assert max(takeovers) < TAKEOVER_LIMIT


def kill_the_leader(running: list[Service], store: dict) -> float:
    """SIGKILL whichever service leads; seconds until the standby holds the lock."""
    wait_for(lambda: leader_pid(store) in {s.process.pid for s in running}, TAKEOVER_LIMIT, "a leader")
    pid = leader_pid(store)
    leader = next(s for s in running if s.process.pid == pid)
    killed = time.monotonic()
    leader.kill()
    running.remove(leader)
    wait_for(lambda: leader_pid(store) in {s.process.pid for s in running}, TAKEOVER_LIMIT, "the takeover")
    return time.monotonic() - killed
