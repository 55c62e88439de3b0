"""The one composition root: `build_app(config, …)` wires the store, the ledger, the outbox, the
mail and channel adapters (or the test stand-ins handed in), and nothing reaches for a global.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Sequence

from bridge import replies, workflow
from bridge.config import Config, secret
from bridge.figures import month_summary
from bridge.intake import take_items
from bridge.model import Case
from bridge.outbox import OutboxRunner
from bridge.store import Store, case_from_json
from ledger.service import Ledger
from ledger.workbook import DirectoryRow

log = logging.getLogger("otklik.app")

MAX_PAGES_PER_CYCLE = 200   # a page is ~100 items: bounded so mail and the ledger get their turn


@dataclass
class App:
    config: Config
    store: Store
    ledger: Ledger
    outbox: OutboxRunner = None            # set in build_app
    sender: Any = None                     # SmtpSender / EwsSender: send(from, to, bytes)
    mailbox: Any = None                    # ImapMailbox / EwsMailbox: fetch_new, mark_processed
    channels: dict[str, Any] = field(default_factory=dict)
    hinter: Callable[[Case], Any] | None = None

    # -- helpers used by the cycle ----------------------------------------------------------------

    def hint_text(self, case: Case) -> str:
        if self.hinter is None:
            return ""
        return self.hinter(case).summary()

    def decision_context(self, now: datetime) -> workflow.DecisionContext:
        return workflow.DecisionContext(now=now, department_exists=lambda c: self.config.department(c) is not None,
                                        explanation_text=self.explanation_text)

    def explanation_text(self, case: Case, basis: str) -> str:
        from mailer.texts import explanation_for
        return explanation_for(case, basis, self.config, self.store)

    def summary(self, cases: Sequence[Case], now: datetime) -> list[list]:
        return month_summary(cases, self.config, now, self.store)

    def take_channels(self, now: datetime) -> int:
        """New items from every channel; a network that is down never stops the others."""
        return sum(self._take_channel(name, channel, now) for name, channel in self.channels.items())

    def _take_channel(self, name: str, channel, now: datetime) -> int:
        """Page after page until the channel has nothing more (a burst of 10,000 comments is
        taken in one cycle, not 100 a minute); the cursor is saved after each saved page."""
        created = 0
        for _ in range(MAX_PAGES_PER_CYCLE):
            cursor = self.store.get_value(f"cursor.{name}")
            try:
                items, new_cursor = channel.fetch(cursor)
            except Exception as exc:
                log.warning("channel %s: %s", name, exc)
                self.store.alert("outage", f"{name}: {exc}", key=f"fetch:{name}:{now:%Y-%m-%d %H}", at=now)
                break
            created += take_items(self.store, self.config.case_prefix, items, self.hint_text, now)
            with self.store.transaction():
                self.store.set_value(f"cursor.{name}", new_cursor)
            if not items or new_cursor == cursor:
                break
        return created

    def take_mail(self, now: datetime) -> int:
        if self.mailbox is None:
            return 0
        from mailer.reply import parse_reply
        from mailer.imap import MailboxState
        state_json = self.store.get_value("mailbox.state")
        state = MailboxState.from_json(state_json) if state_json else None
        mails, new_state = self.mailbox.fetch_new(state)
        answers = 0
        for mail in mails:
            parsed = parse_reply(mail.raw, case_prefix=self.config.case_prefix,
                                 departments=self.config.allow_list())
            answers += replies.take_reply(self.store, self.config.data_dir, mail.raw, parsed, now) == "answer"
        if mails:
            self.mailbox.mark_processed([m.uid for m in mails])
        with self.store.transaction():
            self.store.set_value("mailbox.state", new_state.to_json())
        return answers

    def refresh_site(self, now: datetime, force: bool = False) -> int:
        """п. 3.5: rewrite «Информационные сообщения» when an informational answer was published."""
        from bridge.site import SiteItem, write_site
        rows = self.store.db.execute(
            "SELECT data FROM cases WHERE status = 'Опубликовано' "
            "AND json_extract(data, '$.informational') ORDER BY closed_at")
        items = [SiteItem(c.id, c.closed_at or c.posted_at, c.publish_text,
                          getattr(self.config.department(c.department), "name", ""))
                 for c in (case_from_json(r["data"]) for r in rows)]
        marker = [len(items), items[-1].case_id if items else ""]
        if not force and (not items or self.store.get_value("site.marker") == marker):
            return 0
        write_site(self.config.site_dir, items, self.config.site_title)
        with self.store.transaction():
            self.store.set_value("site.marker", marker)
        return len(items)


def build_app(config: Config, *, sender: Any = None, mailbox: Any = None,
              channels: dict[str, Any] | None = None, connect: bool = True) -> App:
    """Wire the application; adapters handed in (tests, demo) replace the configured ones."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(config.data_dir / "otklik.sqlite3")
    directory = [DirectoryRow(d.code, d.name, ", ".join(d.emails)) for d in config.departments]
    ledger = Ledger(config.ledger, config.data_dir / "backups", store, directory)
    app = App(config, store, ledger)
    if connect:
        app.sender = sender or _configured_sender(config)
        app.mailbox = mailbox or _configured_mailbox(config)
        app.channels = channels if channels is not None else _configured_channels(config)
    else:
        app.sender, app.mailbox, app.channels = sender, mailbox, channels or {}
    app.hinter = _hinter(config, store)
    from bridge.handlers import outbox_handlers
    handlers, completions, on_failure = outbox_handlers(app)
    app.outbox = OutboxRunner(store, handlers, completions, on_failure)
    return app


