"""A document's file for the directory channel written ahead, by whoever builds it.

Writing a document's hidden temporary file and fsyncing it (steps 1 and 2 of
:mod:`delivery.directory`) is most of what a send to a folder costs. A process that builds
the document (a worker of :class:`sync.validation.ValidationPool`, beside the validation)
can do that part ahead with a :class:`DirectoryStager`: the bytes go into a temporary file
of the channel's usual naming, are fsynced, and the file is renamed to its *staged* name,
``.<file name>.<first 32 hex digits of the bytes' SHA-256>.staged``. A staged name
therefore only ever holds complete bytes that are on disk, and only those bytes (the name
says which).

Staging delivers nothing: the name is hidden, and no receipt is written. The send stays
where the outbox decides it, after the row is marked ``sending``: there
:meth:`~delivery.directory.DirectoryChannel.send_batch` takes the staged file of an
envelope (:func:`take_staged`) instead of writing one, links it under the document's name
and fsyncs the folder as for any document, then removes the staged name. An envelope with
no staged file (none was made, it failed, or the sweep took it) is written as always.

A staged file nobody takes (its document was not queued: unchanged, changed after
delivery, or the process stopped before the send) is removed by the channel's sweep of
leftovers once untouched for :data:`~delivery.directory_leftovers.STALE_TEMP_SECONDS`
(:mod:`delivery.directory_leftovers`, which knows the staged names).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["STAGED_SUFFIX", "DirectoryStager", "staged_name", "take_staged"]

STAGED_SUFFIX: Final = ".staged"
_DIGITS: Final = 32
"""Hex digits of the SHA-256 in a staged name (128 bits: no two documents share one)."""


def staged_name(file_name: str, digest: str) -> str:
    """The staged name of the document ``file_name`` whose bytes have SHA-256 ``digest``."""
    return f".{file_name}.{digest[:_DIGITS]}{STAGED_SUFFIX}"


@dataclass(frozen=True, slots=True)
class DirectoryStager:
    """Writes documents ahead into the folder ``path`` of a directory channel (picklable:
    it goes to a validation pool's workers with the models)."""

    path: str

    def stage(self, file_name: str, ubl: bytes, digest: str) -> bool:
        """Write ``ubl`` (SHA-256 ``digest``) under its staged name: temporary file, fsync,
        rename. False when it could not (no folder, full disk...): staging is only a head
        start, the send writes the file itself then."""
        target = os.path.join(self.path, staged_name(file_name, digest))
        if os.path.exists(target):
            return True  # the same bytes, staged before (an earlier cycle stopped)
        temp: str | None = None
        try:
            os.makedirs(self.path, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.path, prefix=f".{file_name}.", suffix=".tmp")
            try:
                view = memoryview(ubl)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, target)
            temp = None
        except OSError:
            return False
        finally:
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
        return True


def take_staged(folder: Path, file_name: str, ubl: bytes, digest: str) -> str | None:
    """The path of the staged file of ``ubl`` in ``folder`` when there is one of its size
    (the caller links it and removes it), else None."""
    path = f"{folder}{os.sep}{staged_name(file_name, digest)}"
    try:
        info = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    import stat

    if not stat.S_ISREG(info.st_mode) or info.st_size != len(ubl):
        return None
    return path
