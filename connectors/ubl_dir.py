"""A folder of inbound UBL documents as a source: invoices and credit notes other parties sent.

The source is a file or a folder of ``*.xml`` files (searched recursively, hidden entries
skipped), each a UBL 2.1 Invoice or CreditNote. It has one stream, ``invoices``; pulling
another is a :class:`~connectors.errors.ConfigurationError`, and so are ``push_status`` and
``push_payment``: the source is read-only and its capabilities say so.

Records (the stream policy of :mod:`connectors._files`): ``id`` the file's path relative to the
folder, ``updated_at`` when it changed (modified or copied in), ``data`` a small summary for listings: ``path``
(the file), ``kind`` (``invoice`` or ``credit_note``, from the root element), ``number``
(BT-1), ``date`` (BT-2) and ``currency`` (BT-5) when the document header states them. The
summary reads only the start of the file (:data:`HEADER_BYTES`, with :func:`ubl.header.sniff_file`:
the same refusals as the parser, no DTD, no entities, no network); a file it cannot read gets ``path`` alone.

:meth:`UblDirectorySource.document` reads the file again and returns the model exactly as
:func:`ubl.parse` gives it. Every failure is a :class:`~connectors.errors.RecordError` whose
reason is the parser's :class:`~ubl.InputError` with the file and line (and the element where
known): not XML, empty, binary, a DOCTYPE, a root that is not Invoice or CreditNote, a bad
value or missing mandatory content; or a file that is gone, unreadable or bigger than
``max_bytes``.

Content EN 16931 does not cover (``cbc:UBLVersionID``, extensions, unmapped attributes) is
listed in the parse report. :meth:`~UblDirectorySource.document` cannot carry it, so
:meth:`~UblDirectorySource.parsed` returns the whole :class:`ubl.ParseResult` (model, report,
file name) for callers that keep or show it; it is not in the record data, which would need
the whole file parsed at pull time.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from connectors._file_source import DEFAULT_MAX_BYTES, OneFilePerDocument, file_source_type
from connectors.base import Record
from connectors.errors import RecordError

if TYPE_CHECKING:  # the model and the UBL reader load only when documents are asked for
    from model import Invoice
    from ubl import ParseResult

__all__ = ["CONNECTOR", "DEFAULT_MAX_BYTES", "HEADER_BYTES", "UblDirectorySource"]

SUFFIX = ".xml"
HEADER_BYTES = 64 * 1024
"""How much of each file the record summary reads (with :func:`ubl.header.sniff_file`)."""


class UblDirectorySource(OneFilePerDocument):
    """The ``invoices`` of the UBL Invoice and CreditNote files at ``root`` (a file or a folder)."""

    kind = "ubl-dir"
    suffix = SUFFIX

    def parsed(self, record: Record) -> ParseResult:
        """The record's file as :func:`ubl.parse` reads it: the model, the report of content
        EN 16931 does not cover, and the file's path as ``source``.

        Raises RecordError with the file, line and element of the first problem.
        """
        import ubl

        path, data = self._read(record)
        try:
            result = ubl.parse(data)
        except ubl.InputError as failure:
            failure.source = str(path)
            raise RecordError(record.id, str(failure)) from None
        return dataclasses.replace(result, source=str(path))

    def document(self, record: Record) -> Invoice:
        """The invoice or credit note (BG-0) in the record's file (see :meth:`parsed`)."""
        return self.parsed(record).document

    def _summary(self, path: Path) -> dict[str, str]:
        return _header(path)


def _header(path: Path) -> dict[str, str]:
    """Kind, number, issue date and currency from the start of a UBL file (:func:`ubl.sniff`);
    empty for a file that cannot be read, declares a DOCTYPE or has another root."""
    from ubl.header import sniff_file

    header = sniff_file(path, limit=HEADER_BYTES)
    if header is None or header.kind is None:
        return {}
    summary = {
        "kind": header.kind,
        "number": header.number,
        "date": header.issue_date,
        "currency": header.currency,
    }
    return {key: value for key, value in summary.items() if value is not None}


CONNECTOR = file_source_type(
    UblDirectorySource, "inbound UBL Invoice and CreditNote files in a file or a folder"
)
"""What the ``ledgerlink.connectors`` entry point ``ubl-dir`` names: settings ``path``,
``page_size``, ``max_bytes`` (:class:`~connectors._file_source.FileSourceSettings`)."""
