"""The CSV connector: invoices from CSV exports, for migrations and systems that only export.

The connection's ``path`` is a ``.csv`` file or a folder searched for them (see
:mod:`connectors._files`); the layout, one row per invoice line, is
:mod:`connectors.csv_layout` and ``docs/csv-layout.md``; the settings are
:mod:`connectors.csv_settings`; :meth:`CsvConnector.document` maps a record with
:mod:`connectors.csv_map`. Only the ``invoices`` stream exists, and nothing is written back.

Records, one per invoice: ``id`` is the invoice number (BT-1); ``updated_at`` the latest
``updated_at`` of its rows, else when its file changed (:func:`connectors._files.changed_at`:
modified or copied in); ``data`` holds ``number``,
``file`` and ``rows`` (each row's ``line`` and its non-empty documented columns; other
columns are not read). Nothing is dropped: what cannot be an invoice becomes a record whose
:meth:`~CsvConnector.document` raises :class:`~connectors.errors.RecordError` naming the file
and line, and the other records go on:

* a row without an invoice number: record ``<file>:<line>``;
* a row whose bytes are not valid in the connection's ``encoding``, or with more or fewer
  fields than the header: its invoice fails as a whole (never sent with a line missing); when
  its number cannot be read either, record ``<file>:<line>``;
* a file that cannot be read as CSV, whose header lacks a required column, or that is bigger
  than ``max_bytes`` (default 64 MiB; every pull holds a file's rows in memory): record
  ``<file>`` (its relative path);
* an invoice number in two files: the file changed first (:func:`~connectors._files.changed_at`, then path)
  keeps the number; the rows in any other file become record ``<file>:<first line>``, which
  fails naming both places (an invoice belongs to one file; merging would double its lines).

Blank rows, and rows whose every field is empty, are skipped. Pulls resume by ``(updated_at,
id)`` as every connector does (:func:`connectors._files.paged`): with an ``updated_at`` column
a re-exported file only brings back the invoices whose ``updated_at`` moved on, but rows added
later with an ``updated_at`` before the cursor are not pulled again.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors._file_source import ReadOnlySource
from connectors._files import (
    changed_at,
    existing_path,
    files_under,
    no_such_path,
    paged,
    relative_id,
    too_big,
)
from connectors.base import (
    Cursor,
    Page,
    Record,
    Stream,
)
from connectors.csv_layout import CsvFormat, HeaderError
from connectors.csv_settings import DEFAULT_MAX_BYTES, CsvSettings, SellerSettings
from connectors.errors import ConfigurationError
from connectors.registry import ConnectionContext, ConnectorType

if TYPE_CHECKING:  # mapping to the model loads only when documents are asked for
    import mappings
    from connectors.csv_map import Seller
    from model import Invoice

__all__ = ["CONNECTOR", "CsvConnector", "read_records"]


class CsvConnector(ReadOnlySource):
    """CSV exports under one path; see the module docstring for the records."""

    kind = "csv"

    def __init__(
        self,
        path: Path,
        *,
        seller: SellerSettings,
        csv_format: CsvFormat | None = None,
        name: str = "csv",
        parties: Mapping[str, Mapping[str, str]] | None = None,
        mapping: mappings.Mapping | None = None,
        page_size: int = 100,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, not {page_size}")
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be at least 1, not {max_bytes}")
        self._max_bytes = max_bytes
        if not path.exists():
            raise ConfigurationError(no_such_path(path))
        from connectors.csv_map import seller_from_settings

        if mapping is None:
            import mappings

            mapping = mappings.load("csv")
        super().__init__(name=name)
        self._root = path
        self._format = csv_format or CsvFormat()
        self._parties = dict(parties or {})
        self._mapping = mapping
        self._page_size = page_size
        self._seller: Seller = seller_from_settings(seller, mapping)

    def __repr__(self) -> str:
        return f"CsvConnector(name={self._name!r}, path={str(self._root)!r})"

    def pull(self, stream: Stream, cursor: Cursor | None) -> Iterator[Page]:
        """Invoice records after ``cursor``, ``page_size`` at a time; files are read anew."""
        self._only_invoices(stream)
        records = read_records(self._root, self._format, max_bytes=self._max_bytes)
        return paged(records, cursor, self._page_size)

    def document(self, record: Record) -> Invoice:
        """The EN 16931 invoice or credit note of a record (:func:`csv_map.to_invoice`)."""
        from connectors.csv_map import to_invoice

        return to_invoice(
            record,
            csv_format=self._format,
            seller=self._seller,
            parties=self._parties,
            mapping=self._mapping,
        )

    @property
    def mapping(self) -> mappings.Mapping:
        """``mappings/csv.toml`` with the connection's overrides on top."""
        return self._mapping

    def codes(self, record: Record) -> Iterator[tuple[str, str, str]]:
        """``(mapping table, code, file:line)`` for every code the record holds, as the
        connection's mapping spells it (:func:`csv_map.codes_of`)."""
        from connectors.csv_map import codes_of

        return codes_of(record, self._mapping)


