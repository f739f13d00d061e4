"""``ledgerlink pull CONNECTION``: print what a connection yields, optionally as validated UBL.

With ``--ubl-dir DIR`` every invoice and credit note is mapped to the EN 16931 model
(the connector's :meth:`~connectors.base.DocumentSource.document`, through the connection's
mappings), written as Peppol BIS Billing 3.0 UBL and checked with the official validation.
Valid documents become ``DIR/<number>.xml`` (BT-1); a record that fails mapping or validation
is held in ``DIR/quarantine.json`` with the reason and its findings
(:class:`model.findings.Finding`, as :meth:`~model.findings.Finding.to_dict` writes them) and
the rest goes on. Nothing is lost: a record whose file name another record of the same pull
took already (one number from two suppliers, an invoice and a credit note with one number,
``CN/001`` and ``CN_001``) is written as ``<number>~<record id>.xml`` and listed under
``renamed``. Every file is written atomically (a temporary file in ``DIR``, then renamed),
and the pull goes page by page: a page's documents are written before the next page is
asked for. The command keeps no state.

Exit codes: 0 success, 1 a record was quarantined or the source failed, 2 a settings error.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Iterator, Sequence
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
from sync.migration_index import write_atomically

if TYPE_CHECKING:  # the model, UBL, settings and connector packages load only when a command runs
    from ledgerlink.settings import Settings
    from model.findings import Finding

__all__ = [
    "DocumentFiles",
    "OutputFormat",
    "Quarantine",
    "UblDirectory",
    "opened",
    "pull",
    "pulled_records",
    "write_atomically",
]

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


# -- findings -----------------------------------------------------------------------------------


def _causes(failure: BaseException) -> Iterator[BaseException]:
    """The exceptions ``failure`` was raised from or while handling, nearest first."""
    seen: set[int] = set()
    current: BaseException | None = failure
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def record_findings(failure: RecordError) -> tuple[Finding, ...]:
    """The findings of a record the connector could not turn into a document: the unmapped
    code (layer ``mapping``, with the file to edit), the figures that break the calculation
    rules (layer ``calculation``), else the record error itself (layer ``pull``)."""
    import mappings
    from model.calculation import TotalsMismatch
    from model.findings import Finding

    for cause in _causes(failure):
        if isinstance(cause, mappings.MissingMapping):
            return (cause.finding(),)
        if isinstance(cause, TotalsMismatch):
            return cause.findings
    return (Finding(rule="RECORD-ERROR", layer="pull", message=failure.reason),)


# -- the UBL folder ------------------------------------------------------------------------------


@dataclass(slots=True)
class Quarantine:
    """Records held back from ``--ubl-dir``, with why; written as ``quarantine.json``.

    Each entry: ``record`` (its id), ``number`` (BT-1, when the record states it), ``stage``
    (``mapping`` or ``validation``), ``reason`` (one line) and ``issues`` (the findings, as
    :meth:`model.findings.Finding.to_dict` writes them).
    """

    entries: list[dict[str, Any]] = field(default_factory=list)

    def hold(
        self, record: Record, stage: str, reason: str, findings: Iterable[Finding] = ()
    ) -> None:
        self.entries.append(
            {
                "record": record.id,
                "number": record.data.get("number"),
                "stage": stage,
                "reason": reason,
                "issues": [finding.to_dict() for finding in findings],
            }
        )


@dataclass(slots=True)
class DocumentFiles:
    """One file name per document of a pull, never one name for two documents.

    The name is the BT-1 number with every run of characters outside ``A-Za-z0-9._-``
    made ``_``. A name an earlier record of the same pull took (compared without case, for
    file systems that ignore it) gets the record id after a ``~``, then a counter if that is
    taken too: the same pull gives the same names again.
    """

    _taken: set[str] = field(default_factory=set)

    def name(self, number: str, record_id: str) -> tuple[str, str | None]:
        """The file name for the document ``number`` of record ``record_id``, and the name it
        would have had when that was taken (None when it was free)."""
        stem = _safe(number) or "document"
        wanted = f"{stem}.xml"
        chosen = wanted
        if chosen.casefold() in self._taken:
            chosen = f"{stem}~{_safe(record_id) or 'record'}.xml"
            counter = 2
            while chosen.casefold() in self._taken:
                chosen = f"{stem}~{_safe(record_id) or 'record'}~{counter}.xml"
                counter += 1
        self._taken.add(chosen.casefold())
        return chosen, (wanted if chosen != wanted else None)


def _safe(text: str) -> str:
    return _UNSAFE_NAME.sub("_", text).strip(".")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What ``--ubl-dir`` did with one record: the file written (None: quarantined) and, when
    that file has another name than the number's because it was taken, the name it collides
    with."""

    file: str | None
    collides_with: str | None = None


