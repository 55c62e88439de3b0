"""`python run.py demo`: the whole cycle on embedded loopback servers, narrated (SPEC §6).

Citizens write on stand-ins of VK, Telegram and OK; the bridge opens cases, the "operator" types
decisions into the real workbook, departments answer by email through a local SMTP sink and a
pure-Python IMAP server, answers are published back, reminders and a digest go out, the monthly
report is written. Nothing leaves 127.0.0.1.

The demo runs on its own simulated clock (`DemoClock`), passed to every cycle as `now` the way
the service passes the wall clock: it starts at the wall clock (the stand-ins date the citizens'
messages by it), moves a few minutes per step, then jumps to fixed points of the working week —
the operator's working time (10:00 or later), the moment the unanswered case is «истекает», and
10:00 of the first working day of the week after next — so the reminder, the overdue mail, the operator's digest and the deputy head's
weekly summary show on whatever day the demo is run. Every figure the narration prints is
counted from what the stand-ins and the SMTP sink actually received (`Witness`).
"""

from __future__ import annotations

import email
import email.policy
import logging
import os
import shutil
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path

import openpyxl

from bridge import config as configuration
from bridge.app import App, build_app, utcnow
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


def run_demo(out: Path, start: datetime | None = None) -> int:
    """The narrated demo into `out`; `start`: where the simulated clock begins (the wall clock)."""
    started = time.monotonic()
    logging.getLogger("mail.log").setLevel(logging.WARNING)   # aiosmtpd's per-connection chatter
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    servers = _start_servers(out)
    try:
        app = _demo_app(out, servers)
        _script(app, servers, out, DemoClock(start or utcnow()), Witness(servers))
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


@dataclass
class DemoClock:
    """The demo's `now`: moves only when the script moves it, never with the wall clock."""

    now: datetime
    step: timedelta = timedelta(minutes=2)

    def tick(self) -> datetime:
        self.now += self.step
        return self.now

    def jump(self, moment: datetime) -> datetime:
        self.now = max(self.now, moment)
        return self.now


# The publishing call of each network, as the operator would describe the place (п. 3.4, 3.5).
PLACES = {"wall.createComment": "ВКонтакте, ответ под комментарием", "messages.send": "ВКонтакте, личное сообщение",
          "wall.post": "ВКонтакте, пост на стене", "discussions.addDiscussionComment":
          "Одноклассники, ответ под комментарием", "graph.messages": "Одноклассники, сообщение группы",
          "mediatopic.post": "Одноклассники, тема в группе"}


