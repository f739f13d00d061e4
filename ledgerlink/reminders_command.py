"""``ledgerlink reminders``: the reminder step each overdue invoice has reached (issue 17,
section 2).

Store-free mode, for evaluation and CI::

    ledgerlink reminders --invoices DIR [--statement FILE] --on DATE
                         --policy nl-b2b|nl-b2c|FILE [--format text|json|csv] [--due-today]

DIR holds the documents as UBL (read as ``ledgerlink reconcile --invoices`` reads them); a
statement, when given, is reconciled first as ``ledgerlink reconcile`` does, and what it
leaves open is what is reminded. Every invoice with an amount still open after its due date
(BT-9) is listed at the step its days overdue give (no reminder history), with the costs its
letter states and the statutory interest from the day after the due date to DATE. ``json``
prints exactly one object::

    {"on": DATE, "policy": str, "reminders": [{"invoice": NUMBER, "debtor": str,
      "due_date": DATE, "days_overdue": int, "step": str, "open": "12.34", "costs": "40.00",
      "interest": "1.23", "interest_periods": [{"from": DATE, "to": DATE, "rate": "10.15",
      "amount": "0.12"}]}]}

``step`` is ``none`` before the policy's first step. ``--due-today`` keeps the invoices whose
step is reached on DATE itself.

Store mode (without ``--invoices``, :mod:`ledgerlink.reminders_store`): the open invoices of
the store, each step fired once and recorded, paused and resumed with
``ledgerlink reminders pause|resume`` (:mod:`ledgerlink.reminders_pauses`).

Exit codes: 0 done, 1 a document or data file that cannot be used, 2 a usage error (a policy
that cannot be loaded included).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ledgerlink._output import fail, warn
from ledgerlink.store_command import StoreOption

if TYPE_CHECKING:
    from reconcile.open_items import OpenItem
    from reconcile.reminders import Policy, Reminder

__all__ = ["app", "print_reminders", "reminder_json", "reminders", "reminders_csv"]

_CENT = Decimal("0.01")
_FORMATS = ("text", "json", "csv")
_CSV_COLUMNS = (
    "invoice",
    "debtor",
    "due_date",
    "days_overdue",
    "step",
    "open",
    "costs",
    "interest",
    "pay_by",
)


app = typer.Typer(
    help="Reminder steps of overdue invoices: list and fire them; pause and resume invoices.",
    invoke_without_command=True,
)


@app.callback(invoke_without_command=True)
def reminders(
    ctx: typer.Context,
    invoices: Annotated[
        Path | None,
        typer.Option("--invoices", help="Directory of documents as UBL (store-free mode)."),
    ] = None,
    statement: Annotated[
        list[Path] | None,
        typer.Option("--statement", help="Bank statement reconciled first; repeatable."),
    ] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="The date to evaluate (YYYY-MM-DD); default today.")
    ] = None,
    policy: Annotated[
        str | None, typer.Option("--policy", help="nl-b2b, nl-b2c or a policy TOML file.")
    ] = None,
    format_: Annotated[str, typer.Option("--format", help="text, json or csv.")] = "text",
    due_today: Annotated[
        bool, typer.Option("--due-today", help="Only the steps reached on the date itself.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what fires, store and send nothing.")
    ] = False,
    store: StoreOption = None,
) -> None:
    """List overdue invoices with the reminder step reached, the costs and the interest.

    Without --invoices: the store's open invoices; each step that fires is recorded once
    and sent (webhook, e-mail) unless --dry-run."""
    if ctx.invoked_subcommand is not None:
        return
    if format_ not in _FORMATS:
        fail(f"--format must be text, json or csv, not {format_!r}", 2)
    if invoices is None:
        if statement:
            fail(
                "--statement needs --invoices (the store reconciles with `ledgerlink reconcile`)", 2
            )
        from ledgerlink.reminders_store import run_on_store

        run_on_store(ctx, store, _date(on), policy, format_, due_today=due_today, dry_run=dry_run)
        return
    del dry_run  # store-free: nothing is stored or sent either way
    if policy is None:
        fail("--policy is required: nl-b2b, nl-b2c or a policy TOML file", 2)
    day = _date(on)
    chosen = _load_policy(policy)
    items = _open_after_statements(invoices, statement or [])

    from reconcile.reminders import DataError, evaluate

    try:
        found, skipped = evaluate(items, day, chosen)
    except DataError as failure:
        fail(str(failure), 1)
    for entry in skipped:
        warn(f"{entry.number}: {entry.reason}: not evaluated")
    for reminder in found:
        if reminder.item.currency != "EUR" and reminder.costs:
            warn(
                f"{reminder.item.number}: currency {reminder.item.currency}: "
                "the costs are EUR amounts (WIK, art. 6:96 BW)"
            )
    if due_today:
        found = [reminder for reminder in found if reminder.fires_today]
    if format_ == "json":
        out = {
            "on": day.isoformat(),
            "policy": chosen.name,
            "reminders": [reminder_json(r) for r in found],
        }
        typer.echo(json.dumps(out, indent=2))
    elif format_ == "csv":
        typer.echo(reminders_csv(found), nl=False)
    else:
        _print_text(found, day, chosen)


def _date(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--on {text!r}: give a date as YYYY-MM-DD", 2)


def _load_policy(spec: str) -> Policy:
    from reconcile.reminders import DataError, load_policy

    try:
        return load_policy(spec)
    except DataError as failure:
        fail(f"--policy: {failure}", 2)


def _open_after_statements(directory: Path, statements: list[Path]) -> list[OpenItem]:
    """The documents of DIR, each open for what the statements leave of it (reconciled as
    ``ledgerlink reconcile --invoices DIR --statement FILE`` does)."""
    from ledgerlink.reconcile_command import _bookings, _open_items, _policy

    items = _open_items(directory)
    if not statements:
        return items
    from reconcile.matching import match

    outcome = match(_bookings(statements), items, _policy(None, False))
    return [replace(item, open=outcome.open.get(item.number, item.open)) for item in items]


def _money(amount: Decimal) -> str:
    return str(amount.quantize(_CENT))


def reminder_json(reminder: Reminder) -> dict[str, object]:
    """One entry of ``reminders`` in the JSON object (see the module docstring)."""
    return {
        "invoice": reminder.item.number,
        "debtor": reminder.item.debtor_name,
        "due_date": reminder.due_date.isoformat(),
        "days_overdue": reminder.days_overdue,
        "step": reminder.step_name,
        "open": _money(reminder.item.open),
        "costs": _money(reminder.costs),
        "interest": _money(reminder.interest.total),
        "interest_periods": reminder.interest.periods_json(),
    }


def _pay_by(reminder: Reminder) -> str:
    return reminder.letter.last_day_to_pay.isoformat() if reminder.letter else ""


def reminders_csv(
    found: Sequence[Reminder],
    extra: Sequence[str] = (),
    values: Sequence[Sequence[str]] = (),
) -> str:
    """The csv export: one row per reminder, ``extra`` columns (with their ``values`` per
    row) after the store-free ones."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*_CSV_COLUMNS, *extra])
    for index, r in enumerate(found):
        writer.writerow(
            [
                r.item.number,
                r.item.debtor_name,
                r.due_date.isoformat(),
                r.days_overdue,
                r.step_name,
                _money(r.item.open),
                _money(r.costs),
                _money(r.interest.total),
                _pay_by(r),
                *(values[index] if values else ()),
            ]
        )
    return buffer.getvalue()