# -- reading the files --------------------------------------------------------------------------


@dataclass(slots=True)
class _File:
    """One export read: its rows (``line`` plus columns) or why it could not be read."""

    path: Path
    record_id: str
    modified: datetime
    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def shown(self) -> str:
        return str(self.path)


def read_records(
    root: Path, csv_format: CsvFormat, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[Record]:
    """Every record of the exports under ``root``; see the module docstring."""
    files = [
        _read(path, relative_id(root, path), changed_at(path), csv_format, max_bytes)
        for path in files_under(root, ".csv")
    ]
    files.sort(key=lambda read: (read.modified, read.record_id))
    records: list[Record] = []
    owners: dict[str, tuple[_File, list[int]]] = {}
    for read in files:
        if read.error is not None:
            data = {"file": read.shown, "error": read.error}
            records.append(Record(id=read.record_id, updated_at=read.modified, data=data))
            continue
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in read.rows:
            number = row.get("number")
            if number is None:
                records.append(_row_record(read, row, csv_format))
            else:
                groups.setdefault(str(number), []).append(row)
        for number, rows in groups.items():
            lines = [int(row["line"]) for row in rows]
            owner = owners.get(number)
            if owner is None:
                owners[number] = (read, lines)
                records.append(_invoice_record(number, read, rows, csv_format))
            else:
                records.append(_duplicate_record(number, read, rows, owner))
    return records


def _invoice_record(
    number: str, read: _File, rows: list[dict[str, Any]], csv_format: CsvFormat
) -> Record:
    moments: list[datetime] = []
    for row in rows:
        text = row.get("updated_at")
        if text is not None:
            # a bad one: document() names the cell; the record keeps the other times
            with contextlib.suppress(ValueError):
                moments.append(csv_format.parse_moment(str(text)))
    data = {
        "number": number,
        "file": read.shown,
        # for listings only, as exported (document() parses and checks them)
        "date": _first(rows, "issue_date"),
        "total_amount": _first(rows, "total_with_vat"),
        "rows": rows,
    }
    return Record(id=number, updated_at=max(moments, default=read.modified), data=data)


def _first(rows: list[dict[str, Any]], column: str) -> str | None:
    """The first value of ``column`` on the rows, as exported, or None."""
    return next((str(row[column]) for row in rows if row.get(column)), None)


def _row_record(read: _File, row: dict[str, Any], csv_format: CsvFormat) -> Record:
    line = int(row["line"])
    problem = row.get("error") or (
        f"the row has no invoice number (column {csv_format.label('number')}), "
        "so it belongs to no invoice"
    )
    data = {"file": read.shown, "line": line, "error": f"{read.shown}:{line}: {problem}"}
    return Record(id=f"{read.record_id}:{line}", updated_at=read.modified, data=data)


def _duplicate_record(
    number: str, read: _File, rows: list[dict[str, Any]], owner: tuple[_File, list[int]]
) -> Record:
    first = min(int(row["line"]) for row in rows)
    other, other_lines = owner
    error = (
        f"{read.shown}:{first}: invoice {number} is also in {other.shown} "
        f"(line{'s' if len(other_lines) > 1 else ''} {_lines_text(other_lines)}), which was "
        "changed first and keeps it: an invoice number belongs to one file; remove the rows "
        "from one of the two"
    )
    data = {"number": number, "file": read.shown, "rows": rows, "error": error}
    return Record(id=f"{read.record_id}:{first}", updated_at=read.modified, data=data)


def _lines_text(lines: list[int]) -> str:
    shown = ", ".join(str(line) for line in lines[:5])
    return shown if len(lines) <= 5 else f"{shown}, ... ({len(lines)} rows)"


def _read(
    path: Path, record_id: str, modified: datetime, csv_format: CsvFormat, max_bytes: int
) -> _File:
    """Read one export; a problem with the file as a whole goes into ``error``."""
    read = _File(path=path, record_id=record_id, modified=modified)
    limit = "the connection's max_bytes; split the export or raise max_bytes"
    try:
        size = path.stat().st_size
        if size > max_bytes:  # refused unread
            read.error = too_big(path, size, max_bytes, limit)
            return read
        with path.open("rb") as file:
            raw = file.read(max_bytes + 1)  # never more, should the file grow meanwhile
    except OSError as failure:
        read.error = f"{path}: cannot read: {failure.strerror}"
        return read
    if len(raw) > max_bytes:
        read.error = too_big(path, None, max_bytes, limit)
        return read
    try:
        text = raw.decode(csv_format.encoding, errors="surrogateescape")
    except UnicodeDecodeError as failure:
        line = raw[: failure.start].count(b"\n") + 1
        read.error = (
            f"{path}:{line}: not valid {csv_format.encoding} text ({failure.reason}); "
            "set the connection's encoding"
        )
        return read
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=csv_format.delimiter)
    index: dict[str, int] | None = None
    width = 0
    line = 1
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as failure:
            read.error = f"{path}:{line}: not readable as CSV ({failure})"
            return read
        if not any(cell.strip() for cell in cells):
            continue
        if index is None:
            if any(_undecodable(cell) for cell in cells):
                read.error = _bad_bytes(path, line, csv_format, "the header row")
                return read
            try:
                index = csv_format.header_index(cells)
            except HeaderError as failure:
                read.error = f"{path}:{line}: {failure}"
                return read
            width = len(cells)
            continue
        read.rows.append(_row(cells, line, index, width, path, csv_format))
    if index is None:
        read.error = f"{path}: no header row (the file is empty)"
    return read


