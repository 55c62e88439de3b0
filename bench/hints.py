"""Benchmark the hints on the held-out messages: quality, and speed in a fresh process.

Run from the repository root:  python bench/hints.py [--misses]

Prints, for the held-out part of the main corpus (``bridge/hints/corpus.py``) and, apart, for
held-out sets v2, v3, v6, v9 and v15 (``tests/hints/corpus/heldout_v2``, ``heldout_v3``,
``heldout_v6``, ``heldout_v9``, ``heldout_v15``, whose misses are never listed): п. 3.6 precision/recall,
precision/recall per policy and for repeats (п. 3.7), department accuracy and the department
confusion — for the rules alone, the model alone and the rules with the model (what ships) —
then the throughput of ``Hinter.suggest`` on one core and the process's memory, measured in a
fresh Python process (import and model load timed separately, first pass with cold caches).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CORPUS = ROOT / "tests" / "hints" / "corpus"
LEGACY = ROOT / "tests" / "hints" / "labelled.tsv"


# The held-out sets written apart, each before the tuning of a session and read by nothing but
# this benchmark: (title, folder). Their misses are never listed, not even with --misses.
HELD_OUT_SETS = (("held-out set v2", CORPUS / "heldout_v2"),  # before session 3
                 ("held-out v3", CORPUS / "heldout_v3"),      # before session 4
                 ("held-out v6", CORPUS / "heldout_v6"),      # before session 5
                 ("held-out v9", CORPUS / "heldout_v9"),      # before session 6
                 ("held-out v15", CORPUS / "heldout_v15"))    # while session 7's tuning began


def held_out():
    """The held-out messages and repeat pairs of the main corpus (never used for tuning)."""
    from bridge.hints.corpus import pair_held_out, read_corpus, read_repeats, split

    rows = split(read_corpus(CORPUS, [LEGACY]))[1]
    pairs = split(read_repeats(CORPUS), pair_held_out)[1]
    return rows, pairs


def held_out_set(folder: Path):
    """The messages and repeat pairs of a held-out set written apart (``HELD_OUT_SETS``), read
    by nothing but this benchmark."""
    from bridge.hints.corpus import read_corpus, read_repeats

    return read_corpus(folder), read_repeats(folder)


def read_sample() -> list:
    """The held-out messages (what bench/run_all.py and bench/burst.py hint)."""
    return held_out()[0]


def rate(function, texts: list[str], rounds: int) -> float:
    """Messages per second of FUNCTION over TEXTS repeated ROUNDS times."""
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            function(text)
    return rounds * len(texts) / (time.perf_counter() - started)


def print_department_confusion(confusion: Counter, limit: int = 12) -> None:
    """Per labelled department: right/total, and the most frequent wrong guesses."""
    print("department confusion (labelled: right/total; wrong → hinted):")
    for label in sorted({label for label, _ in confusion}):
        row = {hinted: n for (lab, hinted), n in confusion.items() if lab == label}
        wrong = ", ".join(f"{h}×{n}" for h, n in sorted(row.items(), key=lambda x: -x[1])
                          if h != label)
        print(f"  {label:12} {row.get(label, 0):3}/{sum(row.values()):<3}  {wrong}")
    worst = sorted(((n, a, b) for (a, b), n in confusion.items() if a != b), reverse=True)
    print("  most frequent confusions: "
          + ", ".join(f"{a}→{b}×{n}" for n, a, b in worst[:limit]))


def quality(title: str, rows: list, pairs: list, show_misses: bool) -> None:
    from bridge.hints.evaluation import demo_municipality, measure, measure_repeats
    from bridge.hints.hint import Hinter

    departments, bodies = demo_municipality()
    print(f"######## {title}: {len(rows)} messages, {len(pairs)} repeat pairs")
    variants = (("rules alone", Hinter(departments, bodies, use_model=False)),
                ("model alone", None),
                ("rules + model (shipped)", Hinter(departments, bodies)))
    shipped = None
    for title, hinter in variants:
        if hinter is None:
            hinter = Hinter(departments, bodies)
            hinter.decide = model_alone(hinter)
        scores = measure_repeats(pairs, hinter, measure(rows, hinter))
        print(f"\n== {title}")
        for line in scores.report():
            print(line)
        shipped = scores
    print_noisy(rows, variants[2][1])
    print()
    print_department_confusion(shipped.department)
    if show_misses:
        for row, hint in shipped.misses:
            print(f"  {row.policy}→{hint.policy}  {row.department}→{hint.department}  {row.text}")


def print_noisy(rows, hinter) -> None:
    """The shipped hints on the held-out messages retyped by a hastier writer (no punctuation,
    typos, or Latin letters: ``training.noisy``) — robustness, not a target."""
    import random

    from bridge.hints.corpus import Labelled
    from bridge.hints.evaluation import measure
    from bridge.hints.precedence import NOT_PROCESSED
    from bridge.hints.training import noisy

    rng = random.Random(2026)
    retyped = [Labelled(noisy(row.text, rng), row.department, row.policy) for row in rows]
    scores = measure(retyped, hinter)
    p, r = scores.precision_recall(NOT_PROCESSED)
    explained = [scores.precision_recall({policy}) for policy in
                 ("court_appeal", "bypass_law", "out_of_competence")]
    print(f"\n== the same, retyped (typos, no punctuation, 15 % in Latin letters): п. 3.6 "
          f"precision {p:.3f} recall {r:.3f}; 3.7 recall "
          + ", ".join(f"{r37:.2f}" for _, r37 in explained)
          + f"; department accuracy {scores.department_accuracy:.3f}")


def model_alone(hinter):
    """A decide() that takes the model's most likely policy and ignores the rules."""
    from bridge.hints.hint import Decision

    def decide(message, verdicts, probabilities, features):
        policy = max(probabilities, key=probabilities.get)
        reason = None if policy == "normal" else hinter.explain(policy, features)
        return Decision(policy, reason, "model")
    return decide


