"""The one composition root: `build_app(config, …)` wires the store, the data folder, the ledger,
the mail and channel adapters (or the test stand-ins handed in) and the hints, and nothing else
reaches for a global. With `cycle.py`, `serve.py` and `commands.py` it is the shell: the only
modules that read the wall clock (`utcnow`) or the environment.
"""

from __future__ import annotations

import logging
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

from bridge.config import Config, secret
from bridge.core.errors import InputError, OtklikError
from bridge.core.model import Case
from bridge.progress import shown_progress
from bridge.steps import intake, answers, outgoing
from bridge.steps.ports import Ports
from bridge.storage.files import DataFiles
from bridge.storage.instance import DataFolderLock
from bridge.storage.store import Store, backup_store, refuse_to_recreate
from ledger.service import Ledger
from ledger.workbook import DirectoryRow, LedgerUnreadable, read_ledger

log = logging.getLogger("otklik.app")

FETCH_LIMIT = 200          # mails per IMAP batch: a mailbox of 6,000 is read in bounded steps


def utcnow() -> datetime:
    """The wall clock: read here, in the shell, and handed to every step as `now`."""
    return datetime.now(timezone.utc)


class _Outbox:
    """`app.outbox.run(now)`: one outbox run (bridge/steps/outgoing.py)."""

    def __init__(self, app: "App") -> None:
        self._app = app

    def run(self, now: datetime | None = None) -> int:
        app = self._app
        return outgoing.run_outbox(app.store, app.config, app.ports, now or utcnow())


@dataclass
class App:
    config: Config
    store: Store
    ports: Ports
    instance: DataFolderLock | None = None   # the data folder's lock, when this app holds it

    # The adapters, by name (tests and the demo hand in stand-ins and look at them).
    @property
    def files(self) -> DataFiles:
        return self.ports.files

    @property
    def ledger(self) -> Ledger:
        return self.ports.ledger

    @property
    def sender(self) -> Any:
        return self.ports.sender

    @property
    def mailbox(self) -> Any:
        return self.ports.mailbox

    @property
    def channels(self) -> dict[str, Any]:
        return self.ports.channels

    @property
    def hinter(self):
        return self.ports.hinter

    @property
    def outbox(self) -> _Outbox:
        return _Outbox(self)

    # The cycle's steps, for tests that run one of them on its own.
    def take_channels(self, now: datetime) -> int:
        return intake.take_channels(self.store, self.config, self.ports, now)

    def take_mail(self, now: datetime) -> int:
        return answers.take_mail(self.store, self.config, self.ports, now)

    def refresh_site(self, now: datetime, force: bool = False) -> int:
        return outgoing.refresh_site(self.store, self.config, now, force)

    def hint_text(self, case: Case) -> str:
        return self.ports.hint_text(case)


def build_app(config: Config, *, sender: Any = None, mailbox: Any = None,
              channels: dict[str, Any] | None = None, connect: bool = True,
              instance: DataFolderLock | None = None, store: Store | None = None) -> App:
    """Wire the application; adapters handed in (tests, demo) replace the configured ones, and
    so does a store already open (the standby that has just taken the leadership, serve.py)."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    files = DataFiles(config.data_dir)
    if store is None:
        with shown_progress("база: открытие и обновление структуры"):   # a migration of a large store takes time
            store = open_store(config, files, instance.command if instance else "")
    if instance is not None and instance.command != "serve" and not store.leading:
        try:
            store.lead(wait=False)   # `serve` waits for it as the standby (serve.py)
        except BaseException:
            store.close()
            raise
    directory = [DirectoryRow(d.code, d.name, ", ".join(d.emails)) for d in config.departments]
    ports = Ports(files=files, ledger=Ledger(config.ledger, files.backups, store, directory,
                                            zone=config.calendar.tz))
    if connect:
        ports.sender = sender or configured_sender(config)
        ports.mailbox = mailbox or configured_mailbox(config)
        ports.channels = channels if channels is not None else configured_channels(config)
    else:
        ports.sender, ports.mailbox, ports.channels = sender, mailbox, channels or {}
    ports.hinter = hinter(config, store)
    ports.progress = shown_progress
    return App(config, store, ports, instance)


def open_store(config: Config, files: DataFiles, command: str = "") -> Store:
    """The store the configuration names: PostgreSQL with [store] url (this administration's
    schema, the password from the environment), else SQLite in the data folder."""
    if config.store_url:
        from bridge.storage.pg import PgStore
        password = secret(config.store_password_env, "пароль базы PostgreSQL") if config.store_password_env else None
        return PgStore(config.store_url, config.store_schema, password, command)
    refuse_to_recreate(files.store_path, lambda: earlier_work(files, config.ledger))
    return Store(files.store_path, marker=files.store_marker)


def earlier_work(files: DataFiles, ledger: Path) -> list[str]:
    """What shows that this data folder had a store: the folder's own traces and ledger rows."""
    found = files.earlier_work()
    try:
        rows = sum(1 for row in read_ledger(ledger).rows if row.get("id")) if ledger.exists() else 0
    except LedgerUnreadable:
        rows = 0
    if rows:
        found.insert(0, f"в журнале «{ledger.name}» строк с номерами: {rows}")
    return found