def _print_text(found: list[Reminder], day: date, policy: Policy) -> None:
    print_reminders(
        found, f"reminders on {day.isoformat()}, policy {policy.name} ({policy.market})"
    )


def print_reminders(
    found: Sequence[Reminder], title: str, states: Sequence[tuple[str, str]] = ()
) -> None:
    """The text table; ``states`` (store mode): each row's state and why, shown under it."""
    typer.echo(title)
    header = ("invoice", "debtor", "due date", "days", "step", "open", "costs", "interest")
    rows = [
        (
            r.item.number,
            r.item.debtor_name,
            r.due_date.isoformat(),
            str(r.days_overdue),
            r.step_name,
            _money(r.item.open),
            _money(r.costs),
            _money(r.interest.total),
        )
        for r in found
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {3, 5, 6, 7}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ).rstrip()

    typer.echo(line(header))
    for index, (reminder, row) in enumerate(zip(found, rows, strict=True)):
        typer.echo(line(row))
        if states:
            state, why = states[index]
            typer.echo(f"    {state}: {why}")
        if reminder.letter is not None:
            letter = reminder.letter
            typer.echo(
                f"    14-day letter sent {letter.sent}, received {letter.received} (assumed): "
                f"pay {_money(letter.amount)} by {letter.last_day_to_pay}, else costs "
                f"{_money(letter.costs)} from {letter.costs_from}"
            )
    total = sum((r.item.open for r in found), Decimal(0))
    costs = sum((r.costs for r in found), Decimal(0))
    interest = sum((r.interest.total for r in found), Decimal(0))
    typer.echo(
        f"{len(found)} overdue: open {_money(total)}, costs {_money(costs)}, "
        f"interest {_money(interest)}"
    )


def _subcommands() -> None:
    from ledgerlink import reminders_pauses

    app.command("pause")(reminders_pauses.pause)
    app.command("resume")(reminders_pauses.resume)


_subcommands()
