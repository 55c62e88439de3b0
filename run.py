"""Otklik («Отклик») command line: `python run.py <команда> [--config PATH]` (SPEC §6)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bridge.core.errors import OtklikError  # noqa: E402
from bridge.config import ConfigProblems  # noqa: E402
from bridge import commands  # noqa: E402

for _stream in (sys.stdout, sys.stderr):   # Russian text on a Windows console too
    if hasattr(_stream, "reconfigure"):
        _stream.reconfigure(encoding="utf-8", errors="replace")


# argparse's own texts (Python 3.11), in Russian: everything a user reads is Russian. argparse looks
# its `_` and `ngettext` up at call time, so replacing them here, at the composition root, is enough.
ARGPARSE_RU = {
    "usage: ": "Использование: ",
    "positional arguments": "аргументы",
    "options": "параметры",
    "show this help message and exit": "показать эту справку и выйти",
    "the following arguments are required: %s": "не хватает обязательных аргументов: %s",
    "unrecognized arguments: %s": "лишние или неизвестные аргументы: %s",
    "argument %(argument_name)s: %(message)s": "аргумент %(argument_name)s: %(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "неизвестное значение %(value)r (возможно: %(choices)s)",
    "expected one argument": "нужно одно значение",
    "expected at most one argument": "нужно не больше одного значения",
    "expected at least one argument": "нужно хотя бы одно значение",
    "invalid %(type)s value: %(value)r": "неверное значение %(value)r (нужен тип %(type)s)",
    "ambiguous option: %(option)s could match %(matches)s": "неоднозначный параметр %(option)s: подходят %(matches)s",
    "not allowed with argument %s": "нельзя вместе с аргументом %s",
    "ignored explicit argument %r": "значение %r не нужно этому параметру",
    "one of the arguments %s is required": "нужен один из аргументов %s",
    "unexpected option string: %s": "неожиданный параметр: %s",
    "%(prog)s: error: %(message)s\n": "Ошибка: %(message)s\n",
}
ARGPARSE_RU_PLURAL = {"expected %s argument": "нужно значений: %s"}


def _russian(text: str) -> str:
    return ARGPARSE_RU.get(text, text)


def _russian_plural(singular: str, plural: str, count: int) -> str:
    return ARGPARSE_RU_PLURAL.get(singular, singular if count == 1 else plural)


argparse._ = _russian
argparse.ngettext = _russian_plural


class Parser(argparse.ArgumentParser):
    """Errors as the rest of the CLI says them: «Ошибка: …», the usage, where to read more."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"Ошибка: {message}\nСправка: python {self.prog} --help\n")


def parser() -> argparse.ArgumentParser:
    common = Parser(add_help=False)
    common.add_argument("--config", default="config.toml", metavar="ПУТЬ",
                        help="файл настроек (по умолчанию config.toml; пример с пояснениями — "
                             "config.example.toml; без файла demo, deadline, hint и parse-reply "
                             "берут демонстрационные)")
    common.add_argument("-v", "--verbose", action="store_true", help="подробный журнал работы")
    main = Parser(prog="run.py", description="Отклик — сообщения граждан из соцсетей "
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
    p.add_argument("--month", required=True, metavar="ГГГГ-ММ", help="месяц отчёта")
    p = sub.add_parser("hint", parents=[common], help="подсказки для текстов")
    p.add_argument("texts", metavar="TEXT", nargs="*")
    sub.add_parser("check-config", parents=[common], help="проверить настройки и подключения")
    p = sub.add_parser("purge", parents=[common], help="удалить персональные данные закрытых обращений")
    p.add_argument("--before", required=True, metavar="ГГГГ-ММ-ДД", help="закрытые до этой даты")
    p.add_argument("--yes", action="store_true", help="не спрашивать подтверждения даты позже сегодняшней")
    p = sub.add_parser("backup", parents=[common], help="согласованная копия базы (можно при работающей службе)")
    p.add_argument("dir", metavar="DIR", help="папка для копии и памятки о восстановлении")
    p = sub.add_parser("migrate-store", parents=[common], help="перенести базу SQLite в PostgreSQL")
    p.add_argument("--to", required=True, metavar="URL", help="postgresql://пользователь@сервер/база (без пароля)")
    p.add_argument("--schema", help="схема этой администрации (по умолчанию [store] schema)")
    p.add_argument("--password-env", help="переменная окружения с паролем (по умолчанию [store] password_env)")
    return main


# Commands that read their input from stdin when given no arguments: on a terminal nobody is
# going to type it, so the usage is printed instead of waiting silently.
STDIN_COMMANDS = {"deadline": "starts", "hint": "texts"}


def main(argv: list[str] | None = None) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    if args.command in STDIN_COMMANDS and not getattr(args, STDIN_COMMANDS[args.command]) and _stdin_is_terminal():
        sub = _subparser(cli, args.command)
        sub.print_usage(sys.stderr)
        print("Ошибка: не указано, что считать: дайте значения в командной строке или передайте их через "
              f"stdin, по одному в строке (например, из файла: python run.py {args.command} … < файл.txt)",
              file=sys.stderr)
        return 2
    quiet = args.command in ("demo", "deadline", "hint", "parse-reply")   # their output is the point
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("pymorphy3").setLevel(logging.WARNING)   # "loading dictionaries" on every start
    try:
        return commands.run(args) or 0
    except ConfigProblems as exc:
        print(config_problems(exc), file=sys.stderr)
        return 2
    except OtklikError as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 2)   # 3: the store needs a person, 4: another instance runs
    except KeyboardInterrupt:
        print("Остановлено.", file=sys.stderr)
        return 130


def config_problems(exc: ConfigProblems) -> str:
    """Every problem of the file on its own line, so that all of them are fixed in one pass."""
    where = f" «{exc.source}»" if exc.source else ""
    if len(exc.problems) == 1:
        return f"Ошибка: в настройках{where}: {exc.problems[0]}"
    lines = [f"Ошибка: в настройках{where} найдено ошибок: {len(exc.problems)}"]
    lines += [f"  {number}. {problem}" for number, problem in enumerate(exc.problems, start=1)]
    return "\n".join(lines)


def _stdin_is_terminal() -> bool:
    """A terminal nobody will type into, or no stdin at all (`<&-`, a service without one)."""
    try:
        return sys.stdin is None or sys.stdin.isatty()
    except (AttributeError, ValueError):   # a closed or replaced stdin
        return True


def _subparser(cli: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    action = next(a for a in cli._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


if __name__ == "__main__":
    sys.exit(main())

