"""``ledgerlink daemon`` on one PostgreSQL store as real processes (the job engine's runner):
3 daemons and 30 connections with one daemon SIGKILLed mid-cycle, SIGTERM mid-cycle, and a
daemon that loses its database.

Exactly once is counted at the channel: the access point emulator counts every POST per
idempotency key, and holds each document once."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support.daemon_processes import event, get, inbox, lines, raw, start, until, wait
from support.holders import holder_rows, intervals, no_overlap
from support.postgres import missing_postgres, reachable, session_database

from delivery.ap_emulator import ApEmulator
from sync.store import connections, cursors, documents, open_store, outbox
from sync.store.store import Store

pytestmark = pytest.mark.usefixtures("artifacts_cache")

TOKEN = "tok-pg-daemon-test"
CONNECTIONS = 30
PER_CONNECTION = 4
TAKEOVER = 3
GRACE = 20
BOUND = TAKEOVER + 1 + 1 + 1
"""takeover + the reaper's period (takeover/3) + one fetch poll + one heartbeat interval."""
SLACK = 6
"""Seconds allowed beyond the bound on this shared 2-core host (the figure is printed)."""


@pytest.fixture
def database() -> Iterator[str]:
    """A PostgreSQL database of its own, at the store's newest revision."""
    if why := reachable():
        missing_postgres(why)
    with session_database() as url:
        with open_store(url) as store:
            store.upgrade()  # once, before several daemons start on it
        yield url


def _settings(folder: Path, url: str, body: str, *, workers: int = 2) -> Path:
    path = folder / "ledgerlink.toml"
    path.write_text(
        f"""\
[store]
url = "{url}"
[daemon]
listen = "127.0.0.1:0"
grace = "{GRACE}s"
workers = {workers}
takeover = "{TAKEOVER}s"
{body}""",
        encoding="utf-8",
    )
    return path


def _holder(process: subprocess.Popen) -> str:
    started = until(lambda: event(process, "started"), "the start", process)
    return str(started["worker"])


def _open_cycle_with_a_page(store: Store, holders: set[str]) -> str | None:
    """A holder of ``holders`` in the middle of a cycle that committed a page already."""
    from sync.store.schema import cycle_holders

    with store.begin() as conn:
        rows = conn.execute(
            select(cycle_holders.c.holder, cycle_holders.c.connection).where(
                cycle_holders.c.ended_at.is_(None), cycle_holders.c.holder.in_(holders)
            )
        ).all()
        for row in rows:
            done = conn.execute(
                select(func.count())
                .select_from(documents)
                .join(connections, connections.c.id == documents.c.connection_id)
                .where(connections.c.name == row.connection)
            ).scalar_one()
            if 0 < done < PER_CONNECTION:
                return str(row.holder)
    return None


def _synced(store: Store) -> dict[str, int]:
    """Per connection: its documents in the store."""
    with store.begin() as conn:
        return {
            str(name): int(count)
            for name, count in conn.execute(
                select(connections.c.name, func.count(documents.c.id))
                .join(documents, documents.c.connection_id == connections.c.id)
                .group_by(connections.c.name)
            )
        }


