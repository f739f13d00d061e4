"""``ledgerlink demo``: the main job on the embedded default data.

It converts every demo invoice in ``fixtures/`` (model JSON) to UBL under the
document's own profile, re-reads the UBL and checks that it gives back the same
model and the committed fixture bytes, then validates the UBL with
:mod:`ubl.validate` (UBL 2.1 XSD + the official Schematron of its profile).
Failing documents are quarantined with their reason in ``OUT/quarantine.json``
(a document the validator rejects: its rule ids and lines, and its UBL in
``OUT/quarantine/``); the others go on. A validation bundle that is not
installed stops the demo with exit code 2 and the command that installs it.

Then it runs the whole cycle through the sync engine (:mod:`ledgerlink.demo_cycle`): a
fresh SQLite store in ``OUT/sync/``, the fixtures as a model-json connection, the access
point emulator on 127.0.0.1 and the directory channel; it shows the answers coming back
poll by poll and prints what a credit manager looks at: per document its number, buyer,
amount due, due date, channel, state and last response, then the totals (sent, accepted,
rejected, open amount by state).

Last the reconciliation step (:mod:`ledgerlink.demo_reconcile`): a camt.053 statement for
the demo invoices (a payment by structured reference, one with the reference typed in the
text, a partial payment, a combined payment, an invoice paid net of its credit note, and
the rent, bank costs and a tax refund that are nobody's invoice) is imported into the store,
matched, the payments pushed back through the demo connection (read-only: recorded as not
supported), and per document paid its amount due and what is still open.

Exit code 1 when a document failed or ended otherwise than the emulator's demo script says,
or a booking was matched otherwise than the statement's truth, with the reason.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ledgerlink.cache_option import CacheOption, using_cache

if TYPE_CHECKING:
    from rich.console import Console

    from ledgerlink.demo_cycle import CycleResult
    from ubl.validate import Report

__all__ = ["DEFAULT_FIXTURES", "demo", "rejection"]

DEFAULT_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def rejection(report: Report) -> str:
    """Why the validator rejects a document: each fatal issue's rule id, line and text."""
    issues = "; ".join(
        f"{issue.rule} (line {issue.line or '?'}): {issue.message}" for issue in report.fatal
    )
    return f"official validation ({report.profile}) failed: {issues}"


def demo(
    fixtures: Annotated[
        Path, typer.Option(help="Folder of model JSON documents.")
    ] = DEFAULT_FIXTURES,
    out: Annotated[Path, typer.Option(help="Where the UBL and the quarantine report go.")] = Path(
        "out/demo"
    ),
    strict: Annotated[bool, typer.Option(help="Legal requirement findings are errors.")] = False,
    cache: CacheOption = None,
) -> None:
    """Check the demo invoices, deliver them through the sync engine, show the answers."""
    with using_cache(cache):
        _demo(fixtures, out, strict)


