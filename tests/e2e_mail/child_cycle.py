"""One bridge cycle in its own process that stops dead at a chosen point, for the kill -9 test.

    python tests/e2e_mail/child_cycle.py CONFIG.toml POINT [N]

The cycle runs unchanged until POINT; there the process writes `<data_dir>/paused-at` and sleeps,
so the test can SIGKILL it exactly there. Points, in the order a cycle reaches them:

| point       | stops                                                                  |
|-------------|------------------------------------------------------------------------|
| `raw_saved` | after the N-th raw reply is kept (in the store), before the commit    |
| `stored`    | after every fetched reply is committed, before the IMAP flags are set  |
| `marked`    | after the IMAP flags are set, before the mailbox state is saved        |
| `ledger`    | after all of that, as the ledger is about to be written                |
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bridge.app import build_app  # noqa: E402
from bridge.config import load  # noqa: E402
from bridge.cycle import run_cycle  # noqa: E402

SIGNAL = "paused-at"


def pause(data_dir: Path, point: str) -> None:
    (data_dir / f"{SIGNAL}.tmp").write_text(point)
    (data_dir / f"{SIGNAL}.tmp").replace(data_dir / SIGNAL)
    time.sleep(120)          # the test kills us here
    raise SystemExit(f"not killed at {point}")


def install(app, point: str, count: int) -> None:
    data_dir = app.config.data_dir
    if point == "raw_saved":
        remember, calls = type(app.store).remember_mail, []

        def keep_then_pause(store, *args, **kwargs):
            remember(store, *args, **kwargs)
            calls.append(args[0])
            if len(calls) == count:
                pause(data_dir, point)
        type(app.store).remember_mail = keep_then_pause
    elif point in ("stored", "marked"):
        mark = app.mailbox.mark_processed

        def mark_and_pause(uids):
            if point == "marked":
                mark(uids)
            pause(data_dir, point)
        app.mailbox.mark_processed = mark_and_pause
    elif point == "ledger":
        app.ledger.write = lambda *args, **kwargs: pause(data_dir, point)
    else:
        raise SystemExit(f"unknown point {point}")


def main() -> None:
    config_path, point = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    app = build_app(load(config_path), channels={})
    install(app, point, count)
    run_cycle(app)
    raise SystemExit(f"cycle ended without reaching {point}")


if __name__ == "__main__":
    main()
