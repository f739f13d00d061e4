"""What the file sources share as connectors: one stream, nothing written back.

:class:`ReadOnlySource` is the part every file source has (``csv``, ``model-json``,
``ubl-dir``): the ``invoices`` stream only (pulling another is a
:class:`~connectors.errors.ConfigurationError`), capabilities that say so, and pushes that
are refused with a message naming the connection and the document.

:class:`OneFilePerDocument` adds what the sources with one document per file share: the
records of :mod:`connectors._files` (id the path in the folder, position when the file changed),
each file listed and ``stat``-ed once, summarised for listings page by page as each page is
handed out, and the file read back, within ``max_bytes``, when its document is asked for. A
source whose summary reads the whole file may keep what it read for the page's documents
(:meth:`OneFilePerDocument._keep`), used only while the file is unchanged. :class:`FileSourceSettings` are their
settings (``path``, ``page_size``, ``max_bytes``) and :func:`file_source_type` their entry in
the connector registry.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

from pydantic import BaseModel, ConfigDict, Field

from connectors._files import (
    existing_path,
    file_of,
    listed_after,
    paged,
    read_limited,
)
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
from connectors.errors import ConfigurationError
from connectors.registry import ConnectionContext, ConnectorType

if TYPE_CHECKING:
    from connectors.base import Connector

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FileSourceSettings",
    "OneFilePerDocument",
    "ReadOnlySource",
    "existing_path",
    "file_source_type",
]

DEFAULT_MAX_BYTES: Final = 64 * 1024 * 1024
"""The default ``max_bytes``: a larger file is a failing record naming its size and the limit."""
_CAPABILITIES: Final = frozenset({Capability.PULL_INVOICES})


class ReadOnlySource:
    """A source that only yields invoices. ``kind`` is its ``connector = ...`` name."""

    kind: ClassVar[str]

    def __init__(self, *, name: str) -> None:
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def capabilities(self) -> frozenset[Capability]:
        return _CAPABILITIES

    def _only_invoices(self, stream: Stream) -> None:
        """A ConfigurationError for any stream but ``invoices``."""
        if stream is not Stream.INVOICES:
            raise ConfigurationError(
                f"{self._name}: a {self.kind} source has only the invoices stream, not {stream}"
            )

    def push_status(self, document_ref: DocumentRef, status: StatusUpdate) -> None:
        """Not supported: the source is read-only (no ``push_status`` capability)."""
        raise ConfigurationError(
            f"{self._name}: a {self.kind} source is read-only: it cannot record status "
            f"{status.status} on {document_ref.number}"
        )

    def push_payment(self, document_ref: DocumentRef, payment: Payment) -> None:
        """Not supported: the source is read-only (no ``push_payment`` capability)."""
        raise ConfigurationError(
            f"{self._name}: a {self.kind} source is read-only: it cannot register a payment "
            f"on {document_ref.number}"
        )


class OneFilePerDocument(ReadOnlySource):
    """The documents at ``root`` (a file, or a folder searched for ``*<suffix>``), one each.

    Subclasses name their ``kind`` and ``suffix``, say what a listing shows of a file
    (:meth:`_summary`), and read a document with :meth:`_read`.
    """

    suffix: ClassVar[str]

    def __init__(
        self,
        root: Path,
        *,
        name: str | None = None,
        page_size: int = 100,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, not {page_size}")
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be at least 1, not {max_bytes}")
        super().__init__(name=name or self.kind)
        self._root = root
        self._page_size = page_size
        self._max_bytes = max_bytes
        self._kept: dict[str, tuple[str, tuple[int, ...], Any]] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self._root)!r}, name={self._name!r})"

    @property
    def root(self) -> Path:
        """The file or folder the documents are read from."""
        return self._root

    def pull(self, stream: Stream, cursor: Cursor | None) -> Iterator[Page]:
        """The files after ``cursor`` in ``(changed, path)`` order, ``page_size`` at a time.

        The folder is listed now, keeping only the files after ``cursor``
        (:func:`~connectors._files.listed_after`); each page's files are summarised as the
        page is handed out.
        """
        self._only_invoices(stream)
        listed = listed_after(self._root, self.suffix, cursor)
        files = {record.id: (path, status) for record, path, status in listed}
        records = [record for record, _, _ in listed]
        return self._pages(paged(records, cursor, self._page_size), files)

    def _pages(
        self, pages: Iterator[Page], files: dict[str, tuple[str, os.stat_result]]
    ) -> Iterator[Page]:
        for page in pages:
            self._kept.clear()  # what was kept for the page before is not asked for again
            summarised = []
            for record in page.records:
                path, status = files[record.id]
                summary = self._listed(record.id, path, status)
                summarised.append(
                    Record(
                        id=record.id,
                        updated_at=record.updated_at,
                        data={"path": path, **summary},
                    )
                )
            yield Page(tuple(summarised), page.next_cursor)

    def _read(self, record: Record) -> tuple[Path, bytes]:
        """The record's file and its bytes; a RecordError naming the file when it is gone,
        unreadable or bigger than ``max_bytes``."""
        path = file_of(self._root, record, self.suffix)
        return path, read_limited(path, record.id, self._max_bytes)

    def _summary(self, path: Path) -> dict[str, str]:
        """What a listing shows of the document in ``path`` (never raises)."""
        raise NotImplementedError

    def _listed(self, record_id: str, path: str, status: os.stat_result) -> dict[str, str]:
        """What a listing shows of the file ``path`` (its ``stat`` as listed): :meth:`_summary`
        unless a subclass reads it otherwise (never raises)."""
        return self._summary(Path(path))

    def _keep(self, record_id: str, path: str, status: os.stat_result, value: Any) -> None:
        """Keep ``value``, read from ``path`` (``stat`` as listed) while the page of
        ``record_id`` is handed out, for :meth:`_kept_for`."""
        self._kept[record_id] = (path, _signature(status), value)

    def _kept_for(self, record: Record) -> tuple[str, Any] | None:
        """The path and the value kept for ``record`` (taken: once), or None when nothing
        was kept or its file changed, moved or went since it was listed."""
        kept = self._kept.pop(record.id, None)
        if kept is None:
            return None
        path, signature, value = kept
        try:
            if _signature(os.stat(path)) != signature:
                return None
        except OSError:
            return None
        return path, value


def _signature(status: os.stat_result) -> tuple[int, ...]:
    """What tells that a file is not the one listed: its inode, size and change times."""
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


class FileSourceSettings(BaseModel):
    """The settings of a source with one document per file (``model-json``, ``ubl-dir``).

    ``path``: a file or a folder searched recursively, relative to the settings file's folder;
    ``page_size``: files per page; ``max_bytes``: a larger file is not read, its record fails
    naming the file, its size and the limit. Unknown keys are refused.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1, description="a file or a folder of them")
    page_size: int = Field(default=100, ge=1, description="files per page")
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1, description="larger files fail")


def file_source_type(
    source: type[OneFilePerDocument], summary: str
) -> ConnectorType[FileSourceSettings]:
    """The registry entry of a :class:`OneFilePerDocument` source: kind ``source.kind``, no
    code mapping, opened on its existing ``path``."""

    def open_source(settings: FileSourceSettings, context: ConnectionContext) -> Connector:
        return source(
            existing_path(settings.path, context),
            name=context.name,
            page_size=settings.page_size,
            max_bytes=settings.max_bytes,
        )

    return ConnectorType(
        kind=source.kind, settings=FileSourceSettings, open=open_source, summary=summary
    )