def _row(
    cells: list[str],
    line: int,
    index: Mapping[str, int],
    width: int,
    path: Path,
    csv_format: CsvFormat,
) -> dict[str, Any]:
    """One data row: ``line`` and its non-empty columns, or ``line``, ``number`` and ``error``."""
    number_at = index["number"]
    number = cells[number_at].strip() if number_at < len(cells) else ""
    number_known = bool(number) and not _undecodable(number)
    if len(cells) != width:
        problem = f"the row has {len(cells)} fields, the header has {width}"
        return _row_error(line, number if number_known else None, problem)
    row: dict[str, Any] = {"line": line}
    for name, position in index.items():
        value = cells[position].strip()
        if not value:
            continue
        if _undecodable(value):
            where = f"column {csv_format.label(name)}"
            return _row_error(
                line, number if number_known else None, _bad_bytes(None, None, csv_format, where)
            )
        row[name] = value
    return row


def _row_error(line: int, number: str | None, problem: str) -> dict[str, Any]:
    row: dict[str, Any] = {"line": line, "error": problem}
    if number is not None:
        row["number"] = number
    return row


def _undecodable(text: str) -> bool:
    """True when ``text`` holds bytes the encoding could not decode (``surrogateescape``)."""
    return any("\udc80" <= char <= "\udcff" for char in text)


def _bad_bytes(path: Path | None, line: int | None, csv_format: CsvFormat, where: str) -> str:
    place = "" if path is None else f"{path}:{line}: "
    return (
        f"{place}{where} holds bytes that are not valid {csv_format.encoding} text; set the "
        'connection\'s encoding (e.g. encoding = "cp1252" for a Windows export)'
    )


def _open(settings: CsvSettings, context: ConnectionContext) -> CsvConnector:
    """The CSV connector of checked settings; a relative ``path`` is read from the settings
    file's folder."""
    return CsvConnector(
        existing_path(settings.path, context),
        seller=settings.seller,
        csv_format=settings.csv_format(),
        name=context.name,
        parties=context.parties,
        mapping=context.mapping(),
        page_size=settings.page_size,
        max_bytes=settings.max_bytes,
    )


CONNECTOR: ConnectorType[CsvSettings] = ConnectorType(
    kind="csv",
    settings=CsvSettings,
    open=_open,
    mapping="csv",
    summary="invoices from CSV exports (docs/csv-layout.md)",
)
"""What the ``ledgerlink.connectors`` entry point ``csv`` names."""
