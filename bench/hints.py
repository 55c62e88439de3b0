"""Benchmark the hints on the labelled sample: quality and speed beside a bare baseline.

Run from the repository root:  python bench/hints.py [--rounds N]
Prints department accuracy, п. 3.6 precision/recall, a per-policy confusion summary, and
messages per second of ``suggest`` next to ``str.lower().split()`` over the same texts.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.hints import suggest  # noqa: E402
from bridge.hints.evaluation import measure, parse_row  # noqa: E402

SAMPLE = ROOT / "tests" / "hints" / "labelled.tsv"


def read_sample() -> list:
    """The labelled rows of the sample."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[1:]
    return [parse_row(line) for line in lines if line.strip()]


def rate(function, texts: list[str], rounds: int) -> float:
    """Messages per second of FUNCTION over TEXTS repeated ROUNDS times."""
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            function(text)
    return rounds * len(texts) / (time.perf_counter() - started)


def print_confusion(confusion: Counter) -> None:
    """One line per labelled policy: how many rows, how many hinted right, where the rest went."""
    print("policy confusion (labelled: right/total; wrong → hinted):")
    for label in sorted({label for label, _ in confusion}):
        row = {hinted: n for (lab, hinted), n in confusion.items() if lab == label}
        wrong = ", ".join(f"{h}×{n}" for h, n in sorted(row.items()) if h != label)
        print(f"  {label:18} {row.get(label, 0)}/{sum(row.values())}  {wrong}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="passes over the sample for speed")
    args = parser.parse_args()
    rows = read_sample()
    scores = measure(rows)
    print(f"sample: {scores.total} messages")
    print(f"department accuracy: {scores.department_accuracy:.3f}")
    print(f"п. 3.6 precision: {scores.precision:.3f}  recall: {scores.recall:.3f}")
    print_confusion(scores.confusion)
    texts = [row.text for row in rows]
    hints = rate(suggest, texts, args.rounds)
    baseline = rate(lambda text: text.lower().split(), texts, args.rounds)
    print(f"suggest: {hints:,.0f} msg/s; baseline lower()+split(): {baseline:,.0f} msg/s; "
          f"ratio {baseline / hints:,.0f}x slower")


if __name__ == "__main__":
    main()
