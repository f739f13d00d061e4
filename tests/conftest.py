"""Session fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support.shared import require_shared

if TYPE_CHECKING:
    from tryton.server import TrytonServer


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


def _tryton_cache(config: pytest.Config) -> Path:
    """$XDG_CACHE_HOME/ledgerlink-tests when set, else the project's .pytest_cache."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "ledgerlink-tests" / "tryton"
    if getattr(config, "cache", None) is None:  # the cache provider plugin is disabled
        return config.rootpath / ".pytest_cache" / "d" / "ledgerlink-tryton"
    return config.cache.mkdir("ledgerlink-tryton")


@pytest.fixture(scope="session")
def tryton_template(pytestconfig: pytest.Config) -> Path:
    """The demo database (tests/tryton/builder.py), built once and cached across runs.

    The cache key is a hash of builder.py and the trytond version. Skips without trytond.
    """
    trytond = pytest.importorskip(
        "trytond",
        reason="trytond is not importable (pip install -e '.[tryton]')",
        exc_type=ImportError,
    )
    from tryton.server import build_template

    return build_template(_tryton_cache(pytestconfig), trytond.__version__)


@pytest.fixture(scope="module")
def tryton_server(
    tryton_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrytonServer]:
    """A trytond on a free 127.0.0.1 port over a fresh copy of the template, per test module."""
    from tryton.server import run_server

    with run_server(tryton_template, tmp_path_factory.mktemp("tryton")) as server:
        yield server
