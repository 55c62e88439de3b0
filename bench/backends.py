"""Both store backends in one run (issue 15): the burst of 10,000 VK messages (bench/burst.py)
and 1,000 replies at once (bench/mail.py), first on SQLite, then on PostgreSQL, as ratios.

    python bench/backends.py [--messages N] [--replies N]

PostgreSQL runs as a throwaway local cluster (tests/servers/postgres.py) with its durable
defaults (fsync, synchronous_commit on), as SQLite runs with `synchronous=FULL`: both make every
committed transaction survive a power cut. The product reaches it through `[store] url` over TCP
on 127.0.0.1; a regional database on another machine adds the network's round trips.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench import backend  # noqa: E402
from bench.burst import run_burst, run_mail  # noqa: E402
from tests.servers import postgres  # noqa: E402

LIMIT = 1.5                 # the bound: PostgreSQL within 1.5x of SQLite on each


def measure(messages: int, replies: int) -> dict:
    burst = run_burst(messages, baselines=False)["path"]
    print(f"  burst: intake + hints {burst['intake']:.2f} s, cycle {burst['cycle']:.2f} s", flush=True)
    if burst.get("sent"):
        print(f"  intake sent {burst['sent']['statements'] / messages:.2f} statements and "
              f"{burst['sent']['round_trips'] / messages:.3f} round trips per message", flush=True)
    mail = run_mail(replies)
    print(f"  replies: {mail['bridge_s']:.2f} s, one reply median {mail['median_ms']} ms", flush=True)
    return {"burst": burst["intake"] + burst["cycle"], "intake": burst["intake"], "cycle": burst["cycle"],
            "mail": mail["bridge_s"], "latency": mail["median_ms"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--replies", type=int, default=1000)
    args = parser.parse_args(argv)
    os.environ.pop(backend.URL_ENV, None)
    print("SQLite:", flush=True)
    sqlite = measure(args.messages, args.replies)
    cluster = postgres.start(fsync=True)
    try:
        os.environ[backend.URL_ENV], os.environ[backend.PASSWORD_ENV] = cluster.url(), postgres.PASSWORD
        print("PostgreSQL:", flush=True)
        pg = measure(args.messages, args.replies)
    finally:
        os.environ.pop(backend.URL_ENV, None)
        cluster.stop()
    rows = [(f"burst of {args.messages:,} messages (intake + hints + ledger)", "burst"),
            ("  of which intake + hints", "intake"), ("  of which the cycle writing the ledger", "cycle"),
            (f"{args.replies:,} replies at once → ledger", "mail")]
    print(f"\n{'':52} | {'SQLite':>8} | {'PostgreSQL':>10} | ratio")
    worst = 0.0
    for label, key in rows:
        ratio = pg[key] / sqlite[key]
        if not label.startswith("  "):
            worst = max(worst, ratio)
        print(f"{label:52} | {sqlite[key]:6.2f} s | {pg[key]:8.2f} s | {ratio:4.2f}x")
    print(f"{'one reply APPENDed → ledger, median':52} | {sqlite['latency']:5d} ms | {pg['latency']:7d} ms | "
          f"{pg['latency'] / max(sqlite['latency'], 1):4.2f}x")
    print(f"PostgreSQL {'within' if worst <= LIMIT else 'NOT within'} {LIMIT}x of SQLite on each (worst {worst:.2f}x)")
    return 0 if worst <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
