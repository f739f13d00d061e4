"""Errors of the artifact manager; every one is a :class:`ubl.errors.UblError`.

::

    ArtifactError
    +-- ArtifactMissing     a bundle (or one of its files) is not installed
    +-- ChecksumMismatch    a file's sha256 is not the pinned one; the bundle was refused
    +-- UnknownBundle       no such bundle, version or file in the manifest
    +-- FetchError          a download failed, or the source folder lacks a file
"""

from __future__ import annotations

from pathlib import Path

from ubl.errors import UblError

__all__ = [
    "ArtifactError",
    "ArtifactMissing",
    "ChecksumMismatch",
    "FetchError",
    "UnknownBundle",
]


class ArtifactError(UblError):
    """Base class of the artifact manager's errors."""


class ArtifactMissing(ArtifactError):
    """A bundle is not installed; the message says exactly how to install it."""

    def __init__(
        self,
        name: str,
        version: str,
        *,
        requirement: str | None = None,
        cache: Path | None = None,
    ) -> None:
        self.name = name
        self.version = version
        command = f"ledgerlink artifacts install {requirement or name}"
        if cache is not None:
            command += f" --cache {cache}"
        super().__init__(
            f"bundle '{name}' {version} is not installed: run `{command}` "
            "(or `--from DIR` with the official files)"
        )


class ChecksumMismatch(ArtifactError):
    """A file's sha256 (or size) differs from the manifest; nothing of its bundle was installed.

    ``size`` is (bytes read, bytes pinned); a download is cut off just past the pinned size.
    """

    def __init__(
        self,
        name: str,
        version: str,
        path: str,
        *,
        expected: str,
        actual: str,
        origin: str,
        size: tuple[int, int] | None = None,
    ) -> None:
        self.name = name
        self.version = version
        self.path = path
        self.expected = expected
        self.actual = actual
        self.origin = origin
        found = f"sha256 {actual}"
        if size is not None and size[0] != size[1]:
            found = f"{size[0]}{'+' if size[0] > size[1] else ''} bytes (expected {size[1]})"
        super().__init__(
            f"bundle '{name}' {version}: {path} from {origin} has {found}, "
            f"expected sha256 {expected}; the bundle was not installed"
        )


class UnknownBundle(ArtifactError, LookupError):
    """No bundle, version or file of that name in the manifest."""


class FetchError(ArtifactError):
    """A file could not be downloaded or found in the source folder."""
