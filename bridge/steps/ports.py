"""What a step may use besides the store and the configuration: the adapters, handed in.

Each step is a function `(store, config, ports, now)`; `bridge/app.py` builds the one `Ports`
(or tests hand in stand-ins), so no step reaches for a global, a connection or the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from bridge.core.model import Case
from bridge.core.progress import ProgressFactory, no_progress
from bridge.storage.files import DataFiles


@dataclass
class Ports:
    files: DataFiles
    ledger: Any = None                     # ledger.service.Ledger
    sender: Any = None                     # mailer.mailbox.Sender
    mailbox: Any = None                    # mailer.mailbox.Mailbox
    channels: dict[str, Any] = field(default_factory=dict)   # name → bridge.channels.base.Channel
    hinter: Callable[[Case], Any] | None = None              # case → bridge.hints.Hint
    # What could not be done this cycle because an outside system failed (a server down): each
    # step adds one Russian line per failure and goes on; the cycle reports them as `outages`.
    troubles: list[str] = field(default_factory=list)
    # Long work shows its progress through this (bridge/core/progress.py): a bar on a terminal,
    # a line in the service log now and then. The shell hands in bridge.progress.shown_progress.
    progress: ProgressFactory = no_progress

    def hint_text(self, case: Case) -> str:
        return self.hinter(case).summary() if self.hinter is not None else ""
