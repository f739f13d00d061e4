"""Open the connector a ``[connections.<name>]`` table of the settings file names.

``connector = ...`` names a kind of the connector registry (:mod:`connectors.registry`): each
connector module declares its settings model and registers itself as an entry point of the
group ``ledgerlink.connectors``, so this module names no connector. The packaged kinds:

* ``tryton`` - :mod:`connectors.tryton_settings`; needs ``url``, ``database``, ``username``
  and the secret ``password`` (``password_env`` or ``password_file``); ``page_size``.
* ``model-json`` - :mod:`connectors.model_json`; needs ``path``, a model-JSON file or a folder
  of them (``*.json``, searched recursively): migrations, exports; ``page_size``, ``max_bytes``.
* ``ubl-dir`` - :mod:`connectors.ubl_dir`; needs ``path``, a UBL Invoice or CreditNote file or
  a folder of them (``*.xml``, searched recursively): inbound documents; ``page_size``,
  ``max_bytes``.
* ``csv`` - :mod:`connectors.csv_file`; needs ``path``, a CSV export or a folder of them
  (``*.csv``), and a ``[connections.<name>.seller]`` table; the layout and the other settings
  are in ``docs/csv-layout.md`` (:mod:`connectors.csv_settings`).

Every connection has, besides its connector's own keys, ``parties`` (identifiers the source
cannot hold) and, for a connector that reads codes through a mapping, per-tenant mapping
overrides merged over the packaged ``mappings/<system>.toml``::

    [connections.demo]
    mappings_override = "tenant-mappings.toml"   # or a list of paths, merged in order

The sync engine's keys (``profile``, ``channels``, ``lookback``) and the daemon's
(``every``, ``cron``; see :mod:`ledgerlink.settings`) belong to the connection, not to its
connector: they are never passed to the connector's settings model.

Relative paths are read from the settings file's folder. Every problem is a
:class:`~connectors.errors.ConfigurationError` naming the setting and the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.errors import ConfigurationError
from connectors.registry import ConnectionContext, ConnectorType, connector_type
from ledgerlink.settings import Connection, Settings

if TYPE_CHECKING:  # the mappings load only for a connector that reads codes through one
    import mappings
    from connectors.base import Connector

__all__ = [
    "COMMON_KEYS",
    "check_connection",
    "connection_mapping",
    "open_connection",
    "party_table",
]

MAPPINGS_OVERRIDE = "mappings_override"
COMMON_KEYS = frozenset(
    {
        "connector",
        "parties",
        MAPPINGS_OVERRIDE,
        "profile",
        "channels",
        "lookback",
        "every",
        "cron",
        "accounts",
    }
)
"""The keys every connection has (``profile``, ``channels`` and ``lookback`` are the sync
engine's, ``every`` and ``cron`` the daemon's, :class:`~ledgerlink.settings.Connection`);
the others are checked by the connector's settings model, which never sees these."""


def _where(name: str, source: Path | None) -> str:
    table = f"[connections.{name}]"
    return f"{table} in {source}" if source is not None else table


def _located(where: str, problem: str) -> str:
    """``problem`` prefixed with the table and file (``needs url = ...`` reads without a colon)."""
    return f"{where} {problem}" if problem.startswith("needs ") else f"{where}: {problem}"


def party_table(connection: Connection) -> dict[str, dict[str, str]]:
    """The connection's ``[parties]`` table: identifiers by ``company``, VAT id or party code."""
    return {
        key: identifiers.model_dump(exclude_none=True)
        for key, identifiers in connection.parties.items()
    }


def check_connection(
    settings: Settings, name: str, *, source: Path | None = None, channels: bool = True
) -> None:
    """Everything of connection ``name`` the settings file alone decides, checked without
    opening its source: the connector kind, the connector's own keys (a misspelt or missing
    one), its secrets (an unset ``password_env``), its mapping and ``mappings_override``
    files, and (unless ``channels`` is false) every channel it names (an unset
    ``token_env`` / ``password_env``). A
    ConfigurationError naming the table and the file.

    What is known only when the source is opened - a server that does not answer, a ``path``
    that is not there (a share not mounted yet) - is not checked: that is a run-time error of
    the connection (:func:`open_connection` raises it), not a settings error.
    """
    kind, _, context, connection = _prepared(settings, name, source)
    where = _where(name, source)
    try:
        for secret in kind.secrets:
            context.secret(secret)
        if kind.mapping is not None:
            context.mapping()
    except ConfigurationError as failure:
        message = str(failure)
        if message.startswith(where):
            raise
        raise ConfigurationError(_located(where, message)) from None
    for channel in connection.channels if channels else ():
        problem = _channel_problem(settings.channels[channel])
        if problem is not None:
            shown = f"[channels.{channel}]"
            located = f"{shown} in {source}" if source is not None else shown
            raise ConfigurationError(f"{located} (a channel of {where}): {problem}")


