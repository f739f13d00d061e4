"""The daemon's structured logs: one JSON object per line on stderr.

Each line has ``time`` (UTC, ISO 8601), ``level``, ``event`` (what happened:
``cycle-done``, ``cycle-failed``, ``backoff``, ``stop-requested``, ...; ``log`` for a
line that names none), ``logger``, ``message``, and where known ``connection``,
``channel`` and ``document`` (the invoice number, BT-1), plus the counts of a cycle;
``worker`` (``host:pid``) when the daemon sets it on each record (several daemons on one
PostgreSQL store write one log each, and ``cycle_holders`` names the same id).
A record's exception is reduced to its type and message (no traceback, no locals).

Secrets stay out: :class:`JsonFormatter` replaces each value of ``secrets`` (the values
of the environment variables the settings file names: ``token_env``, ``password_env``,
``webhook_secret_env``, ..., :func:`secret_values`) wherever it occurs in a line, as a
last guard behind messages that never put them there.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, TextIO

__all__ = ["REDACTED", "JsonFormatter", "configure", "secret_values"]

REDACTED: Final = "[redacted]"
_FIELDS: Final = ("worker", "connection", "channel", "document")
_EXTRA: Final = (
    "pulled",
    "unchanged",
    "queued",
    "delivered",
    "quarantined",
    "held",
    "failed",
    "changed_after_delivery",
    "stopped",
    "failures",
    "next_due",
    "seconds",
    "schedule",
    "lock",
    "port",
    "workers",
    "outcome",
    # the daily reminder run (ledgerlink.daemon_reminders)
    "on",
    "fires",
    "recorded",
    "problems",
    "error",
)
_MIN_SECRET: Final = 4
"""Shorter values are not searched for (they would blank common words)."""


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object (see the module docstring)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted(
            {value for value in secrets if len(value) >= _MIN_SECRET}, key=len, reverse=True
        )

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Search these values too (the store URL's password, once the store is opened)."""
        self._secrets = sorted(
            {*self._secrets, *(value for value in secrets if len(value) >= _MIN_SECRET)},
            key=len,
            reverse=True,
        )

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            failure = record.exc_info[1]
            message = f"{message} ({type(failure).__name__}: {failure})"
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "event": getattr(record, "event", None) or "log",
            "logger": record.name,
        }
        for key in _FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        line["message"] = message
        for key in _EXTRA:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        return self._redacted(json.dumps(line, ensure_ascii=False, default=str))

    def _redacted(self, text: str) -> str:
        for secret in self._secrets:
            for form in {secret, json.dumps(secret, ensure_ascii=False)[1:-1]}:
                text = text.replace(form, REDACTED)
        return text


def secret_values(settings: Any, environ: Mapping[str, str] | None = None) -> set[str]:
    """The values of every environment variable a ``*_env`` key of the settings names
    (channels and connections). The store URL of the settings file holds no password (it
    is refused there); the daemon adds the password of the URL it opened
    (:meth:`JsonFormatter.add_secrets`)."""
    env = os.environ if environ is None else environ
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                if isinstance(key, str) and key.endswith("_env") and isinstance(inner, str):
                    if env.get(inner):
                        found.add(env[inner])
                else:
                    walk(inner)
        elif isinstance(value, list | tuple):
            for inner in value:
                walk(inner)

    dump = settings.model_dump(mode="json") if hasattr(settings, "model_dump") else settings
    walk(dump)
    for connection in getattr(settings, "connections", {}).values():
        walk(getattr(connection, "model_extra", None) or {})
    return found


def configure(
    secrets: Iterable[str] = (), stream: TextIO | None = None, level: int = logging.INFO
) -> logging.Handler:
    """Send every log record of the process (the root logger) as JSON lines to
    ``stream`` (default stderr), replacing any handlers there were."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
