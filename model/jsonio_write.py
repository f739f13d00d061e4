"""Model -> model JSON: :func:`to_data` and :func:`dumps` (:mod:`model.jsonio`'s writer).

Amounts, quantities and rates (Decimal) become decimal strings, dates ``YYYY-MM-DD``,
binary attachments base64, enums their value; None and empty lists are left out. Import
these names from :mod:`model.jsonio`.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from model.document import Invoice

__all__ = ["dumps", "to_data"]

# --------------------------------------------------------------- model -> JSON


# Each type of value met gets its writer once (:class:`_Writers`, chosen by the type's place
# in the order Decimal, date, bytes, enum, tuple, dataclass), and each model class its field
# names (:class:`_Names`): writing a document costs a look-up and a call per value.


def _plain(value: Any) -> Any:
    return _WRITERS[type(value)](value)


def _plain_tuple(value: tuple[Any, ...]) -> list[Any]:
    return [_WRITERS[type(v)](v) for v in value]


def _same(value: Any) -> Any:
    return value


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")


def _base64_text(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _enum_value(value: enum.Enum) -> Any:
    return value.value


class _Writers(dict[type, Callable[[Any], Any]]):
    """How a value of each type is written in JSON, chosen on its type's first use."""

    def __missing__(self, kind: type) -> Callable[[Any], Any]:
        writer: Callable[[Any], Any] = _same
        if issubclass(kind, Decimal):
            writer = _decimal_text
        elif issubclass(kind, date):
            writer = kind.isoformat
        elif issubclass(kind, bytes):
            writer = _base64_text
        elif issubclass(kind, enum.Enum):
            writer = _enum_value
        elif issubclass(kind, tuple):
            writer = _plain_tuple
        elif dataclasses.is_dataclass(kind):
            writer = to_data
        self[kind] = writer
        return writer


class _Names(dict[type, tuple[str, ...]]):
    """The field names of each dataclass, read on its first use."""

    def __missing__(self, cls: type) -> tuple[str, ...]:
        names = self[cls] = tuple(f.name for f in dataclasses.fields(cls))
        return names


_WRITERS = _Writers()
_NAMES = _Names()


def to_data(obj: Any) -> dict[str, Any]:
    """A model object as plain JSON data: None and empty lists are left out."""
    out: dict[str, Any] = {}
    for name in _NAMES[type(obj)]:
        value = getattr(obj, name)
        if type(value) is str:  # the common case, written as it is
            out[name] = value
        elif value is not None and value != ():
            out[name] = _WRITERS[type(value)](value)
    return out


def dumps(document: Invoice) -> str:
    """The model JSON of ``document``: deterministic, indented, ending in a newline."""
    return json.dumps(to_data(document), indent=2, ensure_ascii=False) + "\n"
