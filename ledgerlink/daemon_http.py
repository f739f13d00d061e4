"""The daemon's one HTTP server: health, readiness, metrics and the access point's callbacks.

:class:`DaemonHttp` is a stdlib ``ThreadingHTTPServer`` on ``host:port`` (the
``[daemon] listen`` setting, :func:`parse_listen`), started and stopped by the daemon
(:meth:`DaemonHttp.start` returns the bound port, so port 0 takes a free one). It serves:

``GET /healthz``
    ``200 {"status": "ok"}`` while the process lives.
``GET /readyz``
    ``200`` when the store answers and no connection's last successful cycle is older
    than it is allowed to be, ``503`` otherwise; the JSON body says which check failed
    (:class:`Readiness`).
``GET /metrics``
    The Prometheus text format of the :class:`DaemonMetrics` registry.
``POST /webhooks/<channel>``
    A status callback of the access point behind channel ``<channel>``
    (:mod:`delivery.webhooks`), signed with ``X-Ledgerlink-Signature``. ``404`` for a
    channel that takes no callbacks (none, or no ``webhook_secret_env``), ``401`` for a
    missing or wrong signature (logged without the body), ``400`` for a body that is not
    a callback, ``200`` when it was applied, refused by the state machine (recorded with a
    finding) or recorded before (a replay: nothing changes); ``409`` (``Retry-After``)
    when the document's send is not recorded yet, ``422`` for a document the channel does
    not know, ``413`` for a body over :data:`~delivery.webhooks.MAX_CALLBACK_BYTES`,
    ``503`` when the store does not answer (:mod:`sync.webhook_answers`).
    A callback that recorded something new (applied, or refused with a finding: both
    write an event to push back to the source) is then passed to ``on_answer`` by its
    channel name, so the daemon can run the connections of that channel now
    (:func:`run_channel_connections`); a replay, or a callback not recorded, is not.

No secret appears in an answer, a log line or a metric label: the webhook secrets are
only compared with, the store's failures are reported by their type, and the labels
are connection and channel names from the settings file.
"""

from __future__ import annotations

import json
import logging
import math
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias
from urllib.parse import unquote, urlsplit

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

if TYPE_CHECKING:
    from sync.store import Store

__all__ = [
    "STAGES",
    "DaemonHttp",
    "DaemonMetrics",
    "Readiness",
    "Stage",
    "parse_listen",
    "run_channel_connections",
    "store_ping",
]

_LOG: Final = logging.getLogger("ledgerlink.daemon.http")

Stage: TypeAlias = Literal["pulled", "built", "delivered", "failed", "quarantined"]
"""What happened to a document, one counter each."""
STAGES: Final[tuple[Stage, ...]] = ("pulled", "built", "delivered", "failed", "quarantined")

VALIDATION_BUCKETS: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
"""Seconds, 1 ms to 10 s (1-2.5-5 steps): one invoice validates in milliseconds once the
stylesheets are compiled; a worker's first document (the compilation) takes seconds."""


def parse_listen(text: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:9464`` for IPv6) as a host and a port; ValueError naming
    what is wrong."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep or not host:
        raise ValueError(f"listen {text!r}: expected host:port, e.g. 127.0.0.1:9464")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"listen {text!r}: the port {port_text!r} is no number") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"listen {text!r}: the port must be 0 to 65535")
    return host, port


