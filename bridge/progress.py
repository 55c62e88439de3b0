"""Progress of long work for people: on a terminal a bar (tqdm) that appears only when the work
lasts longer than BAR_DELAY; in the service log (no terminal) a line every LOG_EVERY seconds while
the work lasts, and one when it ends. Work that ends quickly shows nothing at all.

`shown_progress` is the factory the shell hands to the steps (`ports.progress`). Work that has no
count to give (a command waiting for a step) still shows that it is alive: a shared ticker thread
refreshes the bar's clock and writes the log line, so a step need not call anything.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import weakref

from bridge.core.progress import Progress

log = logging.getLogger("otklik.progress")

BAR_DELAY = 2.0       # seconds before a bar appears on a terminal
LOG_EVERY = 30.0      # seconds between two log lines of the same work
TICK = 1.0            # the ticker's period


class ShownProgress(Progress):
    def __init__(self, label: str, total: int | None = None, unit: str = "", *, stream=None,
                 clock=time.monotonic, log_every: float | None = None) -> None:
        self.label, self.total, self.unit = label, total, unit
        self.clock, self.log_every = clock, LOG_EVERY if log_every is None else log_every
        self.started = self.clock()
        self.next_log = self.started + self.log_every
        self.done, self.logged, self.closed = 0, False, False
        self.lock = threading.Lock()
        stream = stream if stream is not None else sys.stderr
        self.bar = _bar(label, total, unit, stream) if _is_terminal(stream) else None
        _Ticker.watch(self)

    def advance(self, count: int = 1) -> None:
        with self.lock:
            self.done += count
            if self.bar is not None:
                self.bar.update(count)     # tqdm redraws at most every `mininterval`
                return
        self._maybe_log()

    def tick(self) -> None:
        """Every TICK, from the ticker: the bar's clock moves even while nothing is counted."""
        with self.lock:
            if self.bar is not None and not self.closed:
                self.bar.refresh()
                return
        self._maybe_log()

    def _maybe_log(self) -> None:
        with self.lock:
            now = self.clock()
            if self.closed or now < self.next_log:
                return
            self.next_log = now + self.log_every
            self.logged = True
        log.info("%s: %s, прошло %s", self.label, self.amount(), duration(now - self.started))

    def amount(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.total:
            return f"{self.done:,} из {self.total:,}{unit} ({100 * self.done // self.total} %)".replace(",", " ")
        return f"{self.done:,}{unit}".replace(",", " ") if self.done else "идёт"

    def close(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
            if self.bar is not None:
                self.bar.close()
        if self.logged:
            done = f"{self.done:,} {self.unit} ".replace(",", " ") if self.done and self.unit else ""
            log.info("%s: завершено — %sза %s", self.label, done, duration(self.clock() - self.started))


def shown_progress(label: str, total: int | None = None, unit: str = "") -> ShownProgress:
    return ShownProgress(label, total, unit)


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} с"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} мин {seconds} с"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} ч {minutes} мин"


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _bar(label: str, total: int | None, unit: str, stream):
    from tqdm import tqdm
    # Russian all through: tqdm's default format says "it/s".
    shape = ("{desc}: {percentage:3.0f}% |{bar}| {n_fmt} из {total_fmt} " + unit + " [{elapsed}, осталось {remaining}]"
             if total else "{desc}: {n_fmt} " + unit + " [{elapsed}]" if unit else "{desc}: идёт [{elapsed}]")
    return tqdm(total=total, desc=label, file=stream, delay=BAR_DELAY, leave=False, dynamic_ncols=True,
                bar_format=shape, mininterval=0.5)


class _Ticker:
    """One daemon thread for every open progress: it wakes each TICK and ticks them."""

    _live: "weakref.WeakSet[ShownProgress]" = weakref.WeakSet()
    _thread: threading.Thread | None = None
    _guard = threading.Lock()

    @classmethod
    def watch(cls, progress: ShownProgress) -> None:
        with cls._guard:
            cls._live.add(progress)
            if cls._thread is None or not cls._thread.is_alive():
                cls._thread = threading.Thread(target=cls._run, name="otklik-progress", daemon=True)
                cls._thread.start()

    @classmethod
    def _run(cls) -> None:
        while True:
            time.sleep(TICK)
            with cls._guard:
                live = [p for p in cls._live if not p.closed]
                for closed in [p for p in cls._live if p.closed]:
                    cls._live.discard(closed)
            for progress in live:
                try:
                    progress.tick()
                except Exception:   # noqa: BLE001 - showing progress must never break the work
                    log.debug("progress tick failed", exc_info=True)
