"""The section 5 scenario of issue 16, shared by its tests: a day's CAMT.053 statement for
the open invoices of the demo database (tests/tryton/open_invoices.py) with noise, the
settings file of a user whose Tryton connection owns the bank account, and Tryton's view of
its invoices read back over JSON-RPC.

The statement pays INV-4 in full by its RF reference, INV-5 in part, INV-6 and INV-7 with
one payment naming both invoice numbers, INV-8 in full and then reverses that payment
(RvslInd, return reason MD06, the payer's EndToEndId); beside them rent, salaries, bank costs
and a refund from a stranger, which stay unmatched.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from support.camt_writer import camt053
from tryton.server import TrytonServer

from connectors.tryton import TrytonConnector
from reconcile.transaction import Counterparty, Transaction

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
EXPECTED_MOVES = {  # moves booked per bank reference: each payment once, ACR-03 per invoice
    "ACR-01": 1,
    "ACR-02": 1,
    "ACR-03": 2,
    "ACR-04": 1,
    "ACR-05": 1,
}


def write_folder(folder: Path, server: TrytonServer, store_url: str) -> Path:
    """``ledgerlink.toml`` (store, an archive channel, the Tryton connection owning ACCOUNT)
    and the statement ``day.xml`` in ``folder``; the password comes from TRYTON_PASSWORD."""
    (folder / "ledgerlink.toml").write_text(
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
    (folder / "day.xml").write_bytes(camt053(ACCOUNT, STATEMENT, statement_id="DAY-1"))
    return folder


def tryton_invoices(server: TrytonServer) -> dict[str, dict[str, Any]]:
    """Every customer invoice and credit note in Tryton by number: state, amount_to_pay,
    total and the bank references (move descriptions) of its payment lines."""
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


def moves_by_reference(server: TrytonServer) -> dict[str, int]:
    """How many account moves Tryton holds per statement bank reference (``ACR-...``)."""
    password = SecretStr(server.password)
    with TrytonConnector(server.url, server.database, server.username, password) as tryton:
        rows = tryton.rpc.search_read("account.move", [], fields=("description",))
    counts: dict[str, int] = {}
    for row in rows:
        reference = row["description"] or ""
        if reference.startswith("ACR-"):
            counts[reference] = counts.get(reference, 0) + 1
    return counts


def open_in_tryton(invoices: dict[str, dict[str, Any]]) -> dict[str, Decimal]:
    """Per document (of :func:`tryton_invoices`), Tryton's ``amount_to_pay`` as the store's
    open amount: positive for a credit note too (Tryton's is negative), 0 once paid."""
    return {number: abs(Decimal(row["amount_to_pay"])) for number, row in invoices.items()}
