"""The contract between the connector conformance suite and one connector: its harness.

The suite (tests/connectors/conformance) runs the same scenarios over every connector; a
harness builds its connector over a source the harness controls, changes that source the
way a scenario needs and reads it back on its own, without the connector, so the suite can
compare what the connector pulled with what the source holds.

A harness says which behaviours do not apply to its connector, and why (a file source makes
no HTTP request, so it has no rate limit, server error or session): the suite reports those
as skipped with that reason, never as passed. The HTTP behaviours need :attr:`http`, which
tells the suite where the connector's requests go (the suite puts a fault-injecting proxy
in between), which of them are logins or token refreshes, and how to make the source expire
the credentials it issued.

Adding a connector to the suite is writing a harness and registering it in
:data:`support.conformance.HARNESSES`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

import pytest

from connectors.base import Connector, DocumentSource, Stream
from connectors.http import RetryPolicy
from support.fault_proxy import Exchange

__all__ = [
    "HTTP_BEHAVIOURS",
    "BadRecord",
    "Behaviour",
    "ConnectorHarness",
    "HttpSide",
    "Source",
    "require",
    "require_http",
]


class Behaviour(enum.Enum):
    """What the suite asks of every connector (issue 4, section 5)."""

    RESUME = "an incremental pull resumes from a cursor with no loss and no duplicates"
    RETRY_AFTER = "a 429 with Retry-After is honoured"
    SERVER_ERRORS = "a burst of 500s is retried, then surfaces as a transient error"
    SESSION_RENEWAL = "an expired token or session is renewed once"
    QUARANTINE = "a bad record is quarantined and the rest continues"


HTTP_BEHAVIOURS = frozenset(
    {Behaviour.RETRY_AFTER, Behaviour.SERVER_ERRORS, Behaviour.SESSION_RENEWAL}
)


class Source(Connector, DocumentSource, Protocol):
    """What the suite drives: a connector whose invoices map to EN 16931 documents."""


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A record the harness put in the source that cannot become a document.

    ``mentions``: what the :class:`~connectors.errors.RecordError`'s reason must name for a
    user to fix it (the unmapped code and the mapping file; the file, line and field).
    """

    id: str
    mentions: tuple[str, ...]


class HttpSide(Protocol):
    """The HTTP side of a connector that talks to its source over HTTP."""

    @property
    def upstream_url(self) -> str:
        """The source's base URL; the suite points the connector at a proxy in front of it."""
        ...

    def is_auth_request(self, exchange: Exchange) -> bool:
        """True for a login or token refresh, false for a request that reads data."""
        ...

    def expire_credentials(self) -> None:
        """Make the source itself refuse every session or access token issued so far, as it
        does when they expire; logins and refreshes keep working."""
        ...


class ConnectorHarness(Protocol):
    """One connector over a source the harness controls; see the module docstring.

    The source holds a few records from the start, at distinct update times and all mapping
    to valid documents, so there is always a record outside the groups the suite seeds.
    """

    @property
    def name(self) -> str:
        """The connector kind, as in the settings file (``tryton``, ``model-json``)."""
        ...

    @property
    def stream(self) -> Stream:
        """The stream the suite pulls: the one whose records map to documents."""
        ...

    @property
    def not_applicable(self) -> Mapping[Behaviour, str]:
        """The behaviours that do not apply to this connector, each with the reason."""
        ...

    @property
    def http(self) -> HttpSide | None:
        """The HTTP side, or None for a connector that makes no HTTP request."""
        ...

    def connect(
        self, *, page_size: int, retry: RetryPolicy, url: str | None = None
    ) -> AbstractContextManager[Source]:
        """A new connector (a new run: it shares nothing with earlier ones), closed on exit.

        ``retry`` carries the suite's retry limit and fake clock; ``url`` replaces the
        source's URL (an HTTP connector then talks to the suite's proxy).
        """
        ...

    def record_ids(self) -> set[str]:
        """The ids the stream holds now, read from the source without the connector."""
        ...

    def seed_shared_timestamp(self, count: int) -> list[str]:
        """Add ``count`` records that map to valid documents and share one update time,
        later than the records already there; their ids."""
        ...

    def touch(self, record_id: str) -> None:
        """Change the record as a user would (edit it, rewrite the file): its update time
        becomes later than every other record's."""
        ...

    def add_bad_record(self) -> BadRecord:
        """Add a record that is pulled like the others but cannot become a document."""
        ...


def require(harness: ConnectorHarness, behaviour: Behaviour) -> None:
    """Skip the calling test, with the harness's reason, when ``behaviour`` does not apply."""
    reason = harness.not_applicable.get(behaviour)
    if reason is not None:
        pytest.skip(f"{harness.name}: {behaviour.value}: not applicable: {reason}")


def require_http(harness: ConnectorHarness, behaviour: Behaviour) -> HttpSide:
    """The harness's HTTP side for an HTTP ``behaviour``, or a skip with the harness's reason.

    A harness without an HTTP side must say why the behaviour does not apply: a missing
    reason fails the test instead of passing it silently.
    """
    require(harness, behaviour)
    if harness.http is None:
        pytest.fail(f"{harness.name} has no HTTP side and gives no reason why {behaviour.value}")
    return harness.http
