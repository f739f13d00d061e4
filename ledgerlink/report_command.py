"""``ledgerlink report credit|ageing|reminders|behaviour``: the credit manager's views of the store
(issue 17 section 5), as rich tables with bars, json or csv for other tools, or an svg chart.

::

    ledgerlink report credit    [--on DATE] [--months N] [--format text|json|csv|svg]
                                [--chart utilisation|dso] [--store URL]
    ledgerlink report ageing    [--on DATE] [--format text|json|csv|svg] [--store URL]
    ledgerlink report reminders [--on DATE] [--since DATE] [--format text|json|csv|svg]
                                [--store URL]
    ledgerlink report behaviour [--on DATE] [--format text|json|csv] [--store URL]

* ``credit``: per debtor the exposure against its limit (utilisation, alert, and
  ``limit_source``: ``settings`` or ``connection:NAME`` for a limit pulled from a source,
  Tryton's ``credit_limit_amount``); per currency the
  concentration (top 20 % share, HHI) and DSO per month by the simple formula and by
  count-back, over the last ``--months`` (12). svg: utilisation per debtor, or with
  ``--chart dso`` the DSO per month (of the first currency).
* ``ageing``: per debtor and in total, the open amounts in the buckets not due, 1-30, 31-60,
  61-90 and 90+ days past due on ``--on`` (today). svg: the total's buckets.
* ``reminders``: the reminder steps fired up to ``--on`` (from ``--since``): per step the
  number fired and the amounts, costs and interest their letters stated; per output
  (webhook, e-mail) the states reached; the pauses in force. csv: one row per reminder
  fired. svg: reminders fired per step.
* ``behaviour``: per debtor the average days to pay and days late, with the six-month trend;
  the late-payment rate by amount band and by the weekday the invoice was issued.

Debtors are joined across connections (``ledgerlink debtors``); csv is the per-debtor table.
Exit codes: 0 done, 2 a usage error or a store that cannot be used.
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledgerlink._output import fail
from ledgerlink.store_command import StoreOption

if TYPE_CHECKING:
    from reconcile.credit.history import History
    from reconcile.open_items import OpenItem
    from sync.receivables import DebtorExposure

__all__ = ["app"]

app = typer.Typer(
    help="Credit, ageing, reminders and payment-behaviour reports of the store.",
    no_args_is_help=True,
)

FormatOption = Annotated[str, typer.Option("--format", help="text, json, csv or svg.")]
OnOption = Annotated[
    str | None, typer.Option("--on", help="The day the report is for (YYYY-MM-DD; default today).")
]


@dataclass(frozen=True, slots=True)
class _Book:
    on: date
    open: list[OpenItem]
    """Open items, each with its debtor joined across connections."""
    names: dict[str, str]
    exposures: list[DebtorExposure]
    histories: list[History]
    problems: list[str]


def _day(on: str | None) -> date:
    if on is None:
        return date.today()
    try:
        return date.fromisoformat(on)
    except ValueError:
        fail(f"--on {on!r}: give a date as YYYY-MM-DD", 2)


def _load(
    ctx: typer.Context, store: str | None, on: str | None, format_: str, formats: tuple[str, ...]
) -> _Book:
    if format_ not in formats:
        fail(f"--format must be one of {', '.join(formats)}, not {format_!r}", 2)
    day = _day(on)
    from ledgerlink.debtors_command import credit_settings
    from ledgerlink.store_command import checked_store
    from reconcile.debtors import join_debtors
    from sync.receivables import (
        buyers_of,
        debtor_exposures,
        pulled_limits,
        stored_histories,
        stored_items,
    )

    credit = credit_settings(ctx)
    with checked_store(ctx, store) as opened, opened.begin() as conn:
        every = stored_items(conn, include_settled=True)
        book, found, problems = debtor_exposures(
            [s for s in every if s.item.open != 0],
            credit.limits,
            pulled=pulled_limits(conn),
            near=credit.near_breach,
        )
        everyone = join_debtors(buyers_of(every))
        histories = stored_histories(conn, every, everyone)
    joined = []
    for stored in every:
        debtor = book.of(stored.connection, stored.item.debtor)
        item = stored.item
        if item.open != 0 and debtor is not None:
            joined.append(item if item.debtor == debtor.key else replace(item, debtor=debtor.key))
    names = {debtor.key: debtor.name for debtor in everyone.debtors}
    names.update({debtor.key: debtor.name for debtor in book.debtors})
    return _Book(day, joined, names, found, histories, problems)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _bar(share: Decimal | None, width: int = 20) -> str:
    if share is None or share <= 0:
        return ""
    return "█" * min(int(share * width), width) + ("▶" if share > 1 else "")


def _csv(columns: list[str], rows: list[dict[str, Any]]) -> None:
    writer = csv.DictWriter(sys.stdout, columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)


def _months_back(on: date, count: int) -> date:
    year, month = on.year, on.month - (count - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


@app.command()
def credit(
    ctx: typer.Context,
    on: OnOption = None,
    months: Annotated[int, typer.Option("--months", min=1, help="DSO months shown.")] = 12,
    format_: FormatOption = "text",
    chart: Annotated[
        str, typer.Option("--chart", help="svg: utilisation (per debtor) or dso (per month).")
    ] = "utilisation",
    store: StoreOption = None,
) -> None:
    """Exposure against limits, concentration and DSO per month."""
    if chart not in ("utilisation", "dso"):
        fail(f"--chart must be utilisation or dso, not {chart!r}", 2)
    from reconcile.credit.concentration import concentration
    from reconcile.credit.dso import dso_by_month, month_figures

    book = _load(ctx, store, on, format_, ("text", "json", "csv", "svg"))
    rows: list[dict[str, Any]] = []
    owed: dict[str, dict[str, Decimal]] = {}
    for entry in book.exposures:
        for row in entry.exposures:
            owed.setdefault(row.currency, {})[row.debtor] = row.total
            rows.append(
                {
                    "debtor": row.debtor,
                    "name": entry.debtor.name,
                    "currency": row.currency,
                    "exposure": str(row.total),
                    "limit": _text(row.limit),
                    "utilisation": _text(row.utilisation),
                    "alert": str(row.alert),
                    "limit_source": row.limit_source,
                }
            )
    currencies = sorted(owed)
    spread = {c: concentration(owed[c]) for c in currencies}
    first = _months_back(book.on, months)
    dso = {
        c: dso_by_month(month_figures(book.histories, first, book.on, currency=c))
        for c in currencies
    }
    if format_ == "json":
        data = {
            "on": book.on.isoformat(),
            "debtors": rows,
            "concentration": {
                c: {
                    "debtors": s.debtors,
                    "total": str(s.total),
                    "largest_share": str(s.largest_share),
                    "top_share": str(s.top_share),
                    "top_debtors": list(s.top_debtors),
                    "hhi": str(s.hhi),
                }
                for c, s in spread.items()
            },
            "dso": {
                c: [
                    {
                        "month": m.month.strftime("%Y-%m"),
                        "simple": _text(m.simple),
                        "countback": _text(m.countback),
                    }
                    for m in figures
                ]
                for c, figures in dso.items()
            },
            "problems": book.problems,
        }
        typer.echo(json.dumps(data, indent=2))
    elif format_ == "csv":
        columns = ["debtor", "name", "currency", "exposure", "limit", "utilisation", "alert"]
        _csv([*columns, "limit_source"], rows)
    elif format_ == "svg" and chart == "dso":
        from ledgerlink.svg_chart import column_chart

        currency = currencies[0] if currencies else "EUR"
        figures = dso.get(currency, [])
        typer.echo(
            column_chart(
                f"DSO per month ({currency})",
                [m.month.strftime("%Y-%m") for m in figures],
                {
                    "simple": [m.simple for m in figures],
                    "count-back": [m.countback for m in figures],
                },
                unit=" days",
            ),
            nl=False,
        )
    elif format_ == "svg":
        from ledgerlink.svg_chart import bar_chart

        used = [r for r in rows if r["utilisation"] is not None]
        bars = [(f"{r['name']} ({r['currency']})", Decimal(r["utilisation"])) for r in used]
        red = {f"{r['name']} ({r['currency']})": "#b0413e" for r in used if r["alert"] == "breach"}
        title = f"Credit-limit utilisation on {book.on}"
        typer.echo(bar_chart(title, bars, unit=" %", limit=Decimal(100), highlight=red), nl=False)
    else:
        from rich.console import Console
        from rich.table import Table

        console = Console()
        table = Table("debtor", "name", "exposure", "limit", "use", "", title="Credit limits")
        for r in rows:
            share = None if r["utilisation"] is None else Decimal(r["utilisation"]) / 100
            colour = {"breach": "red", "near": "yellow"}.get(r["alert"], "green")
            table.add_row(
                r["debtor"], r["name"], f"{r['exposure']} {r['currency']}",
                "-" if r["limit"] is None
                else f"{r['limit']} ({r['limit_source'].removeprefix('connection:')})",
                "-" if r["utilisation"] is None else f"{r['utilisation']} %",
                f"[{colour}]{_bar(share)}[/{colour}]",
            )  # fmt: skip
        console.print(table)
        for c in currencies:
            s = spread[c]
            console.print(
                f"{c}: {s.debtors} debtors owe {s.total}; top 20 % hold {s.top_share:.1%}, "
                f"HHI {s.hhi}",
                highlight=False,
            )
            months_table = Table("month", "simple DSO", "count-back DSO", title=f"DSO ({c})")
            for m in dso[c]:
                months_table.add_row(
                    m.month.strftime("%Y-%m"), _text(m.simple) or "-", _text(m.countback) or "-"
                )
            console.print(months_table)
        for problem in book.problems:
            console.print(f"[yellow]problem:[/yellow] {problem}", highlight=False)


@app.command()
def ageing(
    ctx: typer.Context,
    on: OnOption = None,
    format_: FormatOption = "text",
    store: StoreOption = None,
) -> None:
    """Open amounts per debtor in buckets by days past the due date."""
    from reconcile.credit.ageing import Bucket
    from reconcile.credit.ageing import ageing as age

    book = _load(ctx, store, on, format_, ("text", "json", "csv", "svg"))
    result = age(book.open, book.on)

    def row_of(row: Any) -> dict[str, Any]:
        data = {
            "debtor": row.debtor,
            "name": book.names.get(row.debtor, ""),
            "currency": row.currency,
        }
        data.update({bucket.value: str(row.buckets[bucket]) for bucket in Bucket})
        data["total"] = str(row.total)
        return data

    rows = [row_of(row) for row in result.rows]
    totals = [row_of(row) for row in result.totals]
    buckets = [bucket.value for bucket in Bucket]
    if format_ == "json":
        typer.echo(
            json.dumps(
                {"on": book.on.isoformat(), "buckets": buckets, "debtors": rows, "totals": totals},
                indent=2,
            )
        )
    elif format_ == "csv":
        _csv(["debtor", "name", "currency", *buckets, "total"], rows)
    elif format_ == "svg":
        from ledgerlink.svg_chart import bar_chart

        charts = [
            bar_chart(
                f"Ageing on {book.on} ({total.currency})",
                [(bucket.value, total.buckets[bucket]) for bucket in Bucket],
                unit=f" {total.currency}",
            )
            for total in result.totals
        ] or [bar_chart(f"Ageing on {book.on}", [])]
        typer.echo(charts[0], nl=False)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table("debtor", "name", "cur", *buckets, "total", title=f"Ageing on {book.on}")
        for r in [*rows, *totals]:
            table.add_row(
                r["debtor"], r["name"], r["currency"], *[r[b] for b in buckets], r["total"]
            )
        console = Console()
        console.print(table)
        for total in result.totals:
            whole = total.total
            for bucket in Bucket:
                share = total.buckets[bucket] / whole if whole > 0 else None
                console.print(
                    f"{total.currency} {bucket.value:>8} {_bar(share, 40)}", highlight=False
                )


@app.command()
def behaviour(
    ctx: typer.Context,
    on: OnOption = None,
    format_: FormatOption = "text",
    store: StoreOption = None,
) -> None:
    """Days to pay and days late per debtor; late-payment rates by amount band and weekday."""
    from reconcile.credit.behaviour import debtor_behaviour, late_rate_by_band, late_rate_by_weekday

    book = _load(ctx, store, on, format_, ("text", "json", "csv"))
    rows: list[dict[str, Any]] = [
        {
            "debtor": b.debtor,
            "name": book.names.get(b.debtor, ""),
            "paid": b.paid,
            "days_to_pay": _text(b.days_to_pay),
            "days_late": _text(b.days_late),
            "trend": _text(b.trend),
            "monthly_days_late": [
                {"month": month.strftime("%Y-%m"), "days_late": _text(value)}
                for month, value in b.monthly_days_late
            ],
        }
        for b in debtor_behaviour(book.histories, book.on)
    ]

    def rates(found: list[Any], key: str) -> list[dict[str, Any]]:
        return [
            {key: r.label, "invoices": r.invoices, "late": r.late, "rate": _text(r.rate)}
            for r in found
        ]

    bands = rates(late_rate_by_band(book.histories, book.on), "band")
    days = rates(late_rate_by_weekday(book.histories, book.on), "weekday")
    if format_ == "json":
        data = {
            "on": book.on.isoformat(),
            "debtors": rows,
            "late_by_band": bands,
            "late_by_weekday": days,
        }
        typer.echo(json.dumps(data, indent=2))
    elif format_ == "csv":
        _csv(["debtor", "name", "paid", "days_to_pay", "days_late", "trend"], rows)
    else:
        from rich.console import Console
        from rich.table import Table

        console = Console()
        table = Table("debtor", "name", "paid", "days to pay", "days late", "trend /month",
                      title=f"Payment behaviour on {book.on}")  # fmt: skip
        for r in rows:
            table.add_row(r["debtor"], r["name"], str(r["paid"]), r["days_to_pay"] or "-",
                          r["days_late"] or "-", r["trend"] or "-")  # fmt: skip
        console.print(table)
        for title, found, key in (
            ("amount band", bands, "band"),
            ("weekday issued", days, "weekday"),
        ):
            late = Table(title, "invoices", "late", "rate", "", title=f"Late payment by {title}")
            for r in found:
                share = None if r["rate"] is None else Decimal(r["rate"])
                late.add_row(
                    r[key], str(r["invoices"]), str(r["late"]), r["rate"] or "-", _bar(share)
                )
            console.print(late)


def _reminders() -> None:
    from ledgerlink.reminders_report import reminders_report

    app.command("reminders")(reminders_report)


_reminders()
