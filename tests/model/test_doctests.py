"""The examples in the docstrings of ``model/`` are tests: every one of them runs here."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import model


def _modules() -> list[str]:
    names = ["model"]
    for info in pkgutil.walk_packages(model.__path__, prefix="model."):
        names.append(info.name)
    return sorted(names)


MODULES = _modules()


def test_the_model_has_doctests() -> None:
    """The walk finds the modules that carry examples (a walk that finds none proves nothing)."""
    finder = doctest.DocTestFinder()
    with_examples = {
        name
        for name in MODULES
        if any(test.examples for test in finder.find(importlib.import_module(name)))
    }
    assert {"model.findings", "model.identifiers.rf", "model.identifiers.iban"} <= with_examples


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
