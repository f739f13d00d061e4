"""Pushing status and payments back to a real trytond 8.2 (tests/tryton demo database).

INV-1 (id 1) is paid, INV-3 (id 3) has 353.41 open. A test that writes gets a server of its
own over a fresh copy of the template (``fresh``), so the tests pass in any order; the
module's shared server (``tryton``) only serves tests that read or are refused.

A payment is booked once, even when the answer to the pay step is lost: the fault proxy
(support.fault_proxy) lets the step reach Tryton, which books it, and keeps the answer from
the connector until its read timeout gives up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from support.fake_clock import FakeClock
from support.fault_proxy import Exchange, running_proxy
from tryton.server import TrytonServer, run_server

from connectors.base import Capability, DocumentRef, Payment, StatusUpdate
from connectors.base import DocumentStatus as Status
from connectors.errors import OutcomeUnknown, RecordError
from connectors.http import HttpClient, RetryPolicy
from connectors.tryton import TrytonConnector

INV_1 = DocumentRef(record_id="1", number="INV-1")
INV_3 = DocumentRef(record_id="3", number="INV-3")
UBL = b'<?xml version="1.0"?>\n<Invoice><cbc:ID>INV-3</cbc:ID></Invoice>\n'
PAID_ON = dt.date(2026, 11, 23)
READ_TIMEOUT = 2.0  # seconds the connector waits for an answer behind the fault proxy


def connect(
    server: TrytonServer,
    url: str | None = None,
    *,
    attempts: int = 1,
    clock: FakeClock | None = None,
    timeout: float = 30.0,
) -> TrytonConnector:
    policy = RetryPolicy(attempts=attempts, clock=clock or FakeClock())
    http = HttpClient(url or server.url, retry=policy, timeout=timeout)
    password = SecretStr(server.password)
    return TrytonConnector(server.url, server.database, server.username, password, http=http)


@pytest.fixture(scope="module")
def tryton(tryton_server: TrytonServer) -> Iterator[TrytonConnector]:
    with connect(tryton_server) as connector:
        yield connector


@pytest.fixture
def fresh_server(tryton_template: Path, tmp_path: Path) -> Iterator[TrytonServer]:
    """A server of this test's own, over a fresh copy of the demo database."""
    with run_server(tryton_template, tmp_path / "tryton") as server:
        yield server


@pytest.fixture
def fresh(fresh_server: TrytonServer) -> Iterator[TrytonConnector]:
    with connect(fresh_server) as connector:
        yield connector


def on_invoice(tryton: TrytonConnector, model: str, fields: tuple[str, ...]) -> list[Any]:
    return tryton.rpc.search_read(model, [("resource", "=", "account.invoice,3")], fields=fields)


def invoice(tryton: TrytonConnector, record_id: int) -> dict[str, Any]:
    (row,) = tryton.rpc.read(
        "account.invoice", [record_id], ("state", "amount_to_pay", "payment_lines")
    )
    return row


def pay(amount: str, reference: str | None = "bank 42") -> Payment:
    return Payment(amount=Decimal(amount), currency="EUR", paid_on=PAID_ON, reference=reference)


def test_pushes_are_offered(tryton: TrytonConnector) -> None:
    assert {Capability.PUSH_STATUS, Capability.PUSH_PAYMENT} <= tryton.capabilities


# Status


def test_a_status_with_ubl_is_a_note_and_an_attachment_on_the_invoice(
    fresh: TrytonConnector,
) -> None:
    fresh.push_status(INV_3, StatusUpdate(status=Status.DELIVERED, message="AS4 ok", ubl=UBL))
    notes = on_invoice(fresh, "ir.note", ("message",))
    assert [note["message"] for note in notes] == ["ledgerlink: delivered: AS4 ok"]
    (attachment,) = on_invoice(fresh, "ir.attachment", ("name", "data"))
    assert attachment["name"] == "INV-3.xml"
    assert attachment["data"] == UBL


def test_pushing_a_status_again_duplicates_neither_note_nor_attachment(
    fresh: TrytonConnector,
) -> None:
    fresh.push_status(INV_3, StatusUpdate(status=Status.DELIVERED, message="AS4 ok", ubl=UBL))
    newer = UBL.replace(b"</Invoice>", b"<!-- resent --></Invoice>")
    status = StatusUpdate(status=Status.DELIVERED, message="AS4 ok", ubl=newer)
    fresh.push_status(INV_3, status)
    fresh.push_status(INV_3, status)
    assert len(on_invoice(fresh, "ir.note", ("message",))) == 1
    (attachment,) = on_invoice(fresh, "ir.attachment", ("name", "data"))
    assert attachment["data"] == newer


def test_a_new_status_adds_a_note(fresh: TrytonConnector) -> None:
    fresh.push_status(INV_3, StatusUpdate(status=Status.DELIVERED, message="AS4 ok", ubl=UBL))
    fresh.push_status(INV_3, StatusUpdate(status=Status.ACCEPTED))
    messages = {note["message"] for note in on_invoice(fresh, "ir.note", ("message",))}
    assert messages == {"ledgerlink: delivered: AS4 ok", "ledgerlink: accepted"}
    assert len(on_invoice(fresh, "ir.attachment", ("name",))) == 1


def test_an_unknown_invoice_is_a_record_error(tryton: TrytonConnector) -> None:
    with pytest.raises(RecordError, match="no customer invoice INV-999"):
        tryton.push_status(
            DocumentRef(record_id="999", number="INV-999"), StatusUpdate(status=Status.SENT)
        )


