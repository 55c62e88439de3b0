"""Dump every hint of the training messages, to check that a speed change alters no result.

Run from the repository root:  python bench/hints_identity.py OUT.jsonl [--deep]

Writes one JSON line per message of ``tests/hints/corpus/*.txt``, ``tests/hints/labelled.tsv``
and ``tests/hints/corpus/training_v*/*.txt`` (never the held-out folders): the whole
``Hinter.suggest`` result (policy, department, reasons, repeat), then one per repeat pair of
the ``repeats.txt`` files (the earlier message given as an answered case of the same author),
then a few hostile inputs. With ``--deep`` each line also carries the model's policy and topic
probabilities as exact float reprs, to see a drift before it flips a hint. Compare two dumps
with ``cmp``: identical, or the change is reverted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CORPUS = ROOT / "tests" / "hints" / "corpus"
LEGACY = ROOT / "tests" / "hints" / "labelled.tsv"
HOSTILE = ("", "\ud800", "a\x00b", "нет\x00воды", "я" * 100_000, "убью " * 5_000,
           "нет воды " * 2_500, "😡😡😡", "?!", "х*й", "уб.ью")


def folders() -> list[Path]:
    """The main corpus folder and the training-only folders (held-out folders excluded)."""
    training = sorted(path for path in CORPUS.glob("training_v*") if path.is_dir())
    return [CORPUS, *training]


def texts() -> list[str]:
    """Every message text, in file order, duplicates kept (they must hint alike, too)."""
    from bridge.hints.corpus import REPEATS_FILE, parse_line, parse_tsv_row

    found = []
    for folder in folders():
        for path in sorted(folder.glob("*.txt")):
            if path.name == REPEATS_FILE:
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                row = parse_line(line, path.name)
                if row:
                    found.append(row.text)
    for line in LEGACY.read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            found.append(parse_tsv_row(line).text)
    return found


def pairs() -> list:
    """Every repeat pair of the main corpus and of the training-only folders."""
    from bridge.hints.corpus import REPEATS_FILE, read_repeats

    return [pair for folder in folders() if (folder / REPEATS_FILE).exists()
            for pair in read_repeats(folder)]


def line(hinter, text: str, deep: bool, earlier=()) -> str:
    """The JSON line of one suggestion."""
    hint = hinter.suggest(text, earlier=earlier, author_key="a" if earlier else None)
    record = {"text": text[:200].encode("utf-8", "replace").decode("utf-8"), "hint": hint.to_json(), "summary": hint.summary()}
    if deep and hinter.model is not None:
        from bridge.hints.text import prepare

        message = prepare(text)
        policy, topic, _ = hinter.probabilities(message, hinter.verdicts(message))
        record["p"] = {k: repr(float(v)) for k, v in sorted(policy.items())}
        record["t"] = {k: repr(float(v)) for k, v in sorted(topic.items())}
    return json.dumps(record, ensure_ascii=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--deep", action="store_true", help="add the model's probabilities")
    args = parser.parse_args()
    from bridge.hints.evaluation import demo_municipality
    from bridge.hints.hint import Hinter
    from bridge.hints.repeat import EarlierCase

    hinter = Hinter(*demo_municipality())
    out = []
    for text in texts():
        out.append(line(hinter, text, args.deep))
    for pair in pairs():
        earlier = [EarlierCase("C-1", "a", pair.earlier), EarlierCase("C-2", "b", pair.new)]
        out.append(line(hinter, pair.new, args.deep, earlier))
    for text in HOSTILE:
        out.append(line(hinter, text, args.deep))
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"{len(out)} hints written to {args.out}")


if __name__ == "__main__":
    main()
