"""A real HTTP reverse proxy that can be told to fail.

:class:`FaultProxy` listens on a free loopback port and forwards every request to an upstream
server (a running trytond, a local API), unless a fault armed with :meth:`FaultProxy.fail`
answers it instead: "the next N requests get 429 with ``Retry-After: 1``", "500", "401".
A fault can be limited to the requests a predicate picks (say, everything but the login), so
a test says which step of a conversation fails. :meth:`FaultProxy.lose_reply` arms the
worst case for a write: the request reaches the upstream, which carries it out, but its
answer never reaches the client (held until the client's read timeout gives up, or the
connection dropped). Every exchange is logged, forwarded or not, with the status the client
got (for a lost reply, the status the upstream answered), so a test can check what really
went over the wire.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

__all__ = ["Exchange", "Fault", "FaultProxy", "running_proxy"]

# Hop-by-hop headers and the ones httpx recomputes; never copied across the proxy.
_REQUEST_SKIP = frozenset(
    {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "accept-encoding"}
)
_RESPONSE_SKIP = frozenset(
    {"content-length", "connection", "keep-alive", "transfer-encoding", "content-encoding"}
)


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request the proxy received and what it answered."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    status: int = 0
    injected: bool = False
    lost: bool = False  # forwarded, but the upstream's answer never reached the client

    def json(self) -> Any:
        """The request body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(slots=True)
class Fault:
    """Answer the next ``count`` requests that ``when`` picks with ``status`` and ``headers``;
    or, with ``lose_reply``, forward them and keep the upstream's answer from the client
    (``hold``: until the client gives up; else the connection is closed at once).
    ``forwarded`` is set once such a request has been carried out upstream."""

    status: int
    count: int
    headers: Mapping[str, str] = field(default_factory=dict)
    when: Callable[[Exchange], bool] | None = None
    lose_reply: bool = False
    hold: bool = True
    forwarded: threading.Event = field(default_factory=threading.Event)

    def takes(self, exchange: Exchange) -> bool:
        return self.count > 0 and (self.when is None or self.when(exchange))


class FaultProxy:
    """A threaded HTTP/1.1 reverse proxy in front of ``upstream``; see the module docstring."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.exchanges: list[Exchange] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=60.0)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), daemon=True
        )
        self._thread.start()

    def fail(
        self,
        status: int,
        *,
        count: int = 1,
        headers: Mapping[str, str] | None = None,
        when: Callable[[Exchange], bool] | None = None,
    ) -> Fault:
        """Arm a fault; faults are tried in the order they were armed."""
        fault = Fault(status, count, dict(headers or {}), when)
        with self._lock:
            self._faults.append(fault)
        return fault

    def lose_reply(
        self,
        *,
        count: int = 1,
        hold: bool = True,
        when: Callable[[Exchange], bool] | None = None,
    ) -> Fault:
        """Arm a fault that forwards the next ``count`` requests ``when`` picks, lets the
        upstream carry them out, and never answers the client: with ``hold`` the connection
        stays silent until the client closes it (its read timeout), else it is closed at
        once (the client sees the server disconnect). Wait on the fault's ``forwarded`` event
        to know the upstream has finished."""
        fault = Fault(0, count, {}, when, lose_reply=True, hold=hold)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Disarm every fault; the log is kept."""
        with self._lock:
            self._faults.clear()

    def answered(self, status: int, *, injected: bool | None = None) -> list[Exchange]:
        """The exchanges answered with ``status`` (only injected or only upstream ones when
        ``injected`` says so)."""
        with self._lock:
            return [
                exchange
                for exchange in self.exchanges
                if exchange.status == status and injected in (None, exchange.injected)
            ]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def _take_fault(self, exchange: Exchange) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.takes(exchange):
                    fault.count -= 1
                    return fault
            return None

    def _log(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)

    def _forward(self, exchange: Exchange) -> httpx.Response:
        headers = {
            name: value
            for name, value in exchange.headers.items()
            if name.lower() not in _REQUEST_SKIP
        }
        return self._client.request(
            exchange.method, self.upstream + exchange.path, headers=headers, content=exchange.body
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Exchange(self.command, self.path, dict(self.headers.items()), body)
                fault = proxy._take_fault(request)
                if fault is not None and fault.lose_reply:
                    self._lose_reply(request, fault)
                    return
                if fault is not None:
                    payload = json.dumps({"error": f"injected {fault.status}"}).encode()
                    headers: Mapping[str, str] = {
                        **fault.headers,
                        "Content-Type": "application/json",
                    }
                    proxy._log(_answered(request, fault.status, injected=True))
                    self._reply(fault.status, headers, payload)
                    return
                try:
                    response = proxy._forward(request)
                except httpx.TransportError as failure:
                    proxy._log(_answered(request, 502, injected=True))
                    self._reply(502, {}, f"upstream failed: {failure!r}".encode())
                    return
                proxy._log(_answered(request, response.status_code, injected=False))
                kept = {
                    name: value
                    for name, value in response.headers.items()
                    if name.lower() not in _RESPONSE_SKIP
                }
                self._reply(response.status_code, kept, response.content)

            def _lose_reply(self, request: Exchange, fault: Fault) -> None:
                try:
                    response = proxy._forward(request)
                    status = response.status_code
                except httpx.TransportError:
                    status = 502
                proxy._log(
                    Exchange(
                        request.method,
                        request.path,
                        request.headers,
                        request.body,
                        status,
                        injected=True,
                        lost=True,
                    )
                )
                fault.forwarded.set()
                if fault.hold:
                    _wait_for_close(self.connection)
                self.close_connection = True

            def _reply(self, status: int, headers: Mapping[str, str], payload: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


def _wait_for_close(connection: socket.socket, limit: float = 60.0) -> None:
    """Return once the client has closed ``connection`` (or sent anything), at most ``limit``
    seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        readable, _, _ = select.select([connection], [], [], 0.05)
        if readable:
            return


def _answered(request: Exchange, status: int, *, injected: bool) -> Exchange:
    return Exchange(request.method, request.path, request.headers, request.body, status, injected)


@contextmanager
def running_proxy(upstream: str) -> Iterator[FaultProxy]:
    """A :class:`FaultProxy` in front of ``upstream``, stopped on exit."""
    proxy = FaultProxy(upstream)
    try:
        yield proxy
    finally:
        proxy.close()
