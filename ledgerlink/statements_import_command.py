"""``ledgerlink statements import FILE...``: bank statements into the store.

Each statement is checked, then imported in one database transaction, for the connection
whose ``accounts`` (settings file) hold its account; a booking already imported is
skipped as a duplicate (:mod:`sync.statement_import`, :mod:`sync.bank_rows`). A file that
fails is reported and the others still import.

``--format json`` prints exactly one object::

    {"files": [{"path": str, "format": str, "transactions": int, "duplicates": int,
                "error": str | null}]}

Exit codes: 0 every file imported, 1 a file failed, 2 a usage error or a store that cannot
be used.
"""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated

import typer

from ledgerlink._output import fail
from ledgerlink.store_command import StoreOption, store_url

__all__ = ["ImportFormat", "import_"]


class ImportFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"


def import_(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Statement files (CAMT.053/054, MT940).")],
    output: Annotated[ImportFormat, typer.Option("--format", help="Output.")] = ImportFormat.TEXT,
    accept_unbalanced: Annotated[
        bool,
        typer.Option(
            "--accept-unbalanced",
            help="Import a statement whose balances do not add up, recording the difference.",
        ),
    ] = False,
    store: StoreOption = None,
) -> None:
    """Import bank statements into the store, each booking once."""
    from ledgerlink.config_option import load_from
    from reconcile.statements import StatementError, read_statements
    from sync.statement_import import Owner, import_file
    from sync.store import StoreError, open_store

    settings, _ = load_from(ctx)
    owners = {
        account: Owner(name, settings.connection(name).connector)
        for account, name in settings.account_owners.items()
    }
    url = store_url(ctx, store)
    try:
        opened = open_store(url, create=True)
        opened.ensure()
    except StoreError as failure:
        from ledgerlink.store_command import store_problem

        fail(store_problem(ctx, failure), 2)
    with opened:
        results = [
            import_file(
                opened,
                path,
                read_statements,
                owners,
                accept_unbalanced=accept_unbalanced,
                refused=(StatementError,),
            )
            for path in files
        ]
    if output is ImportFormat.JSON:
        typer.echo(json.dumps({"files": [result.to_json() for result in results]}))
    else:
        for result in results:
            if result.error is not None:
                typer.echo(f"{result.path}: not imported: {result.error}")
                continue
            line = (
                f"{result.path} ({result.format or 'no statement'}): "
                f"{result.transactions} imported, {result.duplicates} duplicates skipped"
            )
            unbalanced = [s for s in result.statements if s.balance == "accepted-unbalanced"]
            if unbalanced:
                shown = ", ".join(f"{s.account} {s.difference}" for s in unbalanced)
                line += f"; accepted unbalanced, difference recorded: {shown}"
            typer.echo(line)
    if any(result.error is not None for result in results):
        raise typer.Exit(1)
