"""The conformance harness of the CSV connector (:class:`connectors.csv_file.CsvConnector`).

The source is a folder of CSV exports in the documented column names (docs/csv-layout.md),
one row per invoice line, each invoice with an ``updated_at`` column: the export of a ledger
that stamps its changes, where each invoice is a record and its position in the stream is
that column. A shared timestamp is one export whose invoices all changed at one moment; a
change is the export written again with that invoice's ``updated_at`` moved to now; a bad
record is an export with an invoice whose quantity is not a number. The connector reads
local files: the HTTP behaviours do not apply.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.base import Stream
from connectors.csv_file import CsvConnector
from connectors.http import RetryPolicy
from support.csv_export import CUSTOMER, SELLER

from .file_harnesses import NO_HTTP
from .harness import HTTP_BEHAVIOURS, BadRecord, Behaviour, HttpSide, Source

__all__ = ["CsvHarness", "start_csv"]

START = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
LINES = (
    {"description": "Kopieerpapier A4", "unit": "stuk", "unit_price": "24.95", "vat_code": "21"},
    {"description": "Koffiebonen 1 kg", "unit": "kg", "unit_price": "21.40", "vat_code": "9"},
)
BAD_QUANTITY = "twaalf"


@dataclass(frozen=True, slots=True)
class _Invoice:
    number: str
    export: str
    updated_at: datetime
    quantity: str = "12"


class CsvHarness:
    """Exports written from the invoices the harness holds; two to start with."""

    name = "csv"
    stream = Stream.INVOICES
    http: HttpSide | None = None
    not_applicable: Mapping[Behaviour, str] = dict.fromkeys(HTTP_BEHAVIOURS, NO_HTTP)

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._invoices: dict[str, _Invoice] = {}
        self._moment = START
        for _ in range(2):
            self._add("export-start.csv", self._next_moment())

    @contextmanager
    def connect(
        self, *, page_size: int, retry: RetryPolicy, url: str | None = None
    ) -> Iterator[Source]:
        yield CsvConnector(self.folder, seller=SELLER, page_size=page_size)

    def record_ids(self) -> set[str]:
        """The invoice numbers in the exports, read with the csv module."""
        numbers: set[str] = set()
        for path in self.folder.glob("*.csv"):
            with path.open(encoding="utf-8", newline="") as stream:
                numbers |= {row["number"] for row in csv.DictReader(stream)}
        return numbers

    def seed_shared_timestamp(self, count: int) -> list[str]:
        moment = self._next_moment()
        export = f"export-{len(self._invoices) + 1}.csv"
        return [self._add(export, moment) for _ in range(count)]

    def touch(self, record_id: str) -> None:
        invoice = self._invoices[record_id]
        self._invoices[record_id] = replace(invoice, updated_at=datetime.now(UTC))
        self._write(invoice.export)

    def add_bad_record(self) -> BadRecord:
        export = "export-bad.csv"
        number = self._add(export, self._next_moment(), quantity=BAD_QUANTITY)
        path = self.folder / export
        return BadRecord(number, (f"{path}:2", "quantity", BAD_QUANTITY))

    def _next_moment(self) -> datetime:
        self._moment += timedelta(hours=1)
        return self._moment

    def _add(self, export: str, moment: datetime, *, quantity: str = "12") -> str:
        number = f"2025-{len(self._invoices) + 1:04d}"
        self._invoices[number] = _Invoice(number, export, moment, quantity)
        self._write(export)
        return number

    def _write(self, export: str) -> None:
        rows = [
            {
                "number": invoice.number,
                **CUSTOMER,
                **line,
                "quantity": invoice.quantity,
                "updated_at": invoice.updated_at.replace(tzinfo=None).isoformat(),
            }
            for invoice in self._invoices.values()
            if invoice.export == export
            for line in LINES
        ]
        with (self.folder / export).open("w", encoding="utf-8", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


@contextmanager
def start_csv(request: pytest.FixtureRequest, workdir: Path) -> Iterator[CsvHarness]:
    yield CsvHarness(workdir)
