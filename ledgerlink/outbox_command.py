"""``ledgerlink outbox list`` and ``ledgerlink outbox resolve``: the deliveries in the store.

A document is ``in-doubt`` when a crash came between its send and the record of the send,
on a channel that cannot be asked whether it went out (SMTP). ``outbox resolve NUMBER
--sent`` records it as sent (it is never sent again); ``--resend`` queues a new attempt,
which the next ``ledgerlink sync`` sends. The store is the one ``ledgerlink store`` uses
(``--store``, ``$LEDGERLINK_STORE``, the settings file's ``[store] url``, the default).

Exit codes: 0 done, 1 no in-doubt document of that number, 2 a usage error or a store
that cannot be used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ledgerlink._output import fail
from ledgerlink.store_command import StoreOption, store_url

if TYPE_CHECKING:
    from sync.store import Store

__all__ = ["app", "list_", "resolve"]

app = typer.Typer(
    help="The outbox: list deliveries, resolve the in-doubt ones.", no_args_is_help=True
)

ConnectionOption = Annotated[
    str | None,
    typer.Option("--connection", help="Only this connection (as the settings file names it)."),
]


def _store(ctx: typer.Context, url: str) -> Store:
    from sync.store import StoreError, open_store

    try:
        store = open_store(url)
        store.check()
    except StoreError as failure:
        from ledgerlink.store_command import store_problem

        fail(store_problem(ctx, failure), 2)
    return store


@app.command("list")
def list_(
    ctx: typer.Context,
    connection: ConnectionOption = None,
    state: Annotated[
        str | None, typer.Option("--state", help="Only this state, e.g. in-doubt or failed.")
    ] = None,
    store: StoreOption = None,
) -> None:
    """List the deliveries: number, connection, channel, state, attempts, last error."""
    from ledgerlink.sync_command import known_state
    from sync.recover import outbox_rows
    from sync.store import StoreError
    from sync.store.schema import OUTBOX_STATES

    known_state(state, OUTBOX_STATES)

    with _store(ctx, store_url(ctx, store)) as opened:
        try:
            rows = outbox_rows(opened, connection=connection, state=state)
        except StoreError as failure:
            fail(str(failure), 2)
    if not rows:
        typer.echo("the outbox is empty" if not (connection or state) else "no delivery matches")
        return
    for row in rows:
        line = f"{row.number}  {row.connection}  {row.channel}  {row.state}"
        line += f"  attempts {row.attempts}"
        if row.next_attempt_at is not None and row.state == "queued":
            line += f"  next {row.next_attempt_at.isoformat(timespec='seconds')}"
        if row.last_error:
            line += f"  ({row.last_error})"
        typer.echo(line)


@app.command()
def resolve(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(metavar="NUMBER", help="The invoice number (BT-1).")],
    sent: Annotated[
        bool, typer.Option("--sent", help="It went out: record it as sent, never send it.")
    ] = False,
    resend: Annotated[
        bool, typer.Option("--resend", help="It did not go out: queue a new attempt.")
    ] = False,
    connection: ConnectionOption = None,
    store: StoreOption = None,
) -> None:
    """Decide an in-doubt document: --sent records it as sent, --resend sends it again."""
    from sync.recover import NotInDoubt
    from sync.recover import resolve as decide
    from sync.store import StoreError

    if sent == resend:
        fail("say what happened: --sent (it went out) or --resend (send it again)", 2)
    with _store(ctx, store_url(ctx, store)) as opened:
        try:
            done = decide(
                opened, number, decision="sent" if sent else "resend", connection=connection
            )
        except NotInDoubt as failure:
            fail(str(failure), 1)
        except StoreError as failure:
            fail(str(failure), 2)
    if done.state == "sent":
        typer.echo(f"{done.number} ({done.connection}): recorded as sent; it is not sent again")
    else:
        typer.echo(f"{done.number} ({done.connection}): queued; the next sync sends it")
