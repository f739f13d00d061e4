"""Status pushed back to a real trytond, exactly one note per status transition, even when
the worker dies between a push and its record (tests/tryton demo database: INV-1 is
record 1, INV-3 record 3)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from support.outbox_doubles import FileChannel, add_document, envelope_for
from tryton.server import TrytonServer, run_server

import sync.outbox
from connectors.tryton import TrytonConnector
from sync.outbox import deliver, enqueue
from sync.store import Store, events, open_store


class Crash(BaseException):
    """Stands in for a kill at a checkpoint."""


@pytest.fixture
def fresh_server(tryton_template: Path, tmp_path: Path) -> Iterator[TrytonServer]:
    with run_server(tryton_template, tmp_path / "tryton") as server:
        yield server


@pytest.fixture
def tryton(fresh_server: TrytonServer) -> Iterator[TrytonConnector]:
    password = SecretStr(fresh_server.password)
    with TrytonConnector(
        fresh_server.url, fresh_server.database, fresh_server.username, password
    ) as connector:
        yield connector


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with open_store(store_url, create=True) as opened:
        opened.ensure()
        yield opened


def ledgerlink_notes(tryton: TrytonConnector) -> list[tuple[str, str]]:
    notes = tryton.rpc.search_read(
        "ir.note",
        [("resource", "in", ["account.invoice,1", "account.invoice,3"])],
        fields=("resource", "message"),
    )
    return [
        (note["resource"], note["message"])
        for note in notes
        if note["message"].startswith("ledgerlink: ")
    ]


def test_each_transition_is_one_note_on_the_tryton_invoice_despite_crashes_mid_push(
    store: Store, tryton: TrytonConnector, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = FileChannel(tmp_path / "ap")  # answers MLR AP, then Invoice Response AP
    with store.begin() as conn:
        for number, record in (("INV-1", "1"), ("INV-3", "3")):
            document_id, source_id, digest = add_document(conn, number, source_id=record)
            enqueue(
                conn,
                document_id=document_id,
                connection="shop",
                source_id=source_id,
                content_hash=digest,
                envelope=envelope_for(number, source_id, digest),
                channels=[channel],
            )
    passes = Counter[str]()

    def crash_on_third_push(point: str) -> None:
        passes[point] += 1
        if point == "pushed" and passes[point] % 3 == 0:
            raise Crash(point)  # the note is written, its event not marked pushed

    monkeypatch.setattr(sync.outbox, "checkpoint", crash_on_third_push)
    crashes = 0
    for _ in range(20):
        try:
            deliver(store, connection="shop", channels={"ap": channel}, source=tryton)
            break
        except Crash:
            crashes += 1

    with store.begin() as conn:
        transitions = conn.execute(select(func.count()).select_from(events)).scalar_one()
        unpushed = conn.execute(
            select(func.count()).select_from(events).where(events.c.pushed_at.is_(None))
        ).scalar_one()
    notes = ledgerlink_notes(tryton)
    assert crashes >= 2 and unpushed == 0
    assert transitions == 8  # queued, sent, delivered, accepted for each invoice
    assert len(notes) == transitions and len(set(notes)) == len(notes)
    per_invoice = Counter(resource for resource, _ in notes)
    assert per_invoice == {"account.invoice,1": 4, "account.invoice,3": 4}
    assert any(message.startswith("ledgerlink: accepted: ") for _, message in notes)
    attachments = tryton.rpc.search_read(
        "ir.attachment", [("resource", "=", "account.invoice,3")], fields=("name",)
    )
    assert [attachment["name"] for attachment in attachments] == ["INV-3.xml"]