@contextmanager
def hold_data_folder(config: Config, command: str) -> Iterator[DataFolderLock]:
    """One instance per data folder for the commands that work on real data (issue 10)."""
    try:
        config.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        raise OtklikError(f"папку данных «{config.data_dir}» не удаётся создать: нет прав или диск "
                          "только для чтения") from None
    lock = DataFolderLock(DataFiles(config.data_dir), command)
    if not config.store_url:
        # With PostgreSQL the leadership is the database's advisory lock (bridge/storage/pg.py),
        # and the data folder is shared storage the standby uses too: it is not locked here.
        lock.acquire(utcnow(), config.calendar.local)
    try:
        yield lock
    finally:
        lock.release()


def configured_sender(config: Config):
    mail = config.mail
    if not mail:
        return None
    if mail.get("backend") == "exchange":
        from mailer.exchange import EwsSender
        return EwsSender(*_exchange_login(mail), mail["address"], **_exchange_options(mail))
    from mailer.smtp import SmtpSender
    return SmtpSender(mail.get("smtp_host", "localhost"), mail.get("smtp_port", 587),
                      mail.get("smtp_security", "starttls"), mail.get("smtp_user") or None,
                      _optional_secret(mail.get("smtp_password_env")))


def configured_mailbox(config: Config):
    mail = config.mail
    if not mail:
        return None
    if mail.get("backend") == "exchange":
        from mailer.exchange import EwsMailbox
        return EwsMailbox(*_exchange_login(mail), mail["address"], **_exchange_options(mail),
                          folder=mail.get("exchange_folder", ""),
                          processed_folder=mail.get("exchange_processed_folder", ""),
                          set_aside_folder=mail.get("exchange_set_aside_folder", ""),
                          poll_interval=float(mail.get("exchange_poll_interval", 10)))
    from mailer.imap import ImapMailbox
    return ImapMailbox(mail.get("imap_host", "localhost"), mail.get("imap_port", 993),
                       mail.get("imap_security", "ssl"), mail.get("imap_user", mail.get("address", "")),
                       _optional_secret(mail.get("imap_password_env")),
                       processed_folder=mail.get("processed_folder"),
                       max_messages=int(mail.get("batch_size", FETCH_LIMIT)))


def _exchange_login(mail) -> tuple[str, str, str]:
    """(url, user, password); with OAuth 2.0 the app's secret is read instead of a password."""
    if mail.get("exchange_auth") == "oauth2":
        return mail["exchange_url"], mail.get("exchange_user", mail["address"]), ""
    return mail["exchange_url"], mail["exchange_user"], secret(mail.get("exchange_password_env"), "Exchange")


def _exchange_options(mail) -> dict:
    """`exchange_auth` ("ntlm" | "basic" | "oauth2"), `exchange_version` ("2013" | "2016" | "2019")
    and, for OAuth 2.0, the app registration (client credentials; its secret from the environment)."""
    options = {}
    if mail.get("exchange_auth"):
        options["auth_type"] = mail["exchange_auth"]
    if mail.get("exchange_version"):
        options["server_version"] = str(mail["exchange_version"])
    if mail.get("exchange_auth") == "oauth2":
        from mailer.exchange import OAuthApp
        options["oauth"] = OAuthApp(mail["exchange_client_id"], secret(mail.get("exchange_client_secret_env"),
                                                                       "секрет приложения Exchange"),
                                    mail["exchange_tenant_id"], mail.get("exchange_token_url") or None,
                                    mail.get("exchange_oauth_scope") or None)
    return options


def _optional_secret(env_name: str | None) -> str:
    return os.environ.get(env_name or "", "")


def configured_channels(config: Config) -> dict[str, Any]:
    if not config.channels:
        return {}
    from bridge.channels import build_channels
    return {channel.name: channel for channel in build_channels(config.channels, _env_secret, config.data_dir)}


def _env_secret(env_name: str) -> str:
    return secret(env_name, "токен")


