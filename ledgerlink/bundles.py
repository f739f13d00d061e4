"""The validation bundles a command needs, checked before it writes or pulls anything.

``pull --ubl-dir``, ``sync``, ``retry`` and ``migrate`` validate every document they build;
without the bundles of the profile they build for, the first document would stop them half
way. :func:`require_bundles` looks first: every bundle missing from the cache is named in one
usage error (exit 2) with the one command that installs them all, ``--cache DIR`` included
when the command was given one. ``ubl.artifacts`` is imported only when a command checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from ledgerlink._output import fail

__all__ = ["install_command", "missing_bundles", "require_bundles", "with_cache"]

_INSTALL = re.compile(r"`ledgerlink artifacts install ([^`]*)`")


def install_command(requirements: Iterable[str], cache: Path | None) -> str:
    """``ledgerlink artifacts install REQ... [--cache DIR]``."""
    command = " ".join(["ledgerlink artifacts install", *requirements])
    return f"{command} --cache {cache}" if cache is not None else command


def with_cache(message: str, cache: Path | None) -> str:
    """``message`` (an :class:`~ubl.artifacts.ArtifactMissing` text) with ``--cache DIR`` in
    its install command when the command was given ``--cache DIR``."""
    if cache is None:
        return message

    def add(found: re.Match[str]) -> str:
        given = found.group(1)
        return found.group(0) if "--cache" in given else f"`{install_command([given], cache)}`"

    return _INSTALL.sub(add, message)


def missing_bundles(profiles: Iterable[str]) -> list[tuple[str, str, str]]:
    """``(name, version, requirement)`` of every bundle that validating for ``profiles``
    needs and the artifact cache lacks, in manifest order. ``auto`` needs every scenario's
    bundles: the document's own CustomizationID (BT-24) picks one."""
    from ubl import artifacts
    from ubl.validate import SCENARIOS, Artifact
    from ubl.validate._scenarios import SCHEMAS

    wanted: list[Artifact] = list(SCHEMAS.values())
    for profile in profiles:
        chosen = SCENARIOS.values() if profile == "auto" else [SCENARIOS[profile]]
        for scenario in chosen:
            wanted += scenario.stylesheets
    manifest = artifacts.load_manifest()
    missing: dict[str, tuple[str, str, str]] = {}
    for artifact in wanted:
        spec = manifest.get(artifact.bundle)
        if spec.name in missing:
            continue
        path = artifact.path_among(file.path for file in spec.files)
        try:
            if path is None:
                raise artifacts.ArtifactMissing(spec.name, spec.version)
            artifacts.bundle_file(spec.name, path, version=spec.version)
        except artifacts.ArtifactMissing:
            requirement = spec.name if manifest.is_default(spec) else spec.requirement
            missing[spec.name] = (spec.name, spec.version, requirement)
    order = {spec.name: index for index, spec in enumerate(manifest.bundles)}
    return sorted(missing.values(), key=lambda item: order.get(item[0], len(order)))


def require_bundles(profiles: Iterable[str], cache: Path | None) -> None:
    """Exit 2 naming every bundle ``profiles`` need that is not installed, with the install
    command (``--cache DIR`` too when ``cache`` was given); return when all are there."""
    from ubl import artifacts

    missing = missing_bundles(profiles)
    if not missing:
        return
    names = ", ".join(f"'{name}' {version}" for name, version, _ in missing)
    plural = "s" if len(missing) > 1 else ""
    command = install_command([requirement for _, _, requirement in missing], cache)
    fail(
        f"validation bundle{plural} {names} not installed in {artifacts.cache_dir()}: run "
        f"`{command}` (or add `--from DIR` with the official files); nothing was done",
        2,
    )
