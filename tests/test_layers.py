"""Imports only point down (DESIGN.md's "may import" column): an AST scan of every module
of the top-level packages, module-level and function-level imports alike."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAY_IMPORT: dict[str, set[str]] = {
    "model": set(),
    "ubl": {"model"},
    "mappings": {"model"},
    "connectors": {"mappings", "ubl", "model"},
    "delivery": {"ubl", "model"},
    "reconcile": {"model"},
    "sync": {"reconcile", "delivery", "connectors", "mappings", "ubl", "model"},
    "ledgerlink": {"sync", "reconcile", "delivery", "connectors", "mappings", "ubl", "model"},
}


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def violations() -> list[str]:
    wrong = []
    for package, allowed in MAY_IMPORT.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for line, top in _imported(tree):
                if top in MAY_IMPORT and top != package and top not in allowed:
                    wrong.append(f"{path.relative_to(ROOT)}:{line}: {package} imports {top}")
    return wrong


def test_the_scan_sees_imports_at_any_depth() -> None:
    tree = ast.parse("def f():\n    from sync.store import open_store\nimport ubl.writer\n")
    assert sorted(_imported(tree)) == [(2, "sync"), (3, "ubl")]


def test_every_import_points_down() -> None:
    assert violations() == []
