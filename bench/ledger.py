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
import json
import multiprocessing
import os
import random
import re
import sys
import tempfile
import time
import tracemalloc
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

# The repo root first, and not this folder: here `ledger` must be the package, not this file.
# OTKLIK_BENCH_ROOT measures another checkout (an older tree) with this script.
_HERE = Path(__file__).resolve().parent
_ROOT = os.environ.get("OTKLIK_BENCH_ROOT") or str(_HERE.parent)
sys.path[:] = [_ROOT] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import xlsxwriter  # noqa: E402
from xlsxwriter.utility import xl_col_to_name  # noqa: E402

import bridge.config  # noqa: E402
from bridge.app import App, build_app  # noqa: E402
from bench.backend import on_backend  # noqa: E402
from bridge.cycle import render_context, run_cycle  # noqa: E402
from bridge.core.model import Case, Status  # noqa: E402
from bridge.core.model import CASE_FIELDS  # noqa: E402
from bridge.storage.store import _encode, case_from_json, case_to_json  # noqa: E402
from ledger.columns import COLUMNS  # noqa: E402
from ledger.service import render_all  # noqa: E402
from ledger.workbook import read_ledger  # noqa: E402

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
    return build_app(on_backend(config), connect=False)


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def make_case(rng: random.Random, number: int) -> Case:
    posted = NOW - timedelta(minutes=rng.randint(10, 60 * 24 * 28))
    status = Status.NEW if number <= 2 else rng.choice(STATUSES)   # the two the operator edits are new
    case = Case(id=f"OKH-2026-{number:05d}", channel=rng.choice(("vk", "telegram", "ok")),
                external_id=f"bench:{number}", posted_at=posted, kind="Комментарий",
                author_name=f"Житель {number}", author_link=f"https://vk.com/id{number}",
                text=" ".join(_sentence(rng, rng.randint(6, 30)) for _ in range(rng.randint(1, 4))),
                link=f"https://vk.com/wall-1_{number}", hint="ЖКХ (вода, отопление)", status=status,
                department=rng.choice(DEPARTMENTS) if status != Status.NEW else "")
    if status != Status.NEW:
        # Every moment lies before NOW: the cycle's clock step corrects moments from the future.
        case.deadline_kind, case.deadline_start = "answer", min(posted + timedelta(hours=2), NOW - timedelta(minutes=3))
        case.routed_at = case.deadline_start
    if status in (Status.ANSWERED, Status.PUBLISHED, Status.REWORK):
        case.dept_answer = " ".join(_sentence(rng, rng.randint(8, 25)) for _ in range(3))
        case.publish_text = case.dept_answer
        case.answered_at = case.handled_at = min(case.deadline_start + timedelta(hours=rng.randint(1, 60)),
                                                 NOW - timedelta(minutes=2))
    if status in (Status.PUBLISHED, Status.REJECTED):
        case.closed_at = min((case.answered_at or posted) + timedelta(hours=1), NOW - timedelta(minutes=1))
        case.published = case.link if status == Status.PUBLISHED else ""
    return case


def _case_json(case: Case) -> str:
    """`case_to_json` without `asdict`'s deep copies (50,000 cases in seconds, same JSON)."""
    return json.dumps({name: _encode(getattr(case, name)) for name in CASE_FIELDS}, ensure_ascii=False)


def fill(app: App, count: int) -> None:
    """N cases straight into the store, in one transaction, each with its «поступило» history row."""
    rng = random.Random(count)
    cases = [make_case(rng, number) for number in range(1, count + 1)]
    assert case_from_json(_case_json(cases[-1])) == cases[-1] and _case_json(cases[0]) == case_to_json(cases[0])
    at = NOW.isoformat()
    with app.store.transaction() as db:
        db.executemany(
            "INSERT INTO cases (id, year, seq, status, department, posted_at, closed_at, data) "
            "VALUES (?, 2026, ?, ?, ?, ?, ?, ?)",
            [(c.id, n, c.status, c.department, c.posted_at.isoformat(),
              c.closed_at.isoformat() if c.closed_at else None, _case_json(c))
             for n, c in enumerate(cases, start=1)])
        db.executemany("INSERT INTO history (case_id, at, actor, action) VALUES (?, ?, 'пользователь', 'поступило')",
                       [(c.id, at) for c in cases])
        db.executemany("INSERT INTO intake_keys (channel, external_id, case_id) VALUES (?, ?, ?)",
                       [(c.channel, c.external_id, c.id) for c in cases])
        db.execute("INSERT INTO counters (year, last) VALUES (2026, ?)", (count,))


