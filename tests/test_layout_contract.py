"""The layout's contract (README «Устройство»): which room may import which, where SQL lives, and
who may read the clock and the environment. A change that breaks a rule fails the build here.

    core ← storage ← ledger, mailer ← steps ← app / cycle / serve / commands

Read from the source with `ast`, so a lazy import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("bridge", "ledger", "mailer", "standins")

# room → the rooms it may import (its own included). Longest prefix wins.
ALLOWED: dict[str, set[str]] = {
    "bridge.core": {"bridge.core"},
    "bridge.hints": {"bridge.core", "bridge.hints"},
    "bridge.config": {"bridge.core", "bridge.config", "bridge.channels"},   # each network checks its own keys
    "bridge.storage": {"bridge.core", "bridge.storage"},
    "bridge.channels": {"bridge.core", "bridge.channels"},
    "ledger": {"bridge.core", "bridge.storage", "ledger"},
    "mailer": {"bridge.core", "bridge.config", "mailer"},
    "bridge.steps": {"bridge.core", "bridge.config", "bridge.storage", "bridge.hints", "bridge.channels",
                     "bridge.steps", "ledger", "mailer"},
    "standins": {"standins"},               # stand-ins share no logic with the clients
}
SHELL = {"bridge.app", "bridge.cycle", "bridge.serve", "bridge.commands", "bridge.checks", "bridge.demo",
         "bridge.progress", "bridge.config"}
# Libraries a pure room must not touch: I/O, databases, networks, workbooks.
IO_LIBRARIES = {"sqlite3", "requests", "imapclient", "exchangelib", "smtplib", "socket", "xlsxwriter",
                "openpyxl", "python_calamine", "vk_api", "psycopg", "sqlalchemy", "shutil", "subprocess"}
PURE = ("bridge.core", "bridge.hints")
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b",
                 re.I | re.S)


def modules() -> list[tuple[str, Path, ast.Module]]:
    found = []
    for top in PRODUCT:
        for path in sorted((ROOT / top).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found.append((name, path, ast.parse(path.read_text(encoding="utf-8"), str(path))))
    return found


def room_of(name: str, rooms) -> str | None:
    return max((r for r in rooms if name == r or name.startswith(r + ".")), key=len, default=None)


def imported(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_each_room_imports_only_what_it_may():
    broken = []
    rooms = set(ALLOWED) | SHELL
    for name, path, tree in modules():
        if name in SHELL - {"bridge.config"}:
            continue
        room = room_of(name, ALLOWED)
        assert room is not None, f"{name}: a module outside every room; add it to the layout"
        for target in imported(tree):
            if not target.startswith(PRODUCT):
                continue
            target_room = room_of(target, rooms)
            if target_room not in ALLOWED[room]:
                broken.append(f"{name} imports {target}")
    assert not broken, "\n".join(broken)


def test_pure_rooms_import_no_io_library():
    broken = [f"{name} imports {target}" for name, _, tree in modules() if room_of(name, PURE)
              for target in imported(tree) if target.split(".")[0] in IO_LIBRARIES]
    assert not broken, "\n".join(broken)


def test_sql_lives_only_in_the_store():
    broken = []
    for name, path, tree in modules():
        if name.startswith("bridge.storage"):
            continue
        if "sqlite3" in {t.split(".")[0] for t in imported(tree)}:
            broken.append(f"{name} imports sqlite3")
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                broken.append(f"{name}:{node.lineno} has SQL")
            if isinstance(node, ast.Attribute) and node.attr in ("execute", "executemany", "executescript"):
                broken.append(f"{name}:{node.lineno} calls .{node.attr}")
    assert not broken, "\n".join(broken)


def _reads_clock_or_environment(tree: ast.Module) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("now", "utcnow", "today", "time") and isinstance(node.func.value, (ast.Name, ast.Attribute)) \
                and getattr(node.func.value, "id", getattr(node.func.value, "attr", "")) in ("datetime", "date", "time"):
            lines.append(node.lineno)
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and \
                getattr(node.value, "id", "") == "os":
            lines.append(node.lineno)
    return lines


# The adapters talk to the world on their own time (long-poll pacing, IDLE, rate limits): they may
# read a clock for that, never to date a message or a case.
ADAPTERS = ("bridge.channels", "mailer.imap", "mailer.exchange", "mailer.smtp", "standins")


def test_only_the_shell_reads_the_clock_and_the_environment():
    broken = [f"{name}:{line}" for name, _, tree in modules()
              if name not in SHELL and not room_of(name, ADAPTERS)
              for line in _reads_clock_or_environment(tree)]
    assert not broken, "read the cycle's `now` / the config instead:\n" + "\n".join(broken)
