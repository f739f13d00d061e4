"""The channel settings (``[channels.NAME]`` tables) and :func:`open_channel`, which makes a channel.

Channels are declared in the settings file, one of :class:`DirectorySettings`,
:class:`PeppolApSettings` and :class:`SmtpSettings`, told apart by ``type``
(:func:`parse_channel_settings`). Secrets are named, never written: ``password_env``,
``token_env`` and ``webhook_secret_env`` name environment variables, and a ``password``,
``token`` or ``webhook_secret`` key is refused. The channel modules are imported only
when a channel of theirs is opened.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Final, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from delivery.channel import Channel, ChannelRefused

__all__ = [
    "ChannelSettings",
    "DirectorySettings",
    "PeppolApSettings",
    "SmtpSettings",
    "open_channel",
    "parse_channel_settings",
]

_SECRET_KEYS: Final = frozenset(
    {"password", "token", "secret", "api_key", "apikey", "webhook_secret"}
)


class _ChannelSettingsBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _no_secret_values(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for key in data:
                if str(key).lower() in _SECRET_KEYS:
                    raise ValueError(
                        f"{key!r} holds a secret: name an environment variable with "
                        f"'{key}_env' instead of writing the secret into the settings"
                    )
        return data


class DirectorySettings(_ChannelSettingsBase):
    """``type = "directory"``: drop each document as ``<path>/<file name>`` (relative to
    the settings file's folder)."""

    type: Literal["directory"]
    path: Path


class PeppolApSettings(_ChannelSettingsBase):
    """``type = "peppol-ap"``: a Peppol access point's REST API at ``url`` (see
    :mod:`delivery.peppol_ap`), bearer token from the variable ``token_env``. Its status
    callbacks (:mod:`delivery.webhooks`) are signed with the secret in the variable
    ``webhook_secret_env``; without it the channel takes no callbacks."""

    type: Literal["peppol-ap"]
    url: str = Field(pattern=r"^https?://[^\s/]+", description="the API's base URL, http(s)")
    token_env: str | None = None
    webhook_secret_env: str | None = Field(
        None, description="the variable holding the secret that signs the status callbacks"
    )
    timeout: float = Field(10.0, gt=0, description="seconds per request")
    attempts: int = Field(4, ge=1, le=20, description="tries per request on 5xx and timeouts")
    backoff: float = Field(
        0.5, ge=0, description="seconds before the first retry, doubled each time"
    )


class SmtpSettings(_ChannelSettingsBase):
    """``type = "smtp"``: e-mail the UBL as an attachment. ``from`` is the sender,
    ``to`` (optional) overrides the buyer's address, ``bcc`` gets a copy of each. The
    password comes from the variable ``password_env``; ``ca_file`` (relative to the
    settings file's folder) trusts a private CA for STARTTLS."""

    type: Literal["smtp"]
    host: str
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password_env: str | None = None
    sender: str = Field(alias="from")
    to: str | None = None
    bcc: tuple[str, ...] = ()
    ca_file: Path | None = Field(
        None,
        description="PEM file of the CA that signed the server's certificate (a private relay)",
    )
    timeout: float = Field(30.0, gt=0, description="seconds per SMTP conversation step")


ChannelSettings: TypeAlias = Annotated[
    DirectorySettings | PeppolApSettings | SmtpSettings, Field(discriminator="type")
]
"""One ``[channels.NAME]`` table of the settings file, told apart by ``type``."""

_ADAPTER: TypeAdapter[DirectorySettings | PeppolApSettings | SmtpSettings] = TypeAdapter(
    ChannelSettings
)


def parse_channel_settings(
    data: Mapping[str, Any],
) -> DirectorySettings | PeppolApSettings | SmtpSettings:
    """The settings model of one ``[channels.NAME]`` table; pydantic's ValidationError
    names the wrong key."""
    return _ADAPTER.validate_python(dict(data))


def open_channel(
    name: str,
    settings: DirectorySettings | PeppolApSettings | SmtpSettings,
    *,
    base_dir: Path,
    environ: Mapping[str, str] | None = None,
) -> Channel:
    """The channel ``name`` declared by ``settings``; a relative directory path is taken
    from ``base_dir`` (the settings file's folder). ``environ`` (default ``os.environ``)
    resolves ``token_env`` / ``password_env``; a named variable that is unset is a
    :class:`ChannelRefused` naming the variable (never its value)."""
    import os

    env = os.environ if environ is None else environ

    def secret(variable: str | None) -> str | None:
        if variable is None:
            return None
        value = env.get(variable)
        if value is None:
            raise ChannelRefused(f"environment variable {variable} is not set", channel=name)
        return value

    if isinstance(settings, DirectorySettings):
        from delivery.directory import DirectoryChannel

        path = settings.path if settings.path.is_absolute() else base_dir / settings.path
        return DirectoryChannel(name, path)
    if isinstance(settings, PeppolApSettings):
        token = secret(settings.token_env)
        from delivery.peppol_ap import PeppolApChannel

        return PeppolApChannel(
            name,
            settings.url,
            token=token,
            timeout=settings.timeout,
            attempts=settings.attempts,
            backoff=settings.backoff,
        )
    password = secret(settings.password_env)
    from delivery.smtp import SmtpChannel

    ca_file = settings.ca_file
    if ca_file is not None and not ca_file.is_absolute():
        ca_file = base_dir / ca_file
    return SmtpChannel(name, settings, password=password, ca_file=ca_file)
