"""Benchmark of the ledger workbook (SPEC §8: performance is measured, not timed in tests).

    python bench/ledger.py [--sizes 1000,10000,50000]

For each size N it fills a fresh store with N realistic cases, lets a cycle write the ledger, then
stands in for the operator (one decision and one comment typed in, the file saved) and measures:

- the cycle that follows that edit: read (calamine) + reconcile + apply + render + write (XlsxWriter)
  + snapshot, i.e. everything `run_cycle` does after an operator's save;
- the same cycle's workbook read alone and write alone;
- a bare `xlsxwriter.Workbook(constant_memory=True)` write of the same cells in the same run, the
  floor any writer of this file has to pay;
- a cycle with nothing changed, which must neither read nor write the workbook.

Time is wall-clock (`time.perf_counter`) of a run without tracing; peak memory is the peak of
Python allocations (`tracemalloc`) in a second, traced run of the same step. See bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

# The repo root first, and not this folder: here `ledger` must be the package, not this file.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import xlsxwriter  # noqa: E402

import bridge.config  # noqa: E402
from bridge.app import App, build_app  # noqa: E402
from bridge.cycle import render_context, run_cycle  # noqa: E402
from bridge.model import Case, Decision, Status  # noqa: E402
from ledger.columns import COLUMNS  # noqa: E402
from ledger.service import render_all  # noqa: E402
from ledger.workbook import read_ledger, write_ledger  # noqa: E402

NOW = datetime(2026, 3, 31, 2, 0, tzinfo=timezone.utc)       # Tuesday 13:00 in Okha
WORDS = ("двор дорога яма освещение фонарь снег уборка вода труба отопление автобус остановка школа "
         "детский сад поликлиника мусор контейнер площадка ремонт подъезд крыша тротуар парк").split()
STATUSES = (Status.NEW, Status.ROUTED, Status.ANSWERED, Status.PUBLISHED, Status.REWORK, Status.REJECTED)
DEPARTMENTS = ("zhkh", "dorogi", "obrazovanie", "kumi", "kultura", "")


# -- the data ----------------------------------------------------------------------------------

def make_app(folder: Path) -> App:
    base = bridge.config.load(None)
    data = folder / "data"
    config = dataclasses.replace(base, data_dir=data, ledger=data / "Журнал обращений.xlsx", site_dir=data / "site")
    return build_app(config, connect=False)


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def make_case(rng: random.Random, number: int) -> Case:
    posted = NOW - timedelta(minutes=rng.randint(10, 60 * 24 * 28))
    status = rng.choice(STATUSES)
    case = Case(id=f"OKH-2026-{number:05d}", channel=rng.choice(("vk", "telegram", "ok")),
                external_id=f"bench:{number}", posted_at=posted, kind="Комментарий",
                author_name=f"Житель {number}", author_link=f"https://vk.com/id{number}",
                text=" ".join(_sentence(rng, rng.randint(6, 30)) for _ in range(rng.randint(1, 4))),
                link=f"https://vk.com/wall-1_{number}", hint="ЖКХ (вода, отопление)", status=status,
                department=rng.choice(DEPARTMENTS) if status != Status.NEW else "")
    if status != Status.NEW:
        case.deadline_kind, case.deadline_start = "answer", posted + timedelta(hours=2)
        case.routed_at = case.deadline_start
    if status in (Status.ANSWERED, Status.PUBLISHED, Status.REWORK):
        case.dept_answer = " ".join(_sentence(rng, rng.randint(8, 25)) for _ in range(3))
        case.publish_text = case.dept_answer
        case.answered_at = case.handled_at = case.deadline_start + timedelta(hours=rng.randint(1, 60))
    if status in (Status.PUBLISHED, Status.REJECTED):
        case.closed_at = (case.answered_at or posted) + timedelta(hours=1)
        case.published = case.link if status == Status.PUBLISHED else ""
    return case


def fill(app: App, count: int) -> list[str]:
    rng = random.Random(count)
    with app.store.transaction():
        for number in range(1, count + 1):
            app.store.add(make_case(rng, number), "пользователь", "поступило", at=NOW)
        app.store.db.execute("INSERT INTO counters (year, last) VALUES (2026, ?)", (count,))
    return [f"OKH-2026-{n:05d}" for n in (1, count // 2 + 1)]


def operator_edit(app: App, case_ids: list[str], at: datetime) -> None:
    """What the operator's save looks like to the bridge: the same workbook, two cells typed in."""
    cases = app.store.all_cases()
    rows = render_all(cases, render_context(app, at))
    by_id = {row["id"]: row for row in rows}
    by_id[case_ids[0]].update(department="Отдел ЖКХ", decision=Decision.ROUTE)
    by_id[case_ids[1]].update(operator_comment="перезвонить заявителю")
    write_ledger(app.config.ledger, rows, app.ledger.directory, app.summary(cases, at),
                 app.config.data_dir / "bench-scratch", at)


