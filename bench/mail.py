"""Benchmark the mail loop on a private Dovecot: replies per second into the ledger, and latency.

Run from the repository root:  python bench/mail.py [--replies N] [--samples N]

1. Throughput: N department replies wait in the bridge's mailbox; one `run_cycle` fetches,
   parses, stores them and writes the ledger. Printed beside a baseline measured in the same run:
   a bare imapclient FETCH of the same N messages (batches of 100, as the bridge reads) and
   nothing else.
2. Latency: the bridge idles on the mailbox (`ImapMailbox.wait_for_change`, IMAP IDLE); another
   connection APPENDs one reply; the time until the cycle has written the answer into the
   workbook. Median and p95 over the samples, in a ledger of `--background` cases (50,000 by
   default: bench/ledger.py's realistic mix besides the routed cases), with a fresh service
   that started on it (its first cycle renders every row once, as at a real start).

Needs Debian's dovecot-imapd and dovecot-lmtpd (started the way tests/servers/dovecot.py does).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

HERE = Path(__file__).resolve().parent
# OTKLIK_BENCH_ROOT measures another checkout (an older tree) with this script.
ROOT = Path(os.environ.get("OTKLIK_BENCH_ROOT") or HERE.parent)
# Replace the script's folder: bench/ledger.py would shadow the `ledger` namespace package.
sys.path[0] = str(ROOT)

from imapclient import IMAPClient  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402

import bridge.config  # noqa: E402
from bridge.app import App, build_app  # noqa: E402
import bridge.cycle as cycle  # noqa: E402
from bench.backend import on_backend  # noqa: E402
from bridge.cycle import run_cycle  # noqa: E402
from mailer.compose import message_id  # noqa: E402
from bridge.core.model import Case, Status  # noqa: E402
from standins.department_replies import reply  # noqa: E402
from tests.servers.dovecot import Dovecot  # noqa: E402

ADDRESS = "obrashcheniya@adm-okha.ru"
PASSWORD_ENV, PASSWORD = "OTKLIK_BENCH_IMAP_PASSWORD", "bench"
DEPARTMENT = "zhkh@adm-okha.ru"
STYLES = ("outlook", "gmail", "iphone", "thebat")
CASE_MAIL_BODY = ("Новое сообщение гражданина — Отдел ЖКХ\nОтветить до {due}\n\n"
                  "Ответьте на это письмо; всё, что выше цитаты, станет ответом; вложения будут приложены.\n\n"
                  "Сообщение (комментарий, ВКонтакте):\n{text}\n\nАвтор: {author}\n\n-- \nДело {case_id}.\n")


def make_app(root: Path, dovecot: Dovecot) -> App:
    os.environ[PASSWORD_ENV] = PASSWORD
    mail = {"backend": "imap", "address": ADDRESS, "imap_host": dovecot.host, "imap_port": dovecot.port,
            "imap_security": "none", "imap_user": ADDRESS, "imap_password_env": PASSWORD_ENV,
            "smtp_host": "127.0.0.1", "smtp_port": 1, "smtp_security": "none", "smtp_user": ""}
    data = root / "data"
    config = dataclasses.replace(bridge.config.load(None), base_dir=root, data_dir=data,
                                 ledger=data / "Журнал обращений.xlsx", site_dir=data / "site", mail=mail)
    return build_app(on_backend(config), channels={})


def add_routed_cases(app: App, count: int) -> list[tuple[str, bytes]]:
    """Cases already sent to the department; returns (case id, the case mail as it was sent)."""
    now = datetime.now(timezone.utc)
    sent = []
    with app.store.transaction():
        for n in range(count):
            case_id = app.store.next_case_id("OKH", now.year)
            msgid = message_id(case_id, app.config.host)
            text = f"Житель {n}: в доме по ул. Ленина, {n} нет горячей воды третий день."
            case = Case(id=case_id, channel="vk", external_id=f"bench:{n}", posted_at=now - timedelta(hours=1),
                        kind="Комментарий", author_name=f"Житель {n}", text=text, status=Status.ROUTED,
                        department="zhkh", routed_at=now, deadline_kind="answer", deadline_start=now,
                        thread_ids=[msgid])
            app.store.add(case, "bench", at=now)
            sent.append((case_id, case_mail(case_id, msgid, text, n)))
    return sent


def case_mail(case_id: str, msgid: str, text: str, n: int) -> bytes:
    message = EmailMessage()
    message["From"] = message["Reply-To"] = ADDRESS
    message["To"] = DEPARTMENT
    message["Subject"] = f"[{case_id}] ВКонтакте: {text[:40]}"
    message["Message-ID"] = msgid
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(CASE_MAIL_BODY.format(due="01.12.2026 15:00", text=text, author=f"Житель {n}",
                                              case_id=case_id))
    return bytes(message)


def answer_for(case_id: str) -> str:
    return f"По обращению {case_id}: горячая вода будет подана завтра до 12:00.\n\nПричина — ремонт на сетях."


def replies_for(sent: list[tuple[str, bytes]]) -> list[bytes]:
    return [reply(raw, DEPARTMENT, answer_for(case_id), STYLES[n % len(STYLES)])
            for n, (case_id, raw) in enumerate(sent)]


def bare_fetch(dovecot: Dovecot) -> tuple[float, int]:
    """The baseline: log in, SELECT, SEARCH ALL, FETCH BODY.PEEK[] in batches of 100, log out."""
    started = time.perf_counter()
    with IMAPClient(dovecot.host, dovecot.port, ssl=False) as client:
        client.login(ADDRESS, PASSWORD)
        client.select_folder("INBOX")
        uids = client.search(["ALL"])
        fetched = 0
        for start in range(0, len(uids), 100):
            fetched += len(client.fetch(uids[start:start + 100], [b"BODY.PEEK[]"]))
    return time.perf_counter() - started, fetched


def ledger_answers(app: App) -> dict[str, str]:
    grid = CalamineWorkbook.from_path(str(app.config.ledger)).get_sheet_by_name("Журнал").to_python()
    column = grid[0].index("Ответ отдела")
    return {row[0]: row[column] for row in grid[1:] if row and row[0]}


def measure_throughput(app: App, dovecot: Dovecot, sent: list[tuple[str, bytes]]) -> None:
    dovecot.deliver_many(replies_for(sent), ADDRESS)
    bare_fetch(dovecot)                                  # warm Dovecot's index and cache for both
    baseline = min(bare_fetch(dovecot)[0] for _ in range(3))
    started = time.perf_counter()
    report = run_cycle(app)
    elapsed = time.perf_counter() - started
    answers = ledger_answers(app)
    assert report.replies == len(sent) and not report.problems, report
    assert all(answers[case_id] == answer_for(case_id) for case_id, _ in sent), "ledger mismatch"
    count = len(sent)
    print(f"replies → ledger: {count} in {elapsed:.2f} s = {count / elapsed:,.0f} replies/s "
          f"(fetch + parse + store + ledger write of {len(answers)} rows)")
    print(f"baseline bare IMAP fetch of the same {count}: {baseline:.3f} s = {count / baseline:,.0f} msg/s; "
          f"the bridge is {elapsed / baseline:,.1f}x the bare fetch time")


def measure_latency(app: App, dovecot: Dovecot, sent: list[tuple[str, bytes]]) -> None:
    appender = IMAPClient(dovecot.host, dovecot.port, ssl=False)
    appender.login(ADDRESS, PASSWORD)
    samples, wakes = [], []
    for case_id, raw in sent:
        appended_at: list[float] = []
        timer = threading.Timer(0.05, lambda: (appended_at.append(time.perf_counter()),
                                               appender.append("INBOX", reply(raw, DEPARTMENT, answer_for(case_id)))))
        timer.start()
        assert app.mailbox.wait_for_change(10), "IDLE did not announce the APPEND"
        woke = time.perf_counter()
        report = run_cycle(app)
        done = time.perf_counter()
        timer.join()
        assert report.replies == 1 and report.ledger == "записан", report
        assert ledger_answers(app)[case_id] == answer_for(case_id)
        samples.append((done - appended_at[0]) * 1000)
        wakes.append((woke - appended_at[0]) * 1000)
    appender.logout()
    print(f"APPEND → answer in the workbook (IDLE + cycle), {len(samples)} samples: "
          f"median {statistics.median(samples):.0f} ms, p95 {p95(samples):.0f} ms, max {max(samples):.0f} ms; "
          f"of which APPEND → IDLE wake-up: median {statistics.median(wakes):.1f} ms, p95 {p95(wakes):.1f} ms")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=1000, help="replies for the throughput run")
    parser.add_argument("--samples", type=int, default=20, help="APPENDs for the latency run")
    parser.add_argument("--background", type=int, default=50_000, help="cases in the ledger for the latency run")
    args = parser.parse_args()
    dovecot_root = Path(tempfile.mkdtemp(prefix="otklik-dovecot-"))
    dovecot = Dovecot(dovecot_root)
    try:
        dovecot.start()
        dovecot.add_user(ADDRESS, PASSWORD)
        with service(dovecot, args.replies, 0) as (app, sent):
            measure_throughput(app, dovecot, sent)
        with service(dovecot, args.samples, args.background) as (app, sent):
            print(f"latency in a ledger of {args.background + args.samples:,} cases:")
            measure_latency(app, dovecot, sent)
    finally:
        dovecot.stop()
        shutil.rmtree(dovecot_root, ignore_errors=True)


@contextlib.contextmanager
def service(dovecot: Dovecot, routed: int, background: int):
    """A data folder with `background` cases of the realistic mix and `routed` cases sent to the
    department; the ledger laid by a first cycle, then a restarted service on it."""
    root = Path(tempfile.mkdtemp(prefix="otklik-bench-"))
    app = None
    try:
        app = make_app(root, dovecot)
        if background:
            _ledger_bench().fill(app, background)
        sent = add_routed_cases(app, routed)
        run_cycle(app)                                   # the ledger with every case, before timing
        app.mailbox.close()
        app.store.close()
        app = make_app(root, dovecot)                    # a service started on it (bridge/serve.py)
        start = getattr(cycle, "start", None)            # absent in trees before issue 14
        if start:
            start(app)
        run_cycle(app)
        yield app, sent
    finally:
        if app is not None:
            app.mailbox.close()
            app.store.close()
        shutil.rmtree(root, ignore_errors=True)


def _ledger_bench():
    """bench/ledger.py (its name would shadow the `ledger` package if imported plainly)."""
    spec = importlib.util.spec_from_file_location("bench_ledger", HERE / "ledger.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_ledger"] = module
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    main()
