"""``ledgerlink pull CONNECTION``: print what a connection yields, optionally as validated UBL.

With ``--ubl-dir DIR`` every invoice and credit note is mapped to the EN 16931 model
(the connector's :meth:`~connectors.base.DocumentSource.document`, through the connection's
mappings), written as Peppol BIS Billing 3.0 UBL and checked
with the official validation. Valid documents become ``DIR/<number>.xml`` (BT-1); a record that
fails mapping or validation is held in ``DIR/quarantine.json`` with the reason (rule ids and
lines) and the rest goes on. The command keeps no state.

Exit codes: 0 success, 1 a record was quarantined or the source failed, 2 a settings error.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from connectors.base import Connector, Cursor, DocumentSource, Record, Stream
from connectors.errors import ConfigurationError, ConnectorError, RecordError
from ledgerlink._output import fail
from ledgerlink.cache_option import CacheOption, using_cache
from ledgerlink.config_option import load_from

if TYPE_CHECKING:  # the model, UBL, settings and connector packages load only when a command runs
    from ledgerlink.settings import Settings

__all__ = ["OutputFormat", "Quarantine", "opened", "pull", "pulled_records"]

PROFILE = "peppol-bis3"
QUARANTINE_FILE = "quarantine.json"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class OutputFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"


def pulled_records(connector: Connector, stream: Stream, cursor: Cursor | None) -> Iterator[Record]:
    """Every record of ``stream`` after ``cursor``, page after page."""
    for page in connector.pull(stream, cursor):
        yield from page.records


@contextmanager
def opened(settings: Settings, name: str, source: Path) -> Iterator[Connector]:
    """The connection's connector, closed afterwards when it can be."""
    from ledgerlink.connections import open_connection

    connector = open_connection(settings, name, source=source)
    try:
        yield connector
    finally:
        close = getattr(connector, "close", None)
        if callable(close):
            close()


def _summary(record: Record) -> tuple[str, str, str]:
    """Number or name, date and amount of a record of any stream, for the table."""
    data = record.data
    label = data.get("number") or data.get("name") or data.get("description") or ""
    moment = data.get("invoice_date") or data.get("date") or ""
    amount: Any = data.get("total_amount")
    if amount is None and "debit" in data:
        amount = Decimal(data.get("debit") or 0) - Decimal(data.get("credit") or 0)
    return str(label), str(moment), "" if amount is None else str(amount)


def _print_table(records: list[Record], stream: Stream) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{stream.value}: {len(records)}")
    for column in ("id", "number/name", "date", "amount"):
        table.add_column(column, justify="right" if column == "amount" else "left")
    for record in records:
        table.add_row(record.id, *_summary(record))
    Console().print(table)


def _print_json(records: list[Record]) -> None:
    rows = [
        {"id": record.id, "updated_at": record.updated_at.isoformat(), "data": record.data}
        for record in records
    ]
    typer.echo(json.dumps(rows, default=str, indent=2, ensure_ascii=False))


@dataclass(slots=True)
class Quarantine:
    """Records held back from ``--ubl-dir``, with why; written as ``quarantine.json``."""

    entries: list[dict[str, Any]] = field(default_factory=list)

    def hold(
        self, record: Record, stage: str, reason: str, issues: tuple[dict[str, Any], ...] = ()
    ) -> None:
        self.entries.append(
            {
                "record": record.id,
                "number": record.data.get("number"),
                "stage": stage,
                "reason": reason,
                "issues": list(issues),
            }
        )


def _issue(rule: str, line: int | None, message: str) -> dict[str, Any]:
    return {"rule": rule, "line": line, "message": message}


def _document_file(directory: Path, number: str) -> Path:
    return directory / f"{_UNSAFE_NAME.sub('_', number) or 'document'}.xml"


def _write_ubl(
    connector: Connector, records: list[Record], directory: Path
) -> tuple[list[str], Quarantine]:
    """Map, write and validate each invoice; valid ones to ``directory``, the rest held.
    Returns the names of the files written and what was held."""
    import ubl

    if not isinstance(connector, DocumentSource):
        raise ConfigurationError(f"--ubl-dir is not supported for connector {connector.name!r}")
    quarantine = Quarantine()
    written: list[str] = []
    directory.mkdir(parents=True, exist_ok=True)
    for record in records:
        try:
            document = connector.document(record)
        except RecordError as failure:
            quarantine.hold(record, "mapping", failure.reason)
            continue
        try:
            xml = ubl.write(document, PROFILE)
        except ubl.ProfileError as failure:
            issues = tuple(_issue(v.rule, None, v.message) for v in failure.violations)
            quarantine.hold(record, "validation", f"refused by the {PROFILE} writer", issues)
            continue
        fatal = ubl.validate(xml).fatal
        if fatal:
            issues = tuple(_issue(issue.rule, issue.line, issue.message) for issue in fatal)
            quarantine.hold(record, "validation", "fatal validation issues", issues)
            continue
        target = _document_file(directory, document.number)
        target.write_bytes(xml)
        written.append(target.name)
    report = {"profile": PROFILE, "written": written, "quarantined": quarantine.entries}
    (directory / QUARANTINE_FILE).write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return written, quarantine


def pull(
    ctx: typer.Context,
    connection: Annotated[str, typer.Argument(help="A \\[connections.NAME] of the settings file.")],
    stream: Annotated[Stream, typer.Option(help="What to pull.")] = Stream.INVOICES,
    since: Annotated[
        datetime | None,
        typer.Option(
            help="Only records changed at or after this date (YYYY-MM-DD[THH:MM:SS], UTC).",
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
        ),
    ] = None,
    ubl_dir: Annotated[
        Path | None,
        typer.Option(
            "--ubl-dir",
            help="Write one validated UBL file per invoice here, and quarantine.json.",
            file_okay=False,
        ),
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output.")] = OutputFormat.TABLE,
    cache: CacheOption = None,
) -> None:
    """Print what a connection yields; with --ubl-dir, write validated UBL (keeps no state)."""
    with using_cache(cache):
        _pull(ctx, connection, stream, since, ubl_dir, output)


def _pull(
    ctx: typer.Context,
    connection: str,
    stream: Stream,
    since: datetime | None,
    ubl_dir: Path | None,
    output: OutputFormat,
) -> None:
    settings, source = load_from(ctx)
    cursor = Cursor.start(since) if since is not None else None
    if ubl_dir is not None and stream is not Stream.INVOICES:
        fail("--ubl-dir needs --stream invoices", 2)
    written: list[str] | None = None
    quarantine = Quarantine()
    try:
        with opened(settings, connection, source) as connector:
            records = list(pulled_records(connector, stream, cursor))
            if ubl_dir is not None:
                written, quarantine = _write_ubl(connector, records, ubl_dir)
    except ConfigurationError as failure:
        fail(str(failure), 2)
    except ConnectorError as failure:
        fail(str(failure), 1)
    if output is OutputFormat.JSON:
        _print_json(records)
    else:
        _print_table(records, stream)
    if ubl_dir is None or written is None:
        return
    if quarantine.entries:
        fail(
            f"{len(written)} written to {ubl_dir}, {len(quarantine.entries)} record(s) "
            f"quarantined: see {ubl_dir / QUARANTINE_FILE}"
        )
    # a status line, not data: on stderr, so that --format json stays one JSON document
    typer.echo(f"{len(written)} written to {ubl_dir}, none quarantined", err=True)
