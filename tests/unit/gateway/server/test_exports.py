"""Each of the gateway's front doors exports exactly its public names, sorted."""

from __future__ import annotations

import importlib
import inspect

import pytest

PACKAGES = [
    "gateway.execution",
    "gateway.request",
    "gateway.server",
    "gateway.transport",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_complete(name: str) -> None:
    package = importlib.import_module(name)
    exported = list(package.__all__)
    constants = [name for name in exported if name.isupper()]
    names = [name for name in exported if not name.isupper()]
    # Constants first, then the rest, each sorted (ruff's RUF022 order).
    assert exported == sorted(constants) + sorted(names)
    public = {
        attr
        for attr, value in vars(package).items()
        if not attr.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
    }
    assert public <= set(exported)
    assert all(hasattr(package, attr) for attr in exported)