@dataclass
class Witness:
    """What the SMTP sink and the social stand-ins received since the last look."""

    servers: dict
    mails_seen: int = 0
    published_seen: dict = field(default_factory=dict)

    def new_mails(self) -> list[tuple[str, str]]:
        """(recipients, subject) of each mail the sink accepted since the last call."""
        fresh = self.servers["smtp"].messages[self.mails_seen:]
        self.mails_seen += len(fresh)
        return [(", ".join(rcpt), str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"]))
                for _, rcpt, raw in fresh]

    def new_publications(self) -> list[tuple[str, str]]:
        """(place, text) of each publication the networks' stand-ins received since the last call."""
        found = []
        for name in ("vk", "tg", "ok"):
            fresh = self.servers[name].published[self.published_seen.get(name, 0):]
            self.published_seen[name] = self.published_seen.get(name, 0) + len(fresh)
            found += [(self._place(name, entry), _entry_text(entry)) for entry in fresh]
        return found

    def _place(self, name: str, entry: dict) -> str:
        method = entry.get("method", "")
        if name == "tg":
            chat = str(entry.get("chat_id"))
            return ("Telegram, пост в канале" if chat == str(self.servers["tg"].channel_id) else
                    "Telegram, ответ в обсуждении" if chat == str(self.servers["tg"].group_id) else
                    "Telegram, личное сообщение")
        return PLACES.get(method, f"{name}: {method}")


def _entry_text(entry: dict) -> str:
    """The published text as the stand-in recorded it (OK keeps a topic's text in its media)."""
    media = entry.get("attachment", {}).get("media", []) if isinstance(entry.get("attachment"), dict) else []
    texts = [m.get("text") for m in media if isinstance(m, dict) and m.get("type") == "text"]
    for value in [entry.get(key) for key in ("message", "text", "comment", "caption")] + texts:
        if isinstance(value, dict):
            value = value.get("text")
        if isinstance(value, str) and value:
            return value
    return ""


def _cycle(app: App, clock: DemoClock, title: str) -> None:
    report = run_cycle(app, clock.tick())
    say(f"  ↻ цикл «{title}»: новых {report.new_cases}, ответов {report.replies}, отправлено {report.sent}, "
        f"журнал {report.ledger}" + (f"; внимание: {'; '.join(report.problems)}" if report.problems else ""))


def _tell_mails(witness: Witness, what: str = "Писем") -> int:
    mails = witness.new_mails()
    say(f"  {what} ушло: {len(mails)}.")
    for to, subject in mails:
        say(f"    → {to}: {subject[:90]}")
    return len(mails)


def _tell_publications(witness: Witness) -> int:
    published = witness.new_publications()
    say(f"  Опубликовано на стендах соцсетей: {len(published)}.")
    for place, text in published:
        say(f"    {place}: «{' '.join(text.split())[:60]}»")
    return len(published)


def _script(app: App, s: dict, out: Path, clock: DemoClock, witness: Witness) -> None:
    _cycle(app, clock, "запуск")   # the bridge starts listening: long-poll cursors are taken now
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
    _cycle(app, clock, "приём")
    for case in app.store.all_cases():
        say(f"  {case.id} · {case.channel_label:13} · {case.kind:16} · подсказка: {case.hint or '—'}")

    at_work = _operator_at_work(app, clock.now)
    if at_work > clock.now:
        say(f"  Часы → {app.config.calendar.local(at_work):%d.%m.%Y %H:%M}: рабочее время оператора.")
        clock.jump(at_work)
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
    _cycle(app, clock, "решения")
    _cycle(app, clock, "отправка")
    _tell_mails(witness)
    say("  (копии писем — в «Отправленные письма»)")
    _tell_publications(witness)
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
    _cycle(app, clock, "ответы")
    for case_id in (heat, pit, library):
        case = app.store.get(case_id)
        say(f"  {case_id}: {status_label(case.status)} — «{case.dept_answer[:70]}»")

    say("\n4. Оператор проверяет (п. 3.3): публикует два ответа отделов и разъяснение по шаблону (п. 3.7), "
        "третий ответ возвращает на доработку.")
    _operator(app, {heat: {"Решение оператора": "Опубликовать"},
                    library: {"Решение оператора": "Опубликовать"},
                    pit: {"Решение оператора": "На доработку",
                          "Комментарий оператора": "Укажите срок ремонта и кто его выполнит."},
                    pension: {"Решение оператора": "Опубликовать"}})
    _cycle(app, clock, "публикация")
    _tell_mails(witness)
    _tell_publications(witness)
    _say_files_published(s)
    sent = {_case_of(raw): raw for _, _, raw in s["smtp"].messages}
    s["imap"].deliver(reply(sent[pit], "dorogi@adm-okha.ru", "Яму на ул. Дзержинского засыплет "
                            "МУП «Охинское дорожное хозяйство» до 5 декабря.", "thebat"))
    _cycle(app, clock, "повторный ответ")
    _operator(app, {pit: {"Решение оператора": "Опубликовать"},
                    roof: {"Согласие": "да"}})
    _cycle(app, clock, "публикация")
    _operator(app, {roof: {"Рег. № СЭД": "01-15/2345"}})
    _cycle(app, clock, "СЭД")
    _tell_mails(witness)
    _tell_publications(witness)

    say("\n5. Контроль (п. 4.1, 4.2): напоминания, сводка оператору, месячный отчёт.")
    _control(app, clock, witness, rubbish)
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


def _control(app: App, clock: DemoClock, witness: Witness, silent: str) -> None:
    """The department that never answers `silent`: the reminder before its term, then the week
    after next, the overdue mail, the digest and the weekly summary; then the month's report."""
    from bridge.steps.reminders import first_reminder_moment
    from bridge.steps.report import write_report
    month = app.config.calendar.local(app.store.get(silent).posted_at)
    expiring = first_reminder_moment(app.store.get(silent), app.config.calendar, clock.now)
    if expiring is not None:
        say(f"  Часы → {app.config.calendar.local(expiring):%d.%m.%Y %H:%M}: срок ответа ЖКХ о вывозе мусора истекает.")
        clock.jump(expiring - clock.step)
        _cycle(app, clock, "напоминание")
        _tell_mails(witness, "Напоминаний и сводок")
    later = clock.jump(_control_morning(app, clock.now) - clock.step)
    say(f"  Часы → {app.config.calendar.local(later + clock.step):%d.%m.%Y %H:%M} (первый рабочий день недели): "
        "отдел ЖКХ так и не ответил.")
    _cycle(app, clock, "контроль")
    _tell_mails(witness, "Напоминаний и сводок")
    say("  (просрочка — отделу, ежедневная сводка — оператору, недельная — заместителю главы)")
    path = write_report(app.store, app.config, app.ports, month.year, month.month, clock.now)
    say(f"  Отчёт за месяц: {path}")
    _cycle(app, clock, "итог")


def _operator_at_work(app: App, moment: datetime) -> datetime:
    """`moment`, or the next moment after it when the operator is at work and it is 10:00 or
    later: the triage (п. 3.1) is then in time, and the department's term ends in working time
    with its last quarter there too, so the reminder before the term is always shown."""
    calendar = app.config.calendar
    day = calendar.local(moment).date()
    for _ in range(60):
        for start, end in calendar.working_intervals(day) if calendar.is_working_day(day) else ():
            begin = datetime.combine(day, max(start, time_of_day(10, 0)), calendar.tz)
            finish = datetime.combine(day, end, calendar.tz)
            if begin < finish and moment < finish:
                return max(begin, moment)
        day += timedelta(days=1)
    return moment


def _control_morning(app: App, moment: datetime) -> datetime:
    """10:00 of the first working day of the week after next: a day for the digest (п. 4.2) and
    the weekly summary alike, whatever day the demo is run."""
    calendar = app.config.calendar
    day = calendar.local(moment).date() + timedelta(days=14)
    monday = day - timedelta(days=day.weekday())
    while True:
        working = [monday + timedelta(days=n) for n in range(7) if calendar.is_working_day(monday + timedelta(days=n))]
        if working:
            return datetime(working[0].year, working[0].month, working[0].day, 10, 0, tzinfo=app.config.tz)
        monday += timedelta(days=7)
