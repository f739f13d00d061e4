"""``ledgerlink debtors``: every debtor of the store, joined across connections by its legal
ids, with its identifiers, connections, exposure and credit limit (issue 17 section 1).

::

    ledgerlink debtors [--format text|json|csv] [--store URL]

Limits come from the settings file's ``[credit.limits]`` (:mod:`ledgerlink.credit_settings`);
for a debtor without one, from its source (Tryton's ``credit_limit_amount``, pulled each sync
cycle). ``limit_source`` says which: ``settings`` or ``connection:NAME``. ``json`` prints one
object::

    {"debtors": [{"key": str, "name": str, "identifiers": ["kvk:12345678", ...],
                  "connections": [str], "open_items": int,
                  "exposure": [{"currency": "EUR", "amount": "12.34", "limit": "100.00"|null,
                                "utilisation": "12.34"|null, "alert": "none|near|breach",
                                "limit_source": "settings"|"connection:NAME"|null}]}],
     "problems": [str]}

``csv`` has one row per debtor and currency. ``problems`` names buyers kept apart because
their KvK numbers or VAT ids disagree, and debtors with more than one limit.

Exit codes: 0 done, 2 a usage error or a store that cannot be used.
"""

from __future__ import annotations

import csv
import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledgerlink._output import fail
from ledgerlink.store_command import StoreOption

if TYPE_CHECKING:
    from ledgerlink.credit_settings import CreditSettings
    from sync.receivables import DebtorExposure

__all__ = ["credit_settings", "debtors"]

FORMATS = ("text", "json", "csv")


def credit_settings(ctx: typer.Context) -> CreditSettings:
    from connectors.errors import ConfigurationError
    from ledgerlink.config_option import SettingsFile
    from ledgerlink.credit_settings import CreditSettings
    from ledgerlink.settings import config_path, load_settings

    stored = ctx.find_root().obj
    explicit = stored.explicit if isinstance(stored, SettingsFile) else None
    path, _ = config_path(explicit)
    if not path.is_file():
        return CreditSettings()
    try:
        return load_settings(explicit).credit
    except ConfigurationError as failure:
        fail(str(failure), 2)


def _rows(found: list[DebtorExposure]) -> list[dict[str, Any]]:
    rows = []
    for entry in found:
        debtor = entry.debtor
        rows.append(
            {
                "key": debtor.key,
                "name": debtor.name,
                "identifiers": [f"{kind}:{value}" for kind, value in sorted(debtor.identifiers)],
                "connections": debtor.connections,
                "open_items": entry.items,
                "exposure": [
                    {
                        "currency": row.currency,
                        "amount": str(row.total),
                        "limit": None if row.limit is None else str(row.limit),
                        "utilisation": None if row.utilisation is None else str(row.utilisation),
                        "alert": str(row.alert),
                        "limit_source": row.limit_source,
                    }
                    for row in entry.exposures
                ],
            }
        )
    return rows


def _source(source: str | None) -> str:
    """``settings``, or the connection a pulled limit came from."""
    return (source or "").removeprefix("connection:")


def _print_text(rows: list[dict[str, Any]], problems: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("debtor", "name", "identifiers", "connections", "exposure", "limit", "use")
    for row in rows:
        exposure = row["exposure"] or [
            {
                "currency": "",
                "amount": "0",
                "limit": None,
                "utilisation": None,
                "alert": "none",
                "limit_source": None,
            }
        ]
        for i, money in enumerate(exposure):
            use = money["utilisation"]
            mark = {"breach": " [red]over limit[/red]", "near": " [yellow]near[/yellow]"}.get(
                money["alert"], ""
            )
            table.add_row(
                row["key"] if i == 0 else "",
                row["name"] if i == 0 else "",
                "\n".join(row["identifiers"]) if i == 0 else "",
                ", ".join(row["connections"]) if i == 0 else "",
                f"{money['amount']} {money['currency']}".strip(),
                "-"
                if money["limit"] is None
                else f"{money['limit']} {money['currency']} ({_source(money['limit_source'])})",
                ("-" if use is None else f"{use} %") + mark,
            )
    console = Console()
    console.print(table)
    for problem in problems:
        console.print(f"[yellow]problem:[/yellow] {problem}", highlight=False)


def _print_csv(rows: list[dict[str, Any]]) -> None:
    columns = ["key", "name", "identifiers", "connections", "open_items", "currency", "amount"]
    columns += ["limit", "utilisation", "alert", "limit_source"]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        common = [row["key"], row["name"], " ".join(row["identifiers"])]
        common += [" ".join(row["connections"]), row["open_items"]]
        for money in row["exposure"]:
            writer.writerow(
                [
                    *common,
                    money["currency"],
                    money["amount"],
                    money["limit"] or "",
                    money["utilisation"] or "",
                    money["alert"],
                    money["limit_source"] or "",
                ]
            )


def debtors(
    ctx: typer.Context,
    format_: Annotated[str, typer.Option("--format", help="text, json or csv.")] = "text",
    store: StoreOption = None,
) -> None:
    """List the debtors across connections: identifiers, connections, exposure and limit."""
    if format_ not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {format_!r}", 2)
    credit = credit_settings(ctx)

    from ledgerlink.store_command import checked_store
    from sync.receivables import debtor_exposures, pulled_limits, stored_items

    with checked_store(ctx, store) as opened, opened.begin() as conn:
        items = stored_items(conn)
        pulled = pulled_limits(conn)
    _, found, problems = debtor_exposures(
        items, credit.limits, pulled=pulled, near=credit.near_breach
    )
    rows = _rows(found)
    if format_ == "json":
        typer.echo(json.dumps({"debtors": rows, "problems": problems}, indent=2))
    elif format_ == "csv":
        _print_csv(rows)
    else:
        _print_text(rows, problems)
