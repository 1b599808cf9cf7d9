"""The rooms keep to themselves: the gateway never imports subgraphs, and back; and
no module of either imports itself back through others (an import cycle)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runs_at_import(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a module body that run when it is imported: into `if`
    and `try`, but not into `if TYPE_CHECKING:`, functions or classes."""
    for node in body:
        if isinstance(node, ast.If):
            test = node.test
            if not (
                (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
                or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
            ):
                yield from _runs_at_import(node.body)
            yield from _runs_at_import(node.orelse)
        elif isinstance(node, ast.Try):
            for part in (node.body, node.orelse, node.finalbody):
                yield from _runs_at_import(part)
            for handler in node.handlers:
                yield from _runs_at_import(handler.body)
        else:
            yield node


def _import_graph() -> dict[str, set[str]]:
    """Module -> the modules of gateway/ and subgraphs/ it imports when imported.

    `from X import a` needs X itself (its `__init__` when X is a package), and X.a
    too when that is a module: a module that takes a sibling from its own package
    (`from . import a`, `from subgraphs.inventory import a`) depends on the package.
    """
    paths = {
        _module_name(path): path
        for package in ("gateway", "subgraphs")
        for path in (ROOT / package).rglob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in _runs_at_import(ast.parse(path.read_text()).body):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:
                    base = package.split(".")[
                        : len(package.split(".")) - node.level + 1
                    ]
                    module = ".".join([*base, module] if module else base)
                targets.add(module)
                targets.update(f"{module}.{alias.name}" for alias in node.names)
        graph[name] = {t for t in targets if t in paths and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: set[frozenset[str]] = set()

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = {stack.pop()}
            while module not in component:
                component.add(stack.pop())
            if len(component) > 1:
                found.add(frozenset(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles_in_gateway_or_subgraphs() -> None:
    cycles = _cycles(_import_graph())
    assert sorted(map(sorted, cycles)) == [], "import cycles (module-level imports)"


def test_the_cycle_finder_sees_a_package_re_entered() -> None:
    graph = {
        "pkg": {"pkg.app"},
        "pkg.app": {"pkg.schema"},
        "pkg.schema": {"pkg", "pkg.catalog"},
        "pkg.catalog": set(),
    }
    assert _cycles(graph) == {frozenset({"pkg", "pkg.app", "pkg.schema"})}
