"""A small HTTP client for the channels: httpx, bounded retries for idempotent requests only.

A request that may be repeated without effect (a GET, or a POST the server
deduplicates by its ``Idempotency-Key``) is tried up to ``attempts`` times when the
connection fails, times out, is dropped, or the server answers 5xx or 429, waiting
``backoff`` seconds doubled each time (at most 8 x ``backoff``). Any other request is
tried once. When the budget is spent the error is a
:class:`~delivery.base.ChannelUnavailable` naming the last cause; every other answer
(2xx, 3xx, 4xx) goes back to the caller, who decides. Messages name the URL without any
user info and never a header, so no token can leak into one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from delivery.base import ChannelUnavailable

__all__ = ["RestClient", "display_url"]


class _Transient(Exception):
    """A failure worth another try (the retry loop's signal)."""


def display_url(url: str | httpx.URL) -> str:
    """``url`` without user name and password, for messages."""
    parsed = httpx.URL(str(url))
    return str(parsed.copy_with(userinfo=b"")) if parsed.userinfo else str(parsed)


class RestClient:
    """Requests against ``base_url`` for channel ``channel`` (a bearer ``token`` if given)."""

    def __init__(
        self,
        channel: str,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        attempts: int = 4,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._channel = channel
        self._timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = max(0.0, backoff)
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """The answer to one request (after retries when ``idempotent``); ChannelUnavailable
        when the budget is spent on failures, 5xx or 429."""
        where = f"{method} {display_url(self._client.base_url)}{path}"

        def once() -> httpx.Response:
            try:
                answer = self._client.request(
                    method, path, params=params, content=content, headers=headers
                )
            except httpx.TimeoutException:
                raise _Transient(f"{where} timed out after {self._timeout:g} s") from None
            except httpx.TransportError as exc:
                raise _Transient(f"{where} failed: {type(exc).__name__}: {exc}") from None
            if answer.status_code >= 500 or answer.status_code == 429:
                raise _Transient(f"{where} answered HTTP {answer.status_code}")
            return answer

        attempts = self.attempts if idempotent else 1
        retrying = Retrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential(multiplier=self.backoff, max=self.backoff * 8),
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            return retrying(once)
        except _Transient as exc:
            tries = f" (after {attempts} attempts)" if attempts > 1 else ""
            raise ChannelUnavailable(f"{exc}{tries}", channel=self._channel) from None

    def json(self, answer: httpx.Response) -> Any:
        """The JSON body of ``answer``; ChannelUnavailable when it is none (a broken proxy)."""
        try:
            return answer.json()
        except ValueError:
            raise ChannelUnavailable(
                f"{answer.request.method} {display_url(answer.request.url)} answered HTTP "
                f"{answer.status_code} without JSON",
                channel=self._channel,
            ) from None

    def close(self) -> None:
        """Close the connections."""
        self._client.close()
