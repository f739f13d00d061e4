"""``ledgerlink daemon`` as real processes: --once delivers, one daemon per store, SIGTERM
in the middle of a cycle of 200 documents (once, and twice) loses nothing and delivers
nothing twice, health and metrics answer while it runs, and no secret reaches a log line."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from support.daemon_processes import event as _event
from support.daemon_processes import get as _get
from support.daemon_processes import inbox
from support.daemon_processes import lines as _lines
from support.daemon_processes import raw as _raw
from support.daemon_processes import start as _start
from support.daemon_processes import until as _until
from support.daemon_processes import wait as _wait
from support.file_sources import FIXTURES

from delivery.ap_emulator import ApEmulator
from sync.store import documents, events, open_store, outbox

pytestmark = pytest.mark.usefixtures("artifacts_cache")

DOCUMENTS = 200
GRACE = 20


def _settings(folder: Path, *, every: str = "1s", page_size: int = 100, extra: str = "") -> Path:
    path = folder / "ledgerlink.toml"
    path.write_text(
        f"""\
[store]
url = "sqlite:///ledgerlink.db"
[daemon]
listen = "127.0.0.1:0"
grace = "{GRACE}s"
workers = 1
[channels.archive]
type = "directory"
path = "delivered"
[connections.shop]
connector = "ubl-dir"
path = "inbox"
profile = "auto"
page_size = {page_size}
channels = ["archive"]
every = "{every}"
[connections.manual]
connector = "ubl-dir"
path = "inbox"
{extra}""",
        encoding="utf-8",
    )
    return path


def _inbox(folder: Path, count: int) -> list[str]:
    """``count`` valid invoices in ``folder/inbox``, their numbers (BT-1) varied."""
    return inbox(folder / "inbox", count)


def _delivered_files(folder: Path) -> list[str]:
    return sorted(path.name for path in (folder / "delivered").glob("*.xml"))


def _exactly_once(folder: Path, numbers: list[str]) -> None:
    """Every document delivered once: one file each in the directory channel, one outbox
    row each (by idempotency key), delivered, and one delivery event each."""
    assert _delivered_files(folder) == sorted(f"{number}-HBE-26-00802.xml" for number in numbers)
    with open_store(f"sqlite:///{folder / 'ledgerlink.db'}") as store, store.begin() as conn:
        rows = conn.execute(select(outbox.c.idempotency_key, outbox.c.state)).all()
        assert len(rows) == len(numbers)
        assert Counter(row.idempotency_key for row in rows).most_common(1)[0][1] == 1
        assert {row.state for row in rows} == {"delivered"}
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == len(
            numbers
        )
        deliveries = conn.execute(
            select(events.c.document_id, func.count())
            .where(events.c.to_state == "delivered")
            .group_by(events.c.document_id)
        ).all()
        assert len(deliveries) == len(numbers) and {count for _, count in deliveries} == {1}


def test_once_delivers_the_inbox_and_says_what_it_does_not_run(tmp_path: Path) -> None:
    numbers = _inbox(tmp_path, 3)
    daemon = _start(_settings(tmp_path), "--once")
    assert _wait(daemon) == 0, _raw(daemon)
    _exactly_once(tmp_path, numbers)
    lines = _lines(daemon)
    assert {line["connection"] for line in lines if line["event"] == "not-scheduled"} == {"manual"}
    done = [line for line in lines if line["event"] == "cycle-done"]
    assert [(line["connection"], line["delivered"]) for line in done] == [("shop", 3)]
    assert {line["document"] for line in lines if line["event"] == "document-delivered"} == {
        f"{number}-HBE-26-00802" for number in numbers
    }
    assert all({"time", "level", "event", "message"} <= line.keys() for line in lines)


def test_a_second_daemon_on_the_store_exits_2_naming_the_lock_and_the_first_serves_http(
    tmp_path: Path,
) -> None:
    numbers = _inbox(tmp_path, 2)
    settings = _settings(tmp_path, every="1h")
    first = _start(settings)
    try:
        started = _until(lambda: _event(first, "started"), "start", first)
        _until(lambda: _event(first, "cycle-done"), "a cycle", first)
        second = _start(settings, "--once")
        assert _wait(second) == 2
        lock = str(tmp_path / "ledgerlink.db.daemon.lock")
        assert lock in _raw(second) and "is held" in _raw(second)
        base = f"http://127.0.0.1:{started['port']}"
        assert _get(f"{base}/healthz") == (200, b'{"status": "ok"}')
        status, body = _get(f"{base}/readyz")
        assert status == 200 and json.loads(body)["ready"] is True
        status, body = _get(f"{base}/metrics")
        samples = {
            (sample.name, sample.labels.get("connection"), sample.labels.get("channel")): (
                sample.value
            )
            for family in text_string_to_metric_families(body.decode())
            for sample in family.samples
        }
        assert samples[("ledgerlink_documents_delivered_total", "shop", "archive")] == 2
        assert samples[("ledgerlink_documents_pulled_total", "shop", "")] == 2
        assert samples[("ledgerlink_queue_depth", "shop", None)] == 0
        assert samples[("ledgerlink_last_success_timestamp_seconds", "shop", None)] > 0
        assert samples[("ledgerlink_pool_size", None, None)] == 1
        assert samples[("ledgerlink_pool_busy_workers", None, None)] == 0  # idle between cycles
        # each document built and validated in the pool is one observation of the histogram
        assert samples[("ledgerlink_validation_duration_seconds_count", None, None)] == 2
        assert samples[("ledgerlink_validation_duration_seconds_sum", None, None)] > 0
        first.send_signal(signal.SIGTERM)
        assert _wait(first) == 0, _raw(first)
    finally:
        if first.poll() is None:
            first.kill()
    _exactly_once(tmp_path, numbers)


@pytest.mark.parametrize("signals", [1, 2], ids=["sigterm", "sigterm-twice"])
def test_sigterm_mid_cycle_then_a_restart_delivers_each_document_exactly_once(
    tmp_path: Path, signals: int
) -> None:
    numbers = _inbox(tmp_path, DOCUMENTS)
    # pages of 50 for the second signal: the page in hand takes long enough to be cut short
    settings = _settings(tmp_path, every="1h", page_size=8 if signals == 1 else 50)
    daemon = _start(settings)
    try:
        _until(lambda: len(_delivered_files(tmp_path)) >= 12, "12 deliveries", daemon)
        began = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        if signals == 2:  # inside the grace, while the page in hand is still going
            _until(lambda: _event(daemon, "stop-requested"), "the first stop", daemon)
            daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(GRACE + 10)
        took = time.monotonic() - began
    finally:
        if daemon.poll() is None:
            daemon.kill()
    delivered_before = len(_delivered_files(tmp_path))
    if signals == 1:
        assert code == 0, _raw(daemon)
        assert took < GRACE
        done = _event(daemon, "cycle-done")
        assert done is not None and done["stopped"] is True
        assert done["delivered"] == delivered_before  # what was queued was delivered
    else:
        assert code == 128 + signal.SIGTERM, _raw(daemon)  # 143: stopped at once
        assert took < 5
        assert _event(daemon, "hard-stop-requested") is not None
    assert 0 < delivered_before < DOCUMENTS  # it was stopped in the middle
    again = _start(settings, "--once")
    assert _wait(again) == 0, _raw(again)
    _exactly_once(tmp_path, numbers)


def test_no_secret_reaches_a_log_line_in_failing_and_succeeding_cycles(tmp_path: Path) -> None:
    token, wrong, hook = "tok-3f9a-SECRET-7c1e", "tok-0d4b-SECRET-9e6f", "hook-b81d-SECRET-22aa"
    _inbox(tmp_path, 2)
    (tmp_path / "second").mkdir()
    (tmp_path / "second" / "valid.xml").write_bytes(
        (FIXTURES / "nl-standard-21-9.xml").read_bytes()
    )
    (tmp_path / "second" / "broken.xml").write_text(f"<Invoice>{token}", encoding="utf-8")
    with ApEmulator(token=token) as ap:
        extra = f"""\
