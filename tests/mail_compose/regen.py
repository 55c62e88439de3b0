"""Regenerate the golden files: `python tests/mail_compose/regen.py` from the project root.

Review the result with `git diff tests/mail_compose/golden` before committing it.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from tests.mail_compose.samples import render_all  # noqa: E402

GOLDEN = HERE / "golden"


def main() -> int:
    GOLDEN.mkdir(exist_ok=True)
    rendered = render_all()
    for stale in set(p.name for p in GOLDEN.iterdir()) - set(rendered):
        (GOLDEN / stale).unlink()
        print(f"удалён {stale}")
    for name, content in rendered.items():
        path = GOLDEN / name
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            print(f"обновлён {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
