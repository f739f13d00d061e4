"""What the Tryton connector books besides a plain payment: a reversal, a credit note
consumed against an invoice, and a payment whose shortfall is written off.

Each takes the form Tryton's own account_invoice model gives it, and each is booked once:
it first looks for its own earlier booking (by the bank reference in the move's
description) and books nothing when that is there.

* A reversal (a payment the bank returned, BT-113 taken back) is an opposite booking on the
  reversal's date: a move in the payment method's journal, with the move's ``origin`` the
  invoice and its ``description`` the reversal's bank reference, debiting the invoice's
  receivable account and crediting the payment method's account, posted and added to the
  invoice's payment lines, as a bank statement line would book it. A paid invoice is first
  unreconciled (``account.move.unreconcile_lines``), which makes it posted again. So
  ``amount_to_pay`` rises by the amount returned. A crash halfway is picked up where it
  stopped: the draft move is posted, the posted one linked.
* A credit note consumed against an invoice: the credit note's open receivable line becomes
  a payment line of the invoice (Tryton's "payment lines" of an invoice may hold another
  document's line), and when the invoice's lines then balance they are reconciled
  (``account.move.reconcile_lines``), so both end ``paid``. Tryton takes a credit note whole:
  consuming part of one is refused (a :class:`RecordError`), as is one the invoice cannot
  take.
* A write-off: the pay wizard with the ``writeoff`` choice and the company's first write-off
  method (``account.move.reconcile.write_off``), which books the payment and writes off the
  rest, settling the invoice. Refused unless payment plus write-off is exactly
  ``amount_to_pay``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from connectors._tryton_rpc import TrytonRpc, WizardStep
from connectors.base import DocumentRef, Payment
from connectors.errors import RecordError

__all__ = [
    "apply_credit",
    "credit_applied",
    "exact",
    "paid_amount",
    "reconcile_if_balanced",
    "reversal_booked",
    "reverse_payment",
    "write_off_steps",
]

_INVOICE_FIELDS = (
    "number",
    "state",
    "amount_to_pay",
    "currency.code",
    "currency.digits",
    "account",
    "party",
    "company",
    "lines_to_pay",
    "payment_lines",
)
_LINE_FIELDS = (
    "date",
    "debit",
    "credit",
    "amount_second_currency",
    "second_currency",
    "reconciliation",
    "move",
    "move.description",
    "move.state",
)


def paid_amount(line: Mapping[str, Any]) -> Decimal:
    """The amount a customer invoice's payment line pays (negative: money given back)."""
    if line.get("second_currency"):
        return -Decimal(line["amount_second_currency"])
    return Decimal(line["credit"]) - Decimal(line["debit"])


def invoice(rpc: TrytonRpc, ref: DocumentRef) -> dict[str, Any]:
    """The customer invoice or credit note ``ref`` points to, or a RecordError."""
    rows = (
        rpc.search_read(
            "account.invoice",
            [("id", "=", int(ref.record_id)), ("type", "=", "out")],
            limit=1,
            fields=_INVOICE_FIELDS,
        )
        if ref.record_id.isdigit()
        else []
    )
    if not rows:
        raise RecordError(
            ref.record_id, f"no customer invoice {ref.number} with id {ref.record_id!r}"
        )
    return rows[0]


def _lines(rpc: TrytonRpc, ids: list[int]) -> list[dict[str, Any]]:
    return rpc.read("account.move.line", ids, _LINE_FIELDS)


def _has(line: Mapping[str, Any], payment: Payment, sign: int) -> bool:
    description = (line.get("move.") or {}).get("description") or ""
    return (
        line["date"] == payment.paid_on
        and description == (payment.reference or "")
        and paid_amount(line) == sign * payment.amount
    )


def exact(ref: DocumentRef, row: Mapping[str, Any], payment: Payment) -> Payment:
    """``payment`` with its amount in the invoice currency's digits (Tryton refuses
    ``121.0000`` for a 2-digit currency); a RecordError when rounding would change it."""
    digits = (row.get("currency.") or {}).get("digits")
    if digits is None:
        return payment
    amount = payment.amount.quantize(Decimal(1).scaleb(-int(digits)))
    if amount != payment.amount:
        raise RecordError(
            ref.record_id,
            f"{payment.amount} has more digits than {row.get('number') or ref.number}'s "
            f"currency takes ({digits})",
        )
    return replace(payment, amount=amount)


def _check(ref: DocumentRef, row: Mapping[str, Any], payment: Payment) -> str:
    number: str = row["number"] or ref.number
    currency = (row.get("currency.") or {}).get("code")
    if payment.currency != currency:
        raise RecordError(ref.record_id, f"{payment.currency} booking for {number} in {currency}")
    if payment.amount <= 0:
        raise RecordError(ref.record_id, f"amount {payment.amount} is not positive")
    return number


# Reversal


def _reversal_moves(
    rpc: TrytonRpc, row: Mapping[str, Any], payment: Payment
) -> list[dict[str, Any]]:
    return rpc.search_read(
        "account.move",
        [
            ("origin", "=", f"account.invoice,{row['id']}"),
            ("description", "=", payment.reference or ""),
            ("date", "=", payment.paid_on),
            ("lines.account", "=", row["account"]),
        ],
        fields=("state", "lines"),
    )


