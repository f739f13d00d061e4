"""A folder of model-JSON documents as a source: for migrations and systems that only export.

The source is a file or a folder of ``*.json`` files (searched recursively, hidden entries
skipped), each one document in the strict JSON of :mod:`model.jsonio`. It has one stream,
``invoices``; pulling another is a :class:`~connectors.errors.ConfigurationError`, and so are
``push_status`` and ``push_payment``: the source is read-only and its capabilities say so.

Records (the stream policy of :mod:`connectors._files`): ``id`` the file's path relative to the
folder, ``updated_at`` its modification time, ``data`` a small summary for listings, read page
by page when the page is handed out and never kept with the document: ``path`` (the file),
``kind``, ``number`` (BT-1), ``date`` (BT-2), ``currency`` (BT-5) and ``total_amount``
(BT-115), each only when the file states it; a file that does not parse gets ``path`` alone.

:meth:`ModelJsonSource.document` reads the file again and returns the model exactly as
:func:`model.jsonio.loads` gives it (totals left out are derived; stated totals are kept as
stated, so figures that break BR-CO-10..17 are caught when the UBL is validated). Every
failure is a :class:`~connectors.errors.RecordError` whose reason names the file, the line and
the field path: bad JSON, text that is not UTF-8, a float amount, an unknown key, a missing
mandatory field, line amounts that do not add up, nesting too deep to read, a file that is gone,
unreadable or bigger than ``max_bytes``.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors._files import file_of, file_records, paged, read_limited
from connectors.base import (
    Capability,
    Cursor,
    DocumentRef,
    Page,
    Payment,
    Record,
    StatusUpdate,
    Stream,
)
from connectors.errors import ConfigurationError, RecordError

if TYPE_CHECKING:  # the model loads only when documents are asked for
    from model import Invoice

__all__ = ["DEFAULT_MAX_BYTES", "ModelJsonSource"]

SUFFIX = ".json"
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_CAPABILITIES = frozenset({Capability.PULL_INVOICES})
_SUMMARY_FIELDS = (
    ("kind", "kind"),
    ("number", "number"),
    ("date", "issue_date"),
    ("currency", "currency"),
)


class ModelJsonSource:
    """The ``invoices`` of the model-JSON documents at ``root`` (a file or a folder)."""

    def __init__(
        self,
        root: Path,
        *,
        name: str = "model-json",
        page_size: int = 100,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, not {page_size}")
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be at least 1, not {max_bytes}")
        self._root = root
        self._name = name
        self._page_size = page_size
        self._max_bytes = max_bytes

    def __repr__(self) -> str:
        return f"ModelJsonSource({str(self._root)!r}, name={self._name!r})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def root(self) -> Path:
        """The file or folder the documents are read from."""
        return self._root

    @property
    def capabilities(self) -> frozenset[Capability]:
        return _CAPABILITIES

    def pull(self, stream: Stream, cursor: Cursor | None) -> Iterator[Page]:
        """The files after ``cursor`` in ``(mtime, path)`` order, ``page_size`` at a time.

        The folder is listed now; each page's files are summarised as the page is handed out.
        """
        if stream is not Stream.INVOICES:
            raise ConfigurationError(
                f"{self._name}: a model-json source has only the invoices stream, not {stream}"
            )
        pages = paged(file_records(self._root, SUFFIX), cursor, self._page_size)
        return (
            Page(tuple(self._summarised(record) for record in page.records), page.next_cursor)
            for page in pages
        )

    def document(self, record: Record) -> Invoice:
        """The invoice or credit note (BG-0) in the record's file, as model.jsonio reads it.

        Raises RecordError with the file, line and field path of the first problem.
        """
        from model.jsonio import JsonModelError, loads

        path = file_of(self._root, record, SUFFIX)
        data = read_limited(path, record.id, self._max_bytes)
        try:
            return loads(_text(data, str(path)), source=str(path))
        except JsonModelError as failure:
            raise RecordError(record.id, str(failure)) from None

    def push_status(self, document_ref: DocumentRef, status: StatusUpdate) -> None:
        """Not supported: the source is read-only (no ``push_status`` capability)."""
        raise ConfigurationError(
            f"{self._name}: a model-json source is read-only: it cannot record status "
            f"{status.status} on {document_ref.number}"
        )

    def push_payment(self, document_ref: DocumentRef, payment: Payment) -> None:
        """Not supported: the source is read-only (no ``push_payment`` capability)."""
        raise ConfigurationError(
            f"{self._name}: a model-json source is read-only: it cannot register a payment "
            f"on {document_ref.number}"
        )

    def _summarised(self, record: Record) -> Record:
        path = file_of(self._root, record, SUFFIX)
        return Record(
            id=record.id,
            updated_at=record.updated_at,
            data={"path": str(path), **_summary(path, self._max_bytes)},
        )


def _text(data: bytes, source: str) -> str:
    """``data`` as UTF-8 text (a BOM dropped); bytes that are not UTF-8 are a JsonModelError
    naming the line they are on."""
    from model.jsonio import JsonModelError

    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as failure:
        error = JsonModelError(
            f"not UTF-8 text: {failure.reason} (byte 0x{data[failure.start]:02x})",
            path="",
            source=source,
        )
        error.line = data.count(b"\n", 0, failure.start) + 1
        raise error from None


def _summary(path: Path, max_bytes: int) -> dict[str, str]:
    """What a listing shows of the document in ``path``; empty when it does not parse."""
    try:
        if path.stat().st_size > max_bytes:
            return {}
        data: Any = json.loads(path.read_bytes(), parse_float=Decimal)
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    summary = {
        key: data[field] for key, field in _SUMMARY_FIELDS if isinstance(data.get(field), str)
    }
    totals = data.get("totals")
    if isinstance(totals, dict) and isinstance(totals.get("payable"), str):
        summary["total_amount"] = totals["payable"]
    return summary