def _demo(fixtures: Path, out: Path, strict: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from ledgerlink._output import fail
    from ledgerlink.conversion import ConversionError, check_document, load_document
    from ubl import UblError, detect, parse, validate, write
    from ubl.artifacts import ArtifactError

    sources = sorted(fixtures.glob("*.json"))
    if not sources:
        fail(f"no model JSON documents in {fixtures}", code=2)
    out.mkdir(parents=True, exist_ok=True)
    table = Table("document", "profile", "lines", "payable", "warnings", "result")
    quarantine: list[dict[str, str]] = []
    for path in sources:
        try:
            loaded = load_document(path)
            document = check_document(loaded, strict=strict)
            xml = write(document, profile="auto")
            if parse(xml).document != document:
                raise ConversionError(f"{path}: UBL read back differs from the model")
            committed = path.with_suffix(".xml")
            if committed.exists() and committed.read_bytes() != xml:
                loaded.warnings.append(f"{committed} is out of date with {path.name}")
            report = validate(xml)
            if not report.valid:
                rejected = out / "quarantine" / f"{path.stem}.xml"
                rejected.parent.mkdir(exist_ok=True)
                rejected.write_bytes(xml)
                raise ConversionError(f"{path}: {rejection(report)} (UBL in {rejected})")
            loaded.warnings += [f"{path}: {i.rule}: {i.message}" for i in report.warnings]
        except ArtifactError as exc:
            fail(str(exc), code=2)
        except (ConversionError, UblError) as exc:
            quarantine.append({"source": str(path), "reason": str(exc)})
            table.add_row(path.stem, "-", "-", "-", "-", "[red]quarantined[/red]")
            continue
        (out / f"{path.stem}.xml").write_bytes(xml)
        table.add_row(
            document.number,
            detect(document.customization_id),
            str(len(document.lines)),
            f"{document.totals.payable} {document.currency}",
            str(len(loaded.warnings)),
            "[green]ok[/green]",
        )
    (out / "quarantine.json").write_text(json.dumps(quarantine, indent=2) + "\n")
    console = Console()
    console.print(table)
    for item in quarantine:
        console.print(f"[red]quarantined[/red] {item['reason']}")
    passed = len(sources) - len(quarantine)
    console.print(f"{passed} passed, {len(quarantine)} failed; UBL in {out}")
    unexpected = _sync(fixtures, out, console)
    if quarantine or unexpected:
        raise typer.Exit(1)


def _sync(fixtures: Path, out: Path, console: Console) -> list[str]:
    """The sync engine's cycle on the fixtures; what went unexpectedly (printed too)."""
    from ledgerlink._output import fail
    from ledgerlink.demo_cycle import DemoUnusable, run_cycle

    console.print()
    console.print("[bold]Sync[/bold]: store, outbox, access point emulator and folder")
    try:
        result = run_cycle(fixtures, out, echo=console.print)
    except DemoUnusable as exc:
        fail(str(exc), code=2)
    _credit_view(result, console)
    for reason in result.unexpected:
        console.print(f"[red]unexpected[/red] {reason}")
    unexpected = list(result.unexpected)
    unexpected += _reconcile(result.folder, console)
    console.print(
        f"Store, settings, statement and delivered folder in {result.folder}: "
        f"`ledgerlink --config {result.folder / 'ledgerlink.toml'} status`"
    )
    return unexpected


def _reconcile(folder: Path, console: Console) -> list[str]:
    """The reconciliation step on the cycle's store; what went unexpectedly (printed too)."""
    from ledgerlink.demo_reconcile import run_reconciliation
    from ledgerlink.demo_view import show_reconciliation

    console.print()
    console.print(
        "[bold]Reconciliation[/bold]: a bank statement for these invoices, matched, "
        "pushed back, open amounts"
    )
    result = run_reconciliation(folder, echo=console.print)
    show_reconciliation(result, console)
    for reason in result.unexpected:
        console.print(f"[red]unexpected[/red] {reason}")
    return result.unexpected


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _credit_view(result: CycleResult, console: Console) -> None:
    """Per document what a credit manager looks at, then the totals."""
    from collections import Counter, defaultdict

    # One line of short facts per document, aligned, and the last answer indented below it:
    # readable in a terminal of any width (a seven-column table truncates at 80 columns).
    heading = ("number", "buyer", "amount due", "due date", "channel", "state")
    facts = [
        (
            row.number,
            row.buyer,
            _money(row.amount, row.currency),
            row.due_date.isoformat() if row.due_date else "-",
            row.channel,
            row.state,
        )
        for row in result.rows
    ]
    widths = [max(len(cells[i]) for cells in [heading, *facts]) for i in range(len(heading))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(width) if i == 2 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    console.print(line(heading), style="bold", markup=False, highlight=False, soft_wrap=True)
    for row, cells in zip(result.rows, facts, strict=True):
        console.print(line(cells), markup=False, highlight=False, soft_wrap=True)
        console.print(f"    {row.response}", markup=False, highlight=False, soft_wrap=True)
    states = Counter(row.state for row in result.rows)
    sent = sum(1 for row in result.rows if row.channel != "-")
    console.print(
        f"documents sent: {sent}; accepted {states['accepted']}, rejected "
        f"{states['rejected']}, paid {states['paid']}, delivered (no answer yet or under "
        f"query) {states['delivered']}"
    )
    open_amounts: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in result.rows:
        if row.state != "paid":
            open_amounts[row.state, row.currency] += row.amount
    text = "; ".join(
        f"{state} {_money(amount, currency)}"
        for (state, currency), amount in sorted(open_amounts.items())
    )
    console.print(f"open amount by state: {text or 'nothing open'}")
