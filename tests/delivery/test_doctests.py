"""The examples in the docstrings of ``delivery`` are tests: every one of them runs here."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "delivery.base",
    "delivery.states",
    "delivery.channel",
    "delivery.responses",
    "delivery.ap_emulator",
    "delivery.webhooks",
]


@pytest.mark.parametrize("name", MODULES)
def test_the_docstring_examples_hold(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted, f"{name} has no examples"
    assert result.failed == 0
