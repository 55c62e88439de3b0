"""Read the labelled corpus of the hints and split it, once, into a tuning and a held-out part.

The corpus (``tests/hints/corpus/``) is hand-written data: one message a line as
``department|policy|text`` («-» = no department), and repeat pairs as ``label|earlier|new``.
Which part a message belongs to depends on its text alone (CRC-32 of the folded text, 35 of
every 100 held out), so the split was fixed before any tuning, survives reordering and edits of
other lines, and a message written twice lands on one side only.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

HELD_OUT_PERCENT = 35
REPEATS_FILE = "repeats.txt"


@dataclass(frozen=True)
class Labelled:
    """One labelled message."""

    text: str
    department: str | None
    policy: str
    source: str = ""


@dataclass(frozen=True)
class RepeatPair:
    """An answered earlier message of one author, a new one, and whether it repeats it."""

    earlier: str
    new: str
    repeat: bool


def split_key(text: str) -> str:
    """The text that decides the split: folded, blanks squeezed."""
    return " ".join(text.lower().replace("ё", "е").split())


def is_held_out(text: str) -> bool:
    """True for the 35 % of messages that no tuning may read."""
    return zlib.crc32(split_key(text).encode("utf-8")) % 100 < HELD_OUT_PERCENT


def parse_line(line: str, source: str = "") -> Labelled | None:
    """Parse ``department|policy|text``; None for blanks and ``#`` comments."""
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#"):
        return None
    department, policy, text = line.split("|", 2)
    return Labelled(text.strip(), None if department in ("", "-") else department, policy, source)


def parse_tsv_row(line: str, source: str = "") -> Labelled:
    """Parse one ``text<TAB>department<TAB>policy`` row of the older ``labelled.tsv``."""
    text, department, policy = line.rstrip("\n").split("\t")
    return Labelled(text, None if department in ("", "-") else department, policy, source)


def read_corpus(folder: Path, extra_tsv: Iterable[Path] = ()) -> list[Labelled]:
    """Every labelled message of FOLDER's ``*.txt`` (and of the TSV files), duplicates dropped."""
    rows: list[Labelled] = []
    for path in sorted(folder.glob("*.txt")):
        if path.name != REPEATS_FILE:
            lines = path.read_text(encoding="utf-8").splitlines()
            rows += [row for row in (parse_line(line, path.name) for line in lines) if row]
    for path in extra_tsv:
        lines = path.read_text(encoding="utf-8").splitlines()[1:]
        rows += [parse_tsv_row(line, path.name) for line in lines if line.strip()]
    seen: set[str] = set()
    unique = []
    for row in rows:
        if split_key(row.text) not in seen:
            seen.add(split_key(row.text))
            unique.append(row)
    return unique


def read_repeats(folder: Path) -> list[RepeatPair]:
    """The repeat pairs of FOLDER's ``repeats.txt``."""
    pairs = []
    for line in (folder / REPEATS_FILE).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, earlier, new = line.split("|", 2)
            pairs.append(RepeatPair(earlier.strip(), new.strip(), label.strip() == "1"))
    return pairs


def pair_held_out(pair: RepeatPair) -> bool:
    """The split of a repeat pair, decided by both its texts."""
    return is_held_out(pair.earlier + " || " + pair.new)


def split(rows: list, key=lambda row: is_held_out(row.text)) -> tuple[list, list]:
    """(tuning part, held-out part) of ROWS."""
    return [row for row in rows if not key(row)], [row for row in rows if key(row)]


def read_extra_training(folder: Path, main: list[Labelled]) -> list[Labelled]:
    """The messages of a folder that is training data only (``training_v3``), without those that
    equal a message of the MAIN corpus: those belong to its split, so no held-out message can
    reach training through this folder."""
    taken = {split_key(row.text) for row in main}
    return [row for row in read_corpus(folder) if split_key(row.text) not in taken]


def read_extra_repeats(folder: Path, main: list[RepeatPair]) -> list[RepeatPair]:
    """The repeat pairs of a training-only folder, without those of the MAIN corpus."""
    taken = {(split_key(p.earlier), split_key(p.new)) for p in main}
    return [pair for pair in read_repeats(folder)
            if (split_key(pair.earlier), split_key(pair.new)) not in taken]
