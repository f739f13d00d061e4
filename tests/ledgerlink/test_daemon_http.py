"""The daemon's HTTP server over real HTTP on loopback: health, readiness, metrics, routing.

The webhook path against a real store is in tests/sync/test_webhooks.py."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from support.daemon_http import Served, samples, serve

from delivery.webhooks import SIGNATURE_HEADER, sign
from ledgerlink.daemon_http import STAGES, DaemonHttp, DaemonMetrics, Readiness, parse_listen


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Store:
    """The store check: answers, or fails with a message that holds a password."""

    def __init__(self) -> None:
        self.down = False

    def __call__(self) -> None:
        if self.down:
            raise ConnectionError("postgresql://ll:pa55word@db/ll is down")


@pytest.fixture
def parts() -> tuple[DaemonMetrics, Store, Clock]:
    return DaemonMetrics(), Store(), Clock(1_000_000.0)


@pytest.fixture
def served(parts: tuple[DaemonMetrics, Store, Clock]) -> Iterator[Served]:
    metrics, store, clock = parts
    readiness = Readiness(
        store_answers=store,
        last_successes=metrics.last_successes,
        max_age={"shop": 600.0, "erp": 60.0},
        started_at=clock.now,
        clock=clock,
    )
    with serve(metrics=metrics, readiness=readiness) as running:
        yield running


def test_start_binds_a_free_port_and_stop_closes_it() -> None:
    metrics = DaemonMetrics()
    readiness = Readiness(lambda: None, metrics.last_successes, {})
    server = DaemonHttp(metrics=metrics, readiness=readiness)
    port = server.start()
    assert port > 0 and server.url == f"http://127.0.0.1:{port}"
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_healthz_answers_while_the_process_lives_even_when_not_ready(
    served: Served, parts: tuple[DaemonMetrics, Store, Clock]
) -> None:
    client = served.client
    parts[1].down = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503


def test_readyz_follows_the_store_and_each_connections_last_success(
    served: Served, parts: tuple[DaemonMetrics, Store, Clock]
) -> None:
    client = served.client
    metrics, store, clock = parts
    # just started: no success yet, but within each connection's allowed age
    assert client.get("/readyz").status_code == 200
    clock.now += 61  # erp may go 60 s without a success, shop 600 s
    answer = client.get("/readyz")
    assert answer.status_code == 503
    report = answer.json()
    assert report["connections"]["erp"]["ok"] is False
    assert report["connections"]["shop"]["ok"] is True
    assert report["problems"] == [
        "connection erp: no successful cycle for 61s since the start (allowed 60s)"
    ]
    metrics.succeeded("erp", at=clock.now)
    assert client.get("/readyz").status_code == 200
    clock.now += 600  # now both are late
    assert {p.split(":")[0] for p in client.get("/readyz").json()["problems"]} == {
        "connection erp",
        "connection shop",
    }
    metrics.succeeded("erp", at=clock.now)
    metrics.succeeded("shop", at=clock.now)
    store.down = True
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["store"] == "does not answer (ConnectionError)"
    assert "pa55word" not in answer.text  # the failure's text never reaches the answer


def test_metrics_are_scraped_in_the_prometheus_text_format(
    served: Served, parts: tuple[DaemonMetrics, Store, Clock]
) -> None:
    client = served.client
    metrics = parts[0]
    metrics.count("pulled", "shop", amount=12)
    metrics.count("built", "shop", amount=11)
    metrics.count("quarantined", "shop")
    metrics.count("delivered", "shop", "ap", amount=9)
    metrics.count("delivered", "shop", "archive", amount=2)
    metrics.count("failed", "erp", "ap")
    metrics.set_queue_depth("shop", 3)
    metrics.succeeded("shop", at=1_700_000_000.0)
    for seconds in (0.004, 0.02, 0.02, 3.0):
        metrics.observe_validation(seconds)
    metrics.set_pool(2, 1)
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    found = samples(answer.text)
    shop = ("connection", "shop")
    assert found[("ledgerlink_documents_pulled_total", (("channel", ""), shop))] == 12
    assert found[("ledgerlink_documents_built_total", (("channel", ""), shop))] == 11
    assert found[("ledgerlink_documents_quarantined_total", (("channel", ""), shop))] == 1
    assert found[("ledgerlink_documents_delivered_total", (("channel", "ap"), shop))] == 9
    assert found[("ledgerlink_documents_delivered_total", (("channel", "archive"), shop))] == 2
    assert (
        found[("ledgerlink_documents_failed_total", (("channel", "ap"), ("connection", "erp")))]
        == 1
    )
    assert found[("ledgerlink_queue_depth", (shop,))] == 3
    assert found[("ledgerlink_last_success_timestamp_seconds", (shop,))] == 1_700_000_000.0
    assert found[("ledgerlink_validation_duration_seconds_count", ())] == 4
    assert found[("ledgerlink_validation_duration_seconds_sum", ())] == pytest.approx(3.044)
    assert found[("ledgerlink_validation_duration_seconds_bucket", (("le", "0.005"),))] == 1
    assert found[("ledgerlink_validation_duration_seconds_bucket", (("le", "0.025"),))] == 3
    assert found[("ledgerlink_validation_duration_seconds_bucket", (("le", "+Inf"),))] == 4
    assert found[("ledgerlink_pool_size", ())] == 2
    assert found[("ledgerlink_pool_busy_workers", ())] == 1
    # counting goes on between scrapes
    metrics.count("pulled", "shop", amount=3)
    assert (
        samples(client.get("/metrics").text)[
            ("ledgerlink_documents_pulled_total", (("channel", ""), shop))
        ]
        == 15
    )


def test_every_stage_has_its_counter_and_an_unknown_stage_is_refused() -> None:
    metrics = DaemonMetrics()
    for stage in STAGES:
        metrics.count(stage, "shop")
    names = {f.name for f in text_string_to_metric_families(metrics.render().decode())}
    assert {f"ledgerlink_documents_{stage}" for stage in STAGES} <= names
    with pytest.raises(ValueError, match="unknown stage 'sent'"):
        metrics.count("sent", "shop")  # type: ignore[arg-type]


def test_unknown_paths_and_channels_are_404(
    served: Served, parts: tuple[DaemonMetrics, Store, Clock]
) -> None:
    client = served.client
    assert client.get("/nothing").status_code == 404
    assert client.post("/healthz", content=b"{}").status_code == 404
    body = b'{"event_id": "e1"}'
    answer = client.post(
        "/webhooks/ap", content=body, headers={SIGNATURE_HEADER: sign("whatever", body)}
    )
    assert answer.status_code == 404  # no channel takes callbacks on this server
    assert client.get("/healthz").status_code == 200  # the connection is still good
    found = samples(client.get("/metrics").text)
    unknown = (("channel", ""), ("result", "unknown-channel"))
    assert found[("ledgerlink_webhook_callbacks_total", unknown)] == 1


def test_webhooks_need_a_store() -> None:
    metrics = DaemonMetrics()
    with pytest.raises(ValueError, match="store"):
        DaemonHttp(
            metrics=metrics,
            readiness=Readiness(lambda: None, metrics.last_successes, {}),
            webhook_secrets={"ap": "s"},
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:9464", ("127.0.0.1", 9464)),
        ("[::1]:0", ("::1", 0)),
        ("localhost:80", ("localhost", 80)),
    ],
)
def test_parse_listen(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["9464", ":9464", "host:port", "host:70000"])
def test_parse_listen_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="listen"):
        parse_listen(text)


def test_no_request_line_reaches_stderr(
    served: Served, capfd: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = served.client
    with caplog.at_level(logging.DEBUG):
        client.get("/healthz?token=abc")
    assert "token=abc" not in capfd.readouterr().err
    server_lines = [r for r in caplog.records if r.name.startswith("ledgerlink")]
    assert not any("token=abc" in r.getMessage() for r in server_lines)


def test_validation_buckets_reach_down_to_a_millisecond_and_up_to_ten_seconds() -> None:
    metrics = DaemonMetrics()
    for seconds in (0.0004, 0.002, 0.009, 9.0, 30.0):
        metrics.observe_validation(seconds)
    found = samples(metrics.render().decode())
    bucket = "ledgerlink_validation_duration_seconds_bucket"
    assert found[(bucket, (("le", "0.001"),))] == 1
    assert found[(bucket, (("le", "0.0025"),))] == 2
    assert found[(bucket, (("le", "0.01"),))] == 3
    assert found[(bucket, (("le", "10.0"),))] == 4
    assert found[(bucket, (("le", "+Inf"),))] == 5
    for wrong in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="validation cannot take"):
            metrics.observe_validation(wrong)


def test_the_pool_gauges_take_updates_from_many_threads_and_scrape_as_a_pair(
    served: Served, parts: tuple[DaemonMetrics, Store, Clock]
) -> None:
    client = served.client
    metrics = parts[0]
    written = {(size, busy) for size in (2, 4, 8) for busy in range(size + 1)}
    stop = threading.Event()

    def update(offset: int) -> None:
        pairs = sorted(written)
        index = offset
        while not stop.is_set():
            metrics.set_pool(*pairs[index % len(pairs)])
            index += 7

    threads = [threading.Thread(target=update, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        seen = set()
        for _ in range(40):
            found = samples(client.get("/metrics").text)
            seen.add(
                (
                    int(found[("ledgerlink_pool_size", ())]),
                    int(found[("ledgerlink_pool_busy_workers", ())]),
                )
            )
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert seen <= written  # never a size of one update with the busy of another
    metrics.set_pool(3, 2)
    found = samples(client.get("/metrics").text)
    assert (found[("ledgerlink_pool_size", ())], found[("ledgerlink_pool_busy_workers", ())]) == (
        3,
        2,
    )
    with pytest.raises(ValueError, match="a pool of 2 workers cannot have 3 busy"):
        metrics.set_pool(2, 3)


def test_the_pool_gauges_can_read_the_pool_at_each_scrape(
    served: Served, parts: tuple[DaemonMetrics, Store, Clock]
) -> None:
    client = served.client
    metrics = parts[0]
    pool = {"workers": 4, "busy": 1}
    metrics.track_pool(lambda: pool["workers"], lambda: pool["busy"])

    def scraped() -> tuple[float, float]:
        found = samples(client.get("/metrics").text)
        return found[("ledgerlink_pool_size", ())], found[("ledgerlink_pool_busy_workers", ())]

    assert scraped() == (4, 1)
    pool["busy"] = 3
    assert scraped() == (4, 3)
    pool["busy"] = 9  # a pool that counts documents waiting too: never more than its size
    assert scraped() == (4, 4)
