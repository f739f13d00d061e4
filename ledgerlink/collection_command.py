"""``ledgerlink collection export``: hand invoices over to a collection agency (issue 17,
section 4).

::

    ledgerlink collection export NUMBER... --to DIR [--on DATE] [--policy nl-b2b|nl-b2c|FILE]
                                 [--format text|json] [--store URL]

For each invoice past the policy's last step on DATE (default: today) it writes the dossier
of :mod:`ledgerlink.collection_dossier` to ``DIR/NUMBER/``: the UBL and a human-readable
copy, every reminder sent with its date and channel, the 14-day letter and its proof of
sending, the payments and matches, the costs and interest to DATE, the debtor's identifiers
and addresses, and ``summary.json``. The handover is then recorded in the store, so the
invoice's reminders stop and its state says it was handed over.

An invoice that cannot be handed over (unknown, ambiguous, settled, a credit note, not past
the last step) is reported and the others are still exported. ``json`` prints exactly one
object: ``{"exported": [{"invoice": NUMBER, "folder": PATH, "claim": "12.34"}], "failed":
[{"invoice": NUMBER, "error": str}]}``. Exit codes: 0 all exported, 1 any invoice failed,
2 a usage error or a store that cannot be used.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledgerlink._output import fail
from ledgerlink.store_command import StoreOption

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from ledgerlink.collection_dossier import SentLetter
    from reconcile.reminders import Policy, Reminder
    from sync.collection import Dossier

__all__ = ["app", "export"]

app = typer.Typer(
    help="Hand invoices past the last reminder step over to a collection agency.",
    no_args_is_help=True,
)

_FORMATS = ("text", "json")


def _day(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--on {text!r}: give a date as YYYY-MM-DD", 2)


def _policy(spec: str) -> Policy:
    from reconcile.reminders import DataError, load_policy

    try:
        return load_policy(spec)
    except DataError as failure:
        fail(f"--policy: {failure}", 2)


def _reached(dossier: Dossier, policy: Policy, on: date) -> Reminder:
    """The invoice's reminder on ``on``, which must be at the policy's last step."""
    from reconcile.reminders import evaluate
    from sync.collection import CollectionError

    found, skipped = evaluate([dossier.item], on, policy)
    number = dossier.item.number
    if skipped:
        raise CollectionError(f"invoice {number}: {skipped[0].reason}")
    last = policy.steps[-1]
    if not found or found[0].step != last:
        assert dossier.item.due_date is not None
        reached = found[0].step_name if found else "not overdue"
        when = dossier.item.due_date + timedelta(days=last.days)
        raise CollectionError(
            f"invoice {number}: at step {reached!r} on {on.isoformat()}; "
            f"the last step {last.name!r} is reached on {when.isoformat()}"
        )
    return found[0]


def _letters(conn: Connection, dossier: Dossier) -> list[SentLetter]:
    """The reminders sent for the invoice, as the store recorded them."""
    return []


def _export_one(
    conn: Connection, number: str, policy: Policy, on: date, target: Path
) -> dict[str, Any]:
    from ledgerlink.collection_dossier import summary, write_dossier
    from sync.collection import gather

    dossier = gather(conn, number)
    reminder = _reached(dossier, policy, on)
    letters = _letters(conn, dossier)
    data = summary(dossier, reminder, policy, letters, on)
    folder = write_dossier(target, dossier, data, letters)
    return {"invoice": number, "folder": str(folder), "claim": data["claim"]}


@app.command()
def export(
    ctx: typer.Context,
    numbers: Annotated[
        list[str], typer.Argument(metavar="NUMBER...", help="Invoice numbers (BT-1).")
    ],
    to: Annotated[Path, typer.Option("--to", help="Folder to write the dossiers in.")],
    on: Annotated[
        str | None, typer.Option("--on", help="Export date, YYYY-MM-DD (default: today).")
    ] = None,
    policy: Annotated[
        str, typer.Option("--policy", help="Reminder policy: nl-b2b, nl-b2c or a TOML file.")
    ] = "nl-b2b",
    output: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    store: StoreOption = None,
) -> None:
    """Write a collection dossier for each invoice past the policy's last step."""
    if output not in _FORMATS:
        fail(f"--format {output!r}: choose one of {', '.join(_FORMATS)}", 2)
    day = _day(on)
    chosen = _policy(policy)
    from ledgerlink.store_command import checked_store
    from sync.collection import CollectionError

    opened = checked_store(ctx, store)
    exported: list[dict[str, Any]] = []
    failed: list[dict[str, str]] = []
    for number in numbers:
        try:
            with opened.begin() as conn:
                exported.append(_export_one(conn, number, chosen, day, to))
        except (CollectionError, OSError) as failure:
            failed.append({"invoice": number, "error": str(failure)})
    if output == "json":
        typer.echo(json.dumps({"exported": exported, "failed": failed}))
    else:
        for done in exported:
            typer.echo(f"{done['invoice']}: claim {done['claim']} -> {done['folder']}")
        for problem in failed:
            typer.echo(f"error: {problem['error']}", err=True)
    if failed:
        raise typer.Exit(1)
