"""The directory channel (``type = "directory"``): drop each document into a folder, atomically.

A send writes ``<path>/<file name>`` so that nobody ever sees half a file: the bytes go
into a hidden temporary file in the same folder (``.<file name>.<random>.tmp``), the
file is fsynced, moved into place with :func:`os.replace`, and the folder is fsynced so
the rename survives a power loss. Then a small receipt is written under
``<path>/.ledgerlink/<file name>.json`` holding the idempotency key and the SHA-256 of
the bytes (written the same atomic way). The receipt lives apart from the documents
so that whatever watches the folder sees only documents.

Any failure (a full disk, a quota, an I/O error) removes the temporary file: no
half-written file is left and :class:`~delivery.base.ChannelUnavailable` says why (the
document stays queued and is retried). A folder that cannot be written at all
(permission, read-only file system, a path that is a file) is
:class:`~delivery.base.ChannelRefused`. An existing file of the same name is never
overwritten: the same bytes mean the document is already there (a Receipt, nothing
written); other bytes belong to another document and the send is refused.

After a crash between send and record, :meth:`DirectoryChannel.lookup` decides by the
receipt first, so a document that a consumer already took away from the folder still
counts as delivered: a receipt with this idempotency key means delivered. Without a
receipt, the file itself decides: the same bytes mean delivered (the crash came between
the rename and the receipt), anything else means not sent. State after a send:
``delivered``. The directory has no status answers (:meth:`poll` is empty).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Final

from delivery.base import (
    ChannelRefused,
    ChannelUnavailable,
    DeliveryState,
    Envelope,
    Receipt,
    StatusEvent,
)

__all__ = ["RECEIPT_FOLDER", "DirectoryChannel"]

RECEIPT_FOLDER: Final = ".ledgerlink"
"""The subfolder of a channel's folder that holds the send receipts."""

_PERMANENT: Final = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG}
)


def _write_file(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (a seam the tests use to inject a full disk)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(target: Path, data: bytes) -> None:
    """Write ``data`` as ``target``: temp file in the same folder, fsync, rename, fsync folder.
    On any error the temporary file is removed and the error is raised as it came."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        try:
            _write_file(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _fsync_dir(target.parent)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DirectoryChannel:
    """Drops documents into ``path`` (created when missing)."""

    kind: Final = "directory"

    def __init__(self, name: str, path: Path) -> None:
        self._name = name
        self.path = Path(path)

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"DirectoryChannel({self._name!r}, {str(self.path)!r})"

    def accepts(self, envelope: Envelope) -> bool:
        """Every document can go into a folder."""
        return True

    def _receipt_path(self, envelope: Envelope) -> Path:
        return self.path / RECEIPT_FOLDER / f"{envelope.file_name}.json"

    def _error(self, exc: OSError, doing: str) -> ChannelUnavailable | ChannelRefused:
        reason = f"cannot {doing}: {exc.strerror or exc}"
        if exc.errno in _PERMANENT:
            return ChannelRefused(reason, channel=self._name)
        return ChannelUnavailable(reason, channel=self._name)

    def _read_receipt(self, envelope: Envelope) -> dict[str, str] | None:
        try:
            data = json.loads(self._receipt_path(envelope).read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None  # unreadable: the document file decides
        return data if isinstance(data, dict) else None

    def send(self, envelope: Envelope) -> Receipt:
        """Write the document; ChannelUnavailable (full disk...) leaves nothing behind."""
        target = self.path / envelope.file_name
        receipt = Receipt(remote_id=str(target), state=DeliveryState.DELIVERED)
        try:
            (self.path / RECEIPT_FOLDER).mkdir(parents=True, exist_ok=True)
            try:
                existing = target.read_bytes()
            except FileNotFoundError:
                existing = None
            if existing is not None:
                if existing != envelope.ubl:
                    raise ChannelRefused(
                        f"{target} already holds another document; not overwritten",
                        channel=self._name,
                    )
            else:
                _atomic_write(target, envelope.ubl)
            record = {
                "idempotency_key": envelope.idempotency_key,
                "sha256": _sha256(envelope.ubl),
                "file": envelope.file_name,
                "number": envelope.number,
            }
            _atomic_write(
                self._receipt_path(envelope),
                json.dumps(record, sort_keys=True).encode() + b"\n",
            )
        except OSError as exc:
            raise self._error(exc, f"write {target}") from None
        return receipt

    def lookup(self, envelope: Envelope) -> Receipt | None:
        """Delivered when the receipt holds this key, or (no receipt) the file holds these
        bytes; None otherwise."""
        target = self.path / envelope.file_name
        receipt = Receipt(remote_id=str(target), state=DeliveryState.DELIVERED)
        record = self._read_receipt(envelope)
        if record is not None and record.get("idempotency_key") == envelope.idempotency_key:
            return receipt
        try:
            existing = target.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._error(exc, f"read {target}") from None
        if record is None and existing == envelope.ubl:
            return receipt
        return None

    def poll(self, envelope: Envelope, remote_id: str) -> list[StatusEvent]:
        """A folder gives no answers."""
        return []

    def close(self) -> None:
        """Nothing to release."""
