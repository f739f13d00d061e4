"""What the conformance suite's test modules share: its limits and its pull helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from connectors.base import Cursor, Page, Record
from connectors.http import RetryPolicy
from support.fault_proxy import Exchange

from .harness import ConnectorHarness, HttpSide

__all__ = [
    "ATTEMPTS",
    "MAX_BACKOFF",
    "SHARED_COUNT",
    "SharedGroup",
    "committed",
    "data_request",
    "one_page_per_run",
    "records_of",
    "the_same_call",
]

ATTEMPTS = 4
"""The retry limit the suite gives every connector: attempts per request, the first included."""
MAX_BACKOFF = 0.05
"""The longest backoff the suite's policy draws between two attempts, in (fake) seconds."""
SHARED_COUNT = 5
"""How many records the suite seeds with one update time: more than the largest page."""


@dataclass(frozen=True, slots=True)
class SharedGroup:
    """Records the harness seeded with one update time."""

    ids: tuple[str, ...]


def records_of(pages: Iterable[Page]) -> list[Record]:
    return [record for page in pages for record in page.records]


def committed(cursor: Cursor) -> Cursor:
    """The cursor as a caller stores it between runs and reads it back: its fields only."""
    return Cursor(value=cursor.value, tie_breaker=cursor.tie_breaker, lag=cursor.lag)


def one_page_per_run(
    harness: ConnectorHarness, *, page_size: int, retry: RetryPolicy
) -> Iterator[tuple[Cursor | None, Page]]:
    """Pull the stream one page per run, each run a new pull that knows only the cursor the
    run before committed. Yields the cursor each run started from and the page it got.

    The runs share one connector, whose login is all they share: a Tryton login costs a
    third of a second (password hashing), a new connector per run would triple the time.
    """
    cursor: Cursor | None = None
    with harness.connect(page_size=page_size, retry=retry) as source:
        while page := next(source.pull(harness.stream, cursor), None):
            if cursor is not None and not page.next_cursor > cursor:
                raise AssertionError(f"the cursor did not move past {cursor}: the pull would loop")
            yield cursor, page
            cursor = committed(page.next_cursor)


def data_request(http: HttpSide) -> Callable[[Exchange], bool]:
    """A proxy fault filter: requests that read data, not logins or token refreshes."""
    return lambda exchange: not http.is_auth_request(exchange)


def the_same_call(http: HttpSide) -> Callable[[Exchange], bool]:
    """A proxy fault filter: the first request that reads data, and every later request for
    the same call (same method, URL and body; a JSON-RPC message id aside), whatever session
    or token it carries. Logins, token refreshes and other calls go through."""
    picked: list[tuple[str, str, object]] = []

    def picks(exchange: Exchange) -> bool:
        if http.is_auth_request(exchange):
            return False
        call = _call(exchange)
        if not picked:
            picked.append(call)
        return call == picked[0]

    return picks


def _call(exchange: Exchange) -> tuple[str, str, object]:
    body = exchange.json()
    if isinstance(body, dict):
        body = {key: value for key, value in body.items() if key != "id"}
    else:
        body = exchange.body
    return (exchange.method, exchange.path, body)
