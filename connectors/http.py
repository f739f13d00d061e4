"""One HTTP helper for every connector: retries, rate limits, a call budget and OAuth2.

:class:`HttpClient` wraps ``httpx.Client``. It retries with exponential backoff and jitter
(tenacity), waiting instead as long as the source asks through ``Retry-After`` (seconds or an
HTTP date) or its rate-limit headers (``X-RateLimit-Reset`` / ``RateLimit-Reset``;
``X-RateLimit-Remaining: 0`` pauses the next call until the reset). When the retries run out
it raises :class:`TransientError` with the last status.

What is retried depends on whether the request may have reached the server:

* a failure before anything was sent (connect error, connect timeout, no free connection in
  the pool) and a 429 (the server refused the request) are retried for every method;
* a failure after the request may have reached the server (a read timeout, a connection
  reset after sending, a 5xx) is retried only for an idempotent request: one the caller marks
  ``idempotent=True`` (a read, or a write the server deduplicates by an idempotency key).
  GET, HEAD and OPTIONS are idempotent unless the caller says otherwise; every other method
  (POST above all) is not. A request that is not idempotent is sent once and raises
  :class:`~connectors.errors.OutcomeUnknown`, a :class:`TransientError` saying that the write may or may not
  have been carried out: the caller finds out (looks for what the write would have made)
  before it writes again.

Any other 4xx is a :class:`ConfigurationError`; a 401 (after an OAuth2 refresh) is its
subclass :class:`Unauthorized`, so that a caller holding a session it can renew (a
session-based RPC) logs in again once and repeats the call (the server refused it before
acting on it), and everyone else stops the connection. A :class:`CallBudget` caps requests
per minute and per day.

:class:`OAuth2RefreshAuth` is an ``httpx.Auth`` flow: bearer token on every request, one
refresh on a 401, tokens kept in a :class:`~connectors.secrets.SecretStore`. No token,
password or query string ever reaches a log line or an error message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx
from pydantic import SecretStr
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from connectors.errors import ConfigurationError, OutcomeUnknown, TransientError
from connectors.secrets import SecretStore

__all__ = [
    "CallBudget",
    "Clock",
    "HttpClient",
    "OAuth2RefreshAuth",
    "RetryPolicy",
    "SystemClock",
    "Unauthorized",
]

log = logging.getLogger(__name__)

_RESET_HEADERS = ("Retry-After", "X-RateLimit-Reset", "RateLimit-Reset")
_REMAINING_HEADERS = ("X-RateLimit-Remaining", "RateLimit-Remaining")
_EPOCH_THRESHOLD = 1_000_000_000  # a reset value above this is a Unix time, below a delay
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Transport failures raised before any byte of the request left: safe to repeat any request.
_NOT_SENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


class Clock(Protocol):
    """Time as the HTTP helper sees it; tests inject a fake one."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    def time(self) -> float:
        """Wall-clock Unix time, for HTTP dates and epoch reset headers."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds``."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True, kw_only=True, slots=True)
class RetryPolicy:
    """How hard to retry: ``attempts`` in all, backoff ``backoff_base`` * 2**n (with jitter)
    capped at ``max_backoff``; a source asking for more than ``max_wait`` seconds gets a
    :class:`TransientError` at once instead of a blocked worker."""

    attempts: int = 5
    backoff_base: float = 0.5
    max_backoff: float = 30.0
    max_wait: float = 120.0
    clock: Clock = field(default_factory=SystemClock)


class _TokenBucket:
    """``capacity`` tokens, refilled continuously over ``period`` seconds."""

    def __init__(self, capacity: int, period: float, clock: Clock) -> None:
        self.capacity = capacity
        self._rate = capacity / period
        self._tokens = float(capacity)
        self._clock = clock
        self._last = clock.monotonic()

    def available(self) -> float:
        now = self._clock.monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self._rate)
        self._last = now
        return self._tokens

    def wait_for_one(self) -> float:
        """Seconds until one token is available (0 when one is)."""
        return max(0.0, (1 - self.available()) / self._rate)

    def take(self) -> None:
        self._tokens -= 1


class CallBudget:
    """Requests allowed per minute and per day for one connection.

    A spent minute budget sleeps until a request is allowed again; a spent day budget
    raises :class:`TransientError` with the wait in ``retry_after``.
    """

    def __init__(
        self,
        *,
        per_minute: int | None = None,
        per_day: int | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._clock = clock or SystemClock()
        self._minute = _TokenBucket(per_minute, 60.0, self._clock) if per_minute else None
        self._day = _TokenBucket(per_day, 86_400.0, self._clock) if per_day else None

    def acquire(self) -> None:
        """Spend one request, waiting or raising as described above."""
        if self._day is not None and (wait := self._day.wait_for_one()) > 0:
            raise TransientError(
                f"the daily budget of {self._day.capacity} requests is spent",
                retry_after=wait,
            )
        if self._minute is not None:
            if (wait := self._minute.wait_for_one()) > 0:
                log.info("call budget: waiting %.2fs for the per-minute limit", wait)
                self._clock.sleep(wait)
                self._minute.available()
            self._minute.take()
        if self._day is not None:
            self._day.take()


class Unauthorized(ConfigurationError):
    """The source answered 401: the credentials, token or session were refused.

    A :class:`ConfigurationError` for every caller that cannot renew them. The server refused
    the request before acting on it, so a caller that can (a session that expired) renews
    the session once and sends the same request again; a 401 right after that is final.
    """


class _Retryable(Exception):
    """An attempt that may succeed when repeated; never leaves this module."""

    def __init__(self, message: str, *, status: int | None, hint: float | None) -> None:
        super().__init__(message)
        self.status = status
        self.hint = hint


def _public_url(url: httpx.URL) -> str:
    """``url`` without query string or user info, safe for logs and messages."""
    return str(url.copy_with(query=None, fragment=None, username=None, password=None))


class HttpClient:
    """A JSON-over-HTTP client for one connection; see the module docstring."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        budget: CallBudget | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        headers: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._client = httpx.Client(
            base_url=base_url, auth=auth, timeout=timeout, headers=headers, transport=transport
        )
        self._budget = budget
        self._policy = retry or RetryPolicy()
        self._backoff = wait_random_exponential(
            multiplier=self._policy.backoff_base, max=self._policy.max_backoff
        )
        self._not_before = 0.0

    def __repr__(self) -> str:
        return f"HttpClient({_public_url(self._client.base_url)!r})"

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, *, idempotent: bool | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, idempotent=idempotent, **kwargs)

    def post(self, url: str, *, idempotent: bool | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, idempotent=idempotent, **kwargs)

    def request(
        self, method: str, url: str, *, idempotent: bool | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send one request (``httpx.Client.build_request`` arguments), retrying as needed.

        ``idempotent`` says whether the request may be repeated after it may have reached
        the server (see the module docstring); None means: only GET, HEAD and OPTIONS.
        """
        repeatable = method.upper() in _IDEMPOTENT_METHODS if idempotent is None else idempotent
        retrying = Retrying(
            stop=stop_after_attempt(self._policy.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=self._policy.clock.sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            return retrying(self._attempt, method, url, repeatable, kwargs)
        except _Retryable as exhausted:
            raise TransientError(
                f"{exhausted} after {self._policy.attempts} attempts", status=exhausted.status
            ) from None

    def _attempt(
        self, method: str, url: str, repeatable: bool, kwargs: dict[str, Any]
    ) -> httpx.Response:
        request = self._client.build_request(method, url, **kwargs)
        where = f"{method} {_public_url(request.url)}"
        self._await_rate_limit(where)
        if self._budget is not None:
            self._budget.acquire()
        try:
            response = self._client.send(request)
        except _NOT_SENT as failure:
            raise _Retryable(
                f"{where} failed: {type(failure).__name__}", status=None, hint=None
            ) from None
        except httpx.TransportError as failure:
            failed = f"{where} failed: {type(failure).__name__}"
            if not repeatable:
                raise OutcomeUnknown(
                    f"{failed} after the request may have reached the server; it was not "
                    "sent again, as it is not idempotent: whether it was carried out is unknown",
                    request=where,
                ) from None
            raise _Retryable(failed, status=None, hint=None) from None
        status = response.status_code
        if response.is_success:
            self._note_rate_limit(response)
            return response
        if status >= 500 and not repeatable:
            raise OutcomeUnknown(
                f"{where} answered {status}; it was not sent again, as it is not idempotent: "
                "whether the server carried it out is unknown",
                request=where,
                status=status,
            )
        if status == 429 or status >= 500:
            hint = self._reset_delay(response)
            if hint is not None and hint > self._policy.max_wait:
                raise TransientError(
                    f"{where} answered {status} and asks to wait {hint:.0f}s",
                    status=status,
                    retry_after=hint,
                )
            raise _Retryable(f"{where} answered {status}", status=status, hint=hint)
        if status == 401:
            raise Unauthorized(
                f"{where} answered 401 Unauthorized: check the connection's credentials "
                "or authorise it again"
            )
        raise ConfigurationError(
            f"{where} answered {status} {response.reason_phrase}: check the connection's "
            "URL, database name and the user's permissions"
        )

    def _wait(self, state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome is not None else None
        if isinstance(failure, _Retryable) and failure.hint is not None:
            return failure.hint
        return float(self._backoff(state))

    def _log_retry(self, state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning("%s; attempt %d, retrying in %.2fs", failure, state.attempt_number, wait)

    def _reset_delay(self, response: httpx.Response) -> float | None:
        """Seconds the source asks us to wait, from the first header that says so."""
        for name in _RESET_HEADERS:
            raw = response.headers.get(name)
            if raw is None:
                continue
            delay = self._parse_delay(raw.strip())
            if delay is not None:
                return delay
        return None

    def _parse_delay(self, raw: str) -> float | None:
        try:
            value = float(raw)
        except ValueError:
            try:
                moment = parsedate_to_datetime(raw)
            except (TypeError, ValueError):
                return None
            return max(0.0, moment.timestamp() - self._policy.clock.time())
        if value > _EPOCH_THRESHOLD:
            return max(0.0, value - self._policy.clock.time())
        return max(0.0, value)

    def _note_rate_limit(self, response: httpx.Response) -> None:
        """On ``X-RateLimit-Remaining: 0`` hold the next call until the reset."""
        remaining = next(
            (response.headers[name] for name in _REMAINING_HEADERS if name in response.headers),
            None,
        )
        if remaining is None or remaining.strip() != "0":
            return
        delay = self._reset_delay(response)
        if delay:
            self._not_before = self._policy.clock.monotonic() + delay

    def _await_rate_limit(self, where: str) -> None:
        wait = self._not_before - self._policy.clock.monotonic()
        if wait <= 0:
            return
        if wait > self._policy.max_wait:
            raise TransientError(f"{where}: the rate limit resets in {wait:.0f}s", retry_after=wait)
        log.info("rate limit reached; waiting %.2fs before %s", wait, where)
        self._policy.clock.sleep(wait)


class OAuth2RefreshAuth(httpx.Auth):
    """Bearer-token auth that refreshes the access token once when the source answers 401.

    Tokens live in ``store`` under ``<key>.access_token`` and ``<key>.refresh_token``; a
    rotated refresh token from the token endpoint replaces the stored one.
    """

    requires_response_body = True

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: SecretStr,
        store: SecretStore,
        key: str = "oauth2",
    ) -> None:
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._store = store
        self._access_key = f"{key}.access_token"
        self._refresh_key = f"{key}.refresh_token"

    def __repr__(self) -> str:
        return f"OAuth2RefreshAuth(token_url={self._token_url!r}, client_id={self._client_id!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._store.get(self._access_key)
        if token is None:
            token = yield from self._refresh()
        self._authorise(request, token)
        response = yield request
        if response.status_code != 401:
            return
        token = yield from self._refresh()
        self._authorise(request, token)
        yield request

    @staticmethod
    def _authorise(request: httpx.Request, token: SecretStr) -> None:
        request.headers["Authorization"] = f"Bearer {token.get_secret_value()}"

    def _refresh(self) -> Generator[httpx.Request, httpx.Response, SecretStr]:
        refresh_token = self._store.get(self._refresh_key)
        if refresh_token is None:
            raise ConfigurationError(
                f"no OAuth2 refresh token stored under {self._refresh_key!r}: "
                "authorise the connection first"
            )
        response = yield httpx.Request(
            "POST",
            self._token_url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token.get_secret_value(),
                "client_id": self._client_id,
                "client_secret": self._client_secret.get_secret_value(),
            },
        )
        where = _public_url(httpx.URL(self._token_url))
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(
                f"token endpoint {where} answered {response.status_code}",
                status=response.status_code,
            )
        if response.status_code != 200:
            raise ConfigurationError(
                f"token endpoint {where} refused the refresh ({response.status_code}): the "
                "refresh token has expired or was revoked, or the client id/secret is wrong; "
                "authorise the connection again"
            )
        payload = response.json()
        access = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(access, str) or not access:
            raise ConfigurationError(f"token endpoint {where} returned no access_token")
        self._store.set(self._access_key, SecretStr(access))
        rotated = payload.get("refresh_token")
        if isinstance(rotated, str) and rotated:
            self._store.set(self._refresh_key, SecretStr(rotated))
        log.info("OAuth2 access token refreshed at %s", where)
        return SecretStr(access)
