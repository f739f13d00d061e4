"""Business-term metadata for the fields of the EN 16931 model.

Each field of the model carries its EN 16931 term (``BT-1``, ``BG-25``) as
``typing.Annotated`` metadata, not in its name::

    number: Annotated[str, Term("BT-1", "Invoice number")]

The JSON Schema generator and the error messages read the term from there,
so a user sees "lines[3].quantity (BT-129)" rather than a bare attribute.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any

__all__ = ["Term", "term_of"]


@dataclass(frozen=True, slots=True)
class Term:
    """An EN 16931 business term or group (``BT-1``, ``BG-4``) and its title."""

    id: str
    title: str
    note: str = ""

    def __str__(self) -> str:
        return f"{self.id} {self.title}"


_CACHE: dict[type, dict[str, Term]] = {}


def _terms(cls: type) -> dict[str, Term]:
    if cls in _CACHE:
        return _CACHE[cls]
    hints = typing.get_type_hints(cls, include_extras=True)
    found: dict[str, Term] = {}
    for f in dataclasses.fields(cls):
        for meta in getattr(hints[f.name], "__metadata__", ()):
            if isinstance(meta, Term):
                found[f.name] = meta
    _CACHE[cls] = found
    return found


def term_of(cls: type[Any], field_name: str) -> Term | None:
    """The term annotated on ``cls.field_name``, or None for a field EN 16931 lacks."""
    return _terms(cls).get(field_name)
