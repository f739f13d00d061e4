"""Issue 16, section 5: the Tryton demo database's open invoices, a CAMT.053 statement for
them with noise, reconciled through the CLI as a user runs it, the payments booked in
Tryton, and Tryton's own ``amount_to_pay`` agreeing with the store's open amounts.

The user's steps: a settings file with the Tryton connection owning the bank account
(``accounts = [...]``); ``ledgerlink sync`` takes the posted invoices into the store;
``ledgerlink statements import`` the day's statement; ``ledgerlink reconcile --format json``
matches and pushes back. The statement (written by tests/support/camt_writer.py) pays
INV-4 in full by its RF reference, INV-5 in part, INV-6 and INV-7 with one payment naming
both references, INV-8 in full and then reverses that payment (RvslInd, the payer's
EndToEndId); beside them rent, salaries, bank costs and a refund from a stranger, which
stay unmatched. The demo database: tests/tryton/open_invoices.py.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from support.camt_writer import camt053
from tryton.open_invoices import open_invoices_template
from tryton.server import TrytonServer, run_server
from typer.testing import CliRunner, Result

from connectors.tryton import TrytonConnector
from ledgerlink.cli import app
from reconcile.transaction import Counterparty, Transaction

pytestmark = pytest.mark.usefixtures("artifacts_cache")
runner = CliRunner()
ACCOUNT = "NL91ABNA0417164300"  # Demo B.V.'s account in the demo database
KLANT = Counterparty(name="Klant B.V.", iban="NL44RABO0123456789", bic="RABONL2U")
CLIENT = Counterparty(name="Client SA", iban="BE71096123456769", bic="GKCCBEBB")
TODAY = dt.date.today()


def _credit(ref: str, amount: str, payer: Counterparty, **more: Any) -> Transaction:
    return Transaction(
        booking_date=TODAY,
        amount=Decimal(amount),
        currency="EUR",
        counterparty=payer,
        bank_reference=ref,
        **more,
    )


STATEMENT = [
    _credit("ACR-01", "1273.01", KLANT, structured_reference="RF63INV4", end_to_end_id="K-1"),
    _credit("ACR-02", "200.00", CLIENT, structured_reference="RF36INV5", end_to_end_id="C-1"),
    _credit("ACR-03", "1626.42", KLANT, text="Facturen INV-6 en INV-7", end_to_end_id="K-2"),
    _credit("ACR-04", "490.50", CLIENT, structured_reference="RF52INV8", end_to_end_id="C-2"),
    _credit(
        "ACR-05",
        "-490.50",
        CLIENT,
        structured_reference="RF52INV8",
        end_to_end_id="C-2",
        reversal=True,
        return_reason="MD06",
    ),
    _credit(
        "ACR-06",
        "-1500.00",
        Counterparty(name="Vastgoed Damrak B.V.", iban="NL20INGB0001234567"),
        text="Huur december kantoor Damrak 1",
        bank_code="PMNT-ICDT-ESCT",
    ),
    _credit(
        "ACR-07",
        "-3200.00",
        Counterparty(name="Salarissen", iban="NL39RABO0300065264"),
        text="Salaris november",
    ),
    _credit("ACR-08", "-2.50", Counterparty(name="ABN AMRO"), text="Kosten betalingsverkeer"),
    _credit(
        "ACR-09",
        "75.00",
        Counterparty(name="J. Onbekend", iban="NL71RABO0123456788"),
        text="terugbetaling borg",
    ),
]
EXPECTED_ENTRIES = {
    "ACR-01": [("INV-4", "1273.01")],
    "ACR-02": [("INV-5", "200.00")],
    "ACR-03": [("INV-6", "353.41"), ("INV-7", "1273.01")],
    "ACR-04": [("INV-8", "490.50")],
    "ACR-05": [("INV-8", "-490.50")],
}
EXPECTED_UNMATCHED = ["ACR-06", "ACR-07", "ACR-08", "ACR-09"]


@pytest.fixture
def server(tryton_template: Path, tmp_path: Path) -> Iterator[TrytonServer]:
    with run_server(open_invoices_template(tryton_template), tmp_path / "tryton") as running:
        yield running


@pytest.fixture
def folder(
    server: TrytonServer, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("TRYTON_PASSWORD", server.password)
    monkeypatch.delenv("LEDGERLINK_STORE", raising=False)
    monkeypatch.delenv("LEDGERLINK_CONFIG", raising=False)
    (tmp_path / "ledgerlink.toml").write_text(
        f"""
