"""`python run.py ARGS` with the service's timer shortened (a cycle every 0.3 s instead of every
minute), so a test need not wait: the real command line, lock and service otherwise.

    python tests/e2e/child_run.py serve --config CONFIG.toml
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bridge import serve as service  # noqa: E402
import run  # noqa: E402

service.CYCLE_EVERY = float(os.environ.get("OTKLIK_TEST_CYCLE", "0.3"))
service.IDLE_SLICE = min(service.CYCLE_EVERY, 20.0)

if __name__ == "__main__":
    sys.exit(run.main(sys.argv[1:]))
