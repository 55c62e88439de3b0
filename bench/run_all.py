"""Run every benchmark and write the headline figures to bench/results.md (SPEC §8).

Run from the repository root:  python bench/run_all.py [--quick]

hints (bench/hints.py), the 10,000-message burst (bench/burst.py), 1,000 replies at once
(bench/mail.py, its own Dovecot) and the ledger cycle (bench/ledger.py) at 1,000 / 10,000 / 20,000 /
50,000 cases, or 1,000 / 20,000 with --quick. Every benchmark prints its own lines as it goes; at the end
a short Markdown table puts each figure beside the baseline measured in the same run, with the
ratio, and the same table goes to bench/results.md under a line saying when and on what machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Replace the script's folder: bench/ledger.py would shadow the `ledger` package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench import burst  # noqa: E402
from bench.hints import rate, read_sample  # noqa: E402
from bench.ledger import print_table  # noqa: E402
from bridge.hints import suggest  # noqa: E402
from bridge.hints.evaluation import measure  # noqa: E402

RESULTS = ROOT / "bench" / "results.md"
SIZES = {"default": [1000, 10_000, 20_000, 50_000], "quick": [1000, 20_000]}

Row = tuple[str, str, str, str, str]     # benchmark, figure, ours, baseline, ratio


def run_hints() -> list[Row]:
    rows = read_sample()
    scores = measure(rows)
    texts = [row.text for row in rows]
    ours, bare = rate(suggest, texts, 5), rate(lambda text: text.lower().split(), texts, 5)
    print(f"hints: {scores.total} labelled messages, department accuracy {scores.department_accuracy:.3f}, "
          f"п. 3.6 precision {scores.precision:.3f} recall {scores.recall:.3f}; "
          f"suggest {ours:,.0f} msg/s, lower()+split() {bare:,.0f} msg/s")
    return [("hints", "suggest, messages/s", f"{ours:,.0f}", f"{bare:,.0f} (lower+split)",
             f"{bare / ours:,.0f}x slower")]


def burst_rows(result: dict) -> list[Row]:
    n, rows = result["n"], []
    for stage, seconds, mb, base, base_mb, name in burst.headline(result):
        memory = "" if mb != mb else f", {mb:.0f} MB"
        rows.append((f"burst {n:,}", f"{stage}, msg/s", f"{n / seconds:,.0f} ({seconds:.1f} s{memory})",
                     f"{n / base:,.0f} ({base:.2f} s, {base_mb:.0f} MB) {name}", f"{seconds / base:,.1f}x"))
    return rows


def mail_rows(mail: dict) -> list[Row]:
    n, ours, bare = mail["replies"], mail["bridge_s"], mail["bare_s"]
    return [(f"mail {n:,}", "replies → ledger, replies/s", f"{n / ours:,.0f} ({ours:.2f} s)",
             f"{n / bare:,.0f} (bare IMAP fetch)", f"{ours / bare:,.1f}x"),
            (f"mail {n:,}", "APPEND → answer in workbook", f"median {mail['median_ms']} ms, p95 {mail['p95_ms']} ms",
             "—", "—"),
            (f"mail {n:,}", "peak resident memory", f"{mail['peak_mb']:.0f} MB",
             f"{mail['floor_mb']:.0f} MB (imports only)", f"+{mail['peak_mb'] - mail['floor_mb']:.0f} MB")]


def ledger_rows(results: list[dict]) -> list[Row]:
    rows = []
    for r in results:
        cycle, write, bare = r["cycle"], r["write"], r["bare"]
        floor = f"{bare.seconds:.2f} s, {bare.rss_mb:.0f} MB (bare xlsxwriter)"
        rows += [(f"ledger {r['n']:,}", "cycle after an edit", f"{cycle.seconds:.2f} s, {cycle.rss_mb:.0f} MB",
                  floor, f"{cycle.seconds / bare.seconds:.2f}x"),
                 (f"ledger {r['n']:,}", "full write (first cycle)", f"{write.seconds:.2f} s, {write.rss_mb:.0f} MB",
                  floor, f"{write.seconds / bare.seconds:.1f}x"),
                 (f"ledger {r['n']:,}", "cycle with no change", f"{r['quiet'].seconds:.3f} s", floor,
                  f"{r['quiet'].seconds / bare.seconds:.3f}x"),
                 (f"ledger {r['n']:,}", "timer cycle, working hours", f"{r['timer'].seconds:.2f} s, {r['timer'].detail}",
                  floor, f"{r['timer'].seconds / bare.seconds:.2f}x"),
                 (f"ledger {r['n']:,}", "service peak resident memory", f"{r['peak']:.0f} MB", "—", "—")]
    return rows


def machine_line(mode: str, started: datetime, seconds: float, load: tuple) -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    return (f"Measured {started:%Y-%m-%d %H:%M} by `python bench/run_all.py{' --quick' if mode == 'quick' else ''}` "
            f"in {seconds / 60:.1f} min on {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}; load average {load[0]:.1f} at the start, "
            f"{os.getloadavg()[0]:.1f} at the end — the machine may be shared with other jobs, "
            "so compare ratios rather than seconds.")


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def table(rows: list[Row]) -> str:
    lines = ["| benchmark | figure | ours | baseline (same run) | ratio |", "|---|---|---|---|---|"]
    return "\n".join(lines + [f"| {' | '.join(row)} |" for row in rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="ledger at 1,000 and 20,000 cases only")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "default"
    started, clock, load = datetime.now(), time.perf_counter(), os.getloadavg()
    rows = run_hints()
    print()
    result = burst.run_burst(10_000)
    burst.print_burst(result)
    rows += burst_rows(result)
    print()
    mail = burst.run_mail(1000)
    burst.print_mail(mail)
    rows += mail_rows(mail)
    print()
    ledgers = burst.run_ledger(SIZES[mode])
    print_table(ledgers)
    rows += ledger_rows(ledgers)
    header = machine_line(mode, started, time.perf_counter() - clock, load)
    report = f"# Benchmark results\n\n{header}\n\n{table(rows)}\n"
    RESULTS.write_text(report, encoding="utf-8")
    print("\n" + report + f"\n(written to {RESULTS.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
