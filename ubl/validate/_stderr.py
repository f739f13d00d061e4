"""Keep Saxon's own diagnostics off the terminal, and give them to the issue instead.

On a dynamic error (the CEN rules' XPTY0004, say) saxonche writes a multi-line diagnostic
straight to file descriptor 2, beside the exception it raises. A CI log or a ``--format
json`` run then shows text that looks like a crash. :class:`Fd2Capture` points descriptor 2 at
a spool file for the length of one Saxon call; the caller attaches what Saxon wrote to the
SAXON-ERROR issue and passes anything written during a call that succeeded on to the real
standard error, so nothing another thread wrote in that moment is lost.

Callers hold the Saxon lock around the capture, so captures never nest.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import IO

__all__ = ["Fd2Capture"]

_STDERR = 2


class Fd2Capture:
    """A reusable context manager; after each ``with`` block :attr:`text` holds what was
    written to descriptor 2 inside it (empty when nothing was, or when it cannot be captured)."""

    def __init__(self) -> None:
        self._spool: IO[bytes] | None = None
        self.text = ""
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._drop_spool)

    def _drop_spool(self) -> None:
        """In a forked child: the spool's file offset is shared with the parent, so the child
        makes its own on first use (closing its copy leaves the parent's open)."""
        spool, self._spool = self._spool, None
        if spool is not None:
            spool.close()

    def __enter__(self) -> Fd2Capture:
        self.text = ""
        self._saved: int | None = None
        try:
            sys.stderr.flush()
            if self._spool is None:
                self._spool = tempfile.TemporaryFile()  # kept open, reused by every call
            self._saved = os.dup(_STDERR)
            os.dup2(self._spool.fileno(), _STDERR)
        except (OSError, ValueError):  # no descriptor 2 here: leave it alone
            self._saved = None
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._saved is None or self._spool is None:
            return
        os.dup2(self._saved, _STDERR)
        os.close(self._saved)
        spool = self._spool
        if spool.tell():
            spool.seek(0)
            self.text = spool.read().decode("utf-8", "replace")
            spool.seek(0)
            spool.truncate()

    def pass_on(self) -> None:
        """Write what was captured to the real standard error (it was not Saxon's to hide)."""
        if self.text:
            sys.stderr.write(self.text)
            sys.stderr.flush()
