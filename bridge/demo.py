"""`python run.py demo`: the whole cycle on embedded loopback servers, narrated (SPEC §6).

Citizens write on stand-ins of VK, Telegram and OK; the bridge opens cases, the "operator" types
decisions into the real workbook, departments answer by email through a local SMTP sink and a
pure-Python IMAP server, answers are published back, reminders and a digest go out, the monthly
report is written. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl

from bridge import config as configuration
from bridge.app import App, build_app
from bridge.core.vocabulary import status_label
from bridge.cycle import run_cycle
from standins.department_replies import auto_reply, reply
from standins.imap_server import DemoImapServer
from standins.ok_api import FakeOk
from standins.smtp_sink import SmtpSink
from standins.telegram_api import FakeTelegram
from standins.vk_api import FakeVk

OPERATOR = "Петрова Е. В. (оператор)"


def say(text: str) -> None:
    print(text, flush=True)


def run_demo(out: Path) -> int:
    started = time.monotonic()
    logging.getLogger("mail.log").setLevel(logging.WARNING)   # aiosmtpd's per-connection chatter
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    servers = _start_servers(out)
    try:
        app = _demo_app(out, servers)
        _script(app, servers, out)
    finally:
        for server in servers.values():
            server.stop()
    say(f"\nГотово за {time.monotonic() - started:.0f} с. Всё лежит в папке «{out}»:")
    for path in sorted(p for p in out.rglob("*") if p.is_file() and "data/mail" not in str(p))[:40]:
        say(f"  {path.relative_to(out)}")
    return 0


def _start_servers(out: Path) -> dict:
    say("Запускаем локальные стенды: SMTP, IMAP, ВКонтакте, Telegram, Одноклассники (только 127.0.0.1)…")
    return {"smtp": SmtpSink(out / "Отправленные письма").start(), "imap": DemoImapServer().start(),
            "vk": FakeVk().start(), "tg": FakeTelegram().start(), "ok": FakeOk().start()}


def _demo_app(out: Path, s: dict) -> App:
    base = configuration.load(None)
    tokens = {"OTKLIK_VK_TOKEN": s["vk"].token, "OTKLIK_VK_USER_TOKEN": s["vk"].user_token,
              "OTKLIK_TG_TOKEN": s["tg"].token, "OTKLIK_OK_TOKEN": s["ok"].token,
              "OTKLIK_OK_APP_KEY": s["ok"].app_key, "OTKLIK_OK_APP_SECRET": s["ok"].app_secret,
              "OTKLIK_IMAP_PASSWORD": s["imap"].password}
    os.environ.update(tokens)
    mail = dict(base.mail, imap_port=s["imap"].port, smtp_port=s["smtp"].port, imap_user=s["imap"].user,
                address=s["imap"].user)
    channels = {
        "vk": {"group_id": s["vk"].group_id, "token_env": "OTKLIK_VK_TOKEN", "api_url": s["vk"].api_url,
               "user_token_env": "OTKLIK_VK_USER_TOKEN"},
        "telegram": {"token_env": "OTKLIK_TG_TOKEN", "api_url": s["tg"].api_url,
                     "channel": s["tg"].channel_id, "discussion_chat_id": s["tg"].group_id},
        "ok": {"group_id": s["ok"].group_id, "token_env": "OTKLIK_OK_TOKEN", "app_key_env": "OTKLIK_OK_APP_KEY",
               "app_secret_env": "OTKLIK_OK_APP_SECRET", "bot_token_env": "OTKLIK_OK_TOKEN",
               "api_url": s["ok"].api_url},
    }
    data = out / "data"
    config = replace(base, data_dir=data, ledger=out / "Журнал обращений.xlsx", mail=mail, channels=channels,
                     site_dir=out / "Сайт — Информационные сообщения")
    return build_app(config)


def _cycle(app: App, title: str, now: datetime | None = None) -> None:
    report = run_cycle(app, now)
    say(f"  ↻ цикл: новых {report.new_cases}, ответов {report.replies}, отправлено {report.sent}, "
        f"журнал {report.ledger}" + (f"; внимание: {'; '.join(report.problems)}" if report.problems else ""))


def _script(app: App, s: dict, out: Path) -> None:
    _cycle(app, "запуск")   # the bridge starts listening: long-poll cursors are taken now
    say("\n1. Граждане пишут на официальных страницах.")
    s["vk"].add_user(1, "Анна", "Смирнова")
    s["vk"].add_user(2, "Олег", "Ким")
    s["vk"].post_wall_comment(10, 1, "Третий день нет отопления в доме по ул. Ленина, 5. Батареи холодные!",
                              attachments=[s["vk"].citizen_photo(DEMO_PHOTO)])   # a photo of the radiator
    s["vk"].post_wall_comment(10, 2, "Во дворе дома 12 по ул. Советской вторую неделю не вывозят мусор")
    s["vk"].send_dm(2, "На улице Дзержинского огромная яма на дороге, машины бьют подвеску")
    tg_user = s["tg"].user(7, "Ирина")
    s["tg"].send_dm(tg_user, "Подскажите режим работы городской библиотеки в праздничные дни?")
    thread = s["tg"].channel_post("Администрация: график вывоза снега")
    s["tg"].comment(thread, s["tg"].user(8, "Гость"), "Да вы все там ... б*я, бездельники!")
    topic = s["ok"].add_topic()
    s["ok"].post_comment(topic, "501", "Пётр Н.", "Почему мне не пересчитали пенсию? Куда обращаться?")
    s["ok"].send_group_message("502", "Мария Л.", "Прошу разобраться: управляющая компания третий год "
                               "не делает ремонт крыши, документы есть, нужна проверка.")
    _cycle(app, "приём")
    for case in app.store.all_cases():
        say(f"  {case.id} · {case.channel_label:13} · {case.kind:16} · подсказка: {case.hint or '—'}")

    heat, pit, library, rude, pension, roof, rubbish = (_find(app, word) for word in (
        "отопления", "яма", "библиотеки", "бездельники", "пенсию", "крыши", "мусор"))
    say("\n2. Оператор открывает «Журнал обращений.xlsx» и выбирает отдел и решение (п. 3.1).")
    _operator(app, {heat: {"Отдел": "Отдел ЖКХ", "Решение оператора": "Направить"},
                    pit: {"Отдел": "Отдел транспорта, дорог и благоустройства", "Решение оператора": "Направить"},
                    library: {"Отдел": "Отдел культуры, спорта и молодёжной политики",
                              "Решение оператора": "Направить", "Информационный": "да"},
                    rude: {"Решение оператора": "Не подлежит обработке",
                           "Основание": "нецензурные или оскорбительные выражения"},
                    pension: {"Решение оператора": "Разъяснение", "Основание": "вне компетенции"},
                    roof: {"Отдел": "Отдел ЖКХ", "Решение оператора": "Обращение 59-ФЗ"},
                    rubbish: {"Отдел": "Отдел ЖКХ", "Решение оператора": "Направить"}})
    _cycle(app, "решения")
    _cycle(app, "отправка")
    say(f"  Писем отправлено отделам: {len(s['smtp'].messages)} (копии — в «Отправленные письма»).")
    _say_files_sent(s, heat)

    say("\n3. Отделы отвечают обычной почтой из своих программ (Outlook, Gmail, iPhone).")
    sent = {_case_of(raw): raw for _, _, raw in s["smtp"].messages}
    s["imap"].deliver(auto_reply(sent[heat], "zhkh@adm-okha.ru"))
    s["imap"].deliver(reply(sent[heat], "zhkh@adm-okha.ru", "Подача тепла в дом № 5 по ул. Ленина "
                            "восстановлена 28.11 в 14:00. Причина — авария на теплотрассе.", "outlook",
                            attachment=(DEMO_SCAN_NAME, DEMO_SCAN)))   # the signed act, scanned
    s["imap"].deliver(reply(sent[pit], "dorogi@adm-okha.ru", "Яма будет засыпана", "iphone"))
    s["imap"].deliver(reply(sent[library], "kultura@adm-okha.ru", "Библиотека работает 31 декабря "
                            "с 10:00 до 15:00, с 1 по 11 января — выходные.", "gmail"))
    _cycle(app, "ответы")
    for case_id in (heat, pit, library):
        case = app.store.get(case_id)
        say(f"  {case_id}: {status_label(case.status)} — «{case.dept_answer[:70]}»")

    say("\n4. Оператор проверяет (п. 3.3): публикует два ответа, третий возвращает на доработку.")
    _operator(app, {heat: {"Решение оператора": "Опубликовать"},
                    library: {"Решение оператора": "Опубликовать"},
                    pit: {"Решение оператора": "На доработку",
                          "Комментарий оператора": "Укажите срок ремонта и кто его выполнит."},
                    pension: {"Решение оператора": "Опубликовать"}})
    _cycle(app, "публикация")
    _say_files_published(s)
    sent = {_case_of(raw): raw for _, _, raw in s["smtp"].messages}
    s["imap"].deliver(reply(sent[pit], "dorogi@adm-okha.ru", "Яму на ул. Дзержинского засыплет "
                            "МУП «Охинское дорожное хозяйство» до 5 декабря.", "thebat"))
    _cycle(app, "повторный ответ")
    _operator(app, {pit: {"Решение оператора": "Опубликовать"},
                    roof: {"Согласие": "да"}})
    _cycle(app, "публикация")
    _operator(app, {roof: {"Рег. № СЭД": "01-15/2345"}})
    _cycle(app, "СЭД")
    published = s["vk"].published + s["tg"].published + s["ok"].published
    say(f"  Опубликовано на стендах соцсетей: {len(published)} (ответы под комментариями, в личных "
        "сообщениях и информационный пост).")

    say("\n5. Контроль (п. 4.1, 4.2): напоминания, сводка оператору, месячный отчёт.")
    _control(app, out)
    say("\nИтог по обращениям:")
    for case in app.store.all_cases():
        say(f"  {case.id}: {status_label(case.status):24} · {case.system_note[:80]}")


# The citizen's photo and the department's scan of the demo (bytes that look like the real thing).
DEMO_PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 64 + b"\xff\xd9"
DEMO_SCAN_NAME = "Акт о восстановлении теплоснабжения.pdf"
DEMO_SCAN = b"%PDF-1.4\n% scan of the signed act\n" + bytes(range(256)) * 32 + b"\n%%EOF\n"


def _say_files_sent(s: dict, case_id: str) -> None:
    """What the department got with the case mail: the citizen's photo, attached (SPEC §1 step 4)."""
    import email
    import email.policy
    for _, _, raw in s["smtp"].messages:
        if _case_of(raw) == case_id:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            for part in message.iter_attachments():
                say(f"  {case_id}: фото гражданина ушло в отдел вложением письма — «{part.get_filename()}», "
                    f"{len(part.get_content()) // 1024} КБ")


