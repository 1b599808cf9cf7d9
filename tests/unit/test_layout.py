"""The rooms keep to themselves: the gateway never imports subgraphs, and back."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported_roots(package: str) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.add((str(path.relative_to(ROOT)), name.split(".")[0]))
    return found


def test_gateway_never_imports_subgraphs() -> None:
    offenders = [f for f, root in _imported_roots("gateway") if root == "subgraphs"]
    assert offenders == []


def test_subgraphs_never_import_gateway() -> None:
    offenders = [f for f, root in _imported_roots("subgraphs") if root == "gateway"]
    assert offenders == []