def _receivable(rpc: TrytonRpc, row: Mapping[str, Any], move_id: int) -> dict[str, Any]:
    (line_id,) = rpc.search(
        "account.move.line", [("move", "=", move_id), ("account", "=", row["account"])]
    )
    (line,) = _lines(rpc, [line_id])
    return line


def _taken_lines(rpc: TrytonRpc, row: Mapping[str, Any], move_id: int) -> list[int] | None:
    """The invoice's payment lines reconciled against the reversal's move ``move_id``; None
    while that move is not posted and reconciled yet."""
    line = _receivable(rpc, row, move_id)
    if not line["reconciliation"] or (line.get("move.") or {}).get("state") != "posted":
        return None
    (reconciliation,) = rpc.read(
        "account.move.reconciliation", [line["reconciliation"]], ("lines",)
    )
    return [other for other in reconciliation["lines"] if other in row["payment_lines"]]


def reversal_booked(rpc: TrytonRpc, ref: DocumentRef, payment: Payment) -> bool:
    """Whether the reversal ``payment`` is booked: its posted move (origin the invoice,
    description its reference, on its date), its receivable line reconciled against the
    payment line it takes back, and that line no longer one of the invoice's payments."""
    row = invoice(rpc, ref)
    payment = exact(ref, row, payment)
    return any(
        _taken_lines(rpc, row, move["id"]) == [] for move in _reversal_moves(rpc, row, payment)
    )


def reverse_payment(
    rpc: TrytonRpc,
    ref: DocumentRef,
    payment: Payment,
    method: int,
    original: str | None = None,
) -> None:
    """Book the reversal of ``payment.amount`` on the invoice (see the module), once.

    ``original`` is the bank reference of the payment it takes back (the payment line's
    move description); without it, the one open payment line of that amount is taken."""
    row = invoice(rpc, ref)
    number = _check(ref, row, payment)
    payment = exact(ref, row, payment)
    moves = _reversal_moves(rpc, row, payment)
    taken_lines = _taken_lines(rpc, row, moves[0]["id"]) if moves else None
    if taken_lines is not None:  # booked; a crash may have come before the last step
        _release(rpc, ref, taken_lines)
        return
    if row["state"] not in ("posted", "paid"):
        raise RecordError(ref.record_id, f"invoice {number} is {row['state']}: cannot reverse")
    if row["state"] == "paid":
        reconciled = [
            line["id"] for line in _lines(rpc, row["lines_to_pay"]) if line["reconciliation"]
        ]
        rpc.run_wizard(
            "account.move.unreconcile_lines",
            ("account.move.line", reconciled[0]),
            (),
            record_id=ref.record_id,
            active_ids=reconciled,
            start_idempotent=False,
        )
    taken = _taken_back(rpc, ref, row, payment, original, number)
    if moves:
        move_id, state = moves[0]["id"], moves[0]["state"]
    else:
        move_id, state = _opposite_move(rpc, ref, row, payment, method), "draft"
    if state == "draft":
        rpc.model("account.move", "post", [move_id], record_id=ref.record_id)
    opposite = _receivable(rpc, row, move_id)
    rpc.run_wizard(
        "account.move.reconcile_lines",
        ("account.move.line", taken),
        (),
        record_id=ref.record_id,
        active_ids=[taken, opposite["id"]],
        start_idempotent=False,
    )
    _release(rpc, ref, [taken])


def _release(rpc: TrytonRpc, ref: DocumentRef, lines: list[int]) -> None:
    """Take the payment lines a reversal took back off the invoice: they pay it no more (and
    Tryton would count them against a new payment)."""
    if lines:
        rpc.model(
            "account.move.line",
            "write",
            lines,
            {"invoice_payment": None},
            record_id=ref.record_id,
        )


def _taken_back(
    rpc: TrytonRpc,
    ref: DocumentRef,
    row: Mapping[str, Any],
    payment: Payment,
    original: str | None,
    number: str,
) -> int:
    """The open payment line of the invoice that the reversal takes back."""
    candidates = [
        line
        for line in _lines(rpc, row["payment_lines"])
        if not line["reconciliation"] and paid_amount(line) == payment.amount
    ]
    if original is not None:
        named = [
            line
            for line in candidates
            if ((line.get("move.") or {}).get("description") or "") == original
        ]
        candidates = named or candidates
    if len(candidates) != 1:
        what = "no" if not candidates else f"{len(candidates)}"
        raise RecordError(
            ref.record_id,
            f"{what} open payment lines of {payment.amount} on {number} for the reversal "
            f"{payment.reference} to take back: undo the payment in Tryton",
        )
    return int(candidates[0]["id"])


