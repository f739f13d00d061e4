"""The examples in the docstrings of ``sync/`` are tests: every one of them runs here."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import sync

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(sync.__path__, prefix="sync.")
    if ".migrations" not in info.name  # Alembic scripts import alembic.op's proxy
)
WITH_EXAMPLES = ["sync.store", "sync.store.keys", "sync.store.urls"]


def test_the_modules_with_examples_are_found() -> None:
    assert set(WITH_EXAMPLES) <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_the_docstring_examples_hold(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    if name in WITH_EXAMPLES:
        assert result.attempted, f"{name} has no examples"
    assert result.failed == 0
