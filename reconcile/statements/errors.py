"""The one error every statement reader raises: :class:`StatementError`."""

from __future__ import annotations

import os

__all__ = ["StatementError"]


class StatementError(ValueError):
    """A statement file that cannot be read: truncated, malformed, an unsupported camt
    version, an unknown currency, a wrong IBAN (when checked).

    ``str()`` names the file and, where there is one, the entry (and the line)::

        statement.xml: entry 3: unknown currency 'XXY'
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        message: str,
        *,
        entry: int | None = None,
        line: int | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.entry = entry
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [os.path.basename(self.path) or self.path]
        if self.entry is not None:
            where.append(f"entry {self.entry}")
        if self.line is not None:
            where.append(f"line {self.line}")
        return ": ".join([*where, self.message])
