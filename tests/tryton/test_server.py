"""The test server answers Tryton JSON-RPC and holds the demo data that builder.py promises."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from tryton.server import TrytonServer

POSTED_OUT = [["type", "=", "out"], ["state", "in", ["posted", "paid"]]]
FIELDS = ["number", "state", "party.name", "untaxed_amount", "tax_amount", "total_amount"]
FIELDS += ["amount_to_pay", "taxes", "reference"]


def decode(value: dict[str, Any]) -> Any:
    """Tryton's JSON encoding of Decimal and date (``{"__class__": ...}``)."""
    kind = value.get("__class__")
    if kind == "Decimal":
        return Decimal(value["decimal"])
    if kind == "date":
        return dt.date(value["year"], value["month"], value["day"])
    return value


class Rpc:
    """Just enough JSON-RPC for these checks; the connector has its own client."""

    def __init__(self, server: TrytonServer) -> None:
        self.client = httpx.Client(base_url=server.url, timeout=30)
        self.database = server.database
        self.calls = 0

    def call(self, method: str, *params: Any) -> Any:
        self.calls += 1
        body = {"id": self.calls, "method": method, "params": list(params)}
        response = self.client.post(f"/{self.database}/rpc/", json=body)
        response.raise_for_status()
        reply = response.json(object_hook=decode)
        assert not reply.get("error"), reply["error"]
        return reply["result"]

    def login(self, username: str, password: str) -> None:
        user_id, session, _bus = self.call(
            "common.db.login", username, {"password": password}, "en"
        )
        token = base64.b64encode(f"{username}:{user_id}:{session}".encode()).decode()
        self.client.headers["Authorization"] = f"Session {token}"


@pytest.fixture(scope="module")
def rpc(tryton_server: TrytonServer) -> Iterator[Rpc]:
    client = Rpc(tryton_server)
    client.login(tryton_server.username, tryton_server.password)
    yield client
    client.client.close()


@pytest.fixture(scope="module")
def invoices(rpc: Rpc) -> dict[str, dict[str, Any]]:
    rows = rpc.call(
        "model.account.invoice.search_read", POSTED_OUT, 0, None, [["id", "ASC"]], FIELDS, {}
    )
    return {row["number"]: row for row in rows}


def test_calls_without_a_session_are_refused(tryton_server: TrytonServer) -> None:
    body = {"id": 1, "method": "model.account.invoice.search", "params": [[], 0, None, None, {}]}
    response = httpx.post(f"{tryton_server.url}/{tryton_server.database}/rpc/", json=body)
    assert response.status_code == 401


def test_posted_documents_are_numbered_in_order(invoices: dict[str, dict[str, Any]]) -> None:
    assert list(invoices) == ["INV-1", "INV-2", "INV-3", "CN-1"]
    assert invoices["INV-1"]["party."]["name"] == "Klant B.V."
    assert invoices["INV-2"]["party."]["name"] == "Client SA"


def test_totals_mix_21_and_9_percent(invoices: dict[str, dict[str, Any]]) -> None:
    # INV-1: 10 consulting hours at 95.00 and travel 25.50 at 21%, 2 manuals at 42.50 at 9%.
    at_21, at_9 = 10 * Decimal("95.00") + Decimal("25.50"), 2 * Decimal("42.50")
    tax = (at_21 * Decimal("0.21")).quantize(Decimal("0.01")) + at_9 * Decimal("0.09")
    first = invoices["INV-1"]
    assert first["untaxed_amount"] == at_21 + at_9
    assert first["tax_amount"] == tax
    assert first["total_amount"] == at_21 + at_9 + tax
    for row in invoices.values():
        assert row["untaxed_amount"] + row["tax_amount"] == row["total_amount"]


def test_invoice_taxes_carry_unece_codes(rpc: Rpc, invoices: dict[str, dict[str, Any]]) -> None:
    def categories(number: str) -> set[tuple[str, str, Decimal]]:
        rows = rpc.call(
            "model.account.invoice.tax.read",
            invoices[number]["taxes"],
            ["tax.unece_code", "tax.unece_category_code", "tax.rate"],
            {},
        )
        return {
            (row["tax."]["unece_code"], row["tax."]["unece_category_code"], row["tax."]["rate"])
            for row in rows
        }

    assert categories("INV-1") == {("VAT", "S", Decimal("0.21")), ("VAT", "S", Decimal("0.09"))}
    assert categories("INV-2") == {("VAT", "AE", Decimal(0))}  # Belgian customer, reverse charge
    assert invoices["INV-2"]["tax_amount"] == 0


def test_one_credit_note_cancels_inv_3(invoices: dict[str, dict[str, Any]]) -> None:
    credit_notes = [number for number, row in invoices.items() if row["total_amount"] < 0]
    assert credit_notes == ["CN-1"]
    assert invoices["CN-1"]["total_amount"] == -invoices["INV-3"]["total_amount"]


def test_every_posted_document_carries_the_customers_po_number(
    invoices: dict[str, dict[str, Any]],
) -> None:
    references = {number: row["reference"] for number, row in invoices.items()}
    assert references == {
        "INV-1": "PO-1001",
        "INV-2": "PO-2001",
        "INV-3": "PO-1002",
        "CN-1": "PO-1002",  # the order of the invoice it credits
    }


def test_payments_show_in_amount_to_pay(invoices: dict[str, dict[str, Any]]) -> None:
    paid, partly, open_ = invoices["INV-1"], invoices["INV-2"], invoices["INV-3"]
    assert (paid["state"], paid["amount_to_pay"]) == ("paid", 0)
    assert partly["state"] == "posted"
    assert partly["amount_to_pay"] == partly["total_amount"] - Decimal("100.00")
    assert open_["amount_to_pay"] == open_["total_amount"]
