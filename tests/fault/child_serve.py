"""`python run.py serve` for the kill -9 test, with its timers shortened so that a cycle runs
every few tenths of a second instead of every minute:

    python tests/fault/child_serve.py CONFIG.toml

Everything else is the real service: IMAP IDLE between cycles, the outbox, the channels, the
ledger. The test SIGKILLs this process at random moments and starts it again.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bridge import serve as service  # noqa: E402
from bridge.config import load  # noqa: E402

service.CYCLE_EVERY = float(os.environ.get("OTKLIK_FAULT_CYCLE", "0.3"))
service.IDLE_SLICE = min(service.CYCLE_EVERY, 20.0)


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return service.serve(load(sys.argv[1]))


if __name__ == "__main__":
    sys.exit(main())
