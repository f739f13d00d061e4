"""What a migration writes into its folder: ``index.csv``, its rows, the UBL file names.

:data:`INDEX_COLUMNS` are the columns of ``index.csv``, one :class:`Item` per record a
migration took; :func:`file_name` names a document's file as ``ledgerlink pull
--ubl-dir`` does; every file is written atomically (:func:`write_atomically`), never
over other bytes.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

__all__ = [
    "INDEX_COLUMNS",
    "INDEX_FILE",
    "STATES",
    "Item",
    "file_name",
    "same_file",
    "write_atomically",
    "write_index",
]

INDEX_FILE: Final = "index.csv"
INDEX_COLUMNS: Final = (
    "number",  # BT-1
    "kind",  # invoice or credit-note
    "issue_date",  # BT-2
    "buyer_name",  # BT-44
    "buyer_id",  # BT-46, else BT-47, else BT-48
    "net",  # BT-109
    "vat",  # BT-110
    "payable",  # BT-115
    "currency",  # BT-5
    "state",  # written, held or quarantined
    "file",
    "reason",
    "delivery",  # with --deliver: the document's state (queued, delivered, ...)
)
"""The columns of ``index.csv``, in order; amounts are Decimal as text."""
STATES: Final = ("written", "held", "quarantined")
"""What a migration did with a record."""
_UNSAFE_NAME: Final = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(slots=True, kw_only=True)
class Item:
    """One record a migration took: one row of ``index.csv``."""

    source_id: str
    key: str
    """The content hash of the UBL, or of the record data when none was built."""
    state: str
    """One of :data:`STATES`."""
    number: str | None = None
    kind: str | None = None
    issue_date: date | None = None
    buyer_name: str | None = None
    buyer_id: str | None = None
    net: Decimal | None = None
    vat: Decimal | None = None
    payable: Decimal | None = None
    currency: str | None = None
    file: str | None = None
    reason: str | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    document_id: int | None = None
    delivery: str | None = None

    def row(self) -> dict[str, str]:
        """The item as a row of ``index.csv`` (:data:`INDEX_COLUMNS`)."""
        values: dict[str, Any] = {
            "number": self.number,
            "kind": self.kind,
            "issue_date": self.issue_date.isoformat() if self.issue_date else None,
            "buyer_name": self.buyer_name,
            "buyer_id": self.buyer_id,
            "net": _money(self.net),
            "vat": _money(self.vat),
            "payable": _money(self.payable),
            "currency": self.currency,
            "state": self.state,
            "file": self.file,
            "reason": self.reason,
            "delivery": self.delivery,
        }
        return {key: "" if values[key] is None else str(values[key]) for key in INDEX_COLUMNS}


def _money(value: Decimal | None) -> str | None:
    """An amount as text: its own digits, at least two decimals (``591.77``, ``100.00``)."""
    if value is None:
        return None
    shown = value.normalize()
    exponent = shown.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        shown = value.quantize(Decimal("0.01"))
    return format(shown, "f")


def _safe(text: str) -> str:
    return _UNSAFE_NAME.sub("_", text).strip(".")


def file_name(number: str, record_id: str, taken: Any) -> tuple[str, str | None]:
    """The file name of document ``number`` of record ``record_id``, as ``pull --ubl-dir``
    makes it, and the name it would have had when that was ``taken`` (None when free).

    ``taken(name)`` says whether a name is in use. The name is the BT-1 number with every
    run of characters outside ``A-Za-z0-9._-`` made ``_``; a taken one gets ``~`` and the
    record id, then a counter.
    """
    stem = _safe(number) or "document"
    wanted = f"{stem}.xml"
    chosen = wanted
    rid = _safe(record_id) or "record"
    counter = 1
    while taken(chosen):
        counter += 1
        chosen = f"{stem}~{rid}.xml" if counter == 2 else f"{stem}~{rid}~{counter - 1}.xml"
    return chosen, (wanted if chosen != wanted else None)


def write_atomically(path: Path, data: bytes) -> None:
    """``data`` as ``path``: a temporary file in the folder, fsynced, renamed into place."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def same_file(path: Path, data: bytes) -> bool | None:
    """True when ``path`` holds ``data``, False when other bytes, None when missing."""
    try:
        return path.read_bytes() == data
    except FileNotFoundError:
        return None


def write_index(target: Path, items: Sequence[Item]) -> None:
    """``target/index.csv``: one row per item, in order, written atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=INDEX_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow(item.row())
    write_atomically(target / INDEX_FILE, buffer.getvalue().encode("utf-8"))
