"""``ledgerlink reconcile``: match bank bookings to open invoices (issue 16, sections 2 and 4).

Store-free mode, for evaluation and CI::

    ledgerlink reconcile --invoices DIR --statement FILE [--statement FILE...] --format json

DIR holds the open documents as UBL Invoice/CreditNote files (``*.xml``), each open for its
full BT-115 Amount due for payment. Each statement file is read with
:func:`reconcile.statements.read_statements`. ``json`` prints exactly one object::

    {"entries": {BANK_REF: [{"invoice": NUMBER, "amount": "12.34", "stage": str,
                              "confidence": float}]},
     "unmatched": [BANK_REF], "open": {NUMBER: "0.00"}}

BANK_REF is the booking's bank reference (camt ``AcctSvcrRef``, MT940 the bank reference).
A booking without one is keyed ``ACCOUNT/STATEMENT_ID/ENTRY`` (the statement's account, its
id or ``-``, the 1-based entry number); a key met a second time gets ``#2``, ``#3``... A batch
child is filed under its parent's key. ``amount`` is the signed reduction of the document's
open amount (negative for a credit note consumed or a reversal), ``open`` each document's
amount still open afterwards. Only what was applied automatically is in ``entries``.
``text`` prints each match with its stage, reason and confidence, then the unmatched with
their suggestions. Nothing is stored in this mode, so ``--dry-run`` changes nothing.

Store mode (:mod:`ledgerlink.reconcile_store`): ``ledgerlink reconcile [--dry-run]
[--format text|json] [--store URL]`` matches every booking ``statements import`` stored that
has no match yet against the store's open documents, records the matches as events and
pushes each applied payment back to its source once; ``--dry-run`` stores and pushes
nothing. ``ledgerlink reconcile confirm BANK_REF NUMBER...`` applies a booking by hand.

Exit codes: 0 done, 1 a file that cannot be read, 2 a usage error.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ledgerlink._output import fail
from ledgerlink.store_command import StoreOption

if TYPE_CHECKING:
    from reconcile.matching import MatchPolicy, Outcome
    from reconcile.open_items import OpenItem
    from reconcile.transaction import Statement, Transaction

__all__ = ["app", "booking_key", "outcome_json", "reconcile"]

app = typer.Typer(
    invoke_without_command=True,
    help="Match bank bookings to open invoices: store-free with --invoices/--statement.",
)

_CENT = Decimal("0.01")


@app.callback()
def reconcile(
    ctx: typer.Context,
    invoices: Annotated[
        Path | None,
        typer.Option("--invoices", help="Directory of open documents as UBL (store-free mode)."),
    ] = None,
    statement: Annotated[
        list[Path] | None,
        typer.Option("--statement", help="Bank statement (camt.053/054, MT940); repeatable."),
    ] = None,
    format_: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Match and print, store nothing.")
    ] = False,
    tolerance: Annotated[
        str | None,
        typer.Option(
            "--tolerance",
            help="Accepted underpayment: an amount (2.50) or a percentage (0.5%).",
        ),
    ] = None,
    write_off: Annotated[
        bool, typer.Option("--write-off", help="Write off a shortfall within tolerance.")
    ] = False,
    store: StoreOption = None,
) -> None:
    """Match bank bookings to open invoices and print the matches and the unmatched."""
    if ctx.invoked_subcommand is not None:
        return
    if format_ not in ("text", "json"):
        fail(f"--format must be text or json, not {format_!r}", 2)
    statements = statement or []
    if invoices is None and not statements:
        from ledgerlink.reconcile_store import store_mode

        store_mode(
            ctx, store, _policy(tolerance, write_off), dry_run=dry_run, as_json=format_ == "json"
        )
        return
    if invoices is None or not statements:
        fail("--invoices and --statement go together (store-free mode)", 2)
    del dry_run  # store-free: nothing is stored either way
    policy = _policy(tolerance, write_off)
    items = _open_items(invoices)
    bookings = _bookings(statements)

    from reconcile.matching import match

    outcome = match(bookings, items, policy)
    if format_ == "json":
        typer.echo(json.dumps(outcome_json(outcome), indent=2))
    else:
        _print_text(outcome)


def _policy(tolerance: str | None, write_off: bool) -> MatchPolicy:
    from decimal import InvalidOperation

    from reconcile.matching import MatchPolicy

    if tolerance is None:
        return MatchPolicy(write_off=write_off)
    text = tolerance.strip()
    try:
        value = Decimal(text.rstrip("%").strip())
    except InvalidOperation:
        fail(f"--tolerance {tolerance!r}: give an amount (2.50) or a percentage (0.5%)", 2)
    if value < 0:
        fail(f"--tolerance {tolerance!r} must not be negative", 2)
    if text.endswith("%"):
        return MatchPolicy(tolerance_percent=value, write_off=write_off)
    return MatchPolicy(tolerance_amount=value, write_off=write_off)


def _open_items(directory: Path) -> list[OpenItem]:
    import ubl
    from reconcile.open_items import open_item

    if not directory.is_dir():
        fail(f"--invoices {directory}: not a directory", 2)
    items: list[OpenItem] = []
    seen: dict[str, Path] = {}
    for path in sorted(directory.glob("*.xml")):
        try:
            document = ubl.parse(path).document
        except ubl.UblError as failure:
            fail(f"{path}: {failure}", 1)
        if document.number in seen:
            fail(f"{path}: invoice number {document.number} is also in {seen[document.number]}", 1)
        seen[document.number] = path
        items.append(open_item(document, source_id=path.name))
    return items


def booking_key(statement: Statement, transaction: Transaction) -> str:
    """The key of a booking: its bank reference, else ``ACCOUNT/STATEMENT_ID/ENTRY``."""
    if transaction.bank_reference:
        return transaction.bank_reference
    return f"{statement.account}/{statement.statement_id or '-'}/{transaction.entry}"


def _bookings(paths: list[Path]) -> dict[str, Transaction]:
    try:
        from reconcile.statements import read_statements
    except ImportError:  # pragma: no cover - the readers ship with reconcile.statements
        fail("reading bank statements needs the statement readers (reconcile.statements)", 2)
    bookings: dict[str, Transaction] = {}
    for path in paths:
        if not path.is_file():
            fail(f"--statement {path}: no such file", 2)
        try:
            for read in read_statements(path):
                for transaction in read.transactions:
                    key = base = booking_key(read, transaction)
                    count = 1
                    while key in bookings:
                        count += 1
                        key = f"{base}#{count}"
                    bookings[key] = transaction
        except (ValueError, OSError) as failure:
            fail(f"{path}: {failure}", 1)
    return bookings


def _money(amount: Decimal) -> str:
    return str(amount.quantize(_CENT))


def outcome_json(outcome: Outcome) -> dict[str, object]:
    """The JSON object of the store-free mode (see the module docstring)."""
    entries: dict[str, list[dict[str, object]]] = {}
    for found in outcome.matches:
        rows = entries.setdefault(found.bank_reference, [])
        for allocation in found.allocations:
            rows.append(
                {
                    "invoice": allocation.invoice,
                    "amount": _money(allocation.amount),
                    "stage": str(found.stage),
                    "confidence": round(found.confidence, 4),
                }
            )
    unmatched = list(dict.fromkeys(u.bank_reference for u in outcome.unmatched))
    return {
        "entries": entries,
        "unmatched": unmatched,
        "open": {number: _money(amount) for number, amount in outcome.open.items()},
    }


def _print_text(outcome: Outcome) -> None:
    for found in outcome.matches:
        applied = ", ".join(f"{outcome.label(a)} {_money(a.amount)}" for a in found.allocations)
        typer.echo(f"{found.bank_reference}  {found.stage}  {found.confidence:.2f}  {applied}")
        typer.echo(f"    {found.reason}")
    if outcome.unmatched:
        typer.echo(f"unmatched: {len(outcome.unmatched)}")
    for entry in outcome.unmatched:
        tx = entry.transaction
        who = tx.counterparty.name if tx.counterparty and tx.counterparty.name else ""
        typer.echo(f"{entry.bank_reference}  {_money(tx.amount)} {tx.currency}  {who}  {tx.text}")
        for suggestion in entry.suggestions:
            shown = ", ".join(
                f"{outcome.label(a)} {_money(a.amount)}" for a in suggestion.allocations
            )
            typer.echo(
                f"    suggest {shown}  ({suggestion.stage}, {suggestion.confidence:.2f}: "
                f"{suggestion.reason})"
            )
    still_open = sum((v for v in outcome.open.values() if v > 0), Decimal(0))
    typer.echo(
        f"open after matching: {_money(still_open)} over "
        f"{sum(1 for v in outcome.open.values() if v > 0)} documents"
    )


@app.command("confirm")
def confirm(
    ctx: typer.Context,
    bank_reference: Annotated[str, typer.Argument(metavar="BANK_REF", help="The booking.")],
    numbers: Annotated[list[str], typer.Argument(metavar="NUMBER...", help="Invoice numbers.")],
    store: StoreOption = None,
) -> None:
    """Apply a stored booking to the documents NUMBER... by hand (stage manual)."""
    from ledgerlink.reconcile_store import confirm_mode

    confirm_mode(ctx, store, bank_reference, numbers)
