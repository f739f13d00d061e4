"""The pinned manifest: the files of each bundle, with sha256, size and upstream URL.

The committed ``manifest.json`` (package data, built by
``scripts/build_artifact_manifest.py``) is the default; tests and callers may build
their own :class:`Manifest` with :meth:`Manifest.from_dict`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Any

from ubl.artifacts._errors import UnknownBundle

__all__ = ["BundleSpec", "FileSpec", "Manifest", "load_manifest", "version_key"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_COMPONENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def version_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key: numeric parts compare as numbers (2.0.3.13 > 2.0.3.9)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in version.split("."))


@dataclass(frozen=True, slots=True)
class FileSpec:
    """One pinned file: ``path`` inside the bundle, its sha256, size and download URL."""

    path: str
    sha256: str
    size: int
    url: str

    @property
    def parts(self) -> tuple[str, ...]:
        return PurePosixPath(self.path).parts


@dataclass(frozen=True, slots=True)
class BundleSpec:
    """One version of a bundle as the manifest pins it."""

    name: str
    version: str
    description: str
    licence: str
    files: tuple[FileSpec, ...]

    @property
    def requirement(self) -> str:
        """``name==version``, as ``install`` and the CLI accept it."""
        return f"{self.name}=={self.version}"

    def file(self, path: str) -> FileSpec:
        for spec in self.files:
            if spec.path == path:
                return spec
        known = ", ".join(spec.path for spec in self.files)
        raise UnknownBundle(
            f"bundle '{self.name}' {self.version} has no file '{path}' (it has: {known})"
        )


@dataclass(frozen=True, slots=True)
class Manifest:
    """Every bundle version the artifact manager knows."""

    bundles: tuple[BundleSpec, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        """Read the JSON shape; raises ValueError for an unsafe path or a bad sha256."""
        bundles = tuple(_bundle(raw) for raw in data["bundles"])
        seen: set[tuple[str, str]] = set()
        for bundle in bundles:
            key = (bundle.name, bundle.version)
            if key in seen:
                raise ValueError(f"bundle '{bundle.name}' {bundle.version} is listed twice")
            seen.add(key)
        return cls(bundles)

    def names(self) -> list[str]:
        """Bundle names in manifest order."""
        return list(dict.fromkeys(bundle.name for bundle in self.bundles))

    def versions(self, name: str) -> list[BundleSpec]:
        """Every version of ``name``, newest first."""
        found = [bundle for bundle in self.bundles if bundle.name == name]
        return sorted(found, key=lambda bundle: version_key(bundle.version), reverse=True)

    def get(self, name: str, version: str | None = None) -> BundleSpec:
        """``name`` at ``version`` (``None``: the newest); raises UnknownBundle."""
        versions = self.versions(name)
        if not versions:
            raise UnknownBundle(f"unknown bundle '{name}' (known: {', '.join(self.names())})")
        if version is None:
            return versions[0]
        for bundle in versions:
            if bundle.version == version:
                return bundle
        listed = ", ".join(bundle.version for bundle in versions)
        raise UnknownBundle(f"bundle '{name}' has no version {version} (known: {listed})")

    def is_default(self, bundle: BundleSpec) -> bool:
        """Whether ``bundle`` is the version a bare name selects."""
        return self.get(bundle.name) == bundle

    def resolve(self, requirement: str) -> BundleSpec:
        """``"name"`` (newest version) or ``"name==version"``."""
        name, sep, version = requirement.strip().partition("==")
        return self.get(name.strip(), version.strip() if sep else None)

    def select(self, requirements: Sequence[str] | str = ()) -> list[BundleSpec]:
        """The bundles ``requirements`` name, in order without repeats; none: every default."""
        if isinstance(requirements, str):
            requirements = (requirements,)
        if requirements:
            chosen: Iterable[BundleSpec] = (self.resolve(r) for r in requirements)
        else:
            chosen = (self.get(name) for name in self.names())
        return list(dict.fromkeys(chosen))


def _component(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _COMPONENT.fullmatch(value):
        raise ValueError(f"manifest: {what} {value!r} is not a plain name")
    return value


def _relative_path(value: Any) -> str:
    if not isinstance(value, str) or "\\" in value:
        raise ValueError(f"manifest: file path {value!r} is not a relative POSIX path")
    parts = PurePosixPath(value).parts
    if not parts or PurePosixPath(value).is_absolute() or any(p in {".", ".."} for p in parts):
        raise ValueError(f"manifest: file path {value!r} is not a relative POSIX path")
    return value


def _file(raw: Mapping[str, Any]) -> FileSpec:
    sha256 = raw["sha256"]
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"manifest: {raw.get('path')!r} has no valid sha256")
    size = raw["size"]
    if not isinstance(size, int) or size < 0:
        raise ValueError(f"manifest: {raw.get('path')!r} has no valid size")
    return FileSpec(_relative_path(raw["path"]), sha256, size, str(raw["url"]))


def _bundle(raw: Mapping[str, Any]) -> BundleSpec:
    return BundleSpec(
        name=_component(raw["name"], "bundle name"),
        version=_component(raw["version"], "version"),
        description=str(raw.get("description", "")),
        licence=str(raw.get("licence", "")),
        files=tuple(_file(file) for file in raw["files"]),
    )


@cache
def load_manifest() -> Manifest:
    """The committed manifest, read once from the package data."""
    text = resources.files("ubl.artifacts").joinpath("manifest.json").read_text("utf-8")
    return Manifest.from_dict(json.loads(text))
