"""Regenerate the golden ledger: `python tests/ledger/regen_golden.py` from the project root.

Review the result with `git diff tests/ledger/golden` before committing it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from tests.ledger.golden_scenario import as_text, build  # noqa: E402

GOLDEN = HERE / "golden" / "demo_ledger.json"


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        text = as_text(build(Path(folder)))
    if GOLDEN.exists() and GOLDEN.read_text(encoding="utf-8") == text:
        print("без изменений")
        return 0
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(text, encoding="utf-8")
    print(f"обновлён {GOLDEN.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
