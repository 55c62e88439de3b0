"""The subcommands of `run.py` (SPEC §6): each reads its arguments, calls the app, prints."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

from bridge import config as configuration
from bridge.app import utcnow
from bridge.core.deadlines import due, rule_for
from bridge.core.errors import InputError
from bridge.core.worktime import OutOfCalendar


# The commands that change the data folder hold its lock while they run: one instance at a time
# (issue 10). `backup` and `report` only read the store, so they work beside a running service.
EXCLUSIVE = ("serve", "once", "purge", "migrate-store")
# The commands that work on real data refuse to run on the embedded demo configuration (SPEC §6):
# a `once` from cron in a folder without config.toml must not quietly work for Okha's demo.
REAL_DATA = ("serve", "once", "report", "purge", "backup", "check-config", "migrate-store")
# `once` finished, but a step could not do its work (a server down, a step that failed): cron and
# the Task Scheduler see a non-zero code; what was held up is retried on the next run.
CYCLE_INCOMPLETE = 5


def run(args) -> int:
    handler = _COMMANDS[args.command]
    if args.command not in EXCLUSIVE:
        return handler(args)
    from bridge.app import hold_data_folder
    with hold_data_folder(_config(args), args.command) as lock:
        args.instance = lock
        return handler(args)


def _config(args):
    return configuration.load(args.config, demo_allowed=args.command not in REAL_DATA)


def cmd_deadline(args) -> int:
    config = _config(args)
    try:
        rule_for(args.kind)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    starts = args.starts or [line.strip() for line in sys.stdin if line.strip()]
    for text in starts:
        try:
            moment = due(config.calendar, args.kind, _moment(text, config.tz))
        except OutOfCalendar as exc:
            raise InputError(f"«{text}»: {exc}") from None
        print(moment.isoformat(), flush=True)
    return 0


def _moment(text: str, tz) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"«{text}» — не момент ISO 8601 (пример: 2026-12-30T15:00+11:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def cmd_parse_reply(args) -> int:
    from mailer.reply import parse_reply
    config = _config(args)
    failed = 0
    for name in args.files:
        try:
            raw = Path(name).read_bytes()
        except OSError as exc:
            print(f"Ошибка: не удалось прочитать {name}: {exc.strerror}", file=sys.stderr)
            failed += 1
            continue
        parsed = parse_reply(raw, case_prefix=config.case_prefix, departments=config.allow_list())
        if args.json:
            print(json.dumps(parsed.to_json(name), ensure_ascii=False))
        else:
            print(f"{name}: {parsed.kind} {parsed.case_id or '-'}\n{parsed.answer}\n")
    return 1 if failed else 0


def cmd_hint(args) -> int:
    from bridge.app import hinter
    from bridge.core.model import Case
    config = _config(args)
    hint = hinter(config, store=None)
    texts = args.texts or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    for text in texts:
        case = Case(id="", channel="manual", external_id="", posted_at=utcnow(), text=text)
        print(json.dumps(hint(case).to_json(), ensure_ascii=False))
    return 0


def cmd_once(args) -> int:
    from bridge.app import build_app
    from bridge.cycle import run_cycle
    app = build_app(_config(args), instance=getattr(args, "instance", None))
    report = run_cycle(app)
    print(f"Цикл выполнен: новых обращений {report.new_cases}, ответов {report.replies}, "
          f"отправлено {report.sent}, журнал: {report.ledger}.")
    for problem in report.attention():
        print(f"Внимание: {problem}", file=sys.stderr)
    if report.attention():
        print(f"Цикл выполнен не полностью (см. «Внимание» выше): отложенное будет повторено при следующем "
              f"запуске. Код завершения {CYCLE_INCOMPLETE}.", file=sys.stderr)
        return CYCLE_INCOMPLETE
    return 0


def cmd_demo(args) -> int:
    from bridge.demo import run_demo
    return run_demo(Path("demo-output"))


def cmd_serve(args) -> int:
    from bridge.serve import serve
    return serve(_config(args), instance=getattr(args, "instance", None))


def cmd_report(args) -> int:
    try:
        year, month = map(int, args.month.split("-"))
        date(year, month, 1)
    except ValueError:
        raise InputError(f"--month «{args.month}»: нужно ГГГГ-ММ, например 2026-11") from None
    from bridge.app import build_app
    from bridge.steps.report import write_report
    app = build_app(_config(args), connect=False)
    try:
        with app.ports.progress(f"отчёт за {month:02d}.{year}"):   # the step may show its own counts too
            path = write_report(app.store, app.config, app.ports, year, month, utcnow())
    finally:
        app.store.close()
    print(f"Отчёт записан: {path}")
    return 0


def cmd_check_config(args) -> int:
    config = _config(args)
    from bridge.checks import check_all
    results = check_all(config)
    for name, problem in results:
        print(f"{'ОШИБКА' if problem else 'ок':6} {name}{': ' + problem if problem else ''}")
    return 1 if any(problem for _, problem in results) else 0


def cmd_purge(args) -> int:
    try:
        before = date.fromisoformat(args.before)
    except ValueError:
        raise InputError(f"--before «{args.before}»: нужна дата ГГГГ-ММ-ДД") from None
    config = _config(args)
    today = config.calendar.local(utcnow()).date()
    if before > today and not args.yes and not _confirmed(before, today):
        print("Ничего не удалено.")
        return 1
    from bridge.app import build_app
    from bridge.cycle import refresh_ledger
    from bridge.steps.outgoing import refresh_site
    from bridge.steps.purge import PENDING, purge, scrub_backups
    app = build_app(config, connect=False, instance=getattr(args, "instance", None))
    try:
        now = utcnow()
        with app.ports.progress("удаление персональных данных"):   # the step may show its own counts too
            count = purge(app.store, app.config, app.ports, before, now)
            # The ledger shows the purged data until it is rewritten (an earlier purge may wait for it too).
            ledger = refresh_ledger(app, now).ledger if count or app.store.get_value(PENDING) else ""
            refresh_site(app.store, app.config, now, force=bool(count))
            scrub_backups(app.store, app.config, app.files)
            pending = app.store.get_value(PENDING)
            if count:   # the ledger and site steps wrote to the store after the purge compacted it
                app.store.compact()
    finally:
        app.store.close()
    print(f"Удалены персональные данные {count} закрытых обращений (до {before:%d.%m.%Y}).")
    if pending:
        print(f"Журнал не перезаписан ({ledger}): закройте его — служба перезапишет журнал и очистит "
              "его копии в backups/ при следующем цикле.", file=sys.stderr)
    return 0


def _confirmed(before: date, today: date) -> bool:
    """A date after today also takes the cases closed today and recently: a person confirms it,
    or the command line says so (`--yes`)."""
    question = (f"Дата {before:%d.%m.%Y} позже сегодняшней ({today:%d.%m.%Y}): будут удалены данные всех "
                "закрытых обращений, включая закрытые сегодня.")
    if not sys.stdin.isatty():
        raise InputError(question + " Если это и нужно, повторите команду с флагом --yes")
    try:
        answer = input(question + " Продолжить? (да/нет): ").strip().lower()
    except (EOFError, KeyboardInterrupt):   # Ctrl-D / Ctrl-C: no
        print()
        return False
    return answer in ("да", "д", "yes", "y")


def cmd_backup(args) -> int:
    from bridge.app import backup
    from bridge.progress import shown_progress
    config = _config(args)
    with shown_progress("резервная копия базы"):
        copy, note, cases = backup(config, Path(args.dir))
    print(f"Резервная копия базы: {copy} (обращений: {cases}). Как восстановить — в «{note}».")
    return 0


def cmd_migrate_store(args) -> int:
    from bridge.app import migrate_store
    config = _config(args)
    where, checks = migrate_store(config, args.to, args.schema or config.store_schema,
                                  args.password_env or config.store_password_env)
    for check in checks:
        verdict = "совпадает" if check.equal else (f"НЕ СОВПАДАЕТ: в PostgreSQL {check.target_rows} строк, "
                                                   f"сумма {check.target_digest[:16]}")
        print(f"{check.table:14} строк {check.rows:7}  сумма {check.digest[:16]}  {verdict}")
    if not all(check.equal for check in checks):
        print(f"Ошибка: перенос в {where} не совпал с базой SQLite (см. выше); служба пусть работает на SQLite, "
              "пока причина не найдена", file=sys.stderr)
        return 1
    print(f"База перенесена в {where}: число строк и контрольные суммы всех таблиц совпадают. Остановите "
          f"службу, добавьте в настройки раздел [store] (url = \"{args.to}\", schema, password_env) и запустите "
          "её снова; файл SQLite остаётся как копия на момент переноса.")
    return 0


_COMMANDS = {
    "deadline": cmd_deadline, "parse-reply": cmd_parse_reply, "hint": cmd_hint, "once": cmd_once,
    "demo": cmd_demo, "serve": cmd_serve, "report": cmd_report, "check-config": cmd_check_config,
    "purge": cmd_purge, "backup": cmd_backup, "migrate-store": cmd_migrate_store,
}