# -- the bare writer ---------------------------------------------------------------------------

def bare_write(path: Path, rows: list[dict]) -> None:
    """The same cells with nothing else: no formats, lists, colours or other sheets."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_urls": False, "strings_to_numbers": False})
    sheet = book.add_worksheet("Журнал")
    date_format = book.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    for col, column in enumerate(COLUMNS):
        sheet.write_string(0, col, column.header)
    for r, row in enumerate(rows, start=1):
        for col, column in enumerate(COLUMNS):
            value = row.get(column.key)
            if isinstance(value, datetime):
                sheet.write_datetime(r, col, value, date_format)
            elif value:
                sheet.write_string(r, col, value)
    book.close()


# -- measuring ---------------------------------------------------------------------------------

@dataclasses.dataclass
class Measure:
    seconds: float
    peak_mb: float


def timed(action: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def traced(action: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1] / 2 ** 20
    finally:
        tracemalloc.stop()


def measure(prepare: Callable[[], object], action: Callable[[], object]) -> Measure:
    """Time a clean run, then trace memory of a second run; `prepare` resets the state before each."""
    prepare()
    seconds = timed(action)
    prepare()
    return Measure(seconds, traced(action))


def bench_size(count: int, folder: Path) -> dict:
    app = make_app(folder)
    try:
        picked = fill(app, count)
        clock = iter(NOW + timedelta(seconds=n) for n in range(10 ** 6))
        first = timed(lambda: run_cycle(app, next(clock)))
        assert app.config.ledger.exists()

        reports = []
        cycle = measure(lambda: operator_edit(app, picked, next(clock)),
                        lambda: reports.append(run_cycle(app, next(clock))))
        assert all(r.decisions_read == 1 and r.ledger == "записан" for r in reports), reports
        read = measure(lambda: None, lambda: read_ledger(app.config.ledger))
        rows = render_all(app.store.all_cases(), render_context(app, NOW))
        summary = app.summary(app.store.all_cases(), NOW)
        write = measure(lambda: None, lambda: app.ledger.write(rows, summary, next(clock), None))
        bare = measure(lambda: None, lambda: bare_write(folder / "bare.xlsx", rows))
        run_cycle(app, next(clock))
        quiet_reports = []
        quiet = timed(lambda: quiet_reports.append(run_cycle(app, next(clock))))
        assert quiet_reports[0].ledger == "без изменений", quiet_reports
        return {"n": count, "first": first, "cycle": cycle, "read": read, "write": write, "bare": bare,
                "quiet": quiet, "size_mb": app.config.ledger.stat().st_size / 2 ** 20}
    finally:
        app.store.close()


def print_table(results: list[dict]) -> None:
    head = (f"{'cases':>7} | {'cycle after edit':>17} | {'read':>6} | {'write':>15} | {'bare xlsxwriter':>15} "
            f"| {'cycle/bare':>10} | {'write/bare':>10} | {'no-change':>9} | {'file':>7}")
    print(head)
    print("-" * len(head))
    for r in results:
        cycle, write, bare = r["cycle"], r["write"], r["bare"]
        print(f"{r['n']:>7} | {cycle.seconds:6.2f} s {cycle.peak_mb:6.1f} MB | {r['read'].seconds:4.2f} s "
              f"| {write.seconds:5.2f} s {write.peak_mb:5.1f} MB | {bare.seconds:5.2f} s {bare.peak_mb:5.1f} MB "
              f"| {cycle.seconds / bare.seconds:8.1f}× | {write.seconds / bare.seconds:8.1f}× "
              f"| {r['quiet']:7.3f} s | {r['size_mb']:4.1f} MB")
    print("\nMB = peak of Python allocations (tracemalloc); calamine's Rust memory is not counted.")
    print("write/bare memory ratio: " + ", ".join(
        f"{r['n']}: {r['write'].peak_mb / max(r['bare'].peak_mb, 0.01):.1f}×" for r in results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ledger workbook benchmark")
    parser.add_argument("--sizes", default="1000,10000,50000", help="comma-separated case counts")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = []
    for count in sizes:
        with tempfile.TemporaryDirectory(prefix="otklik-bench-") as folder:
            started = time.perf_counter()
            results.append(bench_size(count, Path(folder)))
            print(f"{count} cases: done in {time.perf_counter() - started:.0f} s "
                  f"(first write {results[-1]['first']:.2f} s)", file=sys.stderr)
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
