"""The raw rows of :func:`sync.receivables.stored_items`, decoded fast.

A store of a million open items is read in one query; the column types' own result
processing (an exact decimal, a date, a JSON list per value) would cost more than the rest of
the reports together. :class:`RawValues` decodes the DB-API values of SQLite and PostgreSQL
directly: money as integer units of 0.0001 (what :class:`~sync.store.types.ExactDecimal`
stores on SQLite), dates and identifier lists through caches (a store has few distinct dates,
and a debtor's identifiers repeat on each of its documents).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

__all__ = ["RawValues", "decimal_of", "places_of"]

_UNITS = 10_000
"""Units of 0.0001 per currency unit: the four decimals the store keeps."""


def decimal_of(units: int, places: int) -> Decimal:
    """``units`` of 0.0001 as a Decimal with ``places`` decimals (2 to 4), rounded half even
    when it has more."""
    step = 10 ** (4 - places)
    if units % step == 0:
        return Decimal(units // step).scaleb(-places)
    return Decimal(units).scaleb(-4).quantize(Decimal(1).scaleb(-places))


def places_of(units: int) -> int:
    """The decimals an amount of ``units`` needs: at least two, as a document states money."""
    if units % 100 == 0:
        return 2
    return 3 if units % 10 == 0 else 4


class RawValues:
    """Decoders for the raw values of one database (``sqlite`` or ``postgresql``)."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"
        self._days: dict[Any, date] = {}
        self._ids: dict[Any, frozenset[tuple[str, str]]] = {}
        self._accounts: dict[Any, frozenset[str]] = {}

    def units(self, value: Any) -> int:
        """A money column (or a sum of them) as integer units of 0.0001; 0 for null."""
        if value is None:
            return 0
        if self.sqlite:
            return int(value)
        return int(Decimal(value).scaleb(4))

    def day(self, value: Any) -> date:
        """A date column's value (never null)."""
        if isinstance(value, date):
            return value
        found = self._days.get(value)
        if found is None:
            found = self._days[value] = date.fromisoformat(value)
        return found

    def maybe_day(self, value: Any) -> date | None:
        return None if value is None else self.day(value)

    def json(self, value: Any) -> Any:
        """A JSON column's value (SQLite hands the text, PostgreSQL the data)."""
        return json.loads(value) if isinstance(value, str) else value

    def _list(self, value: Any) -> list[str]:
        return json.loads(value) if isinstance(value, str) else list(value)

    def identifiers(self, value: Any) -> frozenset[tuple[str, str]]:
        """A ``buyer_identifiers`` list (``kind:value``) as ``(kind, value)`` pairs."""
        key = value if isinstance(value, str) else tuple(value or ())
        found = self._ids.get(key)
        if found is None:
            pairs = (text.partition(":") for text in self._list(value or []))
            found = self._ids[key] = frozenset((kind, rest) for kind, _, rest in pairs)
        return found

    def accounts(self, value: Any) -> frozenset[str]:
        key = value if isinstance(value, str) else tuple(value or ())
        found = self._accounts.get(key)
        if found is None:
            found = self._accounts[key] = frozenset(self._list(value or []))
        return found
