"""Which business terms changed between two versions of one invoice.

A document is the invoice as issued. When a source record changes after its document was
delivered, :func:`changed_terms` lists what changed, each as its model path with the
EN 16931 term it carries (:func:`model.terms.term_of`), e.g. ``lines[1].quantity (BT-129)``
or ``due_date (BT-9)``: the lines (BG-25), the totals (BG-22), the parties (BG-4, BG-7),
the dates and the references, whatever the model holds.

"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

from model.terms import term_of

__all__ = ["MAX_CHANGES", "changed_terms"]

MAX_CHANGES: Final = 50
"""At most this many changed paths are listed; a last entry says how many more there were."""


def _named(path: str, owner: type | None, name: str) -> str:
    term = term_of(owner, name) if owner is not None else None
    return f"{path} ({term.id})" if term is not None else path


def _walk(old: Any, new: Any, path: str, label: str, found: list[str]) -> None:
    if old == new:
        return
    if (
        dataclasses.is_dataclass(old)
        and dataclasses.is_dataclass(new)
        and type(old) is type(new)
        and not isinstance(old, type)
    ):
        for field in dataclasses.fields(old):
            child = f"{path}.{field.name}" if path else field.name
            _walk(
                getattr(old, field.name),
                getattr(new, field.name),
                child,
                _named(child, type(old), field.name),
                found,
            )
        return
    if isinstance(old, tuple) and isinstance(new, tuple):
        if len(old) != len(new):
            found.append(f"{label}: {len(old)} -> {len(new)} entries")
            return
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            child = f"{path}[{index}]"
            _walk(before, after, child, child, found)
        return
    found.append(label)


def changed_terms(old: Any, new: Any) -> list[str]:
    """The model paths (with their BT/BG term) where ``new`` differs from ``old``, two
    :class:`model.Invoice` objects; empty when they are equal."""
    found: list[str] = []
    _walk(old, new, "", "document", found)
    if len(found) > MAX_CHANGES:
        return [*found[:MAX_CHANGES], f"... and {len(found) - MAX_CHANGES} more"]
    return found
