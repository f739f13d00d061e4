"""Every connector that talks HTTP: a 429 with Retry-After is honoured, and a burst of 500s
is retried, then surfaces as a transient error.

The connector talks to its source through a real proxy (support.fault_proxy) that answers
chosen requests itself. The faults start after the first page, on the requests that read
data, so they hit a pull under way. Waits go to the suite's fake clock: the tests assert
the wait the connector chose and spend none of it.
"""

from __future__ import annotations

import pytest
from support.conformance.harness import Behaviour, ConnectorHarness, require_http
from support.conformance.suite import ATTEMPTS, MAX_BACKOFF, data_request, records_of
from support.fake_clock import FakeClock
from support.fault_proxy import FaultProxy, running_proxy

from connectors.errors import TransientError
from connectors.http import RetryPolicy

RETRY_AFTER = 1


def assert_sent_again(proxy: FaultProxy, status: int) -> None:
    """Every request answered with an injected ``status`` was sent again, unchanged."""
    exchanges = proxy.exchanges
    for index, exchange in enumerate(exchanges):
        if exchange.injected and exchange.status == status:
            following = exchanges[index + 1]
            assert (following.method, following.path, following.body) == (
                exchange.method,
                exchange.path,
                exchange.body,
            )


def test_a_429_with_retry_after_is_honoured(
    harness: ConnectorHarness, retry: RetryPolicy, clock: FakeClock
) -> None:
    http = require_http(harness, Behaviour.RETRY_AFTER)
    with (
        running_proxy(http.upstream_url) as proxy,
        harness.connect(page_size=2, retry=retry, url=proxy.url) as source,
    ):
        pages = source.pull(harness.stream, None)
        first = next(pages)
        assert clock.sleeps == []
        proxy.fail(429, count=2, headers={"Retry-After": str(RETRY_AFTER)}, when=data_request(http))
        rest = list(pages)

    assert len(proxy.answered(429, injected=True)) == 2
    assert clock.sleeps == [RETRY_AFTER, RETRY_AFTER]  # what the source asked, each time
    assert_sent_again(proxy, 429)
    ids = [record.id for record in records_of([first, *rest])]
    assert sorted(ids) == sorted(harness.record_ids())


def test_a_burst_of_500s_within_the_retry_limit_is_retried_and_the_pull_completes(
    harness: ConnectorHarness, retry: RetryPolicy, clock: FakeClock
) -> None:
    http = require_http(harness, Behaviour.SERVER_ERRORS)
    with (
        running_proxy(http.upstream_url) as proxy,
        harness.connect(page_size=2, retry=retry, url=proxy.url) as source,
    ):
        pages = source.pull(harness.stream, None)
        first = next(pages)
        proxy.fail(500, count=ATTEMPTS - 1, when=data_request(http))
        rest = list(pages)

    assert len(proxy.answered(500, injected=True)) == ATTEMPTS - 1
    assert len(clock.sleeps) == ATTEMPTS - 1  # a backoff before every retry
    assert all(0 <= wait <= MAX_BACKOFF for wait in clock.sleeps)
    assert_sent_again(proxy, 500)
    ids = [record.id for record in records_of([first, *rest])]
    assert sorted(ids) == sorted(harness.record_ids())


def test_a_longer_burst_of_500s_is_a_transient_error_and_the_cursor_still_resumes(
    harness: ConnectorHarness, retry: RetryPolicy, clock: FakeClock
) -> None:
    http = require_http(harness, Behaviour.SERVER_ERRORS)
    with running_proxy(http.upstream_url) as proxy:
        with harness.connect(page_size=2, retry=retry, url=proxy.url) as source:
            pages = source.pull(harness.stream, None)
            first = next(pages)
            proxy.fail(500, count=ATTEMPTS, when=data_request(http))
            with pytest.raises(TransientError) as raised:
                next(pages)
        assert raised.value.status == 500
        assert len(proxy.answered(500, injected=True)) == ATTEMPTS  # gave up, no more tries
        assert len(clock.sleeps) == ATTEMPTS - 1

        with harness.connect(page_size=2, retry=retry, url=proxy.url) as source:
            rest = records_of(source.pull(harness.stream, first.next_cursor))

    ids = [record.id for record in records_of([first])] + [record.id for record in rest]
    assert len(ids) == len(set(ids))
    assert set(ids) == harness.record_ids()
