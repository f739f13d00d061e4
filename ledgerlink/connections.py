"""Open the connector a ``[connections.<name>]`` table of the settings file names.

Connector kinds (``connector = ...``):

* ``tryton`` - :class:`connectors.tryton.TrytonConnector`; needs ``url``, ``database``,
  ``username`` and the secret ``password`` (``password_env`` or ``password_file``).
* ``model-json`` - :class:`connectors.model_json.ModelJsonSource`; needs ``path``, a model-JSON
  file or a folder of them (``*.json``, searched recursively): migrations, exports.
* ``ubl-dir`` - :class:`connectors.ubl_dir.UblDirectorySource`; needs ``path``, a UBL Invoice
  or CreditNote file or a folder of them (``*.xml``, searched recursively): inbound documents.
* ``csv`` - :class:`connectors.csv_file.CsvConnector`; needs ``path``, a CSV export or a folder
  of them (``*.csv``), and a ``[connections.<name>.seller]`` table; the layout and the other
  settings are in ``docs/csv-layout.md`` (:mod:`connectors.csv_settings`).

A connection may also name per-tenant mapping overrides merged over the packaged
``mappings/<system>.toml``::

    [connections.demo]
    mappings_override = "tenant-mappings.toml"   # or a list of paths, merged in order

Relative paths are read from the settings file's folder. Every problem is a
:class:`~connectors.errors.ConfigurationError` naming the setting and the file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import mappings
from connectors.base import Connector
from connectors.csv_file import CsvConnector
from connectors.errors import ConfigurationError
from connectors.model_json import ModelJsonSource
from connectors.tryton import TrytonConnector
from connectors.ubl_dir import UblDirectorySource
from ledgerlink.settings import Connection, Settings

__all__ = ["CONNECTORS", "connection_mapping", "open_connection", "party_table"]

MAPPINGS_OVERRIDE = "mappings_override"


def _required(connection: Connection, name: str, key: str, source: Path | None) -> str:
    """The setting ``key`` of ``[connections.<name>]``, or an error naming it and the file."""
    value = getattr(connection, key, None)
    if value is None:
        value = connection.option(key)
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f'{_where(name, source)} needs {key} = "..."')
    return value


def _where(name: str, source: Path | None) -> str:
    table = f"[connections.{name}]"
    return f"{table} in {source}" if source is not None else table


def _tryton(connection: Connection, name: str, source: Path | None) -> Connector:
    try:
        password = connection.secret("password")
    except ConfigurationError as failure:
        raise ConfigurationError(f"{_where(name, source)}: {failure}") from None
    return TrytonConnector(
        _required(connection, name, "url", source),
        _required(connection, name, "database", source),
        _required(connection, name, "username", source),
        password=password,
        name=name,
        parties=party_table(connection),
        mapping=connection_mapping(connection, "tryton", name=name, source=source),
    )


def _existing_path(connection: Connection, name: str, source: Path | None) -> Path:
    """The connection's ``path`` (relative to the settings file's folder), which must exist."""
    raw = _required(connection, name, "path", source)
    base = source.parent if source is not None else Path()
    path = base / Path(raw).expanduser()
    if not path.exists():
        raise ConfigurationError(
            f"{_where(name, source)}: path {raw!r}: no such file or folder ({path})"
        )
    return path


def _model_json(connection: Connection, name: str, source: Path | None) -> Connector:
    return ModelJsonSource(_existing_path(connection, name, source), name=name)


def _ubl_dir(connection: Connection, name: str, source: Path | None) -> Connector:
    return UblDirectorySource(_existing_path(connection, name, source), name=name)


def _csv(connection: Connection, name: str, source: Path | None) -> Connector:
    mapping = connection_mapping(connection, "csv", name=name, source=source)
    try:
        return CsvConnector.from_options(
            connection.model_extra or {},
            base=source.parent if source is not None else Path(),
            name=name,
            parties=party_table(connection),
            mapping=mapping,
        )
    except ConfigurationError as failure:
        raise ConfigurationError(f"{_where(name, source)}: {failure}") from None


def party_table(connection: Connection) -> dict[str, dict[str, str]]:
    """The connection's ``[parties]`` table: identifiers by ``company``, VAT id or party code."""
    return {
        key: identifiers.model_dump(exclude_none=True)
        for key, identifiers in connection.parties.items()
    }


CONNECTORS: dict[str, Callable[[Connection, str, Path | None], Connector]] = {
    "tryton": _tryton,
    "model-json": _model_json,
    "ubl-dir": _ubl_dir,
    "csv": _csv,
}


def open_connection(settings: Settings, name: str, *, source: Path | None = None) -> Connector:
    """The connector of connection ``name``; ``source`` is the settings file, for messages."""
    try:
        connection = settings.connection(name)
    except ConfigurationError as failure:
        raise ConfigurationError(f"{source}: {failure}" if source else str(failure)) from None
    build = CONNECTORS.get(connection.connector)
    if build is None:
        known = ", ".join(sorted(CONNECTORS))
        raise ConfigurationError(
            f"{_where(name, source)}: unknown connector {connection.connector!r} (known: {known})"
        )
    return build(connection, name, source)


def connection_mapping(
    connection: Connection, system: str, *, name: str, source: Path | None = None
) -> mappings.Mapping:
    """``mappings/<system>.toml`` with the connection's ``mappings_override`` files on top."""
    raw = connection.option(MAPPINGS_OVERRIDE)
    if raw is None:
        paths: list[str] = []
    elif isinstance(raw, str):
        paths = [raw]
    elif isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        paths = list(raw)
    else:
        raise ConfigurationError(
            f"{_where(name, source)}: {MAPPINGS_OVERRIDE} must be a path or a list of paths"
        )
    base = source.parent if source is not None else Path()
    overrides = [base / Path(path).expanduser() for path in paths]
    for path in overrides:
        if not path.is_file():
            raise ConfigurationError(
                f"{_where(name, source)}: {MAPPINGS_OVERRIDE} file {path} not found"
            )
    try:
        return mappings.load(system, overrides=overrides)
    except mappings.MappingError as failure:
        raise ConfigurationError(f"{_where(name, source)}: {failure}") from None
