"""The lookup functions shared by every generated code-list module.

Each generated module builds one :class:`CodeTable` and exposes its bound methods as the
module-level functions ``is_valid`` and ``name``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CodeTable:
    """A code list: its identifier (for messages) and its codes mapped to their names."""

    list_id: str
    codes: Mapping[str, str]

    def is_valid(self, code: str) -> bool:
        """Return True if ``code`` is in the list (exact, case-sensitive match)."""
        return code in self.codes

    def name(self, code: str) -> str:
        """Return the name of ``code``; raise KeyError naming the list if it is not in it."""
        try:
            return self.codes[code]
        except KeyError:
            raise KeyError(f"{code!r} is not a code in {self.list_id}") from None
