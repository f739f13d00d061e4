"""Pinned bundles of the official validation artefacts (UBL 2.1 XSD, EN 16931, Peppol, NLCIUS).

The committed ``manifest.json`` pins every file of every bundle (path inside the
bundle, sha256, size, upstream URL); the files themselves are never part of this
repository. They are installed into a cache, several versions side by side::

    from ubl import artifacts

    artifacts.install(source_dir=Path("../shared/validation"))   # or download the URLs
    artifacts.install(["nlcius==2.0.3.12"])
    xslt = artifacts.bundle_file("peppol-bis3", "xslt/PEPPOL-EN16931-UBL.xslt")

Layout: ``<cache>/<name>/<version>/<path>`` with an ``installed.json`` marker per
bundle version; the cache is ``$LEDGERLINK_ARTIFACTS_DIR``, else
``($XDG_CACHE_HOME or ~/.cache)/ledgerlink/artifacts``. Every file's sha256 is checked
on install; a mismatch refuses the whole bundle (``ChecksumMismatch``). A bundle that
is not installed is an ``ArtifactMissing`` whose message gives the install command.
"""

from __future__ import annotations

from ubl.artifacts._cache import Bundle, bundle_file, cache_dir, installed
from ubl.artifacts._errors import (
    ArtifactError,
    ArtifactMissing,
    ChecksumMismatch,
    FetchError,
    UnknownBundle,
)
from ubl.artifacts._install import install
from ubl.artifacts._manifest import BundleSpec, FileSpec, Manifest, load_manifest

__all__ = [
    "ArtifactError",
    "ArtifactMissing",
    "Bundle",
    "BundleSpec",
    "ChecksumMismatch",
    "FetchError",
    "FileSpec",
    "Manifest",
    "UnknownBundle",
    "bundle_file",
    "cache_dir",
    "install",
    "installed",
    "load_manifest",
]
