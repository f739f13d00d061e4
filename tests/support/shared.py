"""Location of the shared, read-only validation artefacts (never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("LEDGERLINK_SHARED") or REPO_ROOT.parent / "shared")


def require_shared(*relative_paths: str) -> Path:
    """Skip the calling test unless every path (relative to SHARED) exists.

    Returns ``SHARED / relative_paths[0]``, or ``SHARED`` when called without arguments.
    """
    for rel in relative_paths or (".",):
        path = SHARED / rel
        if not path.exists():
            pytest.skip(f"shared artefact missing: {path} (set LEDGERLINK_SHARED)")
    return SHARED / relative_paths[0] if relative_paths else SHARED
