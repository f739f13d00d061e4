"""The HTTP helper against a real local HTTP server with scripted answers.

Waits go through a fake clock, so a test that "waits" 30 seconds takes none.
"""

from __future__ import annotations

import json
import logging
import socket
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from support.fake_clock import FakeClock

from connectors.errors import ConfigurationError, OutcomeUnknown, TransientError
from connectors.http import (
    CallBudget,
    HttpClient,
    OAuth2RefreshAuth,
    RetryPolicy,
    Unauthorized,
)
from connectors.secrets import FileSecretStore, MemorySecretStore

SECRETS = ("old-access-token", "refresh-token-1", "client-s3cret", "new-access-token", "refresh-2")


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: str


class ScriptedServer:
    """Answers each path from its script in order; the last reply repeats."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), daemon=True
        )
        self._thread.start()

    def script(self, path: str, *replies: Reply) -> None:
        self.scripts[path] = list(replies)

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path.split("?")[0] == path]

    def _answer(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            script = self.scripts.get(seen.path.split("?")[0])
            if not script:
                return Reply(404, {"error": "not found"})
            return script.pop(0) if len(script) > 1 else script[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                reply = server._answer(Seen(self.command, self.path, dict(self.headers), body))
                payload = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    running = ScriptedServer()
    yield running
    running.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def client_for(
    server: ScriptedServer,
    clock: FakeClock,
    *,
    auth: OAuth2RefreshAuth | None = None,
    budget: CallBudget | None = None,
    attempts: int = 4,
) -> HttpClient:
    policy = RetryPolicy(attempts=attempts, backoff_base=0.01, max_backoff=0.1, clock=clock)
    return HttpClient(server.url, auth=auth, budget=budget, retry=policy, timeout=2.0)


def oauth(server: ScriptedServer, store: MemorySecretStore) -> OAuth2RefreshAuth:
    return OAuth2RefreshAuth(
        token_url=f"{server.url}/token",
        client_id="ledgerlink",
        client_secret=SecretStr("client-s3cret"),
        store=store,
    )


def stored_tokens() -> MemorySecretStore:
    return MemorySecretStore(
        {
            "oauth2.access_token": SecretStr("old-access-token"),
            "oauth2.refresh_token": SecretStr("refresh-token-1"),
        }
    )


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# Retries and rate limits


def test_429_waits_as_long_as_retry_after_says(server: ScriptedServer, clock: FakeClock) -> None:
    server.script("/items", Reply(429, {}, {"Retry-After": "2"}), Reply(200, {"items": [1]}))
    with client_for(server, clock) as client:
        assert client.get("/items").json() == {"items": [1]}
    assert clock.sleeps == [2.0]
    assert len(server.requests_to("/items")) == 2


def test_retry_after_as_an_http_date(server: ScriptedServer, clock: FakeClock) -> None:
    when = formatdate(clock.time() + 7, usegmt=True)
    server.script("/items", Reply(429, {}, {"Retry-After": when}), Reply())
    with client_for(server, clock) as client:
        client.get("/items")
    assert clock.sleeps == [7.0]


def test_vendor_reset_header_as_unix_time(server: ScriptedServer, clock: FakeClock) -> None:
    reset = str(int(clock.time() + 11))
    server.script("/items", Reply(429, {}, {"X-RateLimit-Reset": reset}), Reply())
    with client_for(server, clock) as client:
        client.get("/items")
    assert clock.sleeps == [11.0]


def test_remaining_zero_holds_the_next_call_until_the_reset(
    server: ScriptedServer, clock: FakeClock
) -> None:
    server.script(
        "/items",
        Reply(200, {"page": 1}, {"X-RateLimit-Remaining": "0", "RateLimit-Reset": "3"}),
        Reply(200, {"page": 2}),
    )
    with client_for(server, clock) as client:
        assert client.get("/items").json() == {"page": 1}
        assert clock.sleeps == []
        assert client.get("/items").json() == {"page": 2}
    assert clock.sleeps == [3.0]


def test_a_burst_of_500s_is_retried_with_short_jittered_backoff(
    server: ScriptedServer, clock: FakeClock
) -> None:
    server.script("/items", Reply(500), Reply(502), Reply(503), Reply(200, {"ok": "finally"}))
    with client_for(server, clock) as client:
        assert client.get("/items").json() == {"ok": "finally"}
    assert len(server.requests_to("/items")) == 4
    assert len(clock.sleeps) == 3
    assert all(0 <= wait <= 0.1 for wait in clock.sleeps)


def test_only_500s_surface_as_a_transient_error_with_the_last_status(
    server: ScriptedServer, clock: FakeClock
) -> None:
    server.script("/items", Reply(500), Reply(503))
    with client_for(server, clock, attempts=3) as client, pytest.raises(TransientError) as raised:
        client.get("/items")
    assert raised.value.status == 503
    assert "after 3 attempts" in str(raised.value)
    assert len(server.requests_to("/items")) == 3


def test_a_retry_after_beyond_the_limit_fails_fast(
    server: ScriptedServer, clock: FakeClock
) -> None:
    server.script("/items", Reply(503, {}, {"Retry-After": "3600"}))
    with client_for(server, clock) as client, pytest.raises(TransientError) as raised:
        client.get("/items")
    assert raised.value.retry_after == 3600.0
    assert clock.sleeps == []
    assert len(server.requests_to("/items")) == 1


def test_connection_errors_are_retried_then_transient(clock: FakeClock) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    policy = RetryPolicy(attempts=3, backoff_base=0.01, max_backoff=0.1, clock=clock)
    with (
        HttpClient(f"http://127.0.0.1:{port}", retry=policy, timeout=1.0) as client,
        pytest.raises(TransientError, match="ConnectError") as raised,
    ):
        client.get("/items")
    assert raised.value.status is None
    assert len(clock.sleeps) == 2


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_other_4xx_stop_the_connection_without_retry(
    server: ScriptedServer, clock: FakeClock, status: int
) -> None:
    server.script("/items", Reply(status, {"error": "no"}))
    with client_for(server, clock) as client, pytest.raises(ConfigurationError) as raised:
        client.get("/items", params={"api_key": "client-s3cret"})
    assert f"answered {status}" in str(raised.value)
    assert "check the connection" in str(raised.value)
    assert_no_secret(str(raised.value))
    assert len(server.requests_to("/items")) == 1


def test_a_401_is_unauthorized_a_configuration_error_sent_once(
    server: ScriptedServer, clock: FakeClock
) -> None:
    """A caller that can renew its session catches Unauthorized; everyone else stops."""
    server.script("/items", Reply(401, {"error": "session expired"}), Reply(200))
    with client_for(server, clock) as client, pytest.raises(Unauthorized) as raised:
        client.get("/items", params={"api_key": "client-s3cret"})
    assert isinstance(raised.value, ConfigurationError)
    assert "answered 401 Unauthorized" in str(raised.value)
    assert_no_secret(str(raised.value))
    assert len(server.requests_to("/items")) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize("status", [400, 403, 404])
def test_other_4xx_are_not_unauthorized(
    server: ScriptedServer, clock: FakeClock, status: int
) -> None:
    server.script("/items", Reply(status))
    with client_for(server, clock) as client, pytest.raises(ConfigurationError) as raised:
        client.get("/items")
    assert not isinstance(raised.value, Unauthorized)


# Call budget


def test_minute_budget_sleeps_until_a_request_is_allowed(
    server: ScriptedServer, clock: FakeClock
) -> None:
    server.script("/items", Reply())
    budget = CallBudget(per_minute=2, clock=clock)
    with client_for(server, clock, budget=budget) as client:
        for _ in range(3):
            client.get("/items")
    assert clock.sleeps == [pytest.approx(30.0)]
    assert len(server.requests_to("/items")) == 3


def test_spent_day_budget_raises_transient_without_calling(
    server: ScriptedServer, clock: FakeClock
) -> None:
    server.script("/items", Reply(500), Reply(200))
    budget = CallBudget(per_minute=100, per_day=2, clock=clock)
    with client_for(server, clock, budget=budget) as client:
        client.get("/items")  # a 500 and its retry spend the whole day budget
        with pytest.raises(TransientError, match="daily budget of 2") as raised:
            client.get("/items")
    assert raised.value.retry_after == pytest.approx(86_400 / 2, rel=0.01)
    assert len(server.requests_to("/items")) == 2


# OAuth2 refresh


def test_401_refreshes_once_and_retries_with_the_new_token(
    server: ScriptedServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.script("/items", Reply(401, {"error": "expired"}), Reply(200, {"items": []}))
    server.script(
        "/token", Reply(200, {"access_token": "new-access-token", "refresh_token": "refresh-2"})
    )
    store = stored_tokens()
    auth = oauth(server, store)
    with client_for(server, clock, auth=auth) as client:
        assert client.get("/items").json() == {"items": []}
    [refresh] = server.requests_to("/token")
    assert "grant_type=refresh_token" in refresh.body
    assert "refresh_token=refresh-token-1" in refresh.body
    first, second = server.requests_to("/items")
    assert first.headers["Authorization"] == "Bearer old-access-token"
    assert second.headers["Authorization"] == "Bearer new-access-token"
    assert store.get("oauth2.access_token") == SecretStr("new-access-token")
    assert store.get("oauth2.refresh_token") == SecretStr("refresh-2")
    assert "refreshed" in caplog.text
    assert_no_secret(caplog.text, repr(auth), repr(store), repr(client))


def test_missing_access_token_is_fetched_before_the_first_call(
    server: ScriptedServer, clock: FakeClock
) -> None:
    server.script("/items", Reply(200))
    server.script("/token", Reply(200, {"access_token": "new-access-token"}))
    store = MemorySecretStore({"oauth2.refresh_token": SecretStr("refresh-token-1")})
    with client_for(server, clock, auth=oauth(server, store)) as client:
        client.get("/items")
    assert [seen.headers["Authorization"] for seen in server.requests_to("/items")] == [
        "Bearer new-access-token"
    ]
    assert store.get("oauth2.refresh_token") == SecretStr("refresh-token-1")


def test_expired_refresh_token_is_a_configuration_error(
    server: ScriptedServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.script("/items", Reply(401))
    server.script("/token", Reply(400, {"error": "invalid_grant"}))
    with (
        client_for(server, clock, auth=oauth(server, stored_tokens())) as client,
        pytest.raises(ConfigurationError, match="expired") as raised,
    ):
        client.get("/items")
    assert len(server.requests_to("/token")) == 1
    assert len(server.requests_to("/items")) == 1
    assert_no_secret(str(raised.value), repr(raised.value), caplog.text)


def test_401_after_a_refresh_is_a_configuration_error_and_refreshes_once(
    server: ScriptedServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.script("/items", Reply(401))
    server.script("/token", Reply(200, {"access_token": "new-access-token"}))
    with (
        client_for(server, clock, auth=oauth(server, stored_tokens())) as client,
        pytest.raises(Unauthorized, match="401 Unauthorized") as raised,
    ):
        client.get("/items")
    assert len(server.requests_to("/token")) == 1
    assert len(server.requests_to("/items")) == 2
    assert_no_secret(str(raised.value), caplog.text)


def test_no_refresh_token_says_to_authorise_first(server: ScriptedServer, clock: FakeClock) -> None:
    with (
        client_for(server, clock, auth=oauth(server, MemorySecretStore())) as client,
        pytest.raises(ConfigurationError, match="authorise the connection first"),
    ):
        client.get("/items")
    assert server.seen == []


# Secret stores


def test_file_secret_store_is_private_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "state" / "secrets.json"
    store = FileSecretStore(path)
    assert store.get("oauth2.access_token") is None
    store.set("oauth2.access_token", SecretStr("old-access-token"))
    store.set("oauth2.refresh_token", SecretStr("refresh-token-1"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reopened = FileSecretStore(path)
    assert reopened.get("oauth2.access_token") == SecretStr("old-access-token")
    assert reopened.get("oauth2.refresh_token") == SecretStr("refresh-token-1")
    assert [item.name for item in path.parent.iterdir()] == ["secrets.json"]
    assert_no_secret(repr(reopened), repr(reopened.get("oauth2.access_token")))


# Writes happen once


class Flaky:
    """An ``httpx.MockTransport`` handler: raises or answers from ``script`` in order (the last
    entry repeats) and records every request it was sent."""

    def __init__(self, *script: Exception | int) -> None:
        self.script = list(script)
        self.sent: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        return httpx.Response(step, json={"ok": step})


def flaky_client(handler: Flaky, clock: FakeClock) -> HttpClient:
    policy = RetryPolicy(attempts=3, backoff_base=0.01, max_backoff=0.1, clock=clock)
    return HttpClient("http://source.example", retry=policy, transport=httpx.MockTransport(handler))


def after_sending(kind: type[httpx.TransportError]) -> httpx.TransportError:
    return kind("the request may have reached the server")


MAYBE_SENT = [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteTimeout]
NOT_SENT = [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout]


@pytest.mark.parametrize("failure", MAYBE_SENT)
def test_a_post_that_may_have_reached_the_server_is_sent_once_with_an_unknown_outcome(
    clock: FakeClock, failure: type[httpx.TransportError]
) -> None:
    handler = Flaky(after_sending(failure), 200)
    with flaky_client(handler, clock) as client, pytest.raises(OutcomeUnknown) as raised:
        client.post("/payments?api_key=client-s3cret", json={"amount": "10.00"})
    assert len(handler.sent) == 1
    assert clock.sleeps == []
    assert isinstance(raised.value, TransientError) and raised.value.status is None
    assert raised.value.request == "POST http://source.example/payments"
    assert "unknown" in str(raised.value) and failure.__name__ in str(raised.value)
    assert_no_secret(str(raised.value), raised.value.request)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_post_answered_with_a_5xx_is_sent_once_with_an_unknown_outcome(
    clock: FakeClock, status: int
) -> None:
    handler = Flaky(status, 200)
    with flaky_client(handler, clock) as client, pytest.raises(OutcomeUnknown) as raised:
        client.post("/payments", json={"amount": "10.00"})
    assert len(handler.sent) == 1
    assert raised.value.status == status


@pytest.mark.parametrize("failure", MAYBE_SENT)
def test_a_get_or_an_idempotent_post_is_retried_after_a_failure_that_may_have_reached_it(
    clock: FakeClock, failure: type[httpx.TransportError]
) -> None:
    handler = Flaky(after_sending(failure), 503, 200)
    with flaky_client(handler, clock) as client:
        assert client.get("/items").json() == {"ok": 200}
        handler.script = [after_sending(failure), 503, 200]
        assert client.post("/search", json={}, idempotent=True).json() == {"ok": 200}
    assert [request.method for request in handler.sent] == ["GET"] * 3 + ["POST"] * 3


def test_a_get_marked_not_idempotent_is_sent_once(clock: FakeClock) -> None:
    handler = Flaky(after_sending(httpx.ReadTimeout), 200)
    with flaky_client(handler, clock) as client, pytest.raises(OutcomeUnknown):
        client.get("/export/start", idempotent=False)
    assert len(handler.sent) == 1


@pytest.mark.parametrize("failure", NOT_SENT)
def test_a_post_that_surely_was_not_sent_is_retried(
    clock: FakeClock, failure: type[httpx.TransportError]
) -> None:
    handler = Flaky(failure("nothing left the client"), 200)
    with flaky_client(handler, clock) as client:
        assert client.post("/payments", json={}).json() == {"ok": 200}
    assert len(handler.sent) == 2


def test_a_post_that_never_got_through_is_transient_not_unknown(clock: FakeClock) -> None:
    handler = Flaky(httpx.ConnectError("refused"))
    with flaky_client(handler, clock) as client, pytest.raises(TransientError) as raised:
        client.post("/payments", json={})
    assert not isinstance(raised.value, OutcomeUnknown)
    assert len(handler.sent) == 3


def test_a_post_refused_with_429_is_retried(clock: FakeClock) -> None:
    handler = Flaky(429, 200)
    with flaky_client(handler, clock) as client:
        assert client.post("/payments", json={}).json() == {"ok": 200}
    assert len(handler.sent) == 2
