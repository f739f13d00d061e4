"""What an invoice's payment lines say it was paid in Tryton, for the store to learn the
payments ledgerlink did not book (:mod:`sync.source_payments`).

Tryton's ``amount_to_pay`` of a posted invoice is its open lines to pay less its open
payment lines (``account.move.line`` with ``invoice_payment`` the invoice): each payment
line is one payment booked on it, by the pay wizard of a bookkeeper, by a bank statement, or
by ledgerlink (whose lines carry the bank reference as the move's description; the caller
tells them apart). A line of another invoice's move among the payment lines is a credit note
netted against the invoice: it is reported with that credit note's record id.

A paid invoice's lines are reconciled and Tryton's ``amount_to_pay`` is zero; its payment
lines are reported all the same, so they add up to what was paid. What settles an invoice
without a payment line (its receivable line reconciled by hand against some other line, a
write-off in Tryton) is not reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors._tryton_rpc import TrytonRpc
from connectors.base import DocumentRef

__all__ = ["SourcePayment", "paid_at_source", "payment_lines"]

_BATCH = 500
"""Invoices asked about in one search."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SourcePayment:
    """One payment line of an invoice in the source (BT-113 paid amount, in BT-5 currency)."""

    line_id: str
    """The source's id of the line (``account.move.line``)."""
    amount: Decimal
    """What it pays of the invoice (negative: money given back, or a credit note's refund)."""
    paid_on: dt.date
    """The line's date."""
    reference: str | None
    """The move's description (the bank reference where ledgerlink or a statement booked
    it), None when empty."""
    credit_note: str | None = None
    """The record id of the credit note whose line this is, when it is one netted against
    the invoice, else None."""


def _credit_note(origin: Any, invoice_id: int) -> str | None:
    """The other invoice a line's move comes from (``account.invoice,N``), or None."""
    if not isinstance(origin, str) or not origin.startswith("account.invoice,"):
        return None
    other = origin.partition(",")[2]
    return other if other.isdigit() and int(other) != invoice_id else None


def paid_at_source(rpc: TrytonRpc, refs: Sequence[DocumentRef]) -> dict[str, list[SourcePayment]]:
    """Each customer invoice or credit note of ``refs`` that Tryton holds (by record id),
    with its payment lines; an id Tryton does not hold is left out."""
    wanted = sorted({int(ref.record_id) for ref in refs if ref.record_id.isdigit()})
    found: dict[str, list[SourcePayment]] = {}
    for start in range(0, len(wanted), _BATCH):
        held = rpc.search(
            "account.invoice", [("id", "in", wanted[start : start + _BATCH]), ("type", "=", "out")]
        )
        found |= {str(invoice_id): [] for invoice_id in held}
        for invoice_id, lines in payment_lines(rpc, held).items():
            found[str(invoice_id)] = lines
    return found


def payment_lines(rpc: TrytonRpc, invoice_ids: Sequence[int]) -> dict[int, list[SourcePayment]]:
    """The payment lines of the invoices ``invoice_ids`` that have any, by invoice id."""
    from connectors.tryton_settle import paid_amount

    if not invoice_ids:
        return {}
    rows = rpc.search_read(
        "account.move.line",
        [("invoice_payment", "in", list(invoice_ids))],
        fields=(
            "date",
            "debit",
            "credit",
            "amount_second_currency",
            "second_currency",
            "invoice_payment",
            "move.description",
            "move.origin",
        ),
    )
    found: dict[int, list[SourcePayment]] = {}
    for row in rows:
        invoice_id = int(row["invoice_payment"])
        move = row.get("move.") or {}
        found.setdefault(invoice_id, []).append(
            SourcePayment(
                line_id=str(row["id"]),
                amount=paid_amount(row),
                paid_on=row["date"],
                reference=move.get("description") or None,
                credit_note=_credit_note(move.get("origin"), invoice_id),
            )
        )
    return found