def test_three_daemons_thirty_connections_one_killed_mid_cycle(
    tmp_path: Path, database: str
) -> None:
    numbers: list[str] = []
    body = ""
    with ApEmulator(token=TOKEN) as ap:
        body += f"""\
[channels.ap]
type = "peppol-ap"
url = "{ap.url}"
token_env = "LL_TEST_AP_TOKEN"
"""
        for index in range(CONNECTIONS):
            numbers += inbox(
                tmp_path / f"inbox{index:02d}", PER_CONNECTION, prefix=f"C{index:02d}D"
            )
            body += f"""\
[connections.c{index:02d}]
connector = "ubl-dir"
path = "inbox{index:02d}"
profile = "auto"
page_size = 1
channels = ["ap"]
every = "5s"
"""
        settings = _settings(tmp_path, database, body)
        env = {"LL_TEST_AP_TOKEN": TOKEN}
        daemons = [start(settings, env=env) for _ in range(3)]
        try:
            holders = {_holder(daemon): daemon for daemon in daemons}
            with open_store(database) as store:
                victim_id = until(
                    lambda: _open_cycle_with_a_page(store, set(holders)),
                    "a cycle with a committed page",
                    *daemons,
                    step=0.01,
                )
                victim = holders[victim_id]
                victim.send_signal(signal.SIGKILL)
                victim.wait(10)
                killed_at = datetime.now(UTC)
                survivors = [daemon for daemon in daemons if daemon is not victim]
                try:
                    until(
                        lambda: (
                            _synced(store) == {f"c{i:02d}": PER_CONNECTION for i in range(30)}
                            and len(ap.documents) == len(numbers)
                        ),
                        "every connection synced",
                        *survivors,
                        timeout=60,
                    )
                except AssertionError as failure:
                    raise AssertionError(
                        f"{failure}: {_state(store, victim_id, killed_at)}"
                    ) from None
                until(  # the last page's send recorded
                    lambda: _outbox_settled(store, len(numbers)), "the outbox settled", *survivors
                )
                status, body_ = get(
                    f"http://127.0.0.1:{event(survivors[0], 'started')['port']}/readyz"
                )  # type: ignore[index]
                assert status == 200 and json.loads(body_)["ready"] is True
            for daemon in survivors:
                daemon.send_signal(signal.SIGTERM)
            for daemon in survivors:
                assert wait(daemon, GRACE + 10) == 0, raw(daemon)
            with open_store(database) as store:
                rows = holder_rows(store)  # each survivor's cycles ended with it
        finally:
            for daemon in daemons:
                if daemon.poll() is None:
                    daemon.kill()
        # no document delivered twice, counted at the channel: one POST per key, each once
        assert sorted(doc.number.split("-")[0] for doc in ap.documents) == sorted(numbers)
        assert set(ap.posts.values()) == {1}, Counter(ap.posts.values())
    # the killed daemon held at least one cycle with a page committed and no end
    cut = [row for row in rows if row.holder == victim_id and row.ended_at is None]
    assert cut, "the victim was not in the middle of a cycle"
    # no two holders of one connection overlap (the victim's open cycles end at its death)
    no_overlap(rows, killed=victim_id, killed_at=killed_at)
    # the survivors' reaper took each of its open cycles back within the bound, and another
    # daemon resumed it from the committed cursor (the one POST per key above)
    reaped = {
        line["connection"]: datetime.fromisoformat(line["time"])
        for daemon in survivors
        for line in lines(daemon)
        if line["event"] == "takeover"
    }
    spans = intervals(rows, victim_id, killed_at)
    taken, resumed = [], []
    for row in cut:
        assert row.connection in reaped, f"{row.connection} was never taken over"
        taken.append((reaped[row.connection] - killed_at).total_seconds())
        after = [each for each in spans[row.connection] if each[0] > row.started_at]
        assert after and after[0][2].holder != victim_id
        resumed.append((after[0][0] - killed_at).total_seconds())
    print(
        f"after SIGKILL: taken back in {max(taken):.1f}s (bound {BOUND}s), "
        f"resumed in {max(resumed):.1f}s"
    )
    assert max(taken) <= BOUND + SLACK, taken
    # every daemon worked: the connections were shared
    assert {row.holder for row in rows} == set(holders)


