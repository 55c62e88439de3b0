"""Benchmark a burst of 10,000 messages on one VK community into cases, hints and the ledger.

Run from the repository root:  python bench/burst.py [--messages N] [--history N] [--no-extras]

The citizens' comments are posted on the VK stand-in (standins/vk_api.py); the bridge's real
`VkChannel` long-polls them through `App.take_channels` (one long-poll check per call, as in a
cycle) until every one is a case with its hint, then one `run_cycle` writes the ledger. Printed for
the whole path and for each stage (fetch, intake + hints, ledger write): messages per second and
resident-memory growth, each beside a baseline measured in the same run:

- fetch         ↔ bare `requests` GETs of the same long-poll pages + `json.loads`
                  (and `json.loads` alone of the same bodies);
- intake+hints  ↔ bare SQLite inserts of the same case rows (same JSON) into a fresh database
                  in one transaction;
- ledger write  ↔ bare XlsxWriter write of the same cells (bench/ledger.py's `bare_write`).

Unless --no-extras, it then runs "1,000 replies at once" (bench/mail.py, a subprocess with its own
Dovecot) and "a 20,000-row ledger cycle" (bench/ledger.py's `bench_size`). Each measured step runs
in its own forked child, as in bench/ledger.py. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Replace the script's folder: bench/ledger.py would shadow the `ledger` package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import requests  # noqa: E402

from bench.hints import read_sample  # noqa: E402
from bench.ledger import _reset_peak, _vm, bare_write, bench_size, fill, make_app, print_table, run_child  # noqa: E402
from bridge.channels.vk import VkChannel  # noqa: E402
from bridge.cycle import render_context, run_cycle  # noqa: E402
from bridge.serve import CYCLE_EVERY  # noqa: E402
from ledger.service import render_all  # noqa: E402
from standins.vk_api import FakeVk  # noqa: E402

CITIZENS = 4000          # distinct authors of the burst (one users.get per page names them)
POST_ID = 77             # the community's post everybody comments on


# -- measuring in a child ----------------------------------------------------------------------

@contextmanager
def watched(box: dict, name: str):
    """Time the block and the growth of resident memory (VmHWM reset just before it)."""
    gc.collect()
    _reset_peak()
    before, started = _vm("VmRSS"), time.perf_counter()
    yield
    box[name] = time.perf_counter() - started
    box[name + "_mb"] = _vm("VmHWM") - before


def _child(step: str, args: tuple, out) -> None:
    out.send(STEPS[step](*args))


def in_child(step: str, *args) -> dict:
    """Run STEPS[step](*args) in a forked child (an SQLite connection must not cross a fork; the
    stand-in's objects are handed over as they are, so this one forks)."""
    return run_child(_child, (step, args), step, "fork")


# -- the bridge's path -------------------------------------------------------------------------

class TimedChannel:
    """The real channel; only adds up the time spent in `fetch` and the items it returned."""

    def __init__(self, channel) -> None:
        self.channel, self.name = channel, channel.name
        self.seconds, self.items, self.largest = 0.0, 0, 0

    def fetch(self, cursor, timeout: float = 0):
        started = time.perf_counter()
        items, new_cursor = self.channel.fetch(cursor, timeout)
        self.seconds += time.perf_counter() - started
        self.items += len(items)
        self.largest = max(self.largest, len(items))
        return items, new_cursor


def bridge_app(folder: str, api_url: str, group_id: int, token: str):
    """The app as bench/ledger.py makes it, with a real VkChannel pointed at the stand-in."""
    app = make_app(Path(folder))
    app.ports.channels = {"vk": TimedChannel(VkChannel(group_id, token, api_url))}   # production min_interval
    return app


def prime(folder: str, api_url: str, group_id: int, token: str) -> dict:
    """The service was already running: its first check stores the long-poll cursor (ts = 0)."""
    app = bridge_app(folder, api_url, group_id, token)
    try:
        return {"created": app.take_channels(datetime.now(timezone.utc))}
    finally:
        app.store.close()


def timed_hinter(app, box: dict):
    hinter = app.hinter

    def hint(case):
        started = time.perf_counter()
        try:
            return hinter(case)
        finally:
            box["hints"] += time.perf_counter() - started
    return hint


def bridge_path(folder: str, api_url: str, group_id: int, token: str, count: int) -> dict:
    """Take channels until the burst is in, then one cycle writes the ledger."""
    app = bridge_app(folder, api_url, group_id, token)
    box: dict = {"hints": 0.0, "takes": 0, "created": 0}
    app.ports.hinter = timed_hinter(app, box)
    channel, now = app.channels["vk"], datetime.now(timezone.utc)
    try:
        sent = _sent()
        with watched(box, "intake"):
            while box["created"] < count and box["takes"] < count // 50 + 10:
                box["created"] += app.take_channels(now)
                box["takes"] += 1
        box["sent"] = {name: value - sent[name] for name, value in _sent().items()}
        writer = app.ledger.write
        app.ledger.write = lambda *a, **k: _timed(box, "ledger_write", writer, *a, **k)
        with watched(box, "cycle"):
            report = run_cycle(app, now)
        assert box["created"] == count and report.ledger == "записан" and not report.problems, (box, report)
        box.update(fetch=channel.seconds, fetched=channel.items, page=channel.largest,
                   cases=app.store.db.execute("SELECT count(*) FROM cases").fetchone()[0],
                   file_mb=app.config.ledger.stat().st_size / 2 ** 20)
        return box
    finally:
        app.store.close()


def _sent() -> dict:
    """What the PostgreSQL store has sent so far (statements, round trips); {} on SQLite."""
    pg = sys.modules.get("bridge.storage.pg")
    return dict(pg.SENT) if pg is not None else {}


def _timed(box: dict, name: str, action, *args, **kwargs):
    started = time.perf_counter()
    try:
        return action(*args, **kwargs)
    finally:
        box[name] = time.perf_counter() - started


# -- the baselines -----------------------------------------------------------------------------

def _pages(lp_url: str, key: str, count: int, session: requests.Session):
    for ts in range(0, count, 100):
        response = session.get(lp_url, params={"act": "a_check", "key": key, "ts": ts, "wait": 0}, timeout=30)
        yield response.content


def bare_http(lp_url: str, key: str, count: int) -> dict:
    """The same long-poll pages with a bare requests.Session and json.loads, nothing else."""
    box: dict = {}
    with requests.Session() as session, watched(box, "seconds"):
        updates = sum(len(json.loads(body)["updates"]) for body in _pages(lp_url, key, count, session))
    assert updates == count, updates
    return box


def bare_json(lp_url: str, key: str, count: int) -> dict:
    """json.loads alone of the same long-poll bodies (fetched before timing)."""
    with requests.Session() as session:
        bodies = list(_pages(lp_url, key, count, session))
    box: dict = {"bytes": sum(map(len, bodies))}
    with watched(box, "seconds"):
        updates = sum(len(json.loads(body)["updates"]) for body in bodies)
    assert updates == count, updates
    return box


def bare_sqlite(folder: str) -> dict:
    """The case rows the burst made, inserted into a fresh database in one transaction."""
    with sqlite3.connect(Path(folder) / "data" / "otklik.sqlite3") as source:
        rows = source.execute(
            "SELECT id, year, seq, status, department, posted_at, closed_at, data FROM cases WHERE id IN "
            "(SELECT case_id FROM intake_keys WHERE external_id LIKE 'wall_comment:%') ORDER BY year, seq").fetchall()
    source.close()
    box: dict = {"rows": len(rows), "json_bytes": sum(len(r[-1].encode()) for r in rows)}
    with watched(box, "seconds"):
        db = sqlite3.connect(Path(folder) / "bare.sqlite3", isolation_level=None)
        db.execute("CREATE TABLE cases (id TEXT PRIMARY KEY, year INTEGER, seq INTEGER, status TEXT, "
                   "department TEXT, posted_at TEXT, closed_at TEXT, data TEXT)")
        db.execute("BEGIN")
        db.executemany("INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.execute("COMMIT")
        db.close()
    return box


def bare_xlsx(folder: str) -> dict:
    """The same ledger cells written by a bare constant-memory XlsxWriter (bench/ledger.py)."""
    app = make_app(Path(folder))
    try:
        rows = render_all(app.store.all_cases(), render_context(app, datetime.now(timezone.utc)))
    finally:
        app.store.close()
    box: dict = {}
    with watched(box, "seconds"):
        bare_write(Path(folder) / "bare.xlsx", rows)
    return box


def prefill(folder: str, count: int) -> dict:
    """An older store: COUNT cases of earlier months (bench/ledger.py's realistic mix)."""
    app = make_app(Path(folder))
    try:
        fill(app, count)
    finally:
        app.store.close()
    return {"history": count}


STEPS = {"prime": prime, "path": bridge_path, "bare_http": bare_http, "bare_json": bare_json,
         "bare_sqlite": bare_sqlite, "bare_xlsx": bare_xlsx, "prefill": prefill}


# -- the burst ---------------------------------------------------------------------------------

def post_burst(fake: FakeVk, count: int) -> None:
    """COUNT comments under one post by CITIZENS people; texts from the labelled hints sample."""
    texts = [row.text for row in read_sample()]
    for user in range(CITIZENS):
        fake.add_user(10_000 + user, "Житель", f"№{user}")
    for n in range(count):
        fake.post_wall_comment(POST_ID, 10_000 + n % CITIZENS, texts[n % len(texts)])


def run_burst(count: int, history: int = 0, baselines: bool = True) -> dict:
    """All the burst's measurements, each in its own child; returns their boxes (without the
    bare baselines, bench/backends.py needs only the bridge's path)."""
    with FakeVk() as fake, tempfile.TemporaryDirectory(prefix="otklik-burst-") as folder:
        access = (fake.api_url, fake.group_id, fake.token)
        if history:
            in_child("prefill", folder, history)
        in_child("prime", folder, *access)
        post_burst(fake, count)
        result = {"n": count, "history": history, "path": in_child("path", folder, *access, count)}
        if not baselines:
            return result
        lp = (fake.base_url + "/lp", fake.lp_key, count)
        result["http"], result["json"] = in_child("bare_http", *lp), in_child("bare_json", *lp)
        result["sqlite"], result["xlsx"] = in_child("bare_sqlite", folder), in_child("bare_xlsx", folder)
    return result


def headline(result: dict) -> list[tuple[str, float, float, float, float, str]]:
    """(stage, seconds, MB, baseline seconds, baseline MB, baseline name) per line of the table."""
    p = result["path"]
    intake = p["intake"] - p["fetch"]
    base_total = result["http"]["seconds"] + result["sqlite"]["seconds"] + result["xlsx"]["seconds"]
    base_mb = max(result["http"]["seconds_mb"], result["sqlite"]["seconds_mb"], result["xlsx"]["seconds_mb"])
    return [
        ("whole path", p["intake"] + p["cycle"], max(p["intake_mb"], p["cycle_mb"]), base_total, base_mb,
         "sum of the three bare steps"),
        ("fetch", p["fetch"], float("nan"), result["http"]["seconds"], result["http"]["seconds_mb"],
         "bare GET + json.loads"),
        ("intake+hints", intake, p["intake_mb"], result["sqlite"]["seconds"], result["sqlite"]["seconds_mb"],
         "bare SQLite, 1 transaction"),
        ("ledger write", p["cycle"], p["cycle_mb"], result["xlsx"]["seconds"], result["xlsx"]["seconds_mb"],
         "bare xlsxwriter"),
    ]


def print_burst(result: dict) -> None:
    p, n = result["path"], result["n"]
    print(f"burst: {n} VK comments by {CITIZENS} people"
          + (f" into a store already holding {result['history']} cases" if result["history"] else "")
          + f" → {p['cases']} cases, ledger {p['file_mb']:.1f} MB")
    print(f"{'stage':>13} | {'msg/s':>7} | {'time':>7} | {'MB':>4} || {'baseline':>26} | {'msg/s':>7} | "
          f"{'time':>7} | {'MB':>4} | ratio")
    for stage, seconds, mb, base, base_mb, name in headline(result):
        shown = "   —" if mb != mb else f"{mb:4.0f}"
        print(f"{stage:>13} | {n / seconds:7,.0f} | {seconds:5.2f} s | {shown} || {name:>26} | "
              f"{n / base:7,.0f} | {base:5.2f} s | {base_mb:4.0f} | {seconds / base:5.1f}x")
    print(f"  fetch: {p['takes']} take_channels calls, at most {p['page']} messages per long-poll check; "
          f"bare json.loads alone of the same {result['json']['bytes'] / 2 ** 20:.1f} MB: "
          f"{result['json']['seconds']:.3f} s = {n / result['json']['seconds']:,.0f} msg/s")
    print(f"  intake+hints: hints {p['hints']:.2f} s ({n / p['hints']:,.0f} msg/s); "
          f"memory of fetch+intake+hints together; bare SQLite rows {result['sqlite']['rows']}, "
          f"JSON {result['sqlite']['json_bytes'] / 2 ** 20:.1f} MB")
    print(f"  ledger write: the run_cycle after the burst, of which Ledger.write {p['ledger_write']:.2f} s")
    cycles = -(-n // max(p["page"], 1))
    print(f"  one cycle takes one long-poll check: the service (a cycle every {CYCLE_EVERY} s) needs "
          f"{cycles} cycles ≈ {cycles * CYCLE_EVERY / 60:.0f} min to take in this burst")
    print("MB = growth of resident memory during the step (VmHWM), native memory included.")


# -- "1,000 replies at once" and "a 20,000-row ledger cycle" -----------------------------------

def run_measured(command: list[str]) -> tuple[list[str], float, float]:
    """Run COMMAND from the repository root; its stdout lines, seconds and peak resident MB."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{' '.join(command[1:2])} failed (exit code {process.returncode})")
    return output.splitlines(), time.perf_counter() - started, usage.ru_maxrss / 1024


MAIL_FIGURES = {"replies": r"replies → ledger: (\d+) in ([\d.]+) s", "bare": r"bare IMAP fetch .*?: ([\d.]+) s",
                "latency": r"median (\d+) ms, p95 (\d+) ms"}


def run_mail(replies: int = 1000, samples: int = 20) -> dict:
    """bench/mail.py in a subprocess (it starts its own Dovecot); its lines and its figures."""
    script = [sys.executable, str(ROOT / "bench" / "mail.py"), "--replies", str(replies), "--samples", str(samples)]
    lines, seconds, peak = run_measured(script)
    floor = run_measured([sys.executable, "-c", f"import sys; sys.path[0] = {str(ROOT)!r}; import bench.mail"])[2]
    text = "\n".join(lines)
    found = {name: re.search(pattern, text) for name, pattern in MAIL_FIGURES.items()}
    if not all(found.values()):
        raise RuntimeError("bench/mail.py printed no figures:\n" + text)
    return {"lines": lines, "seconds": seconds, "peak_mb": peak, "floor_mb": floor,
            "replies": int(found["replies"][1]), "bridge_s": float(found["replies"][2]),
            "bare_s": float(found["bare"][1]), "median_ms": int(found["latency"][1]),
            "p95_ms": int(found["latency"][2])}


def print_mail(mail: dict) -> None:
    print(f"{mail['replies']:,} replies at once (bench/mail.py, {mail['seconds']:.0f} s with its Dovecot):")
    for line in mail["lines"]:
        print("  " + line)
    print(f"  peak resident memory of the mail benchmark process {mail['peak_mb']:.0f} MB "
          f"(Dovecot not included); the same process only importing its modules: {mail['floor_mb']:.0f} MB")


def run_ledger(sizes: list[int]) -> list[dict]:
    """bench/ledger.py's `bench_size` for each size (each step in its own child, as there)."""
    results = []
    for count in sizes:
        with tempfile.TemporaryDirectory(prefix="otklik-bench-") as folder:
            results.append(bench_size(count, Path(folder), False))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000, help="comments in the burst")
    parser.add_argument("--history", type=int, default=0, help="cases already in the store before the burst")
    parser.add_argument("--no-extras", action="store_true", help="only the burst, not mail and ledger")
    parser.add_argument("--replies", type=int, default=1000, help="replies for bench/mail.py")
    parser.add_argument("--ledger-rows", type=int, default=20_000, help="cases for the ledger cycle")
    args = parser.parse_args(argv)
    print_burst(run_burst(args.messages, args.history))
    if not args.no_extras:
        print()
        print_mail(run_mail(args.replies))
        print(f"\n{args.ledger_rows:,}-row ledger cycle (bench/ledger.py --sizes {args.ledger_rows}):")
        print_table(run_ledger([args.ledger_rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
