"""``ledgerlink reminders pause|resume``: a dispute, a promise to pay or a payment plan holds
an invoice's reminder triggers (issue 17 section 2)::

    ledgerlink reminders pause NUMBER --reason dispute|promise|plan [--until DATE]
                               [--note TEXT] [--connection NAME] [--store URL]
    ledgerlink reminders resume NUMBER [--connection NAME] [--store URL]

A pause with ``--until`` ends by itself after that day; without it, at ``resume``. Exit
codes: 0 done, 2 a usage error, an unknown invoice or a store that cannot be used.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from ledgerlink._output import fail
from ledgerlink.store_command import StoreOption

__all__ = ["pause", "resume"]

NumberArgument = Annotated[str, typer.Argument(metavar="NUMBER", help="Invoice number (BT-1).")]
ConnectionOption = Annotated[
    str | None,
    typer.Option("--connection", help="The connection, when the number is in several."),
]


def pause(
    ctx: typer.Context,
    number: NumberArgument,
    reason: Annotated[str, typer.Option("--reason", help="dispute, promise or plan.")],
    until: Annotated[
        str | None, typer.Option("--until", help="Last day of the pause (YYYY-MM-DD).")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="What was agreed.")] = None,
    connection: ConnectionOption = None,
    store: StoreOption = None,
) -> None:
    """Pause an invoice's reminders: a dispute, a promise to pay, a payment plan."""
    from ledgerlink.store_command import checked_store
    from sync.reminders import pause as record_pause
    from sync.store.schema import PAUSE_REASONS

    if reason not in PAUSE_REASONS:
        fail(f"--reason must be one of {', '.join(PAUSE_REASONS)}, not {reason!r}", 2)
    last: date | None = None
    if until is not None:
        try:
            last = date.fromisoformat(until)
        except ValueError:
            fail(f"--until {until!r}: give a date as YYYY-MM-DD", 2)
    with checked_store(ctx, store) as opened:
        try:
            with opened.begin() as conn:
                name = record_pause(
                    conn, number, reason, until=last, note=note, connection=connection
                )
        except ValueError as failure:
            fail(str(failure), 2)
    ending = f" until {last}" if last else " until resumed"
    typer.echo(f"{number} ({name}): reminders paused ({reason}){ending}")


def resume(
    ctx: typer.Context,
    number: NumberArgument,
    connection: ConnectionOption = None,
    store: StoreOption = None,
) -> None:
    """End an invoice's pauses: its reminders fire again when due."""
    from ledgerlink.store_command import checked_store
    from sync.reminders import find_invoice
    from sync.reminders import resume as end_pauses

    with checked_store(ctx, store) as opened:
        try:
            with opened.begin() as conn:
                name = find_invoice(conn, number, connection)[2]
                ended = end_pauses(conn, number, connection=connection)
        except ValueError as failure:
            fail(str(failure), 2)
    typer.echo(f"{number} ({name}): {ended} pause{'' if ended == 1 else 's'} ended")
