"""``--cache DIR``: the artifact cache, one option for every command that reads it.

``ledgerlink artifacts install|list`` install into and list it; ``validate``, ``demo`` and
``pull --ubl-dir`` validate with the bundles in it. Without the option the cache is
``$LEDGERLINK_ARTIFACTS_DIR``, else ``$XDG_CACHE_HOME/ledgerlink/artifacts`` (or
``~/.cache/ledgerlink/artifacts``): see :func:`ubl.artifacts.cache_dir`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Final

import typer

__all__ = ["CacheOption", "using_cache"]

ENV_CACHE: Final = "LEDGERLINK_ARTIFACTS_DIR"
"""The variable :func:`ubl.artifacts.cache_dir` reads (named here so ``--help`` imports no
``ubl``)."""

CacheOption = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        help="Artifact cache folder (default: $LEDGERLINK_ARTIFACTS_DIR, else "
        "$XDG_CACHE_HOME/ledgerlink/artifacts or ~/.cache/ledgerlink/artifacts).",
        file_okay=False,
        show_default=False,
    ),
]


@contextmanager
def using_cache(cache: Path | None) -> Iterator[None]:
    """Make ``cache`` (when given) the artifact cache for the length of the block: the
    validator of this process, and the worker processes it starts, read their bundles from
    it. The variable is restored afterwards."""
    if cache is None:
        yield
        return
    before = os.environ.get(ENV_CACHE)
    os.environ[ENV_CACHE] = str(cache.expanduser())
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV_CACHE, None)
        else:
            os.environ[ENV_CACHE] = before
