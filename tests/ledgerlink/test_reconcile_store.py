"""``ledgerlink reconcile`` on the store: a camt.053 imported with ``statements import``,
matched against documents in the store, the matches stored as events, confirm by hand."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ledgerlink.cli import app
from model.identifiers import rf
from reconcile.transaction import Counterparty, Transaction
from sync.pipeline import connection_id
from sync.reconciliation import open_items
from sync.store import matches, open_store, payment_pushes
from tests.support import reconcile_store
from tests.support.camt_writer import camt053
from tests.support.reconcile_store import invoice, store_document, write_config

postgres_database = reconcile_store.postgres_database  # the fixtures
store_url = reconcile_store.store_url
runner = CliRunner()
ACCOUNT = "NL91ABNA0417164300"
PAYER = Counterparty(name="Koffiehuis Noord B.V.", iban="NL44RABO0123456789")
DAY = date(2026, 12, 1)


def _store_documents(url: str) -> dict[str, Decimal]:
    due: dict[str, Decimal] = {}
    with open_store(url, create=True) as store:
        store.ensure()
        with store.begin() as conn:
            shop = connection_id(conn, "shop", "ubl-dir")
            for number, reference in (("2026-0001", rf.create("20260001")), ("2026-0002", None)):
                doc = invoice(number, reference)
                due[number] = doc.totals.payable if doc.totals else Decimal(0)
                store_document(conn, shop, f"inbox/{number}.xml", doc)
    return due


@pytest.fixture
def setup(tmp_path: Path, store_url: str) -> tuple[Path, Path, dict[str, Decimal]]:
    due = _store_documents(store_url)
    config = write_config(tmp_path, store_url, ACCOUNT)
    statement = tmp_path / "day.xml"
    bookings = [
        Transaction(
            booking_date=DAY,
            amount=due["2026-0001"],
            currency="EUR",
            counterparty=PAYER,
            structured_reference=rf.create("20260001"),
            bank_reference="ACR-1",
        ),
        Transaction(
            booking_date=DAY,
            amount=Decimal("10.00"),
            currency="EUR",
            counterparty=Counterparty(name="Someone Else", iban="NL91ABNA0417164300"),
            text="no idea",
            bank_reference="ACR-2",
        ),
    ]
    statement.write_bytes(camt053(ACCOUNT, bookings, opening=Decimal("100.00")))
    return config, statement, due


def _cli(config: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--config", str(config), *args])


def test_reconcile_records_matches_as_events_once_and_confirm_applies_by_hand(
    setup: tuple[Path, Path, dict[str, Decimal]], store_url: str
) -> None:
    config, statement, due = setup
    imported = _cli(config, "statements", "import", str(statement), "--format", "json")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["files"][0]["transactions"] == 2

    dry = _cli(config, "reconcile", "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.output
    planned = json.loads(dry.stdout)
    assert planned["recorded"] == 0
    assert [e["invoice"] for e in planned["entries"]["ACR-1"]] == ["2026-0001"]
    assert planned["unmatched"] == ["ACR-2"]

    run = _cli(config, "reconcile", "--format", "json")
    assert run.exit_code == 0, run.output
    done = json.loads(run.stdout)
    assert done["entries"] == planned["entries"] and done["recorded"] == 1
    assert done["entries"]["ACR-1"][0]["stage"] == "reference"
    # ubl-dir takes no payments: the push is reported, not lost
    assert done["pushed"]["unsupported"] == 1 and "cannot take payments" in done["problems"][0]
    again = json.loads(_cli(config, "reconcile", "--format", "json").stdout)
    assert (again["entries"], again["recorded"], again["unmatched"]) == ({}, 0, ["ACR-2"])

    with open_store(store_url) as store, store.begin() as conn:
        left = {item.number: item.open for item in open_items(conn, include_settled=True)}
    assert left == {"2026-0001": Decimal("0.0000"), "2026-0002": due["2026-0002"]}

    text = _cli(config, "reconcile", "confirm", "ACR-2", "2026-0002")
    assert text.exit_code == 0, text.output
    assert "ACR-2: applied by hand to 2026-0002 10.00" in text.stdout
    with open_store(store_url) as store, store.begin() as conn:
        left = {item.number: item.open for item in open_items(conn, include_settled=True)}
        stages = list(conn.execute(select(matches.c.stage).order_by(matches.c.id)).scalars())
        pushes = list(conn.execute(select(payment_pushes.c.state)).scalars())
    assert left["2026-0002"] == due["2026-0002"] - Decimal("10.00")
    assert stages == ["reference", "manual"] and pushes == ["unsupported", "unsupported"]


def test_confirm_names_what_is_wrong(setup: tuple[Path, Path, dict[str, Decimal]]) -> None:
    config, statement, _ = setup
    _cli(config, "statements", "import", str(statement))
    missing = _cli(config, "reconcile", "confirm", "ACR-9", "2026-0002")
    assert (
        missing.exit_code == 1 and "no open booking with bank reference 'ACR-9'" in missing.output
    )
    unknown = _cli(config, "reconcile", "confirm", "ACR-2", "2099-0001")
    assert unknown.exit_code == 1 and "no open document '2099-0001'" in unknown.output
