"""The connector registry: which ``connector = "..."`` kinds exist and how each one opens.

A connector module declares one :class:`ConnectorType`: its kind (the ``connector = ...``
name), the pydantic model of its own settings, the mapping file it uses
(``mappings/<system>.toml``, or none) and the function that opens it. It registers that
object as an entry point of the group :data:`ENTRY_POINT_GROUP` in its package's metadata::

    [project.entry-points."ledgerlink.connectors"]
    acme = "acme_ledgerlink.connector:CONNECTOR"

so a connector in another package plugs in exactly as the packaged ones do (``tryton``,
``csv``, ``model-json``, ``ubl-dir``). Entry points are read when a kind is looked up and
a connector module is imported only when its kind is opened, so ``--help`` stays fast.
:func:`register` adds a type in-process (what the entry-point loader does with each one it
loads); a kind registered both ways is the registered one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from connectors.errors import ConfigurationError

if TYPE_CHECKING:  # pydantic and the package metadata load when a connection is opened
    from importlib import metadata

    from pydantic import BaseModel, SecretStr, ValidationError

    import mappings
    from connectors.base import Connector

__all__ = [
    "ENTRY_POINT_GROUP",
    "ConnectionContext",
    "ConnectorType",
    "connector_type",
    "known_kinds",
    "register",
    "settings_problems",
]

ENTRY_POINT_GROUP = "ledgerlink.connectors"
"""The entry-point group every connector registers itself in."""

SettingsT = TypeVar("SettingsT", bound="BaseModel")


def _no_secret(name: str) -> SecretStr:
    raise ConfigurationError(f"set {name}_env or {name}_file for this connection")


def _no_mapping() -> mappings.Mapping:
    raise ConfigurationError("this connector has no code mapping")


@dataclass(frozen=True, kw_only=True, slots=True)
class ConnectionContext:
    """What a connector is opened with besides its own settings.

    ``name``: the connection name (``[connections.<name>]``); ``base``: the settings file's
    folder, which relative paths are read from; ``parties``: the connection's ``[parties]``
    table (BT-30 / BT-47 legal ids by ``company``, VAT id or party code); ``secret(name)``:
    the secret ``name`` (``password``) read from ``<name>_env`` or ``<name>_file``;
    ``mapping()``: the connector's ``mappings/<system>.toml`` with the connection's
    ``mappings_override`` files on top.
    """

    name: str
    base: Path = field(default_factory=Path)
    parties: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    secret: Callable[[str], SecretStr] = _no_secret
    mapping: Callable[[], mappings.Mapping] = _no_mapping

    def path(self, raw: str) -> Path:
        """``raw`` (``~`` expanded) relative to the settings file's folder."""
        return self.base / Path(raw).expanduser()


@dataclass(frozen=True, kw_only=True, slots=True)
class ConnectorType(Generic[SettingsT]):
    """One connector kind, as its module declares it.

    ``settings`` validates the connector's own keys of a ``[connections.<name>]`` table (every
    key but ``connector``, ``parties`` and ``mappings_override``, which every connection
    has); unknown keys should be refused (``extra="forbid"``) so that a misspelt key never
    falls back silently. ``secrets`` names the secrets the connector reads (``password``):
    the settings file holds only references to them (``password_env``, ``password_file``),
    which :attr:`ConnectionContext.secret` follows. ``mapping`` is the system name of the mapping
    file the connector reads codes through, or None for sources that hold EN 16931 codes.
    ``open`` builds the connector; it raises :class:`ConfigurationError` naming the setting.
    """

    kind: str
    settings: type[SettingsT]
    open: Callable[[SettingsT, ConnectionContext], Connector]
    mapping: str | None = None
    secrets: tuple[str, ...] = ()
    summary: str = ""

    @property
    def secret_keys(self) -> frozenset[str]:
        """The settings keys that refer to the connector's :attr:`secrets`: ``<name>_env``
        and ``<name>_file`` for each; they are read by :attr:`ConnectionContext.secret`,
        not by :attr:`settings`."""
        return frozenset(f"{name}_{how}" for name in self.secrets for how in ("env", "file"))

    def validate(self, options: Mapping[str, Any]) -> SettingsT:
        """``options`` checked by :attr:`settings`; a ConfigurationError naming every key
        that is wrong (``url: required, but not set``; ``delimeter: unknown key 'delimeter'; did
        you mean 'delimiter'?``), see :func:`settings_problems`."""
        from connectors.settings_errors import SettingsProblems, validated

        try:
            return validated(self.settings, options)
        except SettingsProblems as failure:  # a boolean for a number is refused too
            raise ConfigurationError(str(failure)) from None


def settings_problems(model: type[BaseModel], failure: ValidationError) -> str:
    """The problems of a failed settings validation in plain words, ``; ``-separated: the
    key (dotted, ``seller.country``), what was expected and what was given, as
    :mod:`connectors.settings_errors` words them for a settings file (``page_size: must be
    a whole number, not 'ten'``; ``delimeter: unknown key 'delimeter'; did you mean
    'delimiter'?``; ``path: required, but not set``), without the file and line a library
    caller has none of."""
    from connectors.settings_errors import problems, summary

    return summary(problems(failure, model))


_REGISTERED: dict[str, ConnectorType[Any]] = {}


def register(connector: ConnectorType[Any]) -> ConnectorType[Any]:
    """Make ``connector`` openable by its kind in this process (replacing any earlier one);
    returns it."""
    if not isinstance(connector, ConnectorType):
        raise TypeError(f"not a ConnectorType: {connector!r}")
    _REGISTERED[connector.kind] = connector
    return connector


def _entry_points() -> dict[str, metadata.EntryPoint]:
    from importlib import metadata

    return {entry.name: entry for entry in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def known_kinds() -> list[str]:
    """Every kind that can be opened: registered in-process or as an entry point."""
    return sorted({*_REGISTERED, *_entry_points()})


def connector_type(kind: str) -> ConnectorType[Any]:
    """The connector type of ``kind``, loading its entry point on first use.

    An unknown kind is a ConfigurationError listing the known ones; an entry point that does
    not load or does not name a :class:`ConnectorType` of that kind is one naming it.
    """
    found = _REGISTERED.get(kind)
    if found is not None:
        return found
    entry = _entry_points().get(kind)
    if entry is None:
        known = ", ".join(known_kinds())
        if not known:
            raise ConfigurationError(
                f"unknown connector {kind!r}: no connector is registered (is ledgerlink "
                f"installed? entry points of group {ENTRY_POINT_GROUP!r} come from the "
                "installed package metadata: pip install -e .)"
            )
        raise ConfigurationError(f"unknown connector {kind!r} (known: {known})")
    try:
        loaded = entry.load()
    except Exception as failure:  # a broken plug-in must not look like a settings typo
        raise ConfigurationError(
            f"connector {kind!r}: its entry point {entry.value!r} does not load: {failure}"
        ) from failure
    if not isinstance(loaded, ConnectorType) or loaded.kind != kind:
        raise ConfigurationError(
            f"connector {kind!r}: its entry point {entry.value!r} is not a ConnectorType "
            f"of kind {kind!r}"
        )
    return register(loaded)