# What the operator types (Excel would save the same cells): «Отдел» + «Направить» in the first
# row, a comment in the second. Inserted into the sheet XML so that preparing the edit costs
# seconds, not a full openpyxl load and save of a 50,000-row workbook.
EDITS = {2: {"Отдел": "Отдел ЖКХ", "Решение оператора": "Направить"},
         3: {"Комментарий оператора": "перезвонить заявителю"}}
_LETTER = {c.header: xl_col_to_name(i) for i, c in enumerate(COLUMNS)}


def operator_edit(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        parts = {info: archive.read(info.filename) for info in archive.infolist()}
    for info in parts:
        if info.filename == "xl/worksheets/sheet1.xml":
            xml = parts[info].decode("utf-8")
            for row, cells in EDITS.items():
                xml = _type_into_row(xml, row, cells)
            parts[info] = xml.encode("utf-8")
    temp = path.with_suffix(".editing")
    with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts.items():
            archive.writestr(info, data)
    os.replace(temp, path)


def _type_into_row(xml: str, row: int, cells: dict[str, str]) -> str:
    """Put `cells` (header → text) into row `row` of the sheet XML, keeping cells in column order."""
    found = re.search(rf'<row r="{row}"[^>]*>(.*?)</row>', xml, re.S)
    pieces = re.findall(rf'<c r="[A-Z]+{row}".*?(?:</c>|/>)', found.group(1), re.S)
    by_letter = {re.match(r'<c r="([A-Z]+)', p).group(1): p for p in pieces}
    for header, text in cells.items():
        letter = _LETTER[header]
        by_letter[letter] = f'<c r="{letter}{row}" t="inlineStr"><is><t>{text}</t></is></c>'
    body = "".join(by_letter[letter] for letter in sorted(by_letter, key=_col))
    return xml[:found.start(1)] + body + xml[found.end(1):]


def _col(letter: str) -> int:
    return sum((ord(ch) - 64) * 26 ** i for i, ch in enumerate(reversed(letter)))


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
# Each measured process is a fresh interpreter (multiprocessing "spawn"), never a fork of this
# fat parent: its resident memory is its own. It opens the store itself, reports the growth of
# its resident set during each step (VmHWM reset just before it) and its peak since it started
# (VmHWM without a reset: imports, start-up and every step, native memory included).

@dataclasses.dataclass
class Measure:
    seconds: float
    rss_mb: float
    traced_mb: float | None = None
    detail: str = ""
    peak_mb: float = 0.0          # the process's peak resident memory since it started


def _vm(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")          # resets VmHWM to the current RSS (Linux ≥ 4.0)
    except OSError:
        pass


def _timed(action, traced: bool = False) -> tuple[object, Measure]:
    gc.collect()
    peak = _vm("VmHWM")
    _reset_peak()
    before = _vm("VmRSS")
    started = time.perf_counter()
    if traced:
        tracemalloc.start()
    result = action()
    seconds = time.perf_counter() - started
    traced_mb = tracemalloc.get_traced_memory()[1] / 2 ** 20 if traced else None
    if traced:
        tracemalloc.stop()
    hwm = _vm("VmHWM")
    return result, Measure(seconds, hwm - before, traced_mb, peak_mb=max(peak, hwm))


def _service(folder: str, traced: bool) -> dict:
    """A service process: start (every row rendered once), then what it does all day."""
    app = make_app(Path(folder))
    path = app.config.ledger
    try:
        import bridge.cycle as cycle
        start = getattr(cycle, "start", None)             # absent in trees before issue 14
        out = {}
        _, out["startup"] = _timed(lambda: start(app, NOW) if start else None)   # what bridge/serve.py does
        run_child(_operator, (str(path),), "operator")    # the operator's program, not the service
        report, out["cycle"] = _timed(lambda: run_cycle(app, NOW + timedelta(minutes=1)), traced)
        out["cycle"].detail = f"{report.ledger}, {report.decisions_read}"
        before = path.stat().st_mtime_ns
        report, out["quiet"] = _timed(lambda: run_cycle(app, NOW + timedelta(minutes=2)))
        out["quiet"].detail = f"{report.ledger}, {report.decisions_read}"
        assert path.stat().st_mtime_ns == before, "a cycle with no change wrote the workbook"
        # An hour later, still in working hours: an hour of flipped labels and due reminders at
        # once (the catch-up), then the timer cycle a minute after it, with no event between.
        _, out["catch_up"] = _timed(lambda: run_cycle(app, TIMER - timedelta(minutes=1)))
        before = path.stat().st_mtime_ns
        report, out["timer"] = _timed(lambda: run_cycle(app, TIMER))
        out["timer"].detail = "rewritten" if path.stat().st_mtime_ns != before else "nothing rewritten"
        out["peak"] = max(_vm("VmHWM"), *(m.peak_mb for m in out.values()))
        return out
    finally:
        app.store.close()


def _operator(path: str, out) -> None:
    operator_edit(Path(path))
    out.send(True)


TIMER = NOW + timedelta(hours=1, minutes=3)       # Tuesday 14:03 in Okha, a minute after the catch-up


def _lay(folder: str, traced: bool) -> dict:
    """The first cycle of a fresh service over a store with no workbook yet: every row written."""
    app = make_app(Path(folder))
    try:
        report, measure = _timed(lambda: run_cycle(app, NOW), traced)
        measure.detail = report.ledger
        return {"write": measure}
    finally:
        app.store.close()


def _read(folder: str, traced: bool, name: str = "") -> dict:
    app = make_app(Path(folder))
    path = app.config.ledger.with_name(name) if name else app.config.ledger
    try:
        count, measure = _timed(lambda: sum(1 for _ in read_ledger(path).rows), traced)
        measure.detail = f"{count} rows"
        return {"read": measure}
    finally:
        app.store.close()


def _read_whole(folder: str, traced: bool) -> dict:
    """read_ledger with the sheet read whole by calamine, as before issue 14's pieces."""
    import ledger.workbook as workbook
    if not hasattr(workbook, "SheetPieces"):
        return {}                        # an older tree: its read is the whole read
    def whole(*args, **kwargs):
        raise workbook.Unsplittable("measured whole")
    workbook.SheetPieces = whole
    return {"read_whole": _read(folder, traced)["read"]}


def _read_shared(folder: str, traced: bool) -> dict:
    return {"read_shared": _read(folder, traced, SHARED_COPY)["read"]}


def _read_shared_whole(folder: str, traced: bool) -> dict:
    import ledger.workbook as workbook
    if not hasattr(workbook, "SheetPieces"):
        return {}
    def whole(*args, **kwargs):
        raise workbook.Unsplittable("measured whole")
    workbook.SheetPieces = whole
    return {"read_shared_whole": _read(folder, traced, SHARED_COPY)["read"]}


SHARED_COPY = "shared strings.xlsx"
_INLINE = re.compile(rb'(<c r="[A-Z]+\d+"(?: s="\d+")? t=")inlineStr"><is>(.*?)</is></c>', re.S)


def shared_strings_copy(path: Path, target: Path) -> None:
    """The ledger as Excel and LibreOffice save it: the text of «Журнал» in a shared-strings
    table (`<c t="s"><v>index</v>`), each distinct text once."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    table: dict[bytes, int] = {}

    def shared(found: re.Match) -> bytes:
        return found.group(1) + b's"><v>%d</v></c>' % table.setdefault(found.group(2), len(table))
    parts["xl/worksheets/sheet1.xml"] = _INLINE.sub(shared, parts["xl/worksheets/sheet1.xml"])
    parts["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main" count="%d" uniqueCount="%d">' % (len(table), len(table))
        + b"".join(b"<si>" + body + b"</si>" for body in table) + b"</sst>")
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def _bare(folder: str, traced: bool) -> dict:
    app = make_app(Path(folder))
    try:
        rows = render_all(app.store.all_cases(), render_context(app, NOW))
        target = app.config.data_dir / "bare.xlsx"
        _, measure = _timed(lambda: bare_write(target, rows), traced)
        return {"bare": measure}
    finally:
        app.store.close()


STEPS = {"lay": _lay, "service": _service, "read": _read, "bare": _bare, "read_whole": _read_whole,
         "read_shared": _read_shared, "read_shared_whole": _read_shared_whole}


def _child(folder: str, step: str, traced: bool, out) -> None:
    out.send(STEPS[step](folder, traced))


def measure(folder: Path, step: str, traced: bool) -> dict:
    return run_child(_child, (str(folder), step, traced), step)


def run_child(target, args: tuple, label: str, method: str = "spawn"):
    """`target(*args, out)` in a child process; what it sends on `out`. "spawn": a fresh
    interpreter, so the child's memory is its own, not a copy of this parent's."""
    context = multiprocessing.get_context(method)
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=target, args=(*args, send))
    child.start()
    send.close()                 # only the child holds the sending end: its death ends recv()
    try:
        result = receive.recv()
    except EOFError:
        result = None
    child.join()
    if child.exitcode != 0 or result is None:
        raise RuntimeError(f"step «{label}» failed in the child process (exit code {child.exitcode})")
    return result


def bench_size(count: int, folder: Path, traced: bool) -> dict:
    app = make_app(folder)
    started = time.perf_counter()
    fill(app, count)
    filled = time.perf_counter() - started
    app.store.close()
    result = {"n": count, "fill": filled}
    for step in ("lay", "service", "read", "read_whole", "bare"):
        result.update(measure(folder, step, traced))
    ledger_path = folder / "data" / "Журнал обращений.xlsx"
    shared_strings_copy(ledger_path, ledger_path.with_name(SHARED_COPY))
    for step in ("read_shared", "read_shared_whole"):
        result.update(measure(folder, step, traced))
    result["size_mb"] = (folder / "data" / "Журнал обращений.xlsx").stat().st_size / 2 ** 20
    # the edit was read (one decision) and written back; the quiet cycle touched nothing
    assert result["cycle"].detail == "записан, 1" and result["quiet"].detail == "без изменений, 0", result
    return result


def print_table(results: list[dict]) -> None:
    head = (f"{'cases':>7} | {'full write':>15} | {'start-up':>7} | {'cycle after edit':>16} | {'no-change':>9} "
            f"| {'timer cycle':>24} | {'read':>6} | {'bare xlsxwriter':>15} | {'edit/bare':>9} | {'quiet/bare':>10} "
            f"| {'timer/bare':>10} | {'peak':>6} | {'file':>7}")
    print(head)
    print("-" * len(head))
    for r in results:
        cycle, write, bare, timer = r["cycle"], r["write"], r["bare"], r["timer"]
        print(f"{r['n']:>7} | {write.seconds:6.2f} s {write.rss_mb:4.0f} MB | {r['startup'].seconds:5.2f} s "
              f"| {cycle.seconds:6.2f} s {cycle.rss_mb:5.0f} MB | {r['quiet'].seconds:7.3f} s "
              f"| {timer.seconds:6.2f} s {timer.detail:>15} | {r['read'].seconds:4.2f} s "
              f"| {bare.seconds:6.2f} s {bare.rss_mb:4.0f} MB | {cycle.seconds / bare.seconds:8.2f}x "
              f"| {r['quiet'].seconds / bare.seconds:9.3f}x | {timer.seconds / bare.seconds:9.2f}x "
              f"| {r['peak']:3.0f} MB | {r['size_mb']:4.1f} MB")
    print("service process peak after each step, MB: " + "; ".join(
        f"{r['n']}: start-up {r['startup'].peak_mb:.0f}, edit {r['cycle'].peak_mb:.0f}, no-change {r['quiet'].peak_mb:.0f}, "
        f"catch-up {r['catch_up'].peak_mb:.0f}, timer {r['timer'].peak_mb:.0f}" for r in results))
    for r in results:
        how = "pieces " if "read_whole" in r else ""          # an older tree reads whole
        line = [f"{r['n']}: the operator's save read (read_ledger, its rows iterated, fresh process, s / MB of growth):"
                f" {how}{r['read'].seconds:.2f} s {r['read'].rss_mb:.0f} MB"]
        if "read_whole" in r:
            line.append(f"whole {r['read_whole'].seconds:.2f} s {r['read_whole'].rss_mb:.0f} MB")
        line.append(f"with shared strings (as Excel and LibreOffice save it): {how}{r['read_shared'].seconds:.2f} s "
                    f"{r['read_shared'].rss_mb:.0f} MB")
        if "read_shared_whole" in r:
            line.append(f"whole {r['read_shared_whole'].seconds:.2f} s {r['read_shared_whole'].rss_mb:.0f} MB")
        print(", ".join(line))
    print("\nfull write = the first cycle over a store with no workbook (every row rendered and written); "
          "start-up = a restarted service rendering every row once; the edit, no-change and timer cycles run "
          "after it in the same process; peak = that process's peak resident memory since it started; "
          "MB beside a time = growth of resident memory during the step (native memory included).")
    if any(r["cycle"].traced_mb is not None for r in results):
        print("tracemalloc peaks (Python allocations only), MB: " + "; ".join(
            f"{r['n']}: cycle {r['cycle'].traced_mb:.1f}, read {r['read'].traced_mb:.1f}, "
            f"full write {r['write'].traced_mb:.1f}, bare {r['bare'].traced_mb:.1f}" for r in results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ledger workbook benchmark")
    parser.add_argument("--sizes", default="1000,10000,50000", help="comma-separated case counts")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also trace Python allocations of the steps (slower; times then include tracing)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = []
    for count in sizes:
        with tempfile.TemporaryDirectory(prefix="otklik-bench-") as folder:
            started = time.perf_counter()
            results.append(bench_size(count, Path(folder), args.tracemalloc))
            print(f"{count} cases: measured in {time.perf_counter() - started:.0f} s "
                  f"(filling the store {results[-1]['fill']:.1f} s)", file=sys.stderr)
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