def _opposite_move(
    rpc: TrytonRpc, ref: DocumentRef, row: Mapping[str, Any], payment: Payment, method: int
) -> int:
    """A draft move on the reversal's date: receivable debited, the payment method's
    account credited, origin the invoice, description the reversal's bank reference."""
    (pay_method,) = rpc.read(
        "account.invoice.payment.method", [method], ("journal", "credit_account")
    )
    periods = rpc.search(
        "account.period",
        [
            ("company", "=", row["company"]),
            ("start_date", "<=", payment.paid_on),
            ("end_date", ">=", payment.paid_on),
            ("type", "=", "standard"),
            ("state", "=", "open"),
        ],
        limit=1,
    )
    if not periods:
        raise RecordError(ref.record_id, f"Tryton has no open period on {payment.paid_on}")
    amount = payment.amount
    receivable = {"account": row["account"], "party": row["party"], "debit": amount}
    bank = {"account": pay_method["credit_account"], "credit": amount}
    (move_id,) = rpc.model(
        "account.move",
        "create",
        [
            {
                "journal": pay_method["journal"],
                "period": periods[0],
                "date": payment.paid_on,
                "origin": f"account.invoice,{row['id']}",
                "description": payment.reference or "",
                "company": row["company"],
                "lines": [
                    (
                        "create",
                        [
                            {"credit": Decimal(0), **receivable},
                            {"debit": Decimal(0), **bank},
                        ],
                    )
                ],
            }
        ],
        record_id=ref.record_id,
    )
    return int(move_id)


# Credit note consumed against an invoice


def _open_credit_line(rpc: TrytonRpc, note: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [line for line in _lines(rpc, note["lines_to_pay"]) if not line["reconciliation"]]


def credit_applied(rpc: TrytonRpc, credit: DocumentRef, target: DocumentRef) -> bool:
    """Whether the credit note's receivable line is a payment line of the invoice already,
    and reconciled with it when that balances the invoice (a crash between the two leaves
    the credit note open in Tryton: not applied yet)."""
    note, row = invoice(rpc, credit), invoice(rpc, target)
    return bool(set(note["lines_to_pay"]) & set(row["payment_lines"])) and not _unreconciled(
        rpc, row
    )


def apply_credit(
    rpc: TrytonRpc, credit: DocumentRef, target: DocumentRef, payment: Payment
) -> None:
    """Consume the credit note ``credit`` (``payment.amount`` of it) against ``target``."""
    note, row = invoice(rpc, credit), invoice(rpc, target)
    name = _check(credit, note, payment)
    number = _check(target, row, payment)
    payment = exact(target, row, payment)
    if set(note["lines_to_pay"]) & set(row["payment_lines"]):  # added; reconciled too?
        reconcile_if_balanced(rpc, target)
        return
    if note["state"] != "posted" or Decimal(note["amount_to_pay"]) >= 0:
        raise RecordError(credit.record_id, f"credit note {name} is {note['state']}, not open")
    left = -Decimal(note["amount_to_pay"])
    open_lines = _open_credit_line(rpc, note)
    if left != payment.amount or len(open_lines) != 1:
        raise RecordError(
            credit.record_id,
            f"{payment.amount} of credit note {name} (open {left}) against {number}: "
            "Tryton takes a credit note against an invoice only whole; book it in Tryton",
        )
    if row["state"] != "posted" or Decimal(row["amount_to_pay"]) < payment.amount:
        raise RecordError(
            target.record_id,
            f"invoice {number} ({row['state']}, {row['amount_to_pay']} to pay) cannot take "
            f"{payment.amount} of credit note {name}",
        )
    rpc.model(
        "account.invoice",
        "write",
        [row["id"]],
        {"payment_lines": [("add", [open_lines[0]["id"]])]},
        record_id=target.record_id,
    )
    reconcile_if_balanced(rpc, target)


def _unreconciled(rpc: TrytonRpc, row: Mapping[str, Any]) -> list[int]:
    """The invoice's open lines to pay and payment lines when they balance it (nothing left
    to pay) but are not reconciled yet; else none."""
    if row["state"] != "posted" or Decimal(row["amount_to_pay"]) != 0:
        return []
    return [
        line["id"]
        for line in _lines(rpc, [*row["lines_to_pay"], *row["payment_lines"]])
        if not line["reconciliation"]
    ]


def reconcile_if_balanced(rpc: TrytonRpc, target: DocumentRef) -> None:
    """Reconcile the invoice's open lines to pay and payment lines when they balance."""
    ids = _unreconciled(rpc, invoice(rpc, target))
    if ids:
        rpc.run_wizard(
            "account.move.reconcile_lines",
            ("account.move.line", ids[0]),
            (),
            record_id=target.record_id,
            active_ids=ids,
            start_idempotent=False,
        )


# Write-off


def write_off_steps(payment: Payment, method: int, writeoff: int) -> tuple[WizardStep, ...]:
    """The pay wizard's steps for ``payment`` with the rest written off by ``writeoff``."""
    start = {
        "amount": payment.amount,
        "payment_method": method,
        "date": payment.paid_on,
        "description": payment.reference or "",
    }
    return (
        WizardStep("choice", lambda form: {**form, **start}),
        WizardStep("pay", lambda form: {**form, "type": "writeoff", "writeoff": writeoff}),
    )
