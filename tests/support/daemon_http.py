"""The daemon's HTTP server as the tests run it: started on a free loopback port, a client
on it, signed callback posts and the metrics read back with prometheus-client's parser.

:func:`serve` is the one setup of tests/ledgerlink/test_daemon_http.py (no store) and
tests/sync/test_webhooks.py (a real store, callbacks signed with :data:`SECRET`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

from delivery.webhooks import SIGNATURE_HEADER, sign
from ledgerlink.daemon_http import DaemonHttp, DaemonMetrics, Readiness, store_ping
from sync.store import Store

__all__ = ["SECRET", "Samples", "Served", "samples", "serve"]

SECRET = "whsec-7c1f9e0a-not-for-logs"
"""The webhook secret of channel ``ap`` in the tests (it must never reach a log line)."""

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
"""Each sample's value by (sample name, its labels sorted)."""


def samples(text: str) -> Samples:
    """The samples of a Prometheus text exposition, read with prometheus-client's parser."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@dataclass
class Served:
    """A running :class:`DaemonHttp`, its metrics, a client on it, and the channels its
    ``on_answer`` was called with, in order."""

    server: DaemonHttp
    metrics: DaemonMetrics
    client: httpx.Client
    answered: list[str] = field(default_factory=list)
    secret: str = SECRET

    def hook(self, channel: str = "ap") -> str:
        """The callback URL of ``channel``."""
        return f"{self.server.url}/webhooks/{channel}"

    def post(
        self, body: bytes, signature: str | None = "sign", channel: str = "ap"
    ) -> httpx.Response:
        """POST ``body`` to ``/webhooks/<channel>``: signed with :attr:`secret` (``"sign"``),
        with ``signature`` as the header, or without the header (None)."""
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            headers[SIGNATURE_HEADER] = sign(self.secret, body)
        elif signature is not None:
            headers[SIGNATURE_HEADER] = signature
        return self.client.post(f"/webhooks/{channel}", content=body, headers=headers)

    def scrape(self) -> Samples:
        """``GET /metrics``, parsed."""
        answer = self.client.get("/metrics")
        assert answer.status_code == 200, answer.text
        return samples(answer.text)

    def callbacks(self) -> dict[tuple[str, str], float]:
        """``ledgerlink_webhook_callbacks_total`` by (channel, result)."""
        return {
            (dict(labels)["channel"], dict(labels)["result"]): value
            for (name, labels), value in self.scrape().items()
            if name == "ledgerlink_webhook_callbacks_total"
        }


@contextmanager
def serve(
    *,
    store: Store | None = None,
    readiness: Readiness | None = None,
    metrics: DaemonMetrics | None = None,
    secrets: Mapping[str, str] | None = None,
    on_answer: Callable[[str], None] | None = None,
) -> Iterator[Served]:
    """A :class:`DaemonHttp` on ``127.0.0.1``, port 0, and a client on it, stopped after.

    With a ``store`` the server takes callbacks for channel ``ap`` signed with
    :data:`SECRET` (unless ``secrets`` says otherwise), and the readiness pings it;
    ``on_answer`` defaults to recording the channels in :attr:`Served.answered`."""
    metrics = metrics or DaemonMetrics()
    if readiness is None:
        check = store_ping(store) if store is not None else (lambda: None)
        readiness = Readiness(check, metrics.last_successes, {})
    if secrets is None:
        secrets = {"ap": SECRET} if store is not None else {}
    answered: list[str] = []
    server = DaemonHttp(
        "127.0.0.1",
        0,
        metrics=metrics,
        readiness=readiness,
        store=store,
        webhook_secrets=secrets,
        on_answer=answered.append if on_answer is None else on_answer,
    )
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            yield Served(server, metrics, client, answered)
    finally:
        server.stop()