class DaemonMetrics:
    """The daemon's metrics, in a registry of their own (:attr:`registry`):

    * ``ledgerlink_documents_{pulled,built,delivered,failed,quarantined}_total``
      (counters, labels ``connection`` and ``channel``; ``channel`` is empty where no
      channel is chosen yet: pulled, built, quarantined);
    * ``ledgerlink_queue_depth`` (gauge, label ``connection``): queued documents;
    * ``ledgerlink_last_success_timestamp_seconds`` (gauge, label ``connection``): the
      end of the last successful cycle, Unix time;
    * ``ledgerlink_validation_duration_seconds`` (histogram, :data:`VALIDATION_BUCKETS`):
      one document's validation (:meth:`observe_validation`);
    * ``ledgerlink_pool_size`` and ``ledgerlink_pool_busy_workers`` (gauges): the
      validation pool, set by :meth:`set_pool` or read at each scrape from
      :meth:`track_pool`'s functions; a scrape sees the two as one consistent pair;
    * ``ledgerlink_webhook_callbacks_total`` (counter, labels ``channel`` and ``result``:
      applied, refused, replayed, not-sent, unknown, bad-signature, bad-body,
      unknown-channel, store-unavailable; ``channel`` is empty for an unknown channel,
      so a caller cannot add labels at will).
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._documents = {
            stage: Counter(
                f"ledgerlink_documents_{stage}",
                f"Documents {stage}, per connection and channel.",
                ["connection", "channel"],
                registry=self.registry,
            )
            for stage in STAGES
        }
        self._queue_depth = Gauge(
            "ledgerlink_queue_depth",
            "Documents queued for delivery, per connection.",
            ["connection"],
            registry=self.registry,
        )
        self._last_success = Gauge(
            "ledgerlink_last_success_timestamp_seconds",
            "When the connection's last successful cycle ended (Unix time).",
            ["connection"],
            registry=self.registry,
        )
        self._validation = Histogram(
            "ledgerlink_validation_duration_seconds",
            "Time to validate one document.",
            buckets=VALIDATION_BUCKETS,
            registry=self.registry,
        )
        # the pool's pair is read at scrape time from what set_pool/track_pool left, under
        # self._pool_lock, which render() holds too: no scrape sees busy > size
        self._pool_lock = threading.RLock()
        self._pool: tuple[Callable[[], int], Callable[[], int]] = (lambda: 0, lambda: 0)
        self._pool_size = Gauge(
            "ledgerlink_pool_size",
            "Worker processes of the validation pool.",
            registry=self.registry,
        )
        self._pool_size.set_function(lambda: self._pool_now()[0])
        self._busy = Gauge(
            "ledgerlink_pool_busy_workers",
            "Validation pool workers at work now.",
            registry=self.registry,
        )
        self._busy.set_function(lambda: self._pool_now()[1])
        self._callbacks = Counter(
            "ledgerlink_webhook_callbacks",
            "Access point status callbacks received, per channel and result.",
            ["channel", "result"],
            registry=self.registry,
        )
        self._successes: dict[str, float] = {}
        self._lock = threading.Lock()

    def count(self, stage: Stage, connection: str, channel: str = "", amount: int = 1) -> None:
        """``amount`` more documents of ``connection`` (and ``channel``) reached ``stage``."""
        if stage not in self._documents:
            raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
        self._documents[stage].labels(connection=connection, channel=channel).inc(amount)

    def count_each(self, connection: str, counts: Iterable[tuple[Stage, str, int]]) -> None:
        """:meth:`count` of each ``(stage, channel, amount)`` of ``connection``, e.g. the
        per-channel split of a cycle's delivered and failed
        (:func:`sync.delivery_counts.per_channel`)."""
        for stage, channel, amount in counts:
            if amount:
                self.count(stage, connection, channel, amount)

    def set_queue_depth(self, connection: str, depth: int) -> None:
        """``depth`` documents of ``connection`` wait in the outbox."""
        self._queue_depth.labels(connection=connection).set(depth)

    def succeeded(self, connection: str, at: float | None = None) -> None:
        """A cycle of ``connection`` succeeded at ``at`` (Unix time; default now)."""
        moment = time.time() if at is None else at
        with self._lock:
            self._successes[connection] = moment
        self._last_success.labels(connection=connection).set(moment)

    def last_successes(self) -> dict[str, float]:
        """Each connection's last success (Unix time): what :class:`Readiness` can read."""
        with self._lock:
            return dict(self._successes)

    def observe_validation(self, seconds: float) -> None:
        """One document took ``seconds`` to validate (thread-safe; ValueError for a
        negative or non-finite time, which no clock gives)."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"a validation cannot take {seconds!r} seconds")
        self._validation.observe(seconds)

    def set_pool(self, size: int, busy: int) -> None:
        """The validation pool has ``size`` workers, ``busy`` of them at work.

        Cheap and thread-safe (one assignment under a lock; the gauges read it at the
        next scrape), so it may be called at every submit and answer. ValueError when
        ``busy`` is not within 0 to ``size``."""
        if size < 0 or not 0 <= busy <= size:
            raise ValueError(f"a pool of {size} workers cannot have {busy} busy")
        with self._pool_lock:
            self._pool = (lambda: size, lambda: busy)

    def track_pool(self, size: Callable[[], int], busy: Callable[[], int]) -> None:
        """Read the pool's size and busy workers from ``size()`` and ``busy()`` at each
        scrape instead (e.g. ``lambda: pool.workers``): nothing to update at all. The
        functions are called from the server's threads; ``busy()`` is kept within 0 to
        ``size()``."""
        with self._pool_lock:
            self._pool = (size, busy)

    def _pool_now(self) -> tuple[int, int]:
        with self._pool_lock:
            size_of, busy_of = self._pool
            size = max(size_of(), 0)
            return size, min(max(busy_of(), 0), size)

    def callback(self, channel: str, result: str) -> None:
        """One webhook callback on ``channel`` ended with ``result``."""
        self._callbacks.labels(channel=channel, result=result).inc()

    def render(self) -> bytes:
        """The registry in the Prometheus text format."""
        with self._pool_lock:  # re-entered by the pool gauges: one consistent pair
            return generate_latest(self.registry)


def store_ping(store: Store) -> Callable[[], None]:
    """A store check for :class:`Readiness`: one ``SELECT 1`` (raises when it fails)."""
    from sqlalchemy import text

    def ping() -> None:
        with store.begin() as conn:
            conn.execute(text("SELECT 1"))

    return ping


@dataclass
class Readiness:
    """Whether the daemon is ready, from two inputs:

    ``store_answers``: raises when the store does not answer (:func:`store_ping`);
    ``last_successes``: each connection's last successful cycle (Unix time; a
    connection missing from it has had none yet), e.g. :meth:`DaemonMetrics.last_successes`.
    ``max_age``: the seconds each connection may go without a success (a connection not
    named here has no limit). A connection that has not succeeded yet is allowed its age
    from ``started_at`` (the daemon's start).
    """

    store_answers: Callable[[], None]
    last_successes: Callable[[], Mapping[str, float]]
    max_age: Mapping[str, float]
    started_at: float = field(default_factory=time.time)
    clock: Callable[[], float] = time.time

    def check(self) -> tuple[bool, dict[str, Any]]:
        """(ready, the JSON report: ``store``, ``connections`` and the ``problems``)."""
        problems: list[str] = []
        try:
            self.store_answers()
            store = "ok"
        except Exception as failure:  # any failure: the type only, never its text
            store = f"does not answer ({type(failure).__name__})"
            problems.append(f"the store {store}")
        now = self.clock()
        successes = self.last_successes()
        report: dict[str, Any] = {}
        for name in sorted(set(self.max_age) | set(successes)):
            last = successes.get(name)
            allowed = self.max_age.get(name)
            age = now - (self.started_at if last is None else last)
            ok = allowed is None or age <= allowed
            report[name] = {
                "last_success": None
                if last is None
                else datetime.fromtimestamp(last, UTC).isoformat().replace("+00:00", "Z"),
                "age_seconds": round(age, 3),
                "allowed_seconds": allowed,
                "ok": ok,
            }
            if not ok:
                since = "since the start" if last is None else "since its last success"
                problems.append(
                    f"connection {name}: no successful cycle for {age:.0f}s {since} "
                    f"(allowed {allowed:.0f}s)"
                )
        ready = not problems
        return ready, {"ready": ready, "store": store, "connections": report, "problems": problems}


def run_channel_connections(
    run_now: Callable[[str], object], channels: Mapping[str, Sequence[str]]
) -> Callable[[str], None]:
    """An ``on_answer`` for :class:`DaemonHttp`: a callback on channel ``c`` calls
    ``run_now(name)`` (e.g. :meth:`sync.runner.InProcessRunner.run_now`) for each
    connection ``name`` whose ``channels[name]`` holds ``c``, in the mapping's order, so
    the status the callback recorded is pushed back to the source without waiting for
    the connection's next scheduled cycle."""
    using: dict[str, list[str]] = {}
    for name, names in channels.items():
        for channel in names:
            using.setdefault(channel, []).append(name)

    def on_answer(channel: str) -> None:
        for name in using.get(channel, ()):
            run_now(name)

    return on_answer


_RECORDED: Final = frozenset({"applied", "refused"})
"""The callback results that wrote an event (what ``on_answer`` hears of)."""

_CALLBACK_STATUS: Final[Mapping[str, int]] = {
    "applied": 200,
    "refused": 200,
    "replayed": 200,
    "not-sent": 409,
    "unknown": 422,
}


class DaemonHttp:
    """The HTTP server of the daemon; see the module docstring for what it serves.

    ``webhook_secrets`` maps each channel that takes callbacks to its secret
    (:func:`delivery.webhooks.webhook_secrets`); callbacks are applied to ``store``.
    ``on_answer(channel)`` is called, on the request's thread before the answer is sent,
    after each callback that recorded something new (applied or refused); it should be
    quick (a runner's ``run_now``). An exception from it is logged by its type and does
    not change the answer: the callback is recorded already.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        metrics: DaemonMetrics,
        readiness: Readiness,
        store: Store | None = None,
        webhook_secrets: Mapping[str, str] | None = None,
        on_answer: Callable[[str], None] | None = None,
    ) -> None:
        if webhook_secrets and store is None:
            raise ValueError("webhook callbacks need the store to apply them to")
        self.host = host
        self.requested_port = port
        self.metrics = metrics
        self.readiness = readiness
        self.store = store
        self._secrets = dict(webhook_secrets or {})
        self.on_answer = on_answer
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:  # the secrets stay out of every representation
        return f"DaemonHttp({self.host!r}, {self.requested_port}, channels={sorted(self._secrets)})"

    def start(self) -> int:
        """Listen on ``host:port`` and serve from a background thread; the bound port."""
        if self._server is None:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET

            class Server(ThreadingHTTPServer):
                address_family = family
                daemon_threads = True

            server = Server((self.host, self.requested_port), _handler_for(self))
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever, args=(0.1,), name="daemon-http", daemon=True
            )
            self._thread.start()
            _LOG.info("listening on %s:%d", self.host, self.port)
        return self.port

    def stop(self) -> None:
        """Stop serving and close the socket (requests in flight finish on their threads)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DaemonHttp:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # -- the webhook path ---------------------------------------------------------------

    def webhook(
        self, channel: str, body: bytes, signature: str | None, client: str
    ) -> tuple[int, dict[str, Any]]:
        """The answer to one callback POST (status and JSON body)."""
        from delivery.webhooks import CallbackError, parse_callback, verify
        from sync.store import StoreUnavailable
        from sync.webhook_answers import apply_callback

        secret = self._secrets.get(channel)
        if secret is None or self.store is None:
            self.metrics.callback("", "unknown-channel")
            return 404, {"error": "no channel of that name takes callbacks"}
        if not verify(secret, body, signature):
            self.metrics.callback(channel, "bad-signature")
            _LOG.warning(
                "webhook %s: %s signature, refused (%d bytes from %s; body not logged)",
                channel,
                "missing" if not signature else "wrong",
                len(body),
                client,
                extra={"event": "webhook-refused", "channel": channel},
            )
            return 401, {"error": "missing or wrong X-Ledgerlink-Signature"}
        try:
            callback = parse_callback(body)
        except CallbackError as exc:
            self.metrics.callback(channel, "bad-body")
            _LOG.warning(
                "webhook %s: %s",
                channel,
                exc,
                extra={"event": "webhook-bad-body", "channel": channel},
            )
            return 400, {"error": str(exc)}
        try:
            outcome = apply_callback(self.store, channel, callback)
        except StoreUnavailable as exc:
            self.metrics.callback(channel, "store-unavailable")
            _LOG.error(
                "webhook %s: callback %s not applied: the store does not answer (%s)",
                channel,
                callback.event_id,
                type(exc).__name__,
                extra={"event": "webhook-store-unavailable", "channel": channel},
            )
            return 503, {"error": "the store does not answer; try again later"}
        self.metrics.callback(channel, outcome.result)
        level = logging.INFO if outcome.result in ("applied", "replayed") else logging.WARNING
        _LOG.log(
            level,
            "%s",
            outcome.message,
            extra={
                "event": f"webhook-{outcome.result}",
                "channel": channel,
                "document": outcome.number,
            },
        )
        if outcome.result in _RECORDED and self.on_answer is not None:
            try:
                self.on_answer(channel)
            except Exception as exc:  # recorded already: the answer stays what it is
                _LOG.error(
                    "webhook %s: on_answer failed (%s); the callback is recorded",
                    channel,
                    type(exc).__name__,
                    extra={"event": "webhook-on-answer-failed", "channel": channel},
                )
        answer: dict[str, Any] = {
            "result": outcome.result,
            "message": outcome.message,
            "state": outcome.state,
            "findings": [each.to_dict() for each in outcome.findings],
        }
        return _CALLBACK_STATUS[outcome.result], answer


def _handler_for(server: DaemonHttp) -> type[BaseHTTPRequestHandler]:
    from delivery.webhooks import MAX_CALLBACK_BYTES, SIGNATURE_HEADER

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ledgerlink-daemon"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # our own log lines only
            return

        def _send(
            self,
            status: int,
            body: Any,
            content_type: str = "application/json",
            headers: Mapping[str, str] | None = None,
        ) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _unread(self, status: int, body: Any) -> None:
            """Answer without reading the body, and close the connection (the unread
            body would be taken for the next request)."""
            self._send(status, body, headers={"Connection": "close"})

        def _path(self) -> str:
            return urlsplit(self.path).path.rstrip("/") or "/"

        def do_GET(self) -> None:
            path = self._path()
            if path == "/healthz":
                self._send(200, {"status": "ok"})
            elif path == "/readyz":
                ready, report = server.readiness.check()
                self._send(200 if ready else 503, report)
            elif path == "/metrics":
                self._send(200, server.metrics.render(), CONTENT_TYPE_LATEST)
            else:
                self._send(404, {"error": f"no such resource: GET {path}"})

        do_HEAD = do_GET

        def do_POST(self) -> None:
            path = self._path()
            segments = path.split("/")
            if len(segments) != 3 or segments[1] != "webhooks" or not segments[2]:
                self._unread(404, {"error": f"no such resource: POST {path}"})
                return
            length_text = self.headers.get("Content-Length")
            try:
                length = int(length_text) if length_text is not None else -1
            except ValueError:
                length = -1
            if length < 0:
                self._unread(411, {"error": "a Content-Length is required"})
                return
            if length > MAX_CALLBACK_BYTES:
                self._unread(413, {"error": f"the body is over {MAX_CALLBACK_BYTES} bytes"})
                return
            body = self.rfile.read(length) if length else b""
            try:
                status, answer = server.webhook(
                    unquote(segments[2]),
                    body,
                    self.headers.get(SIGNATURE_HEADER),
                    self.client_address[0],
                )
            except Exception as exc:  # the server goes on: the type and place, never the text
                frames = traceback.extract_tb(exc.__traceback__)
                where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
                _LOG.error(
                    "webhook %s: internal error (%s%s)",
                    segments[2],
                    type(exc).__name__,
                    where,
                )
                status, answer = 500, {"error": "internal error"}
            headers = {"Retry-After": "1"} if status == 409 else None
            self._send(status, answer, headers=headers)

    return Handler
