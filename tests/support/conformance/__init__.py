"""The connector conformance suite's harnesses (see :mod:`.harness`), by connector kind.

A harness factory takes the pytest request (for fixtures such as ``tryton_template``) and
an empty working folder, and is a context manager yielding the harness. Adding a connector
to the suite is adding its factory here.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from .csv_harness import start_csv
from .file_harnesses import start_model_json, start_ubl_dir
from .harness import ConnectorHarness
from .json_api_harness import start_json_api
from .tryton_harness import start_tryton

__all__ = ["HARNESSES", "HarnessFactory"]

HarnessFactory = Callable[[pytest.FixtureRequest, Path], AbstractContextManager[ConnectorHarness]]

HARNESSES: dict[str, HarnessFactory] = {
    "tryton": start_tryton,
    "json-api": start_json_api,
    "model-json": start_model_json,
    "ubl-dir": start_ubl_dir,
    "csv": start_csv,
}
