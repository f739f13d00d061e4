"""Reading the TOML data files of :mod:`reconcile.reminders` with errors that name the file
and the field: :class:`DataError` and the typed field readers the loaders share."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["DataError", "Fields", "packaged", "read_toml"]


class DataError(ValueError):
    """A data or policy file that cannot be used; the message names the file and the field."""


def packaged(name: str) -> Path:
    """The path of a file shipped in ``reconcile/reminders/data/``."""
    return Path(str(resources.files("reconcile.reminders").joinpath("data", name)))


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML of ``path``; a missing or malformed file is a :class:`DataError`."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as failure:
        raise DataError(f"{path}: not valid TOML: {failure}") from None
    except OSError as failure:
        raise DataError(f"{path}: cannot be read: {failure}") from None


class Fields:
    """Typed access to one TOML table; every error names ``file: where: field``."""

    def __init__(self, table: object, path: Path, where: str = "") -> None:
        if not isinstance(table, dict):
            raise DataError(f"{path}: {where or 'top level'}: must be a table")
        self.table: dict[str, Any] = table
        self.path = path
        self.where = where

    def error(self, field: str, message: str) -> DataError:
        place = f"{self.where}: " if self.where else ""
        return DataError(f"{self.path}: {place}field '{field}': {message}")

    def has(self, field: str) -> bool:
        return field in self.table

    def _get(self, field: str, required: bool) -> object:
        if field not in self.table:
            if required:
                raise self.error(field, "missing")
            return None
        return self.table[field]

    def string(self, field: str, *, required: bool = True) -> str | None:
        value = self._get(field, required)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise self.error(field, f"must be a non-empty string, not {value!r}")
        return value

    def text(self, field: str) -> str:
        value = self.string(field)
        assert value is not None
        return value

    def choice(self, field: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = self.string(field, required=default is None) or default
        assert value is not None
        if value not in allowed:
            raise self.error(field, f"must be one of {', '.join(allowed)}, not {value!r}")
        return value

    def day(self, field: str, *, required: bool = True) -> date | None:
        value = self._get(field, required)
        if value is None:
            return None
        if not isinstance(value, date) or hasattr(value, "hour"):
            raise self.error(field, f"must be a TOML date (2026-01-01), not {value!r}")
        return value

    def integer(self, field: str, default: int | None = None) -> int:
        value = self._get(field, default is None)
        if value is None:
            assert default is not None
            return default
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.error(field, f"must be a whole number, not {value!r}")
        return value

    def decimal(self, field: str, *, required: bool = True, minimum: int = 0) -> Decimal | None:
        value = self._get(field, required)
        if value is None:
            return None
        if isinstance(value, float):
            raise self.error(
                field, f'write the number as a string ("{value}"): a TOML float is not exact'
            )
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.error(field, f"must be a number as a string, not {value!r}")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.error(field, f"not a number: {value!r}") from None
        if not number.is_finite() or number < minimum:
            raise self.error(field, f"must be a number >= {minimum}, not {value!r}")
        return number

    def amount(self, field: str) -> Decimal:
        value = self.decimal(field)
        assert value is not None
        return value

    def tables(self, field: str) -> list[Fields]:
        value = self._get(field, True)
        if not isinstance(value, list) or not value:
            raise self.error(field, "must be a non-empty array of tables ([[" + field + "]])")
        return [Fields(item, self.path, f"{field} {n}") for n, item in enumerate(value, 1)]

    def unknown(self, known: set[str]) -> None:
        """Refuse a field the loader does not know (a typo must not be ignored)."""
        for field in self.table:
            if field not in known:
                raise self.error(field, f"unknown field (known: {', '.join(sorted(known))})")
