"""The mapping exception tree.

* :class:`MappingError` - base of every mapping failure.
  * :class:`MappingFileError` - a mapping file is unreadable, names an unknown table or key, holds
    a code that is not in its code list, or contradicts itself (category ``S`` without a rate,
    ``E`` without an exemption reason). Raised at load time; the connection cannot run until the
    file is fixed.
  * :class:`MissingMapping` - a source record uses a code the mapping does not cover. A record
    error: the caller holds and reports that record and goes on with the rest;
    :meth:`MissingMapping.finding` is it as a :class:`model.findings.Finding` (layer
    ``mapping``; its hint names the override file to edit, or how to create one, and the
    TOML lines to add: never the packaged file).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from model.findings import Finding

__all__ = ["MappingError", "MappingFileError", "MissingMapping"]


class MappingError(Exception):
    """Base class of every mapping error."""


class MappingFileError(MappingError):
    """A mapping file that cannot be used; the message names the file, table, key and value."""

    def __init__(
        self,
        problem: str,
        *,
        path: Path,
        table: str | None = None,
        key: str | None = None,
        value: object = None,
    ) -> None:
        self.problem = problem
        self.path = path
        self.table = table
        self.key = key
        self.value = value
        where = str(path)
        if table is not None:
            where += f": [{table}]"
        if key is not None:
            where += f" {key!r}"
        if value is not None:
            where += f" = {value!r}"
        super().__init__(f"{where}: {problem}")


class MissingMapping(MappingError):
    """A source code with no mapping; names the code, the record and the override file to
    edit (``path``; None when the connection has none yet) and holds the TOML lines to add."""

    def __init__(
        self,
        message: str,
        *,
        system: str,
        table: str,
        code: str | None,
        record: str | None,
        path: Path | None,
        hint: str,
    ) -> None:
        self.system = system
        self.table = table
        self.code = code
        self.record = record
        self.path = path
        self.hint = hint
        super().__init__(message)

    def finding(self) -> Finding:
        """This error as a finding: layer ``mapping``, rule ``UNMAPPED-CODE``, the message as
        written and as hint the override file to edit (or how to create one) with the TOML
        lines to add."""
        from model.findings import Finding

        return Finding(rule="UNMAPPED-CODE", layer="mapping", message=str(self), hint=self.hint)
