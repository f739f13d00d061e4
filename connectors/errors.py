"""What can go wrong while talking to an accounting system, and what to do about it.

The exception tree, one class per decision the caller has to make::

    ConnectorError
    ├── TransientError       retry later: connection failed, 429, 5xx, call budget spent
    │   └── OutcomeUnknown   a write may have reached the source: look before writing again
    ├── ConfigurationError   stop this connection; the message says what the user must fix
    └── RecordError          quarantine this one record and go on with the rest

No message carries a secret: tokens and passwords are ``pydantic.SecretStr`` everywhere
and URLs are reported without their query string.
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "ConnectorError",
    "OutcomeUnknown",
    "RecordError",
    "TransientError",
]


class ConnectorError(Exception):
    """Base class of every error a connector raises."""


class TransientError(ConnectorError):
    """The source is unavailable for now; the same call may succeed later.

    ``status`` is the last HTTP status seen (None for a connection failure or a spent
    budget); ``retry_after`` the seconds the source asked us to wait, when it said so.
    """

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class OutcomeUnknown(TransientError):
    """A request that is not idempotent may have reached the source, and no answer says
    whether the source carried it out (a read timeout, a connection lost after sending, a 5xx).

    It was sent once and not repeated, since repeating it could do it twice (book a payment
    twice). ``request`` is the method and URL (without query string); ``status`` the 5xx
    answered, None when no answer came. Whoever resolves it (the sync engine, a later run)
    first looks in the source for what the request would have made, then writes only if it
    is not there.
    """

    def __init__(self, message: str, *, request: str, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.request = request


class ConfigurationError(ConnectorError):
    """The connection cannot work as configured; stop it and tell the user what to fix."""


class RecordError(ConnectorError):
    """One source record cannot be used; quarantine it and continue with the others."""

    def __init__(self, record_id: str, reason: str) -> None:
        super().__init__(f"record {record_id}: {reason}")
        self.record_id = record_id
        self.reason = reason
