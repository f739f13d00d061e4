"""``reconcile/statements`` imports only ``model`` and ``reconcile`` of ours (DESIGN.md), and
of the rest only the standard library, lxml and python-stdnum."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "reconcile" / "statements"
ALLOWED = {"model", "reconcile", "lxml", "stdnum"}


def test_imports_point_down_only() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in ALLOWED or top in sys.stdlib_module_names, (
                    f"{path.relative_to(PACKAGE)} imports {name}"
                )