def hinter(config: Config, store: Store | None):
    made: list = []

    def hints():
        """The hints' code (~15 MB with numpy), model and embeddings (~200 MB) load when a message
        first needs a hint, not at start: a service whose cycles only read mail and write the
        ledger never holds them. Without the hints' libraries a hint fails and the message is
        taken without one (steps/intake.py)."""
        if not made:
            from bridge.hints import Department, ExternalBody, Hinter
            made.append(Hinter([Department(d.code, d.name, d.description, d.keywords or ()) for d in config.departments],
                               [ExternalBody(b.name, b.competence, b.code) for b in config.external_bodies]))
        return made[0]

    def hint(case: Case):
        from bridge.hints import EarlierCase
        earlier = [EarlierCase(c.id, c.author_key, c.text) for c in store.published_by_author(case.author_key)] \
            if store is not None and case.author_key else ()
        return hints().suggest(case.text, author_key=case.author_key or None, earlier=earlier)
    return hint


def backup(config: Config, target_dir: Path) -> tuple[Path, Path, int]:
    """`run.py backup DIR`: a consistent copy of the store (safe beside a running service) and a
    note on restoring it; returns (copy, note, cases in the copy)."""
    if config.store_url:
        raise InputError("база в PostgreSQL: её резервную копию делает pg_dump на сервере базы (README, "
                         "«Региональное развёртывание»), а папку данных копируйте целиком")
    files = DataFiles(config.data_dir)
    local = config.calendar.local(utcnow())
    copy = target_dir / f"otklik-{local:%Y-%m-%d-%H%M%S}.sqlite3"
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        cases = backup_store(files.store_path, copy)
        settings = None
        if config.source is not None and config.source.is_file():   # no secrets in it (SPEC §7)
            settings = copy.with_name(f"{copy.stem}-{config.source.name}")
            shutil.copyfile(config.source, settings)
        note = copy.with_name(f"{copy.stem} — как восстановить.txt")
        note.write_text(restore_note(copy, files.store_path.resolve(), config, local, cases, settings),
                        encoding="utf-8")
    except OSError as exc:
        raise InputError(f"копию не удаётся записать в «{target_dir}» ({exc.strerror or type(exc).__name__}): "
                         "нужна папка с правом записи и местом на диске") from None
    return copy, note, cases


def migrate_store(config: Config, url: str, schema: str, password_env: str):
    """`run.py migrate-store --to URL`: this data folder's SQLite store copied into `schema` of
    the PostgreSQL database at `url`, checked table by table (bridge/storage/transfer.py)."""
    from bridge.storage.pg import PgStore
    from bridge.storage.transfer import copy_store
    if not schema:
        raise InputError("migrate-store: назовите схему этой администрации (--schema или [store] schema)")
    if urlsplit(url).password is not None or not url.startswith(("postgresql://", "postgres://")):
        raise InputError("migrate-store --to: нужен адрес postgresql://пользователь@сервер/база без пароля "
                         "(пароль — в переменной окружения из --password-env)")
    files = DataFiles(config.data_dir)
    if not files.store_path.exists() or files.store_path.stat().st_size == 0:
        raise InputError(f"базы SQLite «{files.store_path}» нет или она пуста: переносить нечего")
    source = Store(files.store_path)
    try:
        target = PgStore(url, schema, secret(password_env, "пароль базы PostgreSQL") if password_env else None,
                         "migrate-store")
        try:
            target.lead(wait=False)   # no service may work on the target while it is filled
            return target.where, copy_store(source, target)
        finally:
            target.close()
    finally:
        source.close()


def restore_note(copy: Path, store: Path, config: Config, local: datetime, cases: int,
                 settings: Path | None) -> str:
    settings_line = (f"Настройки на момент копии: {settings.name} (копия {config.source.resolve()}; "
                     "пароли и токены в них не хранятся)\n" if settings else "")
    return f"""Резервная копия базы Отклика
Сделана: {local:%d.%m.%Y %H:%M:%S} ({config.tz.key}); обращений в копии: {cases}.
Файл копии: {copy.name}
База службы: {store}
{settings_line}
В копии — база: обращения, история, очередь отправки, решения. Вложения, копии писем и журнал
Excel лежат файлами в папке данных «{store.parent}»: чтобы сохранить и их, копируйте эту папку
целиком (журнал Excel служба восстановит из базы сама).

Как восстановить:
1. Остановите службу (systemctl stop otklik или задание в Планировщике Windows) и запуски
   «python run.py once» из cron: во время восстановления не должен работать ни один запуск.
2. Отложите текущую базу: переименуйте «{store.name}» (и «{store.name}-wal», «{store.name}-shm»,
   если они есть) — например, добавив к имени «.broken».
3. Скопируйте «{copy.name}» на место «{store}» под именем «{store.name}».
4. Запустите службу. Всё, что произошло после момента копии, в базе не отражено: сверьте журнал.

Копия содержит персональные данные граждан (152-ФЗ): храните её в защищённом месте. Команда
purge не затрагивает копии вне папки данных — старые копии удаляйте сами.
"""
