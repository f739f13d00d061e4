"""Read a system's packaged mapping file and merge per-tenant override files on top.

Each file is read with :mod:`tomllib` and checked on its own, so an error names the file it is
in. Overrides merge per table key: an entry an override names replaces the packaged entry for
that key whole (a ``[vat]`` entry is re-stated in full, never half-merged); every other entry is
kept. ``name`` (how messages call the system) is replaced if an override sets it.

An override can also take entries away, so that a tenant's records with that code are held
as unmapped instead of mapped the packaged way (a tenant whose ``0`` tax code is not zero
rated, a unit that must never be guessed)::

    [remove]
    vat = ["0", "nul"]
    units = ["stuk"]
    defaults = ["payment_means"]

Each key listed must be mapped by a file before it (a typo is an error, not a no-op), and a
file may not remove what it sets itself. The packaged file removes nothing.
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
from mappings.mapping import Mapping, NewOverride
from mappings.tables import CODE_TABLES, DEFAULT_KEYS, CodeTableSpec
from mappings.vat import VatMapping, parse_vat_entry

__all__ = ["load", "packaged_path"]

_PACKAGE_DIR: Final = Path(__file__).resolve().parent
_SYSTEM_NAME: Final = re.compile(r"[a-z][a-z0-9_]*")
_TABLES: Final = frozenset({"vat", "defaults", *CODE_TABLES})
_REMOVE: Final = "remove"


@dataclass(slots=True)
class _Tables:
    """The checked contents of one file, or of several merged ones."""

    name: str | None = None
    vat: dict[str, VatMapping] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(
        default_factory=lambda: {table: {} for table in CODE_TABLES}
    )
    defaults: dict[str, str] = field(default_factory=dict)
    removals: dict[str, list[str]] = field(default_factory=dict)
    """``[remove]``: table -> the keys this file takes away from the files before it."""

    def entries(self, table: str) -> dict[str, Any]:
        """The entries of ``table`` (``vat``, ``defaults`` or a code table)."""
        if table == "vat":
            return self.vat
        return self.defaults if table == "defaults" else self.codes[table]

    def update(self, other: _Tables, path: Path) -> None:
        """Take away what ``other`` (read from ``path``) removes, then merge it on top, key by
        key within each table."""
        for table, keys in other.removals.items():
            entries = self.entries(table)
            for key in keys:
                if key not in entries:
                    raise MappingFileError(
                        f"no earlier file maps it: nothing to remove{_did_you_mean(key, entries)}",
                        path=path,
                        table=_REMOVE,
                        key=f"{table}.{key}",
                    )
                del entries[key]
        self.name = other.name or self.name
        self.vat.update(other.vat)
        for table, entries in other.codes.items():
            self.codes[table].update(entries)
        self.defaults.update(other.defaults)


def _did_you_mean(key: str, entries: dict[str, Any]) -> str:
    folded = [known for known in entries if known.casefold() == key.casefold()]
    return f" (keys match exactly; did you mean {folded[0]!r}?)" if folded else ""


def packaged_path(system: str) -> Path:
    """Return the path of the mapping file shipped for ``system`` (``mappings/<system>.toml``)."""
    if not _SYSTEM_NAME.fullmatch(system):
        raise MappingError(f"{system!r} is not a system name (lower-case letters, digits, _)")
    return _PACKAGE_DIR / f"{system}.toml"


def load(
    system: str, *, overrides: Sequence[Path] = (), new_override: NewOverride | None = None
) -> Mapping:
    """Load ``mappings/<system>.toml`` and merge ``overrides`` on top, in order.

    ``new_override`` is how messages about an unmapped code tell the user to create an
    override file when ``overrides`` is empty (:attr:`Mapping.new_override`): the caller that
    knows the connection and its settings file says it.

    Raise :class:`MappingError` for an unknown system and :class:`MappingFileError` for a file
    that cannot be read or holds a wrong or contradictory mapping.
    """
    packaged = packaged_path(system)
    if not packaged.is_file():
        known = sorted(path.stem for path in _PACKAGE_DIR.glob("*.toml"))
        raise MappingError(f"no mapping file for system {system!r}; known: {', '.join(known)}")
    sources = (packaged, *(Path(path) for path in overrides))
    merged = _Tables()
    for index, path in enumerate(sources):
        tables = _read_tables(path)
        if tables.removals and index == 0:
            raise MappingFileError(
                "only an override file can remove entries", path=path, table=_REMOVE
            )
        merged.update(tables, path)
    return Mapping(
        system=system,
        name=merged.name or system.capitalize(),
        sources=sources,
        vat_codes=MappingProxyType(merged.vat),
        codes=MappingProxyType(
            {table: MappingProxyType(entries) for table, entries in merged.codes.items()}
        ),
        defaults=MappingProxyType(merged.defaults),
        **({} if new_override is None else {"new_override": new_override}),
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
        if table not in _TABLES | {_REMOVE}:
            allowed = ", ".join(sorted(_TABLES | {_REMOVE}))
            raise MappingFileError(f"unknown table; allowed: {allowed}", path=path, table=table)
        if not isinstance(content, dict):
            raise MappingFileError("must be a table", path=path, table=table, value=content)
        if table == "vat":
            tables.vat = {
                key: parse_vat_entry(raw, path=path, key=key) for key, raw in content.items()
            }
        elif table == "defaults":
            tables.defaults = _defaults(content, path)
        elif table == _REMOVE:
            tables.removals = _removals(content, path)
        else:
            tables.codes[table] = _code_table(table, content, path)
    for table, keys in tables.removals.items():
        for key in keys:
            if key in tables.entries(table):
                raise MappingFileError(
                    f"removed and set in the same file (under [{table}])",
                    path=path,
                    table=_REMOVE,
                    key=f"{table}.{key}",
                )
    return tables


def _removals(content: dict[str, Any], path: Path) -> dict[str, list[str]]:
    """Check ``[remove]``: each key names a table and holds a list of its keys."""
    removals: dict[str, list[str]] = {}
    for table, keys in content.items():
        if table not in _TABLES:
            allowed = ", ".join(sorted(_TABLES))
            raise MappingFileError(
                f"unknown table; allowed: {allowed}", path=path, table=_REMOVE, key=table
            )
        if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
            raise MappingFileError(
                "must be a list of keys (strings)", path=path, table=_REMOVE, key=table, value=keys
            )
        twice = sorted({key for key in keys if keys.count(key) > 1})
        if twice:
            raise MappingFileError(
                "listed twice", path=path, table=_REMOVE, key=f"{table}.{twice[0]}"
            )
        if table == "defaults":
            for key in keys:
                if key not in DEFAULT_KEYS:
                    allowed = ", ".join(sorted(DEFAULT_KEYS))
                    raise MappingFileError(
                        f"unknown default; allowed: {allowed}",
                        path=path,
                        table=_REMOVE,
                        key=f"defaults.{key}",
                    )
        removals[table] = list(keys)
    return removals


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
