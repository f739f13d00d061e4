"""Pluggable storage for tokens and passwords; values are ``pydantic.SecretStr`` throughout.

A settings file never holds a secret, only a reference to it: ``<name>_env`` (an environment
variable) or ``<name>_file`` (a file holding only the secret, relative to the settings file's
folder like every other path of the file). :func:`read_secret` follows the reference.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from pydantic import SecretStr

from connectors.errors import ConfigurationError

__all__ = ["FileSecretStore", "MemorySecretStore", "SecretStore", "read_secret"]


def read_secret(
    name: str,
    options: Mapping[str, Any],
    *,
    base: Path,
    environ: Mapping[str, str] | None = None,
) -> SecretStr:
    """The secret ``name`` (``password``) that ``options`` refer to: the environment variable
    ``<name>_env`` names, else the text (stripped) of the file ``<name>_file`` names, read
    relative to ``base`` (the settings file's folder) when it is a relative path.

    A ConfigurationError says which reference to set or what is wrong with it, never the
    secret itself.
    """
    environ = os.environ if environ is None else environ
    variable = options.get(f"{name}_env")
    if isinstance(variable, str):
        value = environ.get(variable)
        if not value:
            raise ConfigurationError(f"the environment variable {variable} ({name}_env) is not set")
        return SecretStr(value)
    secret_file = options.get(f"{name}_file")
    if isinstance(secret_file, str):
        path = base / Path(secret_file).expanduser()
        try:
            return SecretStr(path.read_text(encoding="utf-8").strip())
        except OSError as failure:
            raise ConfigurationError(
                f"cannot read {path} ({name}_file): {failure.strerror or failure}"
            ) from None
    raise ConfigurationError(f"set {name}_env or {name}_file for this connection")


class SecretStore(Protocol):
    """Where a connection keeps secrets that change at run time (OAuth2 tokens)."""

    def get(self, key: str) -> SecretStr | None:
        """The secret stored under ``key``, or None."""
        ...

    def set(self, key: str, value: SecretStr) -> None:
        """Store ``value`` under ``key``, replacing any earlier value."""
        ...


class MemorySecretStore:
    """Secrets held for the life of the process only."""

    def __init__(self, initial: dict[str, SecretStr] | None = None) -> None:
        self._secrets: dict[str, SecretStr] = dict(initial or {})

    def get(self, key: str) -> SecretStr | None:
        return self._secrets.get(key)

    def set(self, key: str, value: SecretStr) -> None:
        self._secrets[key] = value

    def __repr__(self) -> str:
        return f"MemorySecretStore(keys={sorted(self._secrets)})"


class FileSecretStore:
    """Secrets in one JSON object file, readable by its owner only (mode 0600).

    Writes go to a private temporary file that replaces the store atomically, so a crash
    never leaves half a token file behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        loaded = json.loads(self.path.read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise ValueError(f"secret store {self.path} does not hold a JSON object")
        return {str(key): str(value) for key, value in loaded.items()}

    def get(self, key: str) -> SecretStr | None:
        value = self._load().get(key)
        return None if value is None else SecretStr(value)

    def set(self, key: str, value: SecretStr) -> None:
        secrets = self._load()
        secrets[key] = value.get_secret_value()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".secrets-")
        try:
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(secrets, stream)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def __repr__(self) -> str:
        return f"FileSecretStore({str(self.path)!r})"
