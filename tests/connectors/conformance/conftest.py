"""Fixtures of the connector conformance suite: every test runs once per registered harness.

The harness (and a Tryton server behind it) lives for the whole suite, so every mutation a
test makes is additive: tests compare with what the source holds when they run
(:meth:`~support.conformance.harness.ConnectorHarness.record_ids`), never with a fixed list.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.conformance import HARNESSES
from support.conformance.harness import ConnectorHarness
from support.conformance.suite import ATTEMPTS, MAX_BACKOFF, SHARED_COUNT, SharedGroup
from support.fake_clock import FakeClock

from connectors.http import RetryPolicy


@pytest.fixture(scope="package", params=sorted(HARNESSES))
def harness(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConnectorHarness]:
    factory = HARNESSES[request.param]
    with factory(request, tmp_path_factory.mktemp(f"conformance-{request.param}")) as built:
        yield built


@pytest.fixture(scope="package")
def shared_group(harness: ConnectorHarness) -> SharedGroup:
    return SharedGroup(tuple(harness.seed_shared_timestamp(SHARED_COUNT)))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def retry(clock: FakeClock) -> RetryPolicy:
    """The suite's retry policy: ATTEMPTS attempts, short backoff, waits on the fake clock."""
    return RetryPolicy(attempts=ATTEMPTS, backoff_base=0.01, max_backoff=MAX_BACKOFF, clock=clock)