[store]
url = "{store_url}"

[channels.archive]
type = "directory"
path = "delivered"

[connections.demo]
connector = "tryton"
url = "{server.url}"
database = "{server.database}"
username = "{server.username}"
password_env = "TRYTON_PASSWORD"
accounts = ["{ACCOUNT}"]
channels = ["archive"]

[connections.demo.parties]
company = {{ kvk = "12345678" }}
"NL000099998B57" = {{ kvk = "87654321" }}
""",
        encoding="utf-8",
    )
    (tmp_path / "day.xml").write_bytes(camt053(ACCOUNT, STATEMENT, statement_id="DAY-1"))
    return tmp_path


def ledgerlink(folder: Path, *args: str) -> Result:
    return runner.invoke(app, ["--config", str(folder / "ledgerlink.toml"), *args])


def tryton_invoices(server: TrytonServer) -> dict[str, dict[str, Any]]:
    password = SecretStr(server.password)
    with TrytonConnector(server.url, server.database, server.username, password) as tryton:
        rows = tryton.rpc.search_read(
            "account.invoice",
            [("type", "=", "out")],
            fields=("number", "state", "amount_to_pay", "total_amount", "payment_lines"),
        )
        for row in rows:
            lines = tryton.rpc.read(
                "account.move.line", row["payment_lines"], ("move.description",)
            )
            row["references"] = sorted(line["move."]["description"] or "" for line in lines)
    return {row["number"]: row for row in rows}


def test_a_statement_for_the_demo_invoices_reconciles_and_tryton_agrees(
    folder: Path, server: TrytonServer
) -> None:
    before = tryton_invoices(server)
    synced = ledgerlink(folder, "sync", "demo", "--format", "json")
    assert synced.exit_code == 0, synced.output
    assert json.loads(synced.stdout)["connections"]["demo"]["pulled"] == len(before)

    imported = ledgerlink(
        folder, "statements", "import", str(folder / "day.xml"), "--format", "json"
    )
    assert imported.exit_code == 0, imported.output
    (file,) = json.loads(imported.stdout)["files"]
    assert (file["transactions"], file["duplicates"], file["error"]) == (len(STATEMENT), 0, None)

    reconciled = ledgerlink(folder, "reconcile", "--format", "json")
    assert reconciled.exit_code == 0, reconciled.output
    result = json.loads(reconciled.stdout)
    entries = {
        ref: [(item["invoice"], item["amount"]) for item in items]
        for ref, items in result["entries"].items()
    }
    assert entries == EXPECTED_ENTRIES
    assert sorted(result["unmatched"]) == EXPECTED_UNMATCHED
    assert result["pushed"] == {
        "pushed": 6,  # INV-4, INV-5, INV-6, INV-7, INV-8 and INV-8's reversal
        "found": 0,
        "in_doubt": 0,
        "unsupported": 0,
        "failed": 0,
    }
    assert result["problems"] == []

    after = tryton_invoices(server)
    # the payments are booked in Tryton, each under its bank reference
    assert after["INV-4"]["references"] == ["ACR-01"]
    assert after["INV-5"]["references"] == ["ACR-02"]
    assert after["INV-6"]["references"] == after["INV-7"]["references"] == ["ACR-03"]
    assert after["INV-8"]["references"] == []  # taken back by the reversal ACR-05
    assert [after[n]["state"] for n in ("INV-4", "INV-6", "INV-7")] == ["paid"] * 3
    assert after["INV-8"]["state"] == "posted"

    # Tryton's amount_to_pay is ours, for every invoice of the store
    ours = {number: Decimal(amount) for number, amount in result["open"].items()}
    for number, row in after.items():
        theirs = row["amount_to_pay"]
        if row["total_amount"] < 0:  # a credit note: Tryton's is negative, ours what is left
            theirs = -theirs
        first = before[number]  # paid in Tryton before ledgerlink was connected: not ours
        earlier = first["total_amount"] - first["amount_to_pay"] if first["total_amount"] > 0 else 0
        assert ours.get(number, Decimal(0)) - earlier == theirs, number
    assert ours["INV-5"] == Decimal("290.50") and ours["INV-8"] == Decimal("490.50")

    again = ledgerlink(folder, "reconcile", "--format", "json")  # a second run adds nothing
    assert again.exit_code == 0, again.output
    second = json.loads(again.stdout)
    assert second["entries"] == {} and second["pushed"]["pushed"] == 0
    assert tryton_invoices(server) == after
