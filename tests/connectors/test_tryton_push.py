"""Pushing status and payments back to a real trytond 8.2 (tests/tryton demo database).

The module gets its own server copy; the tests run in file order and build on each
other: INV-3 (353.41 open, id 3) is paid in two parts, INV-1 (id 1) is already paid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr
from tryton.server import TrytonServer

from connectors.base import Capability, DocumentRef, Payment, StatusUpdate
from connectors.base import DocumentStatus as Status
from connectors.errors import RecordError
from connectors.http import HttpClient, RetryPolicy
from connectors.tryton import TrytonConnector

INV_1 = DocumentRef(record_id="1", number="INV-1")
INV_3 = DocumentRef(record_id="3", number="INV-3")
UBL = b'<?xml version="1.0"?>\n<Invoice><cbc:ID>INV-3</cbc:ID></Invoice>\n'
PAID_ON = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def tryton(tryton_server: TrytonServer) -> Iterator[TrytonConnector]:
    http = HttpClient(tryton_server.url, retry=RetryPolicy(attempts=1))
    with TrytonConnector(
        tryton_server.url,
        tryton_server.database,
        tryton_server.username,
        SecretStr(tryton_server.password),
        http=http,
    ) as connector:
        yield connector


def on_invoice(tryton: TrytonConnector, model: str, fields: tuple[str, ...]) -> list[Any]:
    return tryton.rpc.search_read(model, [("resource", "=", "account.invoice,3")], fields=fields)


def invoice(tryton: TrytonConnector, record_id: int) -> dict[str, Any]:
    (row,) = tryton.rpc.read(
        "account.invoice", [record_id], ("state", "amount_to_pay", "payment_lines")
    )
    return row


def pay(amount: str) -> Payment:
    return Payment(amount=Decimal(amount), currency="EUR", paid_on=PAID_ON, reference="bank 42")


def test_pushes_are_offered(tryton: TrytonConnector) -> None:
    assert {Capability.PUSH_STATUS, Capability.PUSH_PAYMENT} <= tryton.capabilities


def test_a_status_with_ubl_is_a_note_and_an_attachment_on_the_invoice(
    tryton: TrytonConnector,
) -> None:
    tryton.push_status(INV_3, StatusUpdate(status=Status.DELIVERED, message="AS4 ok", ubl=UBL))
    notes = on_invoice(tryton, "ir.note", ("message",))
    assert [note["message"] for note in notes] == ["ledgerlink: delivered: AS4 ok"]
    (attachment,) = on_invoice(tryton, "ir.attachment", ("name", "data"))
    assert attachment["name"] == "INV-3.xml"
    assert attachment["data"] == UBL


def test_pushing_a_status_again_duplicates_neither_note_nor_attachment(
    tryton: TrytonConnector,
) -> None:
    newer = UBL.replace(b"</Invoice>", b"<!-- resent --></Invoice>")
    status = StatusUpdate(status=Status.DELIVERED, message="AS4 ok", ubl=newer)
    tryton.push_status(INV_3, status)
    tryton.push_status(INV_3, status)
    assert len(on_invoice(tryton, "ir.note", ("message",))) == 1
    (attachment,) = on_invoice(tryton, "ir.attachment", ("name", "data"))
    assert attachment["data"] == newer


def test_a_new_status_adds_a_note(tryton: TrytonConnector) -> None:
    tryton.push_status(INV_3, StatusUpdate(status=Status.ACCEPTED))
    messages = {note["message"] for note in on_invoice(tryton, "ir.note", ("message",))}
    assert messages == {"ledgerlink: delivered: AS4 ok", "ledgerlink: accepted"}
    assert len(on_invoice(tryton, "ir.attachment", ("name",))) == 1


def test_a_partial_payment_lowers_amount_to_pay_by_exactly_its_amount(
    tryton: TrytonConnector,
) -> None:
    before = invoice(tryton, 3)
    assert (before["state"], before["amount_to_pay"]) == ("posted", Decimal("353.41"))
    tryton.push_payment(INV_3, pay("100.00"))
    after = invoice(tryton, 3)
    assert after["amount_to_pay"] == Decimal("253.41")
    assert after["state"] == "posted"
    assert len(after["payment_lines"]) == len(before["payment_lines"]) + 1


def test_an_overpayment_is_refused_and_books_nothing(tryton: TrytonConnector) -> None:
    with pytest.raises(RecordError, match=r"exceeds the 253\.41 left to pay on INV-3") as refused:
        tryton.push_payment(INV_3, pay("253.42"))
    assert refused.value.record_id == "3"
    assert invoice(tryton, 3)["amount_to_pay"] == Decimal("253.41")


def test_a_payment_in_another_currency_is_refused(tryton: TrytonConnector) -> None:
    other = Payment(amount=Decimal("10"), currency="USD", paid_on=PAID_ON)
    with pytest.raises(RecordError, match="USD"):
        tryton.push_payment(INV_3, other)


def test_paying_the_rest_settles_the_invoice(tryton: TrytonConnector) -> None:
    tryton.push_payment(INV_3, pay("253.41"))
    after = invoice(tryton, 3)
    assert (after["state"], after["amount_to_pay"]) == ("paid", Decimal("0"))


@pytest.mark.parametrize("document", [INV_1, INV_3], ids=["INV-1", "INV-3"])
def test_paying_a_paid_invoice_is_a_record_error(
    tryton: TrytonConnector, document: DocumentRef
) -> None:
    with pytest.raises(RecordError, match=f"{document.number} is already paid"):
        tryton.push_payment(document, pay("1.00"))


def test_an_unknown_invoice_is_a_record_error(tryton: TrytonConnector) -> None:
    with pytest.raises(RecordError, match="no customer invoice INV-999"):
        tryton.push_status(
            DocumentRef(record_id="999", number="INV-999"), StatusUpdate(status=Status.SENT)
        )