@dataclass(slots=True)
class UblDirectory:
    """``pull --ubl-dir DIR``: each page's documents mapped, written, validated and stored."""

    directory: Path
    source: DocumentSource
    quarantine: Quarantine = field(default_factory=Quarantine)
    written: list[str] = field(default_factory=list)
    renamed: list[dict[str, str | None]] = field(default_factory=list)
    stopped: str | None = None
    _files: DocumentFiles = field(default_factory=DocumentFiles)

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    def page(self, records: Sequence[Record]) -> list[Outcome]:
        """Store one page's documents and the report so far; an outcome per record."""
        outcomes = [self._record(record) for record in records]
        self.save()
        return outcomes

    def _record(self, record: Record) -> Outcome:
        import ubl

        try:
            document = self.source.document(record)
        except RecordError as failure:
            self.quarantine.hold(record, "mapping", failure.reason, record_findings(failure))
            return Outcome(None)
        try:
            xml = ubl.write(document, PROFILE)
        except ubl.ProfileError as failure:
            findings = list(failure.findings)
            self.quarantine.hold(record, "validation", f"refused by the {PROFILE} writer", findings)
            return Outcome(None)
        fatal = ubl.validate(xml).fatal
        if fatal:
            findings = list(fatal)
            self.quarantine.hold(record, "validation", "fatal validation issues", findings)
            return Outcome(None)
        name, taken = self._files.name(document.number, record.id)
        write_atomically(self.directory / name, xml)
        self.written.append(name)
        if taken is not None:
            self.renamed.append(
                {"record": record.id, "number": document.number, "file": name, "taken": taken}
            )
        return Outcome(name, taken)

    def report(self) -> dict[str, Any]:
        """``quarantine.json``: ``profile``, ``written`` (file names), ``quarantined`` (the
        entries of :class:`Quarantine`), ``renamed`` (``record``, ``number``, ``file`` and the
        name that was ``taken``) and ``stopped`` (why the pull stopped early, else null)."""
        return {
            "profile": PROFILE,
            "written": self.written,
            "quarantined": self.quarantine.entries,
            "renamed": self.renamed,
            "stopped": self.stopped,
        }

    def save(self) -> None:
        text = json.dumps(self.report(), indent=2, ensure_ascii=False) + "\n"
        write_atomically(self.directory / QUARANTINE_FILE, text.encode("utf-8"))

    def summary(self) -> str:
        """The status line: files written (renamed ones counted), records held."""
        text = f"{len(self.written)} written to {self.directory}"
        if self.renamed:
            names = ", ".join(f"{item['file']} ({item['taken']} taken)" for item in self.renamed)
            text += f" ({len(self.renamed)} renamed: {names})"
        if self.quarantine.entries:
            return (
                f"{text}, {len(self.quarantine.entries)} record(s) quarantined: "
                f"see {self.directory / QUARANTINE_FILE}"
            )
        return f"{text}, none quarantined"


# -- output -----------------------------------------------------------------------------------


def _summary(record: Record) -> tuple[str, str, str]:
    """Number or name, date and amount of a record of any stream, for the table."""
    data = record.data
    label = data.get("number") or data.get("name") or data.get("description") or ""
    moment = data.get("invoice_date") or data.get("date") or ""
    amount: Any = data.get("total_amount")
    if amount is None and "debit" in data:
        amount = Decimal(data.get("debit") or 0) - Decimal(data.get("credit") or 0)
    return str(label), str(moment), "" if amount is None else str(amount)


