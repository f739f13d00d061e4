"""How ``ledgerlink demo`` prints its reconciliation step (:mod:`ledgerlink.demo_reconcile`).

Per booking of the statement: its bank reference (AcctSvcrRef), the case it shows, amount
and payer, then each document it was applied to with the amount, stage and confidence and
the matcher's reason, or ``unmatched`` with the suggestions. Then the pushes back to the
source, and per document paid: its number (BT-1), amount due (BT-115), what the statement
paid of it and what is still open; last the total still open of these documents.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from ledgerlink.demo_reconcile import ReconcileResult

__all__ = ["show_reconciliation"]


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _say(console: Console, text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def show_reconciliation(result: ReconcileResult, console: Console) -> None:
    """Print the matches, the unmatched, the pushes and the open amounts."""
    if result.imported.error:
        return
    matched = {m.bank_reference: m for m in result.matches}
    unmatched = {u.bank_reference: u for u in result.unmatched}
    for booking in result.bookings:
        tx = booking.transaction
        key = tx.bank_reference or ""
        who = tx.counterparty.name if tx.counterparty and tx.counterparty.name else "-"
        _say(console, f"{key}  {_money(tx.amount)} {tx.currency}  {who}  ({booking.case})")
        if (done := matched.get(key)) is not None:
            applied = ", ".join(f"{a.invoice} {_money(a.amount)}" for a in done.allocations)
            _say(console, f"    applied to {applied}  ({done.stage}, {done.confidence:.2f})")
            _say(console, f"    {done.reason}")
        elif (entry := unmatched.get(key)) is not None:
            _say(console, "    unmatched")
            for suggestion in entry.suggestions:
                shown = ", ".join(f"{a.invoice} {_money(a.amount)}" for a in suggestion.allocations)
                _say(
                    console,
                    f"    suggest {shown}  ({suggestion.stage}, {suggestion.confidence:.2f}: "
                    f"{suggestion.reason})",
                )
    _say(
        console,
        f"{result.recorded} match events recorded; a second run recorded {result.again}",
    )
    pushed = result.pushed
    if pushed is not None:
        _say(
            console,
            f"pushed back to the source: {pushed.pushed} pushed, {pushed.found} found there, "
            f"{pushed.unsupported} not supported, {pushed.in_doubt} in doubt, "
            f"{pushed.failed} failed",
        )
        for problem in pushed.problems:
            _say(console, f"    {problem}")
    if not result.rows:
        return
    heading = ("number", "amount due", "paid", "open")
    cells = [
        (
            row.number,
            f"{_money(row.amount)} {row.currency}",
            _money(row.amount - row.open),
            f"{_money(row.open)} {row.currency}",
        )
        for row in result.rows
    ]
    widths = [max(len(line[i]) for line in [heading, *cells]) for i in range(len(heading))]

    def line(values: tuple[str, ...]) -> str:
        return "  ".join(
            value.ljust(width) if i == 0 else value.rjust(width)
            for i, (value, width) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    console.print(line(heading), style="bold", markup=False, highlight=False, soft_wrap=True)
    for values in cells:
        _say(console, line(values))
    owed = sum((r.open if r.kind == "invoice" else -r.open for r in result.rows), Decimal(0))
    currencies = ", ".join(sorted({r.currency for r in result.rows}))
    _say(
        console,
        f"still open of these {len(result.rows)} documents: {_money(owed)} {currencies} "
        "(a credit note's open amount counts against its buyer)",
    )
