"""A folder of inbound UBL documents as a source: invoices and credit notes other parties sent.

The source is a file or a folder of ``*.xml`` files (searched recursively, hidden entries
skipped), each a UBL 2.1 Invoice or CreditNote. It has one stream, ``invoices``; pulling
another is a :class:`~connectors.errors.ConfigurationError`, and so are ``push_status`` and
``push_payment``: the source is read-only and its capabilities say so.

Records (the stream policy of :mod:`connectors._files`): ``id`` the file's path relative to the
folder, ``updated_at`` when it changed (modified or copied in), ``data`` a small summary for
listings: ``path`` (the file), ``kind`` (``invoice`` or ``credit_note``), ``number``
(BT-1), ``date`` (BT-2) and ``currency`` (BT-5): those of the parsed document, or for a
file the parser refuses (or one over ``max_bytes``) what the start of the file states
(:data:`HEADER_BYTES`, with :func:`ubl.header.sniff`: the same refusals as the parser, no
DTD, no entities, no network); a file neither can read gets ``path`` alone.

:meth:`UblDirectorySource.document` returns the model exactly as :func:`ubl.parse` gives it
of the file: each file is read once, when its page is handed out, and parsed whole then;
the outcome (the document, or the parser's error) is kept for the page's
:meth:`~UblDirectorySource.document` call and used only while the file has not changed
since (else it is read and parsed again). Every failure is a
:class:`~connectors.errors.RecordError` whose
reason is the parser's :class:`~ubl.InputError` with the file and line (and the element where
known): not XML, empty, binary, a DOCTYPE, a root that is not Invoice or CreditNote, a bad
value or missing mandatory content; or a file that is gone, unreadable or bigger than
``max_bytes``.

Content EN 16931 does not cover (``cbc:UBLVersionID``, extensions, unmapped attributes) is
listed in the parse report. :meth:`~UblDirectorySource.document` cannot carry it, so
:meth:`~UblDirectorySource.parsed` returns the whole :class:`ubl.ParseResult` (model, report,
file name) for callers that keep or show it; it is not in the record data, which is kept
small for listings.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

from connectors._file_source import DEFAULT_MAX_BYTES, OneFilePerDocument, file_source_type
from connectors._files import read_within as _read_within
from connectors.base import Record
from connectors.errors import RecordError

if TYPE_CHECKING:  # the model and the UBL reader load only when documents are asked for
    from model import Invoice
    from ubl import InputError, ParseResult
    from ubl.header import Header

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

        kept = self._kept_for(record)
        outcome: ParseResult | InputError
        if kept is not None:
            source, outcome = kept
        else:
            path, data = self._read(record)
            source, outcome = str(path), _parse(data)
        if isinstance(outcome, ubl.InputError):
            outcome.source = source
            raise RecordError(record.id, str(outcome)) from None
        return dataclasses.replace(outcome, source=source)

    def document(self, record: Record) -> Invoice:
        """The invoice or credit note (BG-0) in the record's file (see :meth:`parsed`)."""
        return self.parsed(record).document

    def _summary(self, path: Path) -> dict[str, str]:
        from ubl.header import sniff_file

        return _summary_of(sniff_file(path, limit=HEADER_BYTES))

    def _listed(self, record_id: str, path: str, status: os.stat_result) -> dict[str, str]:
        """The file read whole (within ``max_bytes``) and parsed once: the outcome is kept
        for :meth:`parsed`, the summary is the parsed document's; a file the parser
        refuses is summarised from its start (:func:`ubl.header.sniff`)."""
        from ubl.header import sniff

        if status.st_size > self._max_bytes:
            return self._summary(Path(path))  # never read whole: document() says too big
        try:
            raw = _read_within(path, status.st_size, self._max_bytes)
        except OSError:
            return {}
        if len(raw) > self._max_bytes:  # it grew past the limit: document() says so
            return _summary_of(sniff(raw, limit=HEADER_BYTES))
        outcome = _parse(raw)
        self._keep(record_id, path, status, outcome)
        if isinstance(outcome, Exception):
            return _summary_of(sniff(raw, limit=HEADER_BYTES))
        document = outcome.document
        return {
            "kind": document.kind.value,
            "number": document.number,
            "date": document.issue_date.isoformat(),
            "currency": document.currency,
        }


def _parse(data: bytes) -> ParseResult | InputError:
    """:func:`ubl.parse` of ``data``, or the InputError it raised (its source to be set)."""
    import ubl

    try:
        return ubl.parse(data)
    except ubl.InputError as failure:
        return failure


def _summary_of(header: Header | None) -> dict[str, str]:
    """Kind, number, issue date and currency from the start of a UBL file (:func:`ubl.sniff`);
    empty for a file that cannot be read, declares a DOCTYPE or has another root."""
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
