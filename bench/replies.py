"""Score and time `parse_reply` on the labelled client fixtures, in a fresh process.

Run from the repository root:  python bench/replies.py [--root DIR] [--repeat N]

--root points at another checkout (e.g. the parser before issue 17, exported with `git archive`)
so that the old and the new parser are measured on the same fixtures by the same script.
Prints, per split: exact answers n/N, right kinds, right case IDs, non-answers taken as answers;
then the parse time per message over all fixtures (best and median of several rounds).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
FIXTURES = HERE / "tests" / "mail_parse" / "fixtures"


def score(parse_reply, split: str) -> str:
    manifest = json.loads((FIXTURES / "clients" / split / "expected.json").read_text("utf-8"))
    total = exact = kinds = ids = wrong_answers = 0
    answers = [0, 0]
    for name, want in sorted(manifest["fixtures"].items()):
        raw = (FIXTURES / "clients" / split / name).read_bytes()
        got = parse_reply(raw, case_prefix="OKH", departments=manifest["departments"])
        total += 1
        kinds += got.kind == want["kind"]
        ids += got.case_id == want["case_id"]
        if want["kind"] in ("answer", "unknown_sender"):
            answers[1] += 1
            answers[0] += got.answer == want["answer"]
        elif got.kind in ("answer", "unknown_sender"):
            wrong_answers += 1
        exact += got.answer == want["answer"]
    return (f"{split}: answers exact {answers[0]}/{answers[1]}, kinds {kinds}/{total}, "
            f"case IDs {ids}/{total}, non-answers taken as answers {wrong_answers}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=HERE)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    sys.path.insert(0, str(args.root.resolve()))
    started = time.perf_counter()
    from mailer.reply import parse_reply
    imported = time.perf_counter() - started
    for split in ("train", "heldout"):
        print(score(parse_reply, split))
    raws = [p.read_bytes() for p in sorted(FIXTURES.rglob("*.eml"))]
    first = time.perf_counter()
    parse_reply(raws[0], departments={})
    first = time.perf_counter() - first
    rounds = []
    for _ in range(args.rounds):     # the best round: other processes only ever add time
        start = time.perf_counter()
        for _ in range(args.repeat):
            for raw in raws:
                parse_reply(raw, departments={"zhkh@adm-okha.ru": "zhkh"})
        rounds.append((time.perf_counter() - start) / (args.repeat * len(raws)))
    print(f"import {imported * 1000:.1f} ms, first parse {first * 1000:.2f} ms, "
          f"per message: best {min(rounds) * 1000:.3f} ms, median "
          f"{sorted(rounds)[len(rounds) // 2] * 1000:.3f} ms "
          f"({len(raws)} fixtures x {args.repeat}, {args.rounds} rounds)")


if __name__ == "__main__":
    main()
