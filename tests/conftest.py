"""Session fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.shared import require_shared


@pytest.fixture(scope="session")
def artifacts_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every pinned bundle version, installed once per session from the shared folder.

    LEDGERLINK_ARTIFACTS_DIR points at the cache for the rest of the session, so
    ``ubl.artifacts.bundle_file`` and the default validator find it. Skips when the
    shared validation folder is absent.
    """
    source = require_shared("validation")
    from ubl.artifacts import install, load_manifest

    cache = tmp_path_factory.mktemp("artifacts")
    install(
        [bundle.requirement for bundle in load_manifest().bundles], source_dir=source, cache=cache
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEDGERLINK_ARTIFACTS_DIR", str(cache))
        yield cache
