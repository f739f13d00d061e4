"""Per-channel delivered and failed counts read back from the outbox, on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.outbox_doubles import FileChannel, add_document, envelope_for

from delivery.base import Channel
from sync.delivery_counts import delivery_counts, per_channel
from sync.outbox import deliver, enqueue
from sync.store import Store, open_store


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with open_store(store_url, create=True) as opened:
        opened.ensure()
        yield opened


def queue(store: Store, channels: list[Channel], *numbers: str, connection: str = "shop") -> None:
    with store.begin() as conn:
        for number in numbers:
            document_id, source_id, digest = add_document(conn, number, connection=connection)
            enqueue(
                conn,
                document_id=document_id,
                connection=connection,
                source_id=source_id,
                content_hash=digest,
                envelope=envelope_for(number, source_id, digest, connection),
                channels=channels,
            )


def test_each_channel_gets_its_own_counts_and_they_add_up_to_the_summary(
    store: Store, tmp_path: Path
) -> None:
    ap = FileChannel(tmp_path / "ap", "ap", refuse=frozenset({"INV-3"}))
    archive = FileChannel(tmp_path / "archive", "archive", kind="directory")
    nobody = FileChannel(tmp_path / "nobody", "nobody", accept=lambda envelope: False)
    channels = {"ap": ap, "archive": archive}
    # before the cycle: one document delivered earlier, which the cycle must not count
    queue(store, [ap], "INV-0")
    deliver(store, connection="shop", channels=channels, source=None)
    since = datetime.now(UTC)
    queue(store, [ap], "INV-1", "INV-2", "INV-3")
    queue(store, [archive], "INV-4")
    queue(store, [nobody], "INV-5")  # no channel accepts it: failed, and no outbox row
    queue(store, [archive], "OTHER-1", connection="erp")  # another connection
    done = deliver(store, connection="shop", channels=channels, source=None)
    assert (done.delivered, done.failed) == (3, 1)
    assert delivery_counts(store, "shop", since) == {
        ("delivered", "ap"): 2,
        ("delivered", "archive"): 1,
        ("failed", "ap"): 1,
    }
    assert per_channel(store, "shop", since, delivered=done.delivered, failed=done.failed + 1) == [
        ("delivered", "ap", 2),
        ("delivered", "archive", 1),
        ("failed", "ap", 1),
        ("failed", "", 1),  # INV-5, counted by the pipeline's recorder, has no channel
    ]
    # the answers that moved the rows on since (delivered, accepted) do not hide them
    later = datetime.now(UTC)
    assert delivery_counts(store, "shop", later) == {}
    assert per_channel(store, "shop", later, delivered=0, failed=0) == []


def test_since_must_be_timezone_aware(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        delivery_counts(store, "shop", datetime(2026, 1, 1))


def test_the_daemons_counters_take_the_split_per_channel(store: Store, tmp_path: Path) -> None:
    """What the daemon's reporter does after a cycle: the counters by channel, scraped."""
    from support.daemon_http import samples

    from ledgerlink.daemon_http import DaemonMetrics

    ap = FileChannel(tmp_path / "ap", "ap", refuse=frozenset({"INV-2"}))
    archive = FileChannel(tmp_path / "archive", "archive", kind="directory")
    since = datetime.now(UTC)
    queue(store, [ap], "INV-1", "INV-2")
    queue(store, [archive], "INV-3")
    done = deliver(store, connection="shop", channels={"ap": ap, "archive": archive}, source=None)
    metrics = DaemonMetrics()
    metrics.count_each(
        "shop", per_channel(store, "shop", since, delivered=done.delivered, failed=done.failed)
    )
    found = samples(metrics.render().decode())
    shop = ("connection", "shop")
    assert found[("ledgerlink_documents_delivered_total", (("channel", "ap"), shop))] == 1
    assert found[("ledgerlink_documents_delivered_total", (("channel", "archive"), shop))] == 1
    assert found[("ledgerlink_documents_failed_total", (("channel", "ap"), shop))] == 1
    assert ("ledgerlink_documents_failed_total", (("channel", ""), shop)) not in found
