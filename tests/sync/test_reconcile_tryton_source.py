"""The store learns the payments booked in Tryton itself (sync/source_payments.py), through
``ledgerlink reconcile`` as a user runs it against the real Tryton demo database: what the
demo's bookkeeper paid before ledgerlink was connected, a payment and a credit note netted
in Tryton afterwards, and a payment taken back there; each learned once, and the store's
open amounts (``open`` of ``reconcile --format json``) are Tryton's ``amount_to_pay``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from tryton.cli_steps import ledgerlink
from tryton.demo_statement import open_in_tryton, tryton_invoices, write_folder
from tryton.open_invoices import CN_1, INV_3, INV_6, open_invoices_template
from tryton.server import TrytonServer, run_server

from connectors.base import Payment
from connectors.tryton import TrytonConnector

pytestmark = pytest.mark.usefixtures("artifacts_cache")


@pytest.fixture
def server(tryton_template: Path, tmp_path: Path) -> Iterator[TrytonServer]:
    with run_server(open_invoices_template(tryton_template), tmp_path / "tryton") as running:
        yield running


@pytest.fixture
def bookkeeper(server: TrytonServer) -> Iterator[TrytonConnector]:
    """Someone booking in Tryton by hand (through the same JSON-RPC as its client)."""
    password = SecretStr(server.password)
    with TrytonConnector(server.url, server.database, server.username, password) as tryton:
        yield tryton


def _open(folder: Path) -> dict[str, Decimal]:
    reconciled = ledgerlink(folder, "reconcile", "--format", "json")
    assert reconciled.exit_code == 0, reconciled.output
    result: dict[str, Any] = json.loads(reconciled.stdout)
    assert result["entries"] == {} and result["problems"] == []
    return {number: Decimal(amount) for number, amount in result["open"].items()}


def _agrees(folder: Path, server: TrytonServer) -> dict[str, Decimal]:
    """The store's open amounts, after one reconcile run, checked against Tryton's."""
    ours = _open(folder)
    theirs = open_in_tryton(tryton_invoices(server))
    assert set(ours) <= set(theirs)
    assert {number: ours.get(number, Decimal(0)) for number in theirs} == theirs
    return ours


def _learned(url: str) -> list[tuple[str, Decimal]]:
    from sqlalchemy import select

    from sync.source_payments import SOURCE_STAGE
    from sync.store import documents, matches, open_store

    with open_store(url) as store, store.begin() as conn:
        rows = conn.execute(
            select(documents.c.number, matches.c.amount)
            .join(documents, documents.c.id == matches.c.document_id)
            .where(matches.c.stage == SOURCE_STAGE)
            .order_by(matches.c.id)
        )
        return [(row.number, Decimal(row.amount)) for row in rows]


def test_the_store_learns_what_was_paid_in_tryton_itself(
    server: TrytonServer,
    bookkeeper: TrytonConnector,
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRYTON_PASSWORD", server.password)
    monkeypatch.delenv("LEDGERLINK_STORE", raising=False)
    monkeypatch.delenv("LEDGERLINK_CONFIG", raising=False)
    folder = write_folder(tmp_path, server, store_url)
    before = tryton_invoices(server)
    synced = ledgerlink(folder, "sync", "demo", "--format", "json")
    assert synced.exit_code == 0, synced.output

    dry = ledgerlink(folder, "reconcile", "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["open"]["INV-2"] == str(before["INV-2"]["total_amount"])
    assert _learned(store_url) == []  # a dry run stores nothing, learned payments neither

    # paid before ledgerlink was connected: INV-1 in full, 100.00 of INV-2
    ours = _agrees(folder, server)
    assert "INV-1" not in ours and ours["INV-2"] == before["INV-2"]["amount_to_pay"]
    paid_before = _learned(store_url)
    assert [number for number, _ in paid_before] == ["INV-1", "INV-2"]
    assert dict(paid_before)["INV-2"] == Decimal("100.00")
    assert _agrees(folder, server) == ours and _learned(store_url) == paid_before  # once

    # a payment and a credit note netted in Tryton after ledgerlink was connected
    cash = Payment(
        amount=Decimal("50.00"), currency="EUR", paid_on=dt.date.today(), reference="KASSA-1"
    )
    bookkeeper.push_payment(INV_3, cash)
    credit = abs(before["CN-1"]["amount_to_pay"])
    netted = Payment(amount=credit, currency="EUR", paid_on=dt.date.today())
    bookkeeper.apply_credit(CN_1, INV_6, netted)
    ours = _agrees(folder, server)
    assert ours["INV-3"] == before["INV-3"]["amount_to_pay"] - Decimal("50.00")
    assert "CN-1" not in ours and "INV-6" not in ours  # both settled by the netting
    assert _learned(store_url)[2:] == [
        ("INV-3", Decimal("50.00")),
        ("INV-6", credit),  # paid by the credit note
        ("CN-1", -credit),  # consumed
    ]

    # the payment taken back in Tryton: off the invoice's payment lines
    (line,) = bookkeeper.paid_at_source([INV_3])["3"]
    bookkeeper.rpc.model(
        "account.invoice", "write", [3], {"payment_lines": [("remove", [int(line.line_id)])]}
    )
    ours = _agrees(folder, server)
    assert ours["INV-3"] == before["INV-3"]["amount_to_pay"]
    assert _learned(store_url)[-1] == ("INV-3", Decimal("-50.00"))
    learned = _learned(store_url)
    assert _agrees(folder, server) == ours and _learned(store_url) == learned  # nothing new
