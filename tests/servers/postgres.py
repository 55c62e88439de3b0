"""A throwaway PostgreSQL cluster on a free loopback port, for the store's tests and the benches.

`initdb` into a temporary folder, `pg_ctl start` on 127.0.0.1 and a random port, password
authentication (scram) for the one role `otklik`, whose password the product reads from the
environment like every secret. Root cannot run the server: as root the cluster is made and run
as the `postgres` user Debian's package creates (`runuser`). Requires Debian's `postgresql`
package (CI installs it); the binaries are found under /usr/lib/postgresql/<version>/bin.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROLE = "otklik"
PASSWORD = "pg-test-secret"
PASSWORD_ENV = "OTKLIK_TEST_PG_PASSWORD"


def binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def why_unavailable() -> str | None:
    """None when a cluster can be started here, else the reason in one line."""
    if binaries() is None:
        return "PostgreSQL is not installed (Debian: apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to run the server as"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Cluster:
    root: Path
    port: int
    bin: Path

    def url(self, database: str = "otklik") -> str:
        return f"postgresql://{ROLE}@127.0.0.1:{self.port}/{database}"

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            command = ("runuser", "-u", "postgres", "--", *command)
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def psql(self, statement: str, database: str = "otklik") -> str:
        env = dict(os.environ, PGPASSWORD=PASSWORD)
        done = subprocess.run([str(self.bin / "psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                               "-p", str(self.port), "-U", ROLE, "-d", database, "-c", statement],
                              check=True, capture_output=True, text=True, env=env, timeout=60)
        return done.stdout

    def stop(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop",
                 check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def start(fsync: bool = False) -> Cluster:
    """A running cluster with the database `otklik` owned by the role `otklik` (a superuser,
    like the administrator who prepares a region's database). `fsync=False` for tests (a crash
    of the machine is not what they test); the benches keep PostgreSQL's durable defaults."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError(why_unavailable())
    root = Path(tempfile.mkdtemp(prefix="otklik-pg-"))
    os.chmod(root, 0o755)
    (root / "pw").write_text(PASSWORD)
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        os.chown(root / "pw", owner.pw_uid, owner.pw_gid)
    cluster = Cluster(root, _free_port(), bin_dir)
    data = root / "data"
    cluster.run(str(bin_dir / "initdb"), "-D", str(data), "-U", ROLE, f"--pwfile={root / 'pw'}",
                "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
    options = (f"-c listen_addresses=127.0.0.1 -c port={cluster.port} -c unix_socket_directories={root} "
               f"-c max_connections=200 -c fsync={'on' if fsync else 'off'}")
    if not fsync:
        options += " -c synchronous_commit=off -c full_page_writes=off"
    started = cluster.run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-o", options,
                          "-w", "-t", "60", "start", check=False)
    if started.returncode:
        log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
        cluster.stop()
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr} {log[-2000:]}")
    cluster.psql("CREATE DATABASE otklik", database="postgres")
    return cluster


@pytest.fixture(scope="session")
def pg(request):
    """The cluster: the one a `--store=postgresql` run started, or one for these tests. Skips
    only when PostgreSQL truly cannot run here (not installed; root without a postgres user)."""
    started = getattr(request.config, "_otklik_pg", None)
    if started is not None:
        yield started
        return
    why = why_unavailable()
    if why:
        pytest.skip(f"PostgreSQL cannot be started here: {why}")
    cluster = start()
    os.environ.setdefault(PASSWORD_ENV, PASSWORD)
    yield cluster
    cluster.stop()
