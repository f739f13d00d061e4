"""What a crashed send of the directory channel leaves behind, found and removed.

A sender killed between writing a temporary file and linking it under its name (see
:mod:`delivery.directory`, steps 1 to 3) leaves the temporary file. :func:`stale_temp_files`
finds those of the channel's own naming, untouched for :data:`STALE_TEMP_SECONDS`;
:func:`remove_stale` removes them (the channel's first batch calls it).

Why an age and not a process id: the names hold no pid (``tempfile.mkstemp``'s 8 random
characters), a pid names nothing on another host writing to a shared folder, and pids are
reused. A live sender writes, fsyncs and links a file within seconds; one untouched for
minutes has no writer. Were it still being linked after all, the link would fail and that
document would stay queued and be retried: a temporary name is never a document's.

A staged file (``.<file name>.<hash>.staged``, :mod:`delivery.directory_staging`) that no
send took (its document was never queued, or the process stopped first) is a leftover of
the same kind and goes the same way.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import time
from pathlib import Path
from typing import Final

__all__ = ["STALE_TEMP_SECONDS", "remove_stale", "stale_temp_files"]

_LOG: Final = logging.getLogger("ledgerlink.delivery.directory")

RECEIPTS: Final = ".ledgerlink"
"""The receipt folder's name (:data:`delivery.directory.RECEIPT_FOLDER`)."""

STALE_TEMP_SECONDS: Final = 15 * 60
"""How long a temporary file of the channel's naming stays untouched before the next
open channel removes it as a crash's leftover."""

_RANDOM: Final = r"[a-z0-9_]{8}"  # what tempfile.mkstemp puts between prefix and suffix
_DOCUMENT_TEMP: Final = re.compile(rf"\.[^/\\]+\.(?:{_RANDOM}\.tmp|[0-9a-f]{{32}}\.staged)")
"""A document's temporary file, or its staged file (:mod:`delivery.directory_staging`)."""
_RECEIPT_TEMP: Final = re.compile(rf"\.(?:batch\.{_RANDOM}(?:\.[0-9a-f]{{16}})?|{_RANDOM})\.tmp")


def stale_temp_files(folder: Path, now: float | None = None) -> list[Path]:
    """The channel's temporary files in ``folder`` (a channel's folder: its documents'
    and, in ``.ledgerlink``, its receipts') untouched for :data:`STALE_TEMP_SECONDS`
    at ``now`` (Unix time, default now): regular files of its naming only, never a
    link, a folder or another name."""
    moment = time.time() if now is None else now
    found: list[Path] = []
    for where, pattern in ((folder, _DOCUMENT_TEMP), (folder / RECEIPTS, _RECEIPT_TEMP)):
        try:
            entries = list(os.scandir(where))
        except OSError:
            continue
        for entry in entries:
            if not pattern.fullmatch(entry.name):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and moment - info.st_mtime >= STALE_TEMP_SECONDS:
                found.append(Path(entry.path))
    return sorted(found)


def remove_stale(channel: str, folder: Path, now: float | None = None) -> list[Path]:
    """Remove :func:`stale_temp_files` of ``folder`` (a file that cannot be removed stays),
    logging how many for channel ``channel``; the files removed."""
    removed = []
    for path in stale_temp_files(folder, now):
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    if removed:
        _LOG.info(
            "channel %s: removed %d temporary file(s) a crashed send left in %s",
            channel,
            len(removed),
            folder,
            extra={"event": "stale-temp-removed", "channel": channel},
        )
    return removed
