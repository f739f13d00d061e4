"""A folder of model-JSON documents as a source: for migrations and systems that only export.

The source is a file or a folder of ``*.json`` files (searched recursively, hidden entries
skipped), each one document in the strict JSON of :mod:`model.jsonio`. It has one stream,
``invoices``; pulling another is a :class:`~connectors.errors.ConfigurationError`, and so are
``push_status`` and ``push_payment``: the source is read-only and its capabilities say so.

Records (the stream policy of :mod:`connectors._files`): ``id`` the file's path relative to the
folder, ``updated_at`` when it changed (modified or copied in), ``data`` a small summary for listings, read page
by page when the page is handed out and never kept with the document: ``path`` (the file),
``kind``, ``number`` (BT-1), ``date`` (BT-2), ``currency`` (BT-5) and ``total_amount``
(BT-115), each only when the file states it; a file that does not parse gets ``path`` alone.

:meth:`ModelJsonSource.document` returns the model exactly as :func:`model.jsonio.loads`
gives it of the file: built from what the listing read and parsed when the file has not
changed since (each file read and parsed once), else from the file read again (totals left out are derived; stated totals are kept as
stated, so figures that break BR-CO-10..17 are caught when the UBL is validated). Every
failure is a :class:`~connectors.errors.RecordError` whose reason names the file, the line and
the field path: bad JSON, text that is not UTF-8, a float amount, an unknown key, a missing
mandatory field, line amounts that do not add up, nesting too deep to read, a file that is gone,
unreadable or bigger than ``max_bytes``.
"""

from __future__ import annotations

import codecs
import json
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors._file_source import DEFAULT_MAX_BYTES, OneFilePerDocument, file_source_type
from connectors._files import file_of, read_limited
from connectors._files import read_within as _read_within
from connectors.base import Record
from connectors.errors import RecordError

if TYPE_CHECKING:  # the model loads only when documents are asked for
    from model import Invoice

__all__ = ["CONNECTOR", "DEFAULT_MAX_BYTES", "DetachedDocument", "ModelJsonSource"]

SUFFIX = ".json"
_SUMMARY_FIELDS = (
    ("kind", "kind"),
    ("number", "number"),
    ("date", "issue_date"),
    ("currency", "currency"),
)


class ModelJsonSource(OneFilePerDocument):
    """The ``invoices`` of the model-JSON documents at ``root`` (a file or a folder)."""

    kind = "model-json"
    suffix = SUFFIX

    def document(self, record: Record) -> Invoice:
        """The invoice or credit note (BG-0) in the record's file, as model.jsonio reads it.

        Raises RecordError with the file, line and field path of the first problem.
        """
        return _document(record, self._kept_for(record), self._root, self._max_bytes)

    def detached(self, record: Record) -> DetachedDocument | None:
        """What maps ``record`` in another process (a validation pool's worker): the data
        the listing read and parsed, and where to read the file again for an error's line;
        :meth:`document` there gives what it gives here. None when nothing is kept for the
        record (its file changed since it was listed): :meth:`document` reads it here."""
        kept = self._kept_for(record)
        if kept is None:
            return None
        return DetachedDocument(record, kept[0], kept[1], str(self._root), self._max_bytes)

    def _listed(self, record_id: str, path: str, status: os.stat_result) -> dict[str, str]:
        """The summary of the file, read once: what parses as :mod:`model.jsonio` reads it
        is kept for :meth:`document`."""
        if status.st_size > self._max_bytes:
            return {}
        try:
            raw = _read_within(path, status.st_size, self._max_bytes)
        except OSError:
            return {}
        if len(raw) > self._max_bytes:
            return {}
        data = _strict(raw)
        if data is None:
            return _summary_of(_lenient(raw))
        self._keep(record_id, path, status, data)
        return _summary_of(data)


@dataclass(frozen=True, slots=True)
class DetachedDocument:
    """A record's document to map in another process (:meth:`ModelJsonSource.detached`):
    the record, the file's path and data as the listing parsed them, the source's folder
    and ``max_bytes``; picklable."""

    record: Record
    path: str
    data: Any
    root: str
    max_bytes: int

    def document(self) -> Invoice:
        """The invoice or credit note (BG-0), as :meth:`ModelJsonSource.document` gives it;
        a RecordError the same."""
        return _document(self.record, (self.path, self.data), Path(self.root), self.max_bytes)


def _document(record: Record, kept: tuple[str, Any] | None, root: Path, max_bytes: int) -> Invoice:
    """The document of ``record`` from the data kept by the listing, else (or for an error
    with its line) from its file read again."""
    from model.jsonio import JsonModelError, from_data, loads

    if kept is not None:
        path_text, data = kept
        try:
            return from_data(data, source=path_text)
        except JsonModelError:
            pass  # read again below, for the error with its line
    path = file_of(root, record, SUFFIX)
    raw = read_limited(path, record.id, max_bytes)
    try:
        return loads(_text(raw, str(path)), source=str(path))
    except JsonModelError as failure:
        raise RecordError(record.id, str(failure)) from None


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


class _NotStrict(ValueError):
    """A float or a NaN where :mod:`model.jsonio` reads none: the file is read again."""


def _not_strict(text: str) -> Any:
    raise _NotStrict(text)


_STRICT = json.JSONDecoder(parse_float=_not_strict, parse_constant=_not_strict)
"""One decoder for every file (``json.loads`` with options makes one per call)."""


def _strict(raw: bytes) -> Any:
    """``raw`` decoded as :func:`model.jsonio.loads` decodes what :meth:`document` gives it
    (UTF-8, a BOM dropped, no float, no NaN: then the data is the same); None otherwise."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return _STRICT.decode(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return None


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


def _lenient(raw: bytes) -> Any:
    """``raw`` as JSON in any encoding JSON allows, floats as Decimal; None when it is not
    JSON, as for :mod:`model.jsonio`: ``NaN`` and ``Infinity`` are none (the json module
    takes them by default), so such a file is listed with its path alone."""
    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None


def _summary_of(data: Any) -> dict[str, str]:
    """What a listing shows of the document ``data``; empty when it is not an object."""
    if not isinstance(data, dict):
        return {}
    summary = {
        key: data[field] for key, field in _SUMMARY_FIELDS if isinstance(data.get(field), str)
    }
    totals = data.get("totals")
    if isinstance(totals, dict) and isinstance(totals.get("payable"), str):
        summary["total_amount"] = totals["payable"]
    return summary


CONNECTOR = file_source_type(
    ModelJsonSource, "model-JSON documents in a file or a folder (migrations, exports)"
)
"""What the ``ledgerlink.connectors`` entry point ``model-json`` names: settings ``path``,
``page_size``, ``max_bytes`` (:class:`~connectors._file_source.FileSourceSettings`)."""
