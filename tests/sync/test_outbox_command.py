"""``ledgerlink outbox list`` and ``ledgerlink outbox resolve`` as a user calls them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update
from support.outbox_doubles import FileChannel, add_document, envelope_for
from typer.testing import CliRunner, Result

from ledgerlink.cli import app
from sync.outbox import deliver, enqueue
from sync.store import documents, open_store, outbox

runner = CliRunner()


def ledgerlink(*args: str) -> Result:
    unset: dict[str, str | None] = {"LEDGERLINK_STORE": None, "LEDGERLINK_CONFIG": None}
    return runner.invoke(app, list(args), env=unset)


@pytest.fixture
def in_doubt(store_url: str, tmp_path: Path) -> str:
    """A store where INV-1 is in doubt and INV-2 was sent, on channel 'mail'."""
    channel = FileChannel(tmp_path / "mail", name="mail", answers=())
    with open_store(store_url, create=True) as store:
        store.ensure()
        with store.begin() as conn:
            for number in ("INV-1", "INV-2"):
                document_id, source_id, digest = add_document(conn, number)
                enqueue(
                    conn,
                    document_id=document_id,
                    connection="shop",
                    source_id=source_id,
                    content_hash=digest,
                    envelope=envelope_for(number, source_id, digest),
                    channels=[channel],
                )
        deliver(store, connection="shop", channels={"mail": channel}, source=None)
        with store.begin() as conn:
            first = select(documents.c.id).where(documents.c.number == "INV-1")
            conn.execute(
                update(outbox)
                .where(outbox.c.document_id == first.scalar_subquery())
                .values(state="in-doubt", last_error="a crash came between the send and its record")
            )
            conn.execute(
                update(documents).where(documents.c.number == "INV-1").values(state="in-doubt")
            )
    return store_url


def test_list_shows_each_delivery_and_filters_by_state(in_doubt: str) -> None:
    everything = ledgerlink("outbox", "list", "--store", in_doubt)
    doubtful = ledgerlink("outbox", "list", "--state", "in-doubt", "--store", in_doubt)

    assert everything.exit_code == 0, everything.output
    assert everything.stdout.splitlines() == [
        "INV-1  shop  mail  in-doubt  attempts 1  (a crash came between the send and its record)",
        "INV-2  shop  mail  sent  attempts 1",
    ]
    assert doubtful.stdout.splitlines()[0].startswith("INV-1  shop  mail  in-doubt")
    assert len(doubtful.stdout.splitlines()) == 1


def test_resolve_sent_records_it_and_resend_queues_it(in_doubt: str, store_url: str) -> None:
    sent = ledgerlink("outbox", "resolve", "INV-1", "--sent", "--store", in_doubt)
    assert sent.exit_code == 0, sent.output
    assert "INV-1 (shop): recorded as sent" in sent.stdout
    again = ledgerlink("outbox", "resolve", "INV-1", "--resend", "--store", in_doubt)
    assert again.exit_code == 1
    assert "INV-1 is not in doubt (it is sent)" in again.stderr

    with open_store(store_url) as store, store.begin() as conn:
        conn.execute(update(outbox).values(state="in-doubt"))
    resend = ledgerlink(
        "outbox", "resolve", "INV-2", "--resend", "--connection", "shop", "--store", in_doubt
    )
    assert resend.exit_code == 0, resend.output
    assert "INV-2 (shop): queued; the next sync sends it" in resend.stdout
    with open_store(store_url) as store, store.begin() as conn:
        states = dict(conn.execute(select(documents.c.number, documents.c.state)).all())
    assert states == {"INV-1": "sent", "INV-2": "queued"}


def test_resolve_needs_exactly_one_decision(in_doubt: str) -> None:
    neither = ledgerlink("outbox", "resolve", "INV-1", "--store", in_doubt)
    both = ledgerlink("outbox", "resolve", "INV-1", "--sent", "--resend", "--store", in_doubt)
    for result in (neither, both):
        assert result.exit_code == 2
        assert "--sent (it went out) or --resend" in result.stderr


def test_resolve_names_a_number_that_is_not_in_the_outbox(in_doubt: str) -> None:
    result = ledgerlink("outbox", "resolve", "INV-9", "--sent", "--store", in_doubt)
    assert result.exit_code == 1
    assert "no document INV-9 is in the outbox" in result.stderr