def _state(store: Store, victim: str, killed_at: datetime) -> str:
    """What the store holds when a test gives up (for its message)."""
    from sqlalchemy import text

    with store.begin() as conn:
        jobs = conn.execute(
            text(
                "SELECT id, status, args, worker_id, attempts FROM procrastinate.procrastinate_jobs"
                " WHERE task_name = 'ledgerlink.sync_cycle' AND status <> 'succeeded' ORDER BY id"
            )
        ).all()
        workers = conn.execute(
            text("SELECT id, last_heartbeat, now() FROM procrastinate.procrastinate_workers")
        ).all()
    rows = [row for row in holder_rows(store) if row.ended_at is None]
    return (
        f"victim {victim} killed at {killed_at}\nsynced {_synced(store)}\njobs {jobs}\n"
        f"workers {workers}\nopen holders {rows}"
    )


def _outbox_settled(store: Store, expected: int) -> bool:
    with store.begin() as conn:
        states = Counter(str(state) for state in conn.execute(select(outbox.c.state)).scalars())
    return sum(states.values()) == expected and not (states.keys() & {"queued", "sending"})


def test_sigterm_on_postgres_stops_within_grace_then_a_restart_delivers_the_rest_once(
    tmp_path: Path, database: str
) -> None:
    numbers = inbox(tmp_path / "inbox", 200)
    settings = _settings(
        tmp_path,
        database,
        """\
[channels.archive]
type = "directory"
path = "delivered"
[connections.shop]
connector = "ubl-dir"
path = "inbox"
profile = "auto"
page_size = 8
channels = ["archive"]
every = "1h"
""",
        workers=1,
    )
    delivered = lambda: sorted(path.name for path in (tmp_path / "delivered").glob("*.xml"))  # noqa: E731
    daemon = start(settings)
    try:
        until(lambda: len(delivered()) >= 12, "12 deliveries", daemon)
        began = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(GRACE + 10)
        took = time.monotonic() - began
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert code == 0, raw(daemon)
    assert took < GRACE
    done = event(daemon, "cycle-done")
    assert done is not None and done["stopped"] is True
    before = len(delivered())
    assert 0 < before < len(numbers) and done["delivered"] == before
    with open_store(database) as store, store.begin() as conn:
        # the cursor was committed where the last page left it: the documents are there
        assert conn.execute(select(func.count()).select_from(cursors)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == before
    again = start(settings, "--once")
    assert wait(again) == 0, raw(again)
    assert delivered() == sorted(f"{number}-HBE-26-00802.xml" for number in numbers)
    with open_store(database) as store, store.begin() as conn:
        keys = [row.idempotency_key for row in conn.execute(select(outbox.c.idempotency_key))]
        assert len(keys) == len(set(keys)) == len(numbers)
        assert set(conn.execute(select(outbox.c.state)).scalars()) == {"delivered"}
    assert {line.get("worker") for line in lines(again)} == {_holder(again)}


def test_a_daemon_that_loses_its_database_is_not_ready_then_exits_3(
    tmp_path: Path, database: str
) -> None:
    from urllib.parse import urlsplit

    from support.tcp_proxy import TcpProxy

    inbox(tmp_path / "inbox", 1)
    where = urlsplit(database)
    with TcpProxy(where.hostname or "127.0.0.1", where.port or 5432) as proxy:
        through = f"postgresql://{where.username}@127.0.0.1:{proxy.port}{where.path}"
        settings = _settings(
            tmp_path,
            through,
            """\
[connections.shop]
connector = "ubl-dir"
path = "inbox"
profile = "auto"
every = "1h"
""",
            workers=1,
        )
        daemon = start(settings)
        try:
            port = until(lambda: event(daemon, "started"), "the start", daemon)["port"]
            until(lambda: event(daemon, "cycle-done"), "a cycle", daemon)
            until(lambda: get(f"http://127.0.0.1:{port}/readyz")[0] == 200, "ready", daemon)
            proxy.cut()
            until(lambda: get(f"http://127.0.0.1:{port}/readyz")[0] == 503, "not ready", daemon)
            code = wait(daemon, 90)
        finally:
            if daemon.poll() is None:
                daemon.kill()
    assert code == 3, raw(daemon)
    assert event(daemon, "store-failed") is not None