# Payments


def test_a_partial_payment_lowers_amount_to_pay_by_exactly_its_amount(
    fresh: TrytonConnector,
) -> None:
    before = invoice(fresh, 3)
    assert (before["state"], before["amount_to_pay"]) == ("posted", Decimal("353.41"))
    fresh.push_payment(INV_3, pay("100.00"))
    after = invoice(fresh, 3)
    assert after["amount_to_pay"] == Decimal("253.41")
    assert after["state"] == "posted"
    assert len(after["payment_lines"]) == len(before["payment_lines"]) + 1


def test_paying_the_rest_settles_the_invoice_and_paying_again_is_refused(
    fresh: TrytonConnector,
) -> None:
    fresh.push_payment(INV_3, pay("100.00"))
    fresh.push_payment(INV_3, pay("253.41", reference="bank 43"))
    after = invoice(fresh, 3)
    assert (after["state"], after["amount_to_pay"]) == ("paid", Decimal("0"))
    with pytest.raises(RecordError, match="INV-3 is already paid"):
        fresh.push_payment(INV_3, pay("1.00", reference="bank 44"))


@pytest.mark.parametrize("reference", ["bank 42", None], ids=["reference", "no-reference"])
def test_pushing_the_same_payment_again_books_nothing(
    fresh: TrytonConnector, reference: str | None
) -> None:
    fresh.push_payment(INV_3, pay("100.00", reference))
    booked = invoice(fresh, 3)
    fresh.push_payment(INV_3, pay("100.00", reference))
    assert invoice(fresh, 3) == booked
    assert booked["amount_to_pay"] == Decimal("253.41") and len(booked["payment_lines"]) == 1


def test_a_payment_differing_in_reference_date_or_amount_is_booked(
    fresh: TrytonConnector,
) -> None:
    first = pay("100.00")
    fresh.push_payment(INV_3, first)
    fresh.push_payment(INV_3, pay("100.00", reference="bank 43"))
    fresh.push_payment(INV_3, Payment(**{**vars_of(first), "paid_on": PAID_ON.replace(day=24)}))
    fresh.push_payment(INV_3, pay("50.00"))
    after = invoice(fresh, 3)
    assert after["amount_to_pay"] == Decimal("353.41") - Decimal("350.00")
    assert len(after["payment_lines"]) == 4


def vars_of(payment: Payment) -> dict[str, Any]:
    return {name: getattr(payment, name) for name in ("amount", "currency", "paid_on", "reference")}


def wizard_step(state: str) -> Any:
    """A proxy predicate: the pay wizard executing ``state`` (the button pressed)."""

    def picks(exchange: Exchange) -> bool:
        body = exchange.json() or {}
        params = body.get("params") or []
        return (
            body.get("method") == "wizard.account.invoice.pay.execute"
            and len(params) > 2
            and params[2] == state
        )

    return picks


@pytest.mark.parametrize(
    ("amount", "state", "to_pay"),
    [("100.00", "pay", "253.41"), ("353.41", "choice", "0")],
    ids=["partial-pay-step", "full-choice-step"],
)
def test_a_timeout_after_tryton_booked_the_payment_books_it_once(
    fresh_server: TrytonServer, amount: str, state: str, to_pay: str
) -> None:
    """The pay step reaches Tryton, which books it; the answer is lost and the connector's
    read timeout gives up. The connector does not repeat the step: the outcome is unknown.
    Pushing the same payment again, as the sync engine will, finds it booked."""
    clock = FakeClock()
    with (
        running_proxy(fresh_server.url) as proxy,
        connect(
            fresh_server, proxy.url, attempts=3, clock=clock, timeout=READ_TIMEOUT
        ) as connector,
    ):
        connector.rpc.login()
        lost = proxy.lose_reply(when=wizard_step(state))
        with pytest.raises(OutcomeUnknown, match="unknown") as raised:
            connector.push_payment(INV_3, pay(amount))
        assert lost.forwarded.wait(30), "the pay step never reached Tryton"
        after = invoice(connector, 3)
        assert after["amount_to_pay"] == Decimal(to_pay)
        assert len(after["payment_lines"]) == 1

        connector.push_payment(INV_3, pay(amount))
        assert invoice(connector, 3) == after

    assert raised.value.status is None and "/demo/rpc/" in raised.value.request
    steps = [exchange for exchange in proxy.exchanges if wizard_step(state)(exchange)]
    assert [(step.lost, step.status) for step in steps] == [(True, 200)]  # sent once
    assert clock.sleeps == []


def test_an_overpayment_is_refused_and_books_nothing(tryton: TrytonConnector) -> None:
    with pytest.raises(RecordError, match=r"exceeds the 353\.41 left to pay on INV-3") as refused:
        tryton.push_payment(INV_3, pay("353.42"))
    assert refused.value.record_id == "3"
    assert invoice(tryton, 3)["amount_to_pay"] == Decimal("353.41")


def test_a_payment_in_another_currency_is_refused(tryton: TrytonConnector) -> None:
    other = Payment(amount=Decimal("10"), currency="USD", paid_on=PAID_ON)
    with pytest.raises(RecordError, match="USD"):
        tryton.push_payment(INV_3, other)


def test_paying_a_paid_invoice_is_a_record_error(tryton: TrytonConnector) -> None:
    with pytest.raises(RecordError, match="INV-1 is already paid"):
        tryton.push_payment(INV_1, pay("1.00"))