def _channel_problem(channel: Any) -> str | None:
    """What makes a channel's settings unusable before it is opened: a secret variable it
    names (``token_env``, ``password_env``) that is unset."""
    import os

    for key in ("token_env", "password_env"):
        variable = getattr(channel, key, None)
        if isinstance(variable, str) and variable not in os.environ:
            return f"{key}: the environment variable {variable} is not set"
    return None


def _prepared(
    settings: Settings, name: str, source: Path | None
) -> tuple[ConnectorType[Any], Any, ConnectionContext, Connection]:
    """The connection's kind, its validated connector settings and its context; a
    ConfigurationError naming the table and the file for anything the settings get wrong."""
    try:
        connection = settings.connection(name)
    except ConfigurationError as failure:
        raise ConfigurationError(f"{source}: {failure}" if source else str(failure)) from None
    where = _where(name, source)
    try:
        kind = connector_type(connection.connector)
    except ConfigurationError as failure:
        raise ConfigurationError(f"{where}: {failure}") from None
    base = source.parent if source is not None else connection.folder
    options = {
        key: value
        for key, value in (connection.model_extra or {}).items()
        if key not in COMMON_KEYS and key not in kind.secret_keys
    }
    validated = _validated(kind, options, name, source)
    try:
        if kind.mapping is None and connection.option(MAPPINGS_OVERRIDE) is not None:
            raise ConfigurationError(
                f"{MAPPINGS_OVERRIDE}: a {kind.kind} connection reads EN 16931 codes as they "
                "are; it has no mapping to override"
            )
    except ConfigurationError as failure:
        raise ConfigurationError(_located(where, str(failure))) from None
    context = ConnectionContext(
        name=name,
        base=base,
        parties=party_table(connection),
        secret=lambda secret: connection.secret(secret, base=base),
        mapping=lambda: _mapping_of(kind, connection, name=name, source=source),
    )
    return kind, validated, context, connection


def _validated(
    kind: ConnectorType[Any], options: dict[str, Any], name: str, source: Path | None
) -> Any:
    """``options`` checked by the connector's settings model; a ConfigurationError of one
    line per wrong key (``FILE:LINE: connections.NAME.KEY: PROBLEM``, a did-you-mean for a
    misspelt key against every key the connection allows)."""
    from connectors.settings_errors import SettingsProblems, lines, summary, validated

    also = sorted(COMMON_KEYS | kind.secret_keys)
    try:
        return validated(kind.settings, options, ("connections", name), also=also)
    except SettingsProblems as failure:
        found = failure.problems
        if source is None:
            raise ConfigurationError(f"{_where(name, None)}: {summary(found)}") from None
        raise ConfigurationError(lines(source, found)) from None


def open_connection(settings: Settings, name: str, *, source: Path | None = None) -> Connector:
    """The connector of connection ``name``; ``source`` is the settings file (for messages, and
    the folder relative paths are read from)."""
    kind, validated, context, _ = _prepared(settings, name, source)
    where = _where(name, source)
    try:
        return kind.open(validated, context)
    except ConfigurationError as failure:
        message = str(failure)
        if message.startswith(where):  # already located (a mapping override problem)
            raise
        raise ConfigurationError(_located(where, message)) from None


def _mapping_of(
    kind: ConnectorType[Any], connection: Connection, *, name: str, source: Path | None
) -> mappings.Mapping:
    if kind.mapping is None:
        raise ConfigurationError(f"a {kind.kind} connection has no code mapping")
    return connection_mapping(connection, kind.mapping, name=name, source=source)


def _new_override(base: Path, name: str, source: Path | None) -> mappings.NewOverride:
    """How a message tells the user to create the connection's first override file (the
    packaged mapping is never one to edit): the file, the setting and where it goes."""
    import re

    import mappings

    file = f"mappings-{re.sub(r'[^A-Za-z0-9._-]', '_', name)}.toml"
    path = base / file
    settings = f"in {source}" if source is not None else "in the settings file"
    setting = f'with {MAPPINGS_OVERRIDE} = "{file}" under [connections.{name}] {settings}'
    if path.exists():
        return mappings.NewOverride(f"name {path} (it is there already) {setting}", path)
    return mappings.NewOverride(f"create {path} and name it {setting}", path)


def connection_mapping(
    connection: Connection, system: str, *, name: str, source: Path | None = None
) -> mappings.Mapping:
    """``mappings/<system>.toml`` with the connection's ``mappings_override`` files on top."""
    import mappings

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
    base = source.parent if source is not None else connection.folder
    overrides = [base / Path(path).expanduser() for path in paths]
    for path in overrides:
        if not path.is_file():
            raise ConfigurationError(
                f"{_where(name, source)}: {MAPPINGS_OVERRIDE} file {path} not found"
            )
    try:
        return mappings.load(
            system,
            overrides=overrides,
            new_override=None if overrides else _new_override(base, name, source),
        )
    except mappings.MappingError as failure:
        raise ConfigurationError(f"{_where(name, source)}: {failure}") from None
