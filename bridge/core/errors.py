"""The small exception tree every adapter translates its library's errors into.

    OtklikError
    ├── ConfigError          the configuration is invalid (one clear message per problem)
    ├── InputError           bad input from the command line or a file
    └── DeliveryError        sending, fetching or publishing failed
        ├── TransientError   try again later (server down, 4xx SMTP, 5xx HTTP, rate limit)
        └── PermanentError   retrying will not help: a person must act (bad address,
                             expired token, deleted comment, closed direct messages)

The core never catches a third-party exception type: each adapter converts them at its
boundary, in one place, so the outbox only has to tell "later" from "tell the operator".
"""

from __future__ import annotations


class OtklikError(Exception):
    """Base of every error Otklik raises on purpose; its message is for people (Russian)."""


class ConfigError(OtklikError):
    """The configuration file or environment is wrong."""


class InputError(OtklikError):
    """A command-line argument or an input file is wrong."""


class DeliveryError(OtklikError):
    """Talking to an outside system (mail, social network, file system) failed."""


class TransientError(DeliveryError):
    """Retry later; `retry_after` (seconds) is the server's hint when it gave one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Retrying will not help; the message says what a person has to do."""
