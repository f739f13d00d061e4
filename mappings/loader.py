"""Read a system's packaged mapping file and merge per-tenant override files on top.

Each file is read with :mod:`tomllib` and checked on its own, so an error names the file it is
in. Overrides merge per table key: an entry an override names replaces the packaged entry for
that key whole (a ``[vat]`` entry is re-stated in full, never half-merged); every other entry is
kept. ``name`` (how messages call the system) is replaced if an override sets it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from mappings.errors import MappingError, MappingFileError
from mappings.mapping import Mapping
from mappings.tables import CODE_TABLES, DEFAULT_KEYS, CodeTableSpec
from mappings.vat import VatMapping, parse_vat_entry

__all__ = ["load", "packaged_path"]

_PACKAGE_DIR: Final = Path(__file__).resolve().parent
_SYSTEM_NAME: Final = re.compile(r"[a-z][a-z0-9_]*")
_TABLES: Final = frozenset({"vat", "defaults", *CODE_TABLES})


@dataclass(slots=True)
class _Tables:
    """The checked contents of one file, or of several merged ones."""

    name: str | None = None
    vat: dict[str, VatMapping] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(
        default_factory=lambda: {table: {} for table in CODE_TABLES}
    )
    defaults: dict[str, str] = field(default_factory=dict)

    def update(self, other: _Tables) -> None:
        """Merge ``other`` on top, key by key within each table."""
        self.name = other.name or self.name
        self.vat.update(other.vat)
        for table, entries in other.codes.items():
            self.codes[table].update(entries)
        self.defaults.update(other.defaults)


def packaged_path(system: str) -> Path:
    """Return the path of the mapping file shipped for ``system`` (``mappings/<system>.toml``)."""
    if not _SYSTEM_NAME.fullmatch(system):
        raise MappingError(f"{system!r} is not a system name (lower-case letters, digits, _)")
    return _PACKAGE_DIR / f"{system}.toml"


def load(system: str, *, overrides: Sequence[Path] = ()) -> Mapping:
    """Load ``mappings/<system>.toml`` and merge ``overrides`` on top, in order.

    Raise :class:`MappingError` for an unknown system and :class:`MappingFileError` for a file
    that cannot be read or holds a wrong or contradictory mapping.
    """
    packaged = packaged_path(system)
    if not packaged.is_file():
        known = sorted(path.stem for path in _PACKAGE_DIR.glob("*.toml"))
        raise MappingError(f"no mapping file for system {system!r}; known: {', '.join(known)}")
    sources = (packaged, *(Path(path) for path in overrides))
    merged = _Tables()
    for path in sources:
        merged.update(_read_tables(path))
    return Mapping(
        system=system,
        name=merged.name or system.capitalize(),
        sources=sources,
        vat_codes=MappingProxyType(merged.vat),
        codes=MappingProxyType(
            {table: MappingProxyType(entries) for table, entries in merged.codes.items()}
        ),
        defaults=MappingProxyType(merged.defaults),
    )


def _read_tables(path: Path) -> _Tables:
    """Read one mapping file and check every table in it."""
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except OSError as error:
        raise MappingFileError(f"cannot read: {error.strerror}", path=path) from None
    except tomllib.TOMLDecodeError as error:
        raise MappingFileError(f"not valid TOML: {error}", path=path) from None
    tables = _Tables()
    for table, content in data.items():
        if table == "name":
            if not isinstance(content, str) or not content.strip():
                raise MappingFileError("name must be a non-empty string", path=path, value=content)
            tables.name = content
            continue
        if table not in _TABLES:
            allowed = ", ".join(sorted(_TABLES))
            raise MappingFileError(f"unknown table; allowed: {allowed}", path=path, table=table)
        if not isinstance(content, dict):
            raise MappingFileError("must be a table", path=path, table=table, value=content)
        if table == "vat":
            tables.vat = {
                key: parse_vat_entry(raw, path=path, key=key) for key, raw in content.items()
            }
        elif table == "defaults":
            tables.defaults = _defaults(content, path)
        else:
            tables.codes[table] = _code_table(table, content, path)
    return tables


def _code_table(table: str, content: dict[str, Any], path: Path) -> dict[str, str]:
    """Check a source-value -> code table against its code list."""
    for key, value in content.items():
        _check_code(table, CODE_TABLES[table], key, value, path)
    return dict(content)


def _defaults(content: dict[str, Any], path: Path) -> dict[str, str]:
    """Check ``[defaults]``: each key names a code table and holds a code of its list."""
    for key, value in content.items():
        if key not in DEFAULT_KEYS:
            allowed = ", ".join(sorted(DEFAULT_KEYS))
            raise MappingFileError(
                f"unknown default; allowed: {allowed}", path=path, table="defaults", key=key
            )
        _check_code("defaults", CODE_TABLES[DEFAULT_KEYS[key]], key, value, path)
    return dict(content)


def _check_code(table: str, spec: CodeTableSpec, key: str, value: object, path: Path) -> None:
    """Raise :class:`MappingFileError` unless ``value`` is a code of ``spec``'s code list."""
    if not isinstance(value, str):
        raise MappingFileError("must be a string", path=path, table=table, key=key, value=value)
    if not spec.is_valid(value):
        raise MappingFileError(
            f"not a {spec.code_list} code", path=path, table=table, key=key, value=value
        )
