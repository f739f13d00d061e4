"""The settings file: which connections exist and how to reach them.

Read with pydantic-settings from the first of: the ``--config`` path, the file named by
``LEDGERLINK_CONFIG``, ``ledgerlink.toml`` in the working directory (optional). Example::

    [connections.demo]
    connector = "tryton"
    url = "http://127.0.0.1:8000"
    database = "demo"
    username = "admin"
    password_env = "TRYTON_PASSWORD"

    [connections.demo.parties]      # identifiers the source system cannot hold
    company = { kvk = "12345678" }
    "NL000099998B57" = { kvk = "87654321" }

Secrets never live in the file: a connection names them with ``<name>_env`` (an
environment variable) or ``<name>_file`` (a file holding only the secret; a relative path is
read from the settings file's folder, as every path of the file is), and
:meth:`Connection.secret` reads them when the connection starts, as ``SecretStr``.

Every connection has ``connector`` (its kind), ``parties`` and ``mappings_override``; any
other key is the connector's own, kept as given here and checked by the connector's settings
model when the connection is opened (:mod:`ledgerlink.connections`,
:mod:`connectors.registry`): adding a connector needs no change to this module.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, TomlConfigSettingsSource

from connectors.errors import ConfigurationError

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG",
    "Connection",
    "PartyIdentifiers",
    "Settings",
    "config_path",
    "load_settings",
]

CONFIG_ENV = "LEDGERLINK_CONFIG"
DEFAULT_CONFIG = Path("ledgerlink.toml")
_SECRET_WORDS = ("password", "secret", "token", "api_key", "apikey", "passphrase")


class PartyIdentifiers(BaseModel):
    """Identifiers a source system cannot hold for one party (BT-30 / BT-47 legal ids)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kvk: str | None = Field(default=None, description="Dutch KvK number (ICD 0106)")
    oin: str | None = Field(default=None, description="Dutch OIN (ICD 0190)")
    gln: str | None = Field(default=None, description="GLN (ICD 0088)")
    kbo: str | None = Field(default=None, description="Belgian enterprise number (ICD 0208)")


class Connection(BaseModel):
    """One ``[connections.<name>]`` table; extra keys are the connector's own settings."""

    model_config = ConfigDict(extra="allow", frozen=True)

    connector: str = Field(description="the connector kind: tryton, csv, model-json, ubl-dir, ...")
    parties: dict[str, PartyIdentifiers] = Field(
        default_factory=dict,
        description="party identifiers by 'company', VAT id or party code",
    )
    _folder: Path = PrivateAttr(default_factory=Path)
    """The settings file's folder: relative paths (``<name>_file`` too) are read from it."""

    @model_validator(mode="before")
    @classmethod
    def _no_plain_secrets(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for key in data:
                last_word = str(key).lower().rsplit("_", 1)[-1]
                if last_word in _SECRET_WORDS or str(key).lower() in _SECRET_WORDS:
                    raise ValueError(
                        f"{key!r} must not be written in the settings file; "
                        f"name an environment variable with {key}_env or a file with {key}_file"
                    )
        return data

    def option(self, key: str) -> Any:
        """A connector-specific setting, or None."""
        return (self.model_extra or {}).get(key)

    @property
    def folder(self) -> Path:
        """The folder relative paths of this connection are read from: the settings file's."""
        return self._folder

    def secret(
        self, name: str, environ: Mapping[str, str] | None = None, *, base: Path | None = None
    ) -> SecretStr:
        """The secret ``name`` (e.g. ``password``) from ``<name>_env`` or ``<name>_file``; a
        relative ``<name>_file`` is read from ``base``, by default the settings file's folder."""
        from connectors.secrets import read_secret

        return read_secret(
            name,
            self.model_extra or {},
            base=self._folder if base is None else base,
            environ=environ,
        )

    def party(self, key: str) -> PartyIdentifiers | None:
        """Identifiers for ``company``, a VAT id or a party code, when configured."""
        return self.parties.get(key)


class Settings(BaseSettings):
    """All settings; only the file given to :func:`load_settings` feeds them."""

    model_config = {"extra": "forbid", "frozen": True}

    connections: dict[str, Connection] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)

    def connection(self, name: str) -> Connection:
        """The named connection, or a ConfigurationError listing the known names."""
        try:
            return self.connections[name]
        except KeyError:
            known = ", ".join(sorted(self.connections)) or "none"
            raise ConfigurationError(
                f"no connection {name!r} in the settings file (known: {known})"
            ) from None


def config_path(
    explicit: Path | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Path, bool]:
    """The settings file to read and whether it must exist (``--config``, env, default)."""
    environ = os.environ if environ is None else environ
    if explicit is not None:
        return explicit, True
    if named := environ.get(CONFIG_ENV):
        return Path(named), True
    return DEFAULT_CONFIG, False


def load_settings(
    explicit: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read the settings file; a missing default file gives settings with no connections."""
    path, required = config_path(explicit, environ)
    if not path.is_file():
        if required:
            raise ConfigurationError(f"settings file {path} not found")
        return Settings()
    try:
        data = TomlConfigSettingsSource(Settings, toml_file=path)()
        settings = Settings(**data)
    except tomllib.TOMLDecodeError as failure:
        raise ConfigurationError(f"{path}: not valid TOML: {failure}") from None
    except ValidationError as failure:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in failure.errors(include_input=False, include_url=False)
        )
        raise ConfigurationError(f"{path}: {problems}") from None
    for connection in settings.connections.values():
        connection._folder = path.parent  # private: set once, after validation
    return settings