def speed() -> dict:
    """Measure in this (fresh) process: import, model load, messages per second, memory."""
    import resource

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    started = time.perf_counter()
    from bridge.hints import Hinter
    from bridge.hints.evaluation import demo_municipality
    imported = time.perf_counter()
    departments, bodies = demo_municipality()
    hinter = Hinter(departments, bodies)
    hinter.suggest("нет отопления")  # loads the embeddings and the dictionaries
    loaded = time.perf_counter()
    texts = [row.text for row in held_out()[0]]
    passes = []
    for _ in range(2):
        begin = time.perf_counter()
        for text in texts:
            hinter.suggest(text)
        passes.append(len(texts) / (time.perf_counter() - begin))
    return {"import_s": imported - started, "load_s": loaded - imported, "messages": len(texts),
            "cold_per_s": passes[0], "warm_per_s": passes[1],
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def print_speed() -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    child = subprocess.run([sys.executable, __file__, "--speed-json"], capture_output=True,
                           text=True, env=env, cwd=ROOT, check=True)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"\nspeed (fresh process, one core): import {result['import_s']:.2f} s, "
          f"model and embeddings load {result['load_s']:.2f} s")
    print(f"  suggest: {result['cold_per_s']:,.0f} msg/s first pass (cold caches), "
          f"{result['warm_per_s']:,.0f} msg/s second pass, over {result['messages']} messages")
    print(f"  memory: {result['max_rss_mb']:.0f} MB peak resident (the whole process)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the held-out misses")
    parser.add_argument("--speed-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.speed_json:
        print(json.dumps(speed()))
        return
    quality("held-out part of the main corpus", *held_out(), args.misses)
    for title, folder in HELD_OUT_SETS:
        print()
        quality(title, *held_out_set(folder), False)  # misses are never listed
    print_speed()


if __name__ == "__main__":
    main()
