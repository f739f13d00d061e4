"""Every connector that talks HTTP: an expired token or session is renewed once and the pull
goes on; a refusal right after the renewal stops the connection instead of looping.

The expiry is the source's own: the harness makes the source refuse what it issued (Tryton's
sessions aged past ``max_age``, the API's access tokens revoked), and the source answers 401
by itself. The proxy counts logins and token refreshes; in the second test it refuses one
call whatever credentials it carries, while logins and every other call go through, so a
connector that renewed on every refusal would loop and be caught counting its renewals.
"""

from __future__ import annotations

import pytest
from support.conformance.harness import Behaviour, ConnectorHarness, HttpSide, require_http
from support.conformance.suite import records_of, the_same_call
from support.fault_proxy import FaultProxy, running_proxy

from connectors.errors import ConfigurationError, TransientError
from connectors.http import RetryPolicy


def renewals(proxy: FaultProxy, http: HttpSide) -> int:
    """The logins and token refreshes that went through the proxy."""
    return sum(http.is_auth_request(exchange) for exchange in proxy.exchanges)


def test_an_expired_session_is_renewed_once_and_the_pull_goes_on(
    harness: ConnectorHarness, retry: RetryPolicy
) -> None:
    http = require_http(harness, Behaviour.SESSION_RENEWAL)
    with (
        running_proxy(http.upstream_url) as proxy,
        harness.connect(page_size=2, retry=retry, url=proxy.url) as source,
    ):
        pages = source.pull(harness.stream, None)
        first = next(pages)
        before = renewals(proxy, http)
        http.expire_credentials()
        rest = list(pages)

    assert len(proxy.answered(401, injected=False)) == 1  # the source refused the old one
    assert renewals(proxy, http) - before == 1
    ids = [record.id for record in records_of([first, *rest])]
    assert len(ids) == len(set(ids))
    assert set(ids) == harness.record_ids()


def test_a_refusal_right_after_the_renewal_is_a_configuration_error_not_a_loop(
    harness: ConnectorHarness, retry: RetryPolicy
) -> None:
    http = require_http(harness, Behaviour.SESSION_RENEWAL)
    with (
        running_proxy(http.upstream_url) as proxy,
        harness.connect(page_size=2, retry=retry, url=proxy.url) as source,
    ):
        pages = source.pull(harness.stream, None)
        next(pages)
        before = renewals(proxy, http)
        proxy.fail(401, count=10, when=the_same_call(http))
        with pytest.raises(ConfigurationError) as raised:
            next(pages)

    assert not isinstance(raised.value, TransientError)
    assert renewals(proxy, http) - before == 1
    assert len(proxy.answered(401, injected=True)) == 2  # the old session and the new one