[channels.ap]
type = "peppol-ap"
url = "{ap.url}"
token_env = "LL_TEST_AP_TOKEN"
webhook_secret_env = "LL_TEST_HOOK_SECRET"
[channels.wrong]
type = "peppol-ap"
url = "{ap.url}"
token_env = "LL_TEST_AP_WRONG"
attempts = 1
[channels.gone]
type = "peppol-ap"
url = "http://127.0.0.1:9"
token_env = "LL_TEST_AP_TOKEN"
attempts = 1
timeout = 1
[connections.peppol]
connector = "ubl-dir"
path = "inbox"
profile = "auto"
channels = ["ap"]
every = "1s"
[connections.refused]
connector = "ubl-dir"
path = "second"
profile = "auto"
channels = ["wrong"]
every = "1s"
[connections.unreachable]
connector = "ubl-dir"
path = "second"
profile = "auto"
channels = ["gone"]
every = "1s"
"""
        daemon = _start(
            _settings(tmp_path, extra=extra),
            "--once",
            env={"LL_TEST_AP_TOKEN": token, "LL_TEST_AP_WRONG": wrong, "LL_TEST_HOOK_SECRET": hook},
        )
        code = _wait(daemon)
    raw = _raw(daemon)
    assert code == 1, raw  # held and refused documents
    lines = _lines(daemon)
    done = {line["connection"]: line for line in lines if line["event"] == "cycle-done"}
    assert done["peppol"]["delivered"] == 2 and done["shop"]["delivered"] == 2
    # the access point refuses the wrong token (401); the broken file is held
    assert (done["refused"]["failed"], done["refused"]["held"]) == (1, 1)
    assert done["unreachable"]["delivered"] == 0  # queued for a retry
    assert {line["connection"] for line in lines if line["level"] == "warning"} >= {
        "refused",
        "unreachable",
    }
    for secret in (token, wrong, hook):
        assert secret not in raw
        assert secret.split("-SECRET-")[1] not in raw
