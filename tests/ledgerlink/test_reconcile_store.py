"""``ledgerlink reconcile`` on the store: a camt.053 imported with ``statements import``,
matched against documents in the store, the matches stored as events, confirm by hand."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ledgerlink.cli import app
from model.document import Invoice
from model.identifiers import rf
from model.jsonio import to_data
from reconcile.transaction import Counterparty, Transaction
from sync.pipeline import connection_id
from sync.reconciliation import open_items
from sync.store import documents, matches, open_store, payment_pushes
from tests.support.camt_writer import camt053
from tests.support.profile_documents import clean_invoice

runner = CliRunner()
ACCOUNT = "NL91ABNA0417164300"
PAYER = Counterparty(name="Koffiehuis Noord B.V.", iban="NL44RABO0123456789")
DAY = date(2026, 12, 1)


def _invoice(number: str, reference: str | None) -> Invoice:
    doc = clean_invoice()
    means = replace(doc.payment_means[0], remittance_info=reference)
    return replace(doc, number=number, payment_means=(means,))


def _store_documents(url: str) -> dict[str, Decimal]:
    due: dict[str, Decimal] = {}
    with open_store(url, create=True) as store:
        store.ensure()
        with store.begin() as conn:
            shop = connection_id(conn, "shop", "ubl-dir")
            for number, reference in (("2026-0001", rf.create("20260001")), ("2026-0002", None)):
                invoice = _invoice(number, reference)
                payable = invoice.totals.payable if invoice.totals else Decimal(0)
                due[number] = payable
                conn.execute(
                    documents.insert().values(
                        connection_id=shop,
                        source_id=f"inbox/{number}.xml",
                        number=number,
                        kind="invoice",
                        type_code="380",
                        issue_date=invoice.issue_date,
                        due_date=None,
                        currency="EUR",
                        payable_amount=payable,
                        buyer_name="Koffiehuis Noord B.V.",
                        profile="peppol-bis3",
                        content_hash=number.ljust(64, "0"),
                        model=to_data(invoice),
                        ubl=b"<Invoice/>",
                        validation_report=[],
                        state="delivered",
                        created_at=datetime.now(UTC),
                        updated_at=datetime.now(UTC),
                    )
                )
    return due


@pytest.fixture(scope="module")
def postgres_database():  # type: ignore[no-untyped-def]
    from support.postgres import missing_postgres, reachable, session_database

    if why := reachable():
        missing_postgres(why)
    with session_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    from support.postgres import reset_schema

    url: str = request.getfixturevalue("postgres_database")
    reset_schema(url)
    return url


@pytest.fixture
def setup(tmp_path: Path, store_url: str) -> tuple[Path, Path, dict[str, Decimal]]:
    due = _store_documents(store_url)
    config = tmp_path / "ledgerlink.toml"
    config.write_text(
        f'[store]\nurl = "{store_url}"\n\n[connections.shop]\nconnector = "ubl-dir"\n'
        f'path = "inbox"\naccounts = ["{ACCOUNT}"]\n',
        encoding="utf-8",
    )
    (tmp_path / "inbox").mkdir()
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
