"""Read the vocabulary lists shipped in ``data/`` (UTF-8, one entry a line, ``#`` comments).

The lists are data so that an administrator can review them without reading code; this module
is the only place in the package that touches files, and it only reads its own.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).with_name("data")


def strip_comment(line: str) -> str:
    """Return LINE without its ``#`` comment and surrounding blanks."""
    return line.split("#", 1)[0].strip()


@lru_cache(maxsize=None)
def read_entries(name: str) -> tuple[str, ...]:
    """Return the non-empty, comment-free lines of data file NAME, in order."""
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    entries = (strip_comment(line) for line in text.splitlines())
    return tuple(entry for entry in entries if entry)


@lru_cache(maxsize=None)
def read_sections(name: str) -> dict[str, tuple[str, ...]]:
    """Return the entries of data file NAME grouped under their ``[section]`` headers."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for entry in read_entries(name):
        if entry.startswith("[") and entry.endswith("]"):
            current = sections.setdefault(entry[1:-1].strip(), [])
        elif current is not None:
            current.append(entry)
    return {key: tuple(values) for key, values in sections.items()}


@lru_cache(maxsize=None)
def read_pairs(name: str, separator: str = "=") -> tuple[tuple[str, str], ...]:
    """Return ``key = value`` entries of data file NAME as (key, value) pairs."""
    pairs = []
    for entry in read_entries(name):
        key, _, value = entry.partition(separator)
        pairs.append((key.strip(), value.strip()))
    return tuple(pairs)
