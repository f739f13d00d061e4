"""``ledgerlink report reminders``: the reminder steps fired, per step, with their outputs'
states and the pauses in force (issue 17 section 5; see :mod:`ledgerlink.report_command`).
The data: :func:`sync.reminders_report.reminder_report`."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Annotated

import typer

from ledgerlink._output import fail
from ledgerlink.report_command import FormatOption, OnOption, _bar, _csv, _day
from ledgerlink.store_command import StoreOption

__all__ = ["reminders_report"]


def _amounts(per_currency: dict[str, Decimal]) -> str:
    return ", ".join(f"{amount} {currency}" for currency, amount in sorted(per_currency.items()))


def reminders_report(
    ctx: typer.Context,
    on: OnOption = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only reminders fired from this day on.")
    ] = None,
    format_: FormatOption = "text",
    store: StoreOption = None,
) -> None:
    """Reminders fired per step, their outputs' states and the pauses in force."""
    if format_ not in ("text", "json", "csv", "svg"):
        fail(f"--format must be one of text, json, csv, svg, not {format_!r}", 2)
    day = _day(on)
    first = None
    if since is not None:
        try:
            first = date.fromisoformat(since)
        except ValueError:
            fail(f"--since {since!r}: give a date as YYYY-MM-DD", 2)
    from ledgerlink.store_command import checked_store
    from sync.reminders_report import reminder_report

    with checked_store(ctx, store) as opened, opened.begin() as conn:
        report = reminder_report(conn, day, first)
    steps = [
        {
            "step": s.step,
            "type": s.step_type,
            "fired": s.fired,
            "open": {c: str(v) for c, v in sorted(s.open.items())},
            "costs": str(s.costs),
            "interest": {c: str(v) for c, v in sorted(s.interest.items())},
        }
        for s in report.steps
    ]
    rows = [
        {
            "connection": f.connection,
            "invoice": f.invoice,
            "step": f.step,
            "type": f.step_type,
            "policy": f.policy,
            "fired_on": f.fired_on.isoformat(),
            "days_overdue": f.days_overdue,
            "currency": f.currency,
            "open": str(f.open),
            "costs": str(f.costs),
            "interest": str(f.interest),
            "webhook": f.webhook,
            "email": f.email,
        }
        for f in report.fired
    ]
    if format_ == "json":
        data = {
            "on": day.isoformat(),
            "since": first.isoformat() if first else None,
            "steps": steps,
            "outputs": report.outputs,
            "paused": report.paused,
            "reminders": rows,
        }
        typer.echo(json.dumps(data, indent=2))
    elif format_ == "csv":
        _csv(list(rows[0]) if rows else ["connection", "invoice", "step", "fired_on"], rows)
    elif format_ == "svg":
        from ledgerlink.svg_chart import bar_chart

        title = f"Reminders fired per step up to {day}" + (f" since {first}" if first else "")
        bars = [(s.step, Decimal(s.fired)) for s in report.steps]
        typer.echo(bar_chart(title, bars, unit=" fired"), nl=False)
    else:
        from rich.console import Console
        from rich.table import Table

        console = Console()
        most = max((s.fired for s in report.steps), default=0)
        table = Table("step", "type", "fired", "", "open", "costs", "interest",
                      title=f"Reminders fired up to {day}")  # fmt: skip
        for s in report.steps:
            table.add_row(
                s.step, s.step_type, str(s.fired),
                _bar(Decimal(s.fired) / most if most else None),
                _amounts(s.open), str(s.costs), _amounts(s.interest),
            )  # fmt: skip
        console.print(table)
        for name, states in sorted(report.outputs.items()):
            shown = ", ".join(f"{state} {count}" for state, count in sorted(states.items()))
            console.print(f"{name}: {shown}", highlight=False)
        if report.paused:
            paused = Table("invoice", "connection", "reason", "until", "note", title="Paused")
            for p in report.paused:
                paused.add_row(p["invoice"], p["connection"], p["reason"], p["until"] or "-",
                               p["note"] or "")  # fmt: skip
            console.print(paused)
