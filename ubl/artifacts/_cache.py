"""The cache of installed bundles: ``<cache>/<name>/<version>/<path>``.

A bundle directory counts as installed only when it holds the ``installed.json``
marker, which the installer writes last, before it moves the finished directory
into place. Directories whose name starts with a dot are work in progress.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ubl.artifacts._errors import ArtifactMissing
from ubl.artifacts._manifest import BundleSpec, load_manifest, version_key

__all__ = ["MARKER", "Bundle", "bundle_file", "cache_dir", "installed"]

MARKER = "installed.json"
ENV_CACHE = "LEDGERLINK_ARTIFACTS_DIR"


def cache_dir() -> Path:
    """``$LEDGERLINK_ARTIFACTS_DIR``, else ``($XDG_CACHE_HOME or ~/.cache)/ledgerlink/artifacts``."""
    configured = os.environ.get(ENV_CACHE)
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "ledgerlink" / "artifacts"


@dataclass(frozen=True, slots=True)
class Bundle:
    """An installed bundle: its files live under ``root``, at their manifest paths."""

    name: str
    version: str
    root: Path
    files: tuple[str, ...]

    def file(self, path: str) -> Path:
        """The installed file at ``path`` (a manifest path such as ``xslt/X.xslt``)."""
        return self.root.joinpath(*PurePosixPath(path).parts)


def marker_for(spec: BundleSpec) -> dict[str, Any]:
    """The ``installed.json`` content for ``spec`` (no machine paths in it)."""
    return {
        "name": spec.name,
        "version": spec.version,
        "description": spec.description,
        "licence": spec.licence,
        "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in spec.files],
    }


def read_marker(root: Path) -> dict[str, Any] | None:
    """The marker of the bundle directory ``root``, or None when absent or unreadable."""
    try:
        data = json.loads((root / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        return None
    return data


def _pinned(marker: dict[str, Any]) -> dict[str, str]:
    return {
        str(f.get("path")): str(f.get("sha256")) for f in marker["files"] if isinstance(f, dict)
    }


def matches(root: Path, spec: BundleSpec) -> Bundle | None:
    """The bundle at ``root`` when its marker pins exactly ``spec``'s files and they exist."""
    marker = read_marker(root)
    if marker is None or marker.get("name") != spec.name or marker.get("version") != spec.version:
        return None
    if _pinned(marker) != {f.path: f.sha256 for f in spec.files}:
        return None
    bundle = Bundle(spec.name, spec.version, root, tuple(f.path for f in spec.files))
    if not all(bundle.file(path).is_file() for path in bundle.files):
        return None
    return bundle


def installed(cache: Path | None = None) -> list[Bundle]:
    """Every installed bundle in ``cache`` (default :func:`cache_dir`), by name and version."""
    root = cache_dir() if cache is None else cache
    found: list[Bundle] = []
    for name_dir in _visible_dirs(root):
        for version_dir in _visible_dirs(name_dir):
            marker = read_marker(version_dir)
            if (
                marker is None
                or marker.get("name") != name_dir.name
                or marker.get("version") != version_dir.name
            ):
                continue
            files = tuple(_pinned(marker))
            found.append(Bundle(name_dir.name, version_dir.name, version_dir, files))
    return sorted(found, key=lambda b: (b.name, version_key(b.version)))


def _visible_dirs(folder: Path) -> list[Path]:
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [entry for entry in entries if entry.is_dir() and not entry.name.startswith(".")]


def bundle_file(
    name: str, path: str, *, version: str | None = None, cache: Path | None = None
) -> Path:
    """The installed file ``path`` of bundle ``name`` (default: its newest pinned version).

    Raises ``ArtifactMissing`` (saying how to install it) when the bundle is not
    installed with exactly the pinned files, and ``UnknownBundle`` for a bundle,
    version or path the manifest does not know.
    """
    manifest = load_manifest()
    spec = manifest.get(name, version)
    pinned = spec.file(path)
    root = (cache_dir() if cache is None else cache) / spec.name / spec.version
    marker = read_marker(root)
    target = root.joinpath(*pinned.parts)
    if marker is None or _pinned(marker).get(pinned.path) != pinned.sha256 or not target.is_file():
        raise ArtifactMissing(
            spec.name,
            spec.version,
            requirement=spec.name if manifest.is_default(spec) else spec.requirement,
            cache=cache if cache is not None and cache != cache_dir() else None,
        )
    return target
