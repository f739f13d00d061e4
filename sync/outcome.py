"""What a delivery run may do and did: its retry budget, its summary, its findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from model.findings import Finding

__all__ = ["DeliverySummary", "RetryBudget", "finding", "unknown_channel"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryBudget:
    """How often and how long a channel that is down (a 5xx, a timeout) is retried.

    ``attempts``: sends tried in all before the document becomes ``failed``.
    ``backoff``: the wait before the second attempt, doubled after each one, at most
    ``max_backoff``.
    """

    attempts: int = 5
    backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=1)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        wait: timedelta = self.backoff * (2 ** max(attempts - 1, 0))
        return min(wait, self.max_backoff)


@dataclass(slots=True, kw_only=True)
class DeliverySummary:
    """What one :func:`sync.outbox.deliver` run did, for one connection."""

    delivered: int = 0
    """Documents a channel took (sent or delivered), recovered ones included."""
    failed: int = 0
    """Documents refused by their channel, or past the retry budget."""
    in_doubt: int = 0
    """Documents a crash left between send and record on a channel that cannot be asked."""
    pushed: int = 0
    """Events reported to the source system through ``push_status``."""
    retrying: int = 0
    """Documents left queued for a later attempt (the channel was unavailable)."""
    findings: list[Finding] = field(default_factory=list)
    """What went wrong without stopping the run (a refused transition, a push that failed)."""


def finding(message: str, *, rule: str = "OUTBOX", hint: str | None = None) -> Finding:
    """A finding of layer ``delivery``: what went wrong without stopping the run."""
    from model.findings import Finding

    return Finding(rule=rule, layer="delivery", message=message, hint=hint)


def unknown_channel(name: str, number: str) -> Finding:
    """The finding for a row whose channel this run does not have."""
    return finding(
        f"invoice {number} waits for channel {name}, which this run does not have",
        hint=f"declare [channels.{name}] in the settings file or name it on the connection",
    )
