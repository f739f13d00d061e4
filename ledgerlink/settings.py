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

The sync engine (``ledgerlink sync``) reads three more things::

    [store]
    url = "sqlite:///ledgerlink.db"      # or postgresql://user@host/db (never a password)

    [channels.archive]                   # a delivery channel: directory, peppol-ap or smtp
    type = "directory"
    path = "delivered"

    [connections.shop]
    connector = "ubl-dir"
    path = "inbox"
    profile = "auto"                     # peppol-bis3 (default), en16931, nlcius or auto
    channels = ["archive"]               # tried in order: the first that accepts a document
    lookback = "10m"                     # how far a file source's cursor reads back (default 5m)

``[store] url`` is read here only (:func:`store_url_in`); a relative SQLite path is relative
to the settings file. Each ``[channels.NAME]`` table is checked with the channel settings
models of :mod:`delivery.base` (:func:`delivery.base.parse_channel_settings`); a relative
``path`` is relative to the settings file. A connection's ``channels`` must name declared
channels. ``profile = "auto"`` keeps an inbound document's own CustomizationID (BT-24), as
``ubl convert --profile auto`` does; a model a source built without one (CSV, Tryton, model
JSON) is written as :data:`ubl.profiles.AUTO_DEFAULT` (peppol-bis3).

``ledgerlink daemon`` (:mod:`ledgerlink.daemon_command`) reads a
``[daemon]`` table (:class:`DaemonSettings`) and each connection's schedule::

    [daemon]
    listen = "127.0.0.1:9464"            # HOST:PORT of /healthz, /readyz, /metrics, /webhooks
    grace = "30s"                        # on SIGTERM: how long running cycles may go on
    workers = 2                          # validation pool size (default: the number of cores)
    takeover = "30s"                     # PostgreSQL: a dead daemon's connections move after this
    backoff_cap = "15m"                  # the longest wait of a connection that keeps failing

    [connections.shop]
    every = "5m"                         # or: cron = "*/5 * * * *" (5 fields, UTC); not both

The reconciler (``ledgerlink statements import``) imports a statement for the connection
that owns its account::

    [connections.shop]
    accounts = ["NL91ABNA0417164300"]    # IBANs (checked, kept compact) or a bank's account id

An IBAN is written compact or in groups (``NL91 ABNA 0417 1643 00``) and its check digits
are checked; a value that is no IBAN (it does not start with a country code and two
digits) is an account id, kept as given, for a statement that names its account without an
IBAN. One account belongs to one connection.

A connection with neither is not run by the daemon (``ledgerlink sync`` runs it all the
same). Durations here, and ``lookback``, are read by :func:`parse_duration`, the one parser
of :mod:`sync.schedule`; schedules by :class:`sync.schedule.Schedule`.

Credit limits (``ledgerlink debtors``) are a ``[credit]`` table
(:mod:`ledgerlink.credit_settings`)::

    [credit]
    near_breach = "0.80"                 # a debtor is near its limit from 80 %
    [credit.limits]
    "kvk:12345678" = "25000.00 EUR"      # by identifier (kvk, vat, ...) or by debtor key

    [connections.shop]
    credit_hold = true                   # hold invoices that would pass the limit (sync.credit_hold)

Reminders (``ledgerlink reminders``) are a ``[reminders]`` table
(:mod:`ledgerlink.reminders_settings`): the policies, B2B or B2C per debtor, the webhook and
the e-mail of a reminder that fires.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, TomlConfigSettingsSource

from connectors.errors import ConfigurationError
from connectors.settings_errors import (
    Problem,
    lines,
    problems,
    refused_booleans,
    settings_error,
)
from ledgerlink.credit_settings import CreditSettings
from ledgerlink.reminders_settings import ReminderSettings
from sync.schedule import (  # parse_duration: the one duration parser, re-exported here
    DEFAULT_BACKOFF_CAP,
    Schedule,
    parse_duration,
    parse_schedule,
)

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG",
    "DEFAULT_GRACE",
    "DEFAULT_LISTEN",
    "DEFAULT_LOOKBACK",
    "DEFAULT_PROFILE",
    "DEFAULT_TAKEOVER",
    "Connection",
    "DaemonSettings",
    "PartyIdentifiers",
    "Profile",
    "Settings",
    "StoreSettings",
    "config_path",
    "load_settings",
    "parse_duration",
    "store_url_in",
]

