"""Time ``Hinter.suggest`` on hostile messages at two lengths: a time that grows faster than the
length shows a pattern that rereads the text (session 7: «а»×100,000 + «1» took 97–116 s).

Run from the repository root:  python bench/hints_hostile.py [SHORT LONG]   (default 25000 100000)

Prints, per input, the seconds at both lengths and marks a growth over three times the length's
ratio of four. Each suggest() should stay well under a second at 100,000 characters.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# name → a message of about N characters
INPUTS = {
    "vowel run + digit": lambda n: "а" * n + "1",
    "vowel run + consonant": lambda n: "а" * n + "б",
    "two letters": lambda n: "аб" * (n // 2),
    "letter-hyphen": lambda n: "а-" * (n // 2) + "1",
    "letter-dot": lambda n: "а." * (n // 2) + "1",
    "letter-space": lambda n: "а " * (n // 2) + "1",
    "letter-mask": lambda n: "а*" * (n // 2) + "1",
    "latin run": lambda n: "z" * n + "1",
    "dots and spaces": lambda n: ". " * (n // 2),
    "digits": lambda n: "1" * n + "а",
    "capitals": lambda n: "А" * n + "1",
    "unclosed quotes": lambda n: "«" * (n // 2) + "а",
    "closed quotes": lambda n: "«а» " * (n // 4),
    "hyphenated letters": lambda n: "б-" * (n // 2) + "а",
    "pi look-alikes": lambda n: "3.14" * (n // 4) + "а",
    "emoji and letter": lambda n: "😀а" * (n // 2),
    "at signs": lambda n: "@" * n + "а",
}


def main(argv: list[str]) -> None:
    from bridge.hints import Hinter
    from bridge.hints.evaluation import demo_municipality

    short, long = (int(argv[0]), int(argv[1])) if len(argv) == 2 else (25_000, 100_000)
    hinter = Hinter(*demo_municipality())
    hinter.suggest("нет отопления")  # loads the embeddings and the dictionaries
    for name, make in INPUTS.items():
        seconds = []
        for length in (short, long):
            started = time.perf_counter()
            hinter.suggest(make(length))
            seconds.append(time.perf_counter() - started)
        growth = seconds[1] / max(seconds[0], 1e-6)
        flag = "  <- grows faster than the length" if growth > 3 * long / short and seconds[1] > 0.2 else ""
        print(f"{name:22s} {seconds[0]:7.3f} s {seconds[1]:7.3f} s{flag}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