def _say_files_published(s: dict) -> None:
    """What the citizen got: the department's scan uploaded with the answer (п. 3.4)."""
    for entry in s["vk"].published:
        for kind, upload in entry.get("files", ()):
            if upload.data == DEMO_SCAN:
                say(f"  Гражданин получил под своим комментарием ответ и скан отдела ({kind}): "
                    f"«{upload.filename}», {upload.size // 1024} КБ")


def _find(app: App, word: str) -> str:
    return next(c.id for c in app.store.all_cases() if word in c.text)


def _case_of(raw: bytes) -> str:
    import re
    found = re.search(rb"\[(OKH-\d{4}-\d{5})\]", raw)
    return found.group(1).decode() if found else ""


def _operator(app: App, edits: dict[str, dict[str, str]]) -> None:
    """What the operator does in Excel: type into cells and save."""
    book = openpyxl.load_workbook(app.config.ledger)
    sheet = book["Журнал"]
    headers = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        for header, value in edits.get(row[0].value, {}).items():
            row[headers.index(header)].value = value
            say(f"  {row[0].value}: «{header}» = {value}")
    book.properties.lastModifiedBy = OPERATOR
    book.save(app.config.ledger)


def _control(app: App, out: Path) -> None:
    try:
        from bridge.steps.reminders import queue_reminders
        from bridge.steps.report import write_report
    except ImportError as exc:
        say(f"  (контроль пока недоступен: {exc})")
        return
    later = _next_working_morning(app, datetime.now(timezone.utc) + timedelta(days=2))
    say(f"  Перенесёмся в {later:%d.%m.%Y %H:%M}: отдел ЖКХ так и не ответил про вывоз мусора.")
    queued = queue_reminders(app.store, app.config, app.ports, later)
    app.outbox.run(later)
    say(f"  Напоминаний и сводок поставлено в очередь и отправлено: {queued} "
        "(просрочка — отделу, ежедневная сводка — оператору, недельная — заместителю главы).")
    now = datetime.now(app.config.tz)
    path = write_report(app.store, app.config, app.ports, now.year, now.month, now)
    say(f"  Отчёт за месяц: {path}")
    _cycle(app, "итог")


def _next_working_morning(app: App, moment: datetime) -> datetime:
    local = app.config.calendar.local(moment)
    day = local.date()
    while not app.config.calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=app.config.tz)