class _Output:
    """The records as they come: table rows kept small (id, label, date, amount, file), JSON
    objects printed one by one inside one array."""

    def __init__(self, output: OutputFormat, stream: Stream, *, files: bool) -> None:
        self._output = output
        self._stream = stream
        self._files = files
        self._rows: list[tuple[str, ...]] = []
        self._count = 0

    def add(self, record: Record, outcome: Outcome | None) -> None:
        self._count += 1
        if self._output is OutputFormat.TABLE:
            files = (_file_text(outcome),) if self._files else ()
            self._rows.append((record.id, *_summary(record), *files))
            return
        item: dict[str, Any] = {
            "id": record.id,
            "updated_at": record.updated_at.isoformat(),
            "data": record.data,
        }
        if self._files:
            item["ubl_file"] = outcome.file if outcome is not None else None
            item["ubl_file_taken"] = outcome.collides_with if outcome is not None else None
        text = json.dumps(item, default=str, indent=2, ensure_ascii=False)
        opening = "[\n" if self._count == 1 else ",\n"
        typer.echo(opening + _indented(text), nl=False)

    def close(self, *, complete: bool = True) -> None:
        """Finish the output; after a failure only JSON already begun is closed (so that what
        was printed is still one JSON array), and no table is printed."""
        if self._output is OutputFormat.JSON:
            if self._count:
                typer.echo("\n]")
            elif complete:
                typer.echo("[]")
            return
        if not complete:
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{self._stream.value}: {self._count}")
        columns = ["id", "number/name", "date", "amount", *(["file"] if self._files else [])]
        for column in columns:
            table.add_column(column, justify="right" if column == "amount" else "left")
        for row in self._rows:
            table.add_row(*row)
        Console().print(table)


def _file_text(outcome: Outcome | None) -> str:
    if outcome is None or outcome.file is None:
        return "quarantined"
    if outcome.collides_with is not None:
        return f"{outcome.file} ({outcome.collides_with} taken)"
    return outcome.file


def _indented(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


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
        _pull(ctx, connection, stream, since, ubl_dir, output, cache)


def _pull(
    ctx: typer.Context,
    connection: str,
    stream: Stream,
    since: datetime | None,
    ubl_dir: Path | None,
    output: OutputFormat,
    cache: Path | None,
) -> None:
    settings, source = load_from(ctx)
    cursor = Cursor.start(since) if since is not None else None
    if ubl_dir is not None and stream is not Stream.INVOICES:
        fail("--ubl-dir needs --stream invoices", 2)
    if ubl_dir is not None:  # before the folder is made or a record pulled
        from ledgerlink.bundles import require_bundles

        require_bundles([PROFILE], cache)
    shown = _Output(output, stream, files=ubl_dir is not None)
    folder: UblDirectory | None = None
    try:
        with opened(settings, connection, source) as connector:
            if ubl_dir is not None:
                if not isinstance(connector, DocumentSource):
                    raise ConfigurationError(
                        f"--ubl-dir is not supported for connector {connector.name!r}"
                    )
                folder = UblDirectory(ubl_dir, connector)
            try:
                for page in connector.pull(stream, cursor):
                    outcomes: list[Outcome | None] = (
                        list(folder.page(page.records))
                        if folder is not None
                        else [None] * len(page.records)
                    )
                    for record, outcome in zip(page.records, outcomes, strict=True):
                        shown.add(record, outcome)
            except ConnectorError as failure:
                shown.close(complete=False)
                if folder is not None:  # what was written stays, and the report says so
                    folder.stopped = str(failure)
                    folder.save()
                raise
            shown.close()
            if folder is not None:
                folder.save()  # a pull of no page at all still says what it wrote: nothing
    except ConfigurationError as failure:
        fail(str(failure), 2)
    except ConnectorError as failure:
        stopped = f" ({folder.summary()} before it stopped)" if folder is not None else ""
        fail(f"{failure}{stopped}", 1)
    if folder is None:
        return
    if folder.quarantine.entries:
        fail(folder.summary())
    # a status line, not data: on stderr, so that --format json stays one JSON document
    typer.echo(folder.summary(), err=True)
