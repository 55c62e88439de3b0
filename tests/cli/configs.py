"""config.example.toml filled in the way README and docs/install.md tell an administrator to:
change a value in place, uncomment an optional key, delete the section of a network not used."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"
_HEADER = re.compile(r"^\s*(#\s*)?\[\[?([a-z_]+)\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*(#\s*)?([a-z_]+)\s*=")


def run(*args: str, cwd: Path, env: dict | None = None, stdin: str | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess:
    """`python run.py ARGS` as an administrator types it, in `cwd`."""
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})})


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]     # closed again when the block ends: nothing listens


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)   # JSON's escapes are TOML's
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


def sections(text: str) -> list[tuple[str, int, int]]:
    """(name, first line, end line) of every section header, commented or not."""
    lines = text.split("\n")
    starts = [(m.group(2), i) for i, line in enumerate(lines) if (m := _HEADER.match(line))]
    return [(name, start, starts[n + 1][1] if n + 1 < len(starts) else len(lines))
            for n, (name, start) in enumerate(starts)]


def keys_by_section(text: str) -> dict[str, set[str]]:
    """Every key the file names, active or commented out, per section."""
    lines, found = text.split("\n"), {}
    for name, start, end in sections(text):
        for line in lines[start + 1:end]:
            if match := _KEY.match(line):
                found.setdefault(name, set()).add(match.group(2))
    return found


def fill(text: str, section: str, key: str, value, occurrence: int = 0) -> str:
    """Set `key` in the `occurrence`-th [section] (uncommenting it when it is optional)."""
    lines = text.split("\n")
    _, start, end = [s for s in sections(text) if s[0] == section][occurrence]
    for number in range(start + 1, end):
        match = _KEY.match(lines[number])
        if match and match.group(2) == key:
            lines[number] = f"{key} = {toml_value(value)}"
            return "\n".join(lines)
    raise AssertionError(f"[{section}] {key} is not in config.example.toml")


def drop_section(text: str, section: str) -> str:
    """Delete every [section] / [[section]] with its keys (a network the administration does not use)."""
    lines = text.split("\n")
    for _, start, end in reversed([s for s in sections(text) if s[0] == section]):
        del lines[start:end]
    return "\n".join(lines)


def example_config(folder: Path, imap_port: int, smtp_port: int, *, channels: bool = False) -> Path:
    """config.toml in `folder`: the example, its mail servers on 127.0.0.1 without TLS and, unless
    `channels`, without the social networks."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for key, value in {"imap_host": "127.0.0.1", "imap_port": imap_port, "imap_security": "none",
                       "smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_security": "none",
                       "smtp_user": ""}.items():
        text = fill(text, "mail", key, value)
    if not channels:
        for network in ("vk", "telegram", "ok"):
            text = drop_section(text, network)
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path
