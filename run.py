"""Otklik («Отклик») command line: `python run.py <команда> [--config PATH]` (SPEC §6)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bridge.core.errors import OtklikError  # noqa: E402
from bridge import commands  # noqa: E402

for _stream in (sys.stdout, sys.stderr):   # Russian text on a Windows console too
    if hasattr(_stream, "reconfigure"):
        _stream.reconfigure(encoding="utf-8", errors="replace")


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default="config.toml",
                        help="файл настроек (по умолчанию config.toml; без файла — демонстрационные)")
    common.add_argument("-v", "--verbose", action="store_true", help="подробный журнал работы")
    main = argparse.ArgumentParser(prog="run.py", description="Отклик — сообщения граждан из соцсетей "
                                   "по Порядку: журнал Excel, почта отделов, сроки.", parents=[common])
    sub = main.add_subparsers(dest="command", metavar="команда", required=True)
    sub.add_parser("demo", parents=[common], help="весь цикл на встроенных локальных серверах")
    sub.add_parser("serve", parents=[common], help="работать как служба")
    sub.add_parser("once", parents=[common], help="один полный цикл и выход (для cron / планировщика)")
    p = sub.add_parser("deadline", parents=[common], help="срок для вида KIND от моментов START")
    p.add_argument("kind", metavar="KIND", help="triage | answer | explain")
    p.add_argument("starts", metavar="START", nargs="*", help="ISO 8601; без START — из stdin")
    p = sub.add_parser("parse-reply", parents=[common], help="разобрать письма .eml")
    p.add_argument("files", metavar="FILE.eml", nargs="+")
    p.add_argument("--json", action="store_true", help="по одному объекту JSON в строке")
    p = sub.add_parser("report", parents=[common], help="месячный отчёт по отделам")
    p.add_argument("--month", required=True, help="ГГГГ-ММ")
    p = sub.add_parser("hint", parents=[common], help="подсказки для текстов")
    p.add_argument("texts", metavar="TEXT", nargs="*")
    sub.add_parser("check-config", parents=[common], help="проверить настройки и подключения")
    p = sub.add_parser("purge", parents=[common], help="удалить персональные данные закрытых обращений")
    p.add_argument("--before", required=True, help="ГГГГ-ММ-ДД")
    p.add_argument("--yes", action="store_true", help="не спрашивать подтверждения даты позже сегодняшней")
    p = sub.add_parser("backup", parents=[common], help="согласованная копия базы (можно при работающей службе)")
    p.add_argument("dir", metavar="DIR", help="папка для копии и памятки о восстановлении")
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    quiet = args.command in ("demo", "deadline", "hint", "parse-reply")   # their output is the point
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("pymorphy3").setLevel(logging.WARNING)   # "loading dictionaries" on every start
    try:
        return commands.run(args) or 0
    except OtklikError as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 2)   # 3: the store needs a person, 4: another instance runs
    except KeyboardInterrupt:
        print("Остановлено.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

