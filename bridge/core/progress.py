"""The progress of long work as a step sees it: `progress(label, total, unit)` returns a
`Progress`; the step calls `advance(count)` (or iterates `track(items)`) and closes it, best with
`with`. The shell hands in one that draws a bar on a terminal and writes a line to the service log
now and then (bridge/progress.py); the default here shows nothing, so a step never has to ask.

    with ports.progress("журнал: строки", total=len(cases), unit="строк") as bar:
        rows = [render(case) for case in bar.track(cases)]
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")


class Progress:
    """Shows nothing; the shell's version shows."""

    def advance(self, count: int = 1) -> None:
        """`count` more units of the work are done."""

    def track(self, items: Iterable[T]) -> Iterator[T]:
        for item in items:
            yield item
            self.advance()

    def close(self) -> None:
        """The work is over (done or not)."""

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


ProgressFactory = Callable[..., Progress]   # (label, total=None, unit="") → Progress


def no_progress(label: str, total: int | None = None, unit: str = "") -> Progress:
    return Progress()