CONFIG_ENV = "LEDGERLINK_CONFIG"
DEFAULT_CONFIG = Path("ledgerlink.toml")
DEFAULT_LOOKBACK = timedelta(minutes=5)
"""How far back a file source's cursor reads by default (see :attr:`Connection.lookback`)."""
Profile: TypeAlias = Literal["auto", "peppol-bis3", "en16931", "nlcius"]
"""A connection's ``profile``: ``auto`` keeps the document's own CustomizationID (BT-24)."""
DEFAULT_PROFILE: Final[Profile] = "peppol-bis3"
"""The profile a connection builds UBL for when it names none (as ``pull --ubl-dir`` does)."""
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
    profile: Profile = Field(
        default=DEFAULT_PROFILE,
        description="the UBL profile the sync engine builds (auto: the document's own BT-24)",
    )
    channels: tuple[str, ...] = Field(
        default=(), description="names of [channels.NAME] tables, tried in order"
    )
    lookback: timedelta = Field(
        default=DEFAULT_LOOKBACK,
        description="how far a file source's stored cursor reads back ('10m', '90s', ...)",
    )
    every: timedelta | None = Field(
        default=None,
        description="ledgerlink daemon: run a cycle at this interval ('5m'; or cron, not both)",
    )
    cron: str | None = Field(
        default=None,
        description="ledgerlink daemon: run a cycle at these instants ('*/5 * * * *', UTC)",
    )
    accounts: tuple[str, ...] = Field(
        default=(),
        description="bank accounts this connection owns: IBANs or a statement's account id",
    )
    credit_hold: bool = Field(
        default=False,
        description="hold an invoice that would take its debtor over the credit limit",
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
                    raise settings_error(
                        "a secret must not be written in the settings file; name an "
                        f"environment variable with {key}_env or a file with {key}_file",
                        str(key),
                    )
        return data

    @field_validator("lookback", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        return parse_duration(value)

    @field_validator("every", mode="before")
    @classmethod
    def _interval(cls, value: Any) -> timedelta | None:
        return None if value is None else _positive(parse_duration(value))

    @field_validator("cron", mode="before")
    @classmethod
    def _cron(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"a cron expression is a string like '*/5 * * * *', not {value!r}")
        Schedule(cron=value)  # a ValueError in plain words: 6 fields, out of range, never runs
        return value

    @field_validator("accounts", mode="before")
    @classmethod
    def _accounts(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ValueError(f"a list of IBANs or account ids, not {value!r}")
        return tuple(account_key(str(item)) for item in value)

    @model_validator(mode="after")
    def _one_schedule(self) -> Connection:
        if self.every is not None and self.cron is not None:
            raise settings_error(
                "both every and cron are set; a connection runs on one schedule: keep one", "cron"
            )
        return self

    @property
    def schedule(self) -> Schedule | None:
        """When ``ledgerlink daemon`` runs this connection (``every`` or ``cron``); None when
        it names neither: the daemon leaves it alone, ``ledgerlink sync`` still runs it."""
        return parse_schedule(self.every, self.cron)

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


class StoreSettings(BaseModel):
    """The ``[store]`` table: ``url``, the state store's SQLAlchemy URL (no password)."""

    model_config = ConfigDict(frozen=True)

    url: str | None = Field(default=None, description="sqlite:///PATH or postgresql://USER@HOST/DB")

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> Any:
        from sync.store.urls import redact

        if not isinstance(data, Mapping):
            raise settings_error("must be a table with a url key ([store])")
        if unknown := sorted(set(data) - {"url"}):
            key = str(unknown[0])
            hint = "; did you mean 'url'?" if get_close_matches(key, ["url"]) else " (known: url)"
            raise settings_error(f"unknown key {key!r}{hint}", key)
        url = data.get("url")
        if url is None:
            return data
        if not isinstance(url, str) or not url.strip():
            raise settings_error("must be a non-empty string", "url")
        if redact(url) != url:
            raise settings_error(
                f"must not hold a password (it shows as {redact(url)}): "
                "let libpq read it from PGPASSWORD or ~/.pgpass, or set LEDGERLINK_STORE",
                "url",
            )
        return data


DEFAULT_LISTEN: Final = "127.0.0.1:9464"
"""Where ``ledgerlink daemon`` serves /healthz, /readyz, /metrics and /webhooks."""
DEFAULT_GRACE: Final = timedelta(seconds=30)
DEFAULT_TAKEOVER: Final = timedelta(seconds=30)
_HOST_LABEL: Final = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def account_key(value: str) -> str:
    """An ``accounts`` entry compact and checked: :func:`sync.bank_rows.account_key`."""
    from sync.bank_rows import account_key as checked

    return checked(value)


def _positive(span: timedelta) -> timedelta:
    if span <= timedelta(0):
        raise ValueError("must be longer than 0s")
    return span


def _cores() -> int:
    return os.cpu_count() or 1


def _listen_address(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (an IPv6 host in brackets, ``[::1]:9464``) as host and port; a
    ValueError saying what is wrong. Port 0 asks the system for a free port."""
    from ipaddress import ip_address

    host, colon, port = value.rpartition(":")
    if not colon or not host:
        raise ValueError(f"{value!r} is no HOST:PORT address: write e.g. '127.0.0.1:9464'")
    if not port.isascii() or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{value!r}: the port must be a number from 0 to 65535, not {port!r}")
    if host.startswith("[") and host.endswith("]"):
        try:
            ip_address(host[1:-1])
        except ValueError:
            raise ValueError(f"{value!r}: {host} is no IPv6 address") from None
        return host[1:-1], int(port)
    if ":" in host:
        raise ValueError(f"{value!r}: write an IPv6 host in brackets, e.g. '[::1]:{port}'")
    try:
        ip_address(host)
    except ValueError:
        labels = host.removesuffix(".").split(".")
        if len(host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
            raise ValueError(f"{value!r}: {host!r} is no host name or IP address") from None
    return host, int(port)


class DaemonSettings(BaseModel):
    """The ``[daemon]`` table, read by ``ledgerlink daemon`` (issue 15): where it listens,
    how long a stop waits, its validation pool, when a dead daemon's connections move to
    another and how long a failing connection waits at most (:class:`sync.schedule.Backoff`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    listen: str = Field(
        default=DEFAULT_LISTEN,
        description="HOST:PORT of /healthz, /readyz, /metrics and /webhooks ('[::1]:9464')",
    )
    grace: timedelta = Field(
        default=DEFAULT_GRACE,
        description="on SIGTERM: how long the running cycles may go on ('30s')",
    )
    workers: int = Field(
        default_factory=_cores,
        ge=1,
        strict=True,
        description="validation pool size (processes); default: the number of cores",
    )
    takeover: timedelta = Field(
        default=DEFAULT_TAKEOVER,
        description="PostgreSQL: a dead daemon's connections move to another after this",
    )
    backoff_cap: timedelta = Field(
        default=DEFAULT_BACKOFF_CAP,
        description="the longest wait of a connection that keeps failing ('15m')",
    )

    @field_validator("listen", mode="before")
    @classmethod
    def _listen(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"an address is a string like {DEFAULT_LISTEN!r}, not {value!r}")
        _listen_address(value)
        return value

    @field_validator("grace", mode="before")
    @classmethod
    def _grace(cls, value: Any) -> timedelta:
        return parse_duration(value)  # 0s: a stop does not wait for running cycles

    @field_validator("takeover", "backoff_cap", mode="before")
    @classmethod
    def _longer_than_nothing(cls, value: Any) -> timedelta:
        return _positive(parse_duration(value))

    @property
    def host(self) -> str:
        """The host of ``listen`` (an IPv6 one without its brackets)."""
        return _listen_address(self.listen)[0]

    @property
    def port(self) -> int:
        """The port of ``listen`` (0: a free one, chosen by the system)."""
        return _listen_address(self.listen)[1]


def _channel_models() -> dict[str, type[BaseModel]]:
    """Each channel ``type`` and the settings model of its table."""
    from typing import get_args

    from delivery.base import DirectorySettings, PeppolApSettings, SmtpSettings

    models: tuple[type[BaseModel], ...] = (DirectorySettings, PeppolApSettings, SmtpSettings)
    return {get_args(model.model_fields["type"].annotation)[0]: model for model in models}


def _channel_settings(name: str, data: Any) -> Any:
    """One ``[channels.NAME]`` table checked by its channel's model; a settings error naming
    each wrong key (the channel type pydantic puts first in its locations taken out)."""
    from delivery.base import parse_channel_settings

    models = _channel_models()
    if not isinstance(data, Mapping):
        raise settings_error("must be a table with a type key", name)
    if "type" not in data:
        kinds = ", ".join(repr(kind) for kind in models)
        raise settings_error(f"required, but not set: one of {kinds}", name, "type")
    kind = data["type"]
    booleans = refused_booleans(models.get(str(kind)), data, (name,))  # port = true is no 1
    try:
        checked = parse_channel_settings(data)
    except ValidationError as failure:
        refused = {problem.loc for problem in booleans}
        found = problems(failure, models.get(str(kind)), (name,), skip=(kind,))
        more = [*booleans, *(problem for problem in found if problem.loc not in refused)]
        raise settings_error("", more=more) from None
    if booleans:
        raise settings_error("", more=booleans)
    return checked


class Settings(BaseSettings):
    """All settings; only the file given to :func:`load_settings` feeds them."""

    model_config = {"extra": "forbid", "frozen": True}

    store: StoreSettings = Field(default_factory=StoreSettings)
    daemon: DaemonSettings = Field(default_factory=DaemonSettings)
    credit: CreditSettings = Field(default_factory=CreditSettings)
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    channels: dict[str, Any] = Field(
        default_factory=dict,
        description="[channels.NAME]: delivery.base channel settings, told apart by type",
    )
    connections: dict[str, Connection] = Field(default_factory=dict)
    _folder: Path = PrivateAttr(default_factory=Path)

    @field_validator("channels", mode="before")
    @classmethod
    def _channels(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise settings_error("must hold one table per channel ([channels.NAME])")
        checked: dict[str, Any] = {}
        wrong: list[Problem] = []  # every channel's problems, not the first channel's alone
        for name, table in value.items():
            try:
                checked[str(name)] = _channel_settings(str(name), table)
            except PydanticCustomError as failure:
                wrong += (failure.context or {}).get("problems", [])
        if wrong:
            raise settings_error("", more=wrong)
        return checked

    @model_validator(mode="after")
    def _one_owner_per_account(self) -> Settings:
        owners: dict[str, str] = {}
        for name, connection in self.connections.items():
            for index, account in enumerate(connection.accounts):
                if (other := owners.setdefault(account, name)) != name:
                    raise settings_error(
                        f"{account} is already an account of connection {other!r}; an account "
                        "belongs to one connection",
                        "connections",
                        name,
                        "accounts",
                        index,
                    )
        return self

    @property
    def account_owners(self) -> dict[str, str]:
        """Each ``accounts`` entry of every connection (compact) and the connection owning it."""
        return {
            account: name
            for name, connection in self.connections.items()
            for account in connection.accounts
        }

    @model_validator(mode="after")
    def _known_channels(self) -> Settings:
        for name, connection in self.connections.items():
            for index, channel in enumerate(connection.channels):
                if channel not in self.channels:
                    known = ", ".join(sorted(self.channels)) or "none declared"
                    close = get_close_matches(channel, list(self.channels), n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise settings_error(
                        f"names {channel!r}, but there is no [channels.{channel}] table "
                        f"(known: {known}){hint}",
                        "connections",
                        name,
                        "channels",
                        index,
                    )
        return self

    @property
    def folder(self) -> Path:
        """The settings file's folder: relative paths of the file are read from it."""
        return self._folder

    @property
    def store_url(self) -> str | None:
        """``[store] url``, a relative SQLite path made relative to the settings file."""
        from sync.store.urls import with_sqlite_base

        if self.store.url is None:
            return None
        return with_sqlite_base(self.store.url, self._folder.resolve())

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
        raise ConfigurationError(lines(path, problems(failure, Settings))) from None
    settings._folder = path.parent  # private: set once, after validation
    for connection in settings.connections.values():
        connection._folder = path.parent
    return settings


def store_url_in(path: Path) -> str | None:
    """The ``[store] url`` of the settings file at ``path`` (a relative SQLite path made
    relative to the file), or None when the file or the key is absent. Only the ``[store]``
    table is read, so a command on the store works whatever the rest of the file holds.

    Raises :class:`~connectors.errors.ConfigurationError` naming the file for TOML that
    cannot be read, a ``[store]`` that is no table, an unknown key, a url that is no
    string or holds a password.
    """
    from sync.store.urls import with_sqlite_base

    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as failure:
        raise ConfigurationError(f"{path}: cannot read the settings file: {failure}") from None
    if "store" not in data:
        return None
    try:
        store = StoreSettings.model_validate(data["store"])
    except ValidationError as failure:
        found = problems(failure, StoreSettings, prefix=("store",))
        raise ConfigurationError(lines(path, found)) from None
    if store.url is None:
        return None
    return with_sqlite_base(store.url, path.resolve().parent)