def _configured_sender(config: Config):
    mail = config.mail
    if not mail:
        return None
    if mail.get("backend") == "exchange":
        from mailer.exchange import EwsSender
        return EwsSender(mail["exchange_url"], mail["exchange_user"],
                         secret(mail.get("exchange_password_env"), "Exchange"), mail["address"])
    from mailer.smtp import SmtpSender
    return SmtpSender(mail.get("smtp_host", "localhost"), mail.get("smtp_port", 587),
                      mail.get("smtp_security", "starttls"), mail.get("smtp_user") or None,
                      _optional_secret(mail.get("smtp_password_env")))


def _configured_mailbox(config: Config):
    mail = config.mail
    if not mail:
        return None
    if mail.get("backend") == "exchange":
        from mailer.exchange import EwsMailbox
        return EwsMailbox(mail["exchange_url"], mail["exchange_user"],
                          secret(mail.get("exchange_password_env"), "Exchange"), mail["address"])
    from mailer.imap import ImapMailbox
    return ImapMailbox(mail.get("imap_host", "localhost"), mail.get("imap_port", 993),
                       mail.get("imap_security", "ssl"), mail.get("imap_user", mail.get("address", "")),
                       _optional_secret(mail.get("imap_password_env")),
                       processed_folder=mail.get("processed_folder"))


def _optional_secret(env_name: str | None) -> str:
    import os
    return os.environ.get(env_name or "", "")


def _configured_channels(config: Config) -> dict[str, Any]:
    if not config.channels:
        return {}
    from bridge.channels import build_channels
    return {channel.name: channel for channel in build_channels(config.channels, _env_secret)}


def _env_secret(env_name: str) -> str:
    return secret(env_name, "токен")


def _hinter(config: Config, store: Store):
    try:
        from bridge.hints import Department, ExternalBody, Hinter
    except ImportError:
        return None
    hinter = Hinter([Department(d.code, d.name, d.description, d.keywords or ()) for d in config.departments],
                    [ExternalBody(b.name, b.competence, b.code) for b in config.external_bodies])

    def hint(case: Case):
        return hinter.suggest(case.text, author_key=case.author_key or None,
                              earlier=_earlier_answers(store, case))
    return hint


def _earlier_answers(store: Store, case: Case):
    from bridge.hints import EarlierCase
    if not case.author_key:
        return ()
    rows = store.db.execute("SELECT data FROM cases WHERE status = 'Опубликовано' AND json_extract(data, '$.author_key') = ?",
                            (case.author_key,))
    return [EarlierCase(c.id, c.author_key, c.text) for c in (case_from_json(r["data"]) for r in rows)]

