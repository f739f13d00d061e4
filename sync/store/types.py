"""Column types that read back exactly what was written, on SQLite and PostgreSQL alike.

:class:`ExactDecimal` keeps money exact: PostgreSQL stores ``NUMERIC(precision, scale)``;
SQLite, whose NUMERIC affinity would turn the value into a binary float, stores the value
as an integer count of ``10**-scale`` units. Both read back a :class:`~decimal.Decimal`
with exactly ``scale`` decimals; a float, or a value with more decimals than the column
holds, is refused instead of rounded.

:class:`UtcDateTime` stores an aware datetime as naive UTC (``TIMESTAMP WITHOUT TIME
ZONE`` on PostgreSQL, text on SQLite) and reads it back aware, in UTC, so a copy between
the two databases never shifts a time by a session's time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Numeric
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["ExactDecimal", "UtcDateTime"]


class ExactDecimal(TypeDecorator[Decimal]):
    """An exact decimal with a fixed scale: ``NUMERIC(p, s)``, or scaled integer on SQLite."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        if precision > 18:  # the SQLite form must fit a signed 64-bit integer
            raise ValueError("ExactDecimal holds at most 18 digits")
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float) or not isinstance(value, Decimal | int):
            raise TypeError(f"an exact decimal column takes Decimal or int, not {value!r}")
        exact = Decimal(value)
        if not exact.is_finite():
            raise ValueError(f"{value!r} is not a finite number")
        if exact and exact.adjusted() >= self.precision - self.scale:
            raise ValueError(
                f"{value} has more than {self.precision - self.scale} digits before the point"
            )
        quantized = exact.quantize(self._quantum)
        if quantized != exact:
            raise ValueError(f"{value} has more than {self.scale} decimals")
        if dialect.name == "sqlite":
            return int(quantized.scaleb(self.scale))
        return quantized

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale).quantize(self._quantum)
        return Decimal(value).quantize(self._quantum)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored as naive UTC and read back in UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"a timestamp column takes an aware datetime, not {value!r}")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stamp: datetime = value
        return stamp.replace(tzinfo=UTC)
