"""The inventory package's front door lists exactly what it exports."""

from __future__ import annotations

import subgraphs.inventory as inventory


def test_all_names_only_what_the_package_defines() -> None:
    # Its order is ruff's (RUF022, isort-style), checked by the linter.
    assert len(set(inventory.__all__)) == len(inventory.__all__)
    for name in inventory.__all__:
        assert getattr(inventory, name) is not None, name


def test_every_public_import_of_the_front_door_is_exported() -> None:
    public = {
        name
        for name, value in vars(inventory).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "").startswith("subgraphs.inventory.")
    }
    assert public <= set(inventory.__all__)
