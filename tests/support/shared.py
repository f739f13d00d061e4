"""Location of the shared, read-only validation artefacts (never copied into the repo).

On a user's machine the shared folder may be absent: a test that needs it skips with a
message naming the missing path. CI sets ``LEDGERLINK_REQUIRE_SHARED=1`` (``.ci/run``), and
there a missing path fails the test instead, so a CI run can never pass by skipping the
official material.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("LEDGERLINK_SHARED") or REPO_ROOT.parent / "shared")
REQUIRE_ENV = "LEDGERLINK_REQUIRE_SHARED"


def shared_required() -> bool:
    """True when a missing shared path must fail the run (CI) rather than skip the test."""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def missing_shared(path: Path, what: str = "shared artefact missing") -> NoReturn:
    """Skip the calling test, or fail it under ``LEDGERLINK_REQUIRE_SHARED``, naming ``path``."""
    message = f"{what}: {path} (set LEDGERLINK_SHARED)"
    if shared_required():
        pytest.fail(f"{message}; {REQUIRE_ENV} is set, so this fails instead of skipping")
    pytest.skip(message)


def require_shared(*relative_paths: str) -> Path:
    """Skip the calling test unless every path (relative to SHARED) exists (fail under CI).

    Returns ``SHARED / relative_paths[0]``, or ``SHARED`` when called without arguments.
    """
    for rel in relative_paths or (".",):
        path = SHARED / rel
        if not path.exists():
            missing_shared(path)
    return SHARED / relative_paths[0] if relative_paths else SHARED
