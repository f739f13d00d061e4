"""``ledgerlink mappings check CONNECTION``: every source code that has no mapping.

Pulls the connection's invoices and looks up each code the records hold - tax codes and units
of the lines, payment method, currency and country, as the connector's
:meth:`~connectors.base.CodeSource.codes` names them - in the connection's mapping
(``mappings/<system>.toml`` plus its ``mappings_override`` files). Exit codes: 0 everything
is mapped, 1 a code is missing (or the source failed), 2 a settings error or a connector
whose records hold EN 16931 codes already (model JSON, UBL). The missing codes are followed by
the override file to edit (or how to create the connection's first one) and the TOML lines to
add there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated

import typer

from connectors.base import CodeSource, Record, Stream
from connectors.errors import ConfigurationError, ConnectorError
from ledgerlink._output import fail
from ledgerlink.config_option import load_from
from ledgerlink.pull_command import opened, pulled_records

if TYPE_CHECKING:  # loaded only when the command runs
    import mappings

__all__ = ["app", "check", "codes_seen", "missing_codes"]

app = typer.Typer(help="Check the code mappings of a connection.", no_args_is_help=True)

# mapping table -> how the report names it
KINDS = {
    "vat": "VAT tax code",
    "units": "unit",
    "payment_methods": "payment method",
    "currencies": "currency",
    "countries": "country",
}

Seen = dict[tuple[str, str], list[str]]


def codes_seen(source: CodeSource, records: Iterable[Record]) -> Seen:
    """Every (table, code) the records hold, with where each was seen, in first-seen order."""
    seen: Seen = {}
    for record in records:
        for table, code, where in source.codes(record):
            seen.setdefault((table, code), []).append(where)
    return seen


def missing_codes(seen: Seen, mapping: mappings.Mapping) -> Seen:
    """The part of ``seen`` that ``mapping`` does not map."""
    return {key: where for key, where in seen.items() if not mapping.is_mapped(*key)}


def _where_text(places: list[str], limit: int = 5) -> str:
    shown = ", ".join(places[:limit])
    return shown if len(places) <= limit else f"{shown} (+{len(places) - limit} more)"


@app.command("check")
def check(
    ctx: typer.Context,
    connection: Annotated[str, typer.Argument(help="A \\[connections.NAME] of the settings file.")],
) -> None:
    """List every code seen in the connection's invoices that has no mapping."""
    from rich.console import Console
    from rich.table import Table

    settings, source = load_from(ctx)
    try:
        declared = settings.connection(connection)
        with opened(settings, connection, source) as connector:
            if not isinstance(connector, CodeSource):
                fail(
                    f"connection {connection!r} ({declared.connector}) reads EN 16931 codes "
                    "as they are: it has no mapping to check",
                    2,
                )
            mapping = connector.mapping
            seen = codes_seen(connector, pulled_records(connector, Stream.INVOICES, None))
    except ConfigurationError as failure:
        fail(str(failure), 2)
    except ConnectorError as failure:
        fail(str(failure), 1)
    missing = missing_codes(seen, mapping)
    console = Console()
    if not missing:
        console.print(f"all {len(seen)} codes seen in {connection!r} are mapped")
        raise typer.Exit(0)
    table = Table(title=f"unmapped codes in {connection!r}: {len(missing)}")
    for column in ("kind", "code", "where seen", "file to edit"):
        table.add_column(column, overflow="fold")
    edit = str(mapping.edit_path) if mapping.edit_path is not None else "none yet: see below"
    for (kind, code), places in missing.items():
        table.add_row(f"{KINDS[kind]} [{kind}]", code, _where_text(places), edit)
    console.print(table)
    console.print(mapping.addition(missing), soft_wrap=True, markup=False, highlight=False)
    raise typer.Exit(1)
