"""What a runner hands to one cycle: when to stop, and the fence that proves it still owns
the connection (``docs/decisions/0001-job-engine.md``).

:func:`sync.pipeline.sync_connection` asks :meth:`RunControl.should_stop` after each
recorded page: a daemon told to stop (SIGTERM) lets the cycle finish the page in hand,
record the pages already validated, deliver what is queued and return, with the cursor
committed where the last page left it. :meth:`RunControl.fence` runs inside each page's
transaction, before its commit: a runner whose lease on the connection was taken over
(a paused worker that woke up late) raises :class:`Fenced` there, so its page is rolled
back and nothing it did after the takeover is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["Fenced", "RunControl"]


class Fenced(Exception):
    """This cycle no longer owns its connection: another worker took it over."""


class RunControl(Protocol):
    """Handed to one cycle by the runner that started it."""

    def should_stop(self) -> bool:
        """True when the cycle should stop after the page in hand."""
        ...

    def fence(self, conn: Connection) -> None:
        """Raise :class:`Fenced` when this cycle lost its connection (in ``conn``, the
        page's transaction)."""
        ...
