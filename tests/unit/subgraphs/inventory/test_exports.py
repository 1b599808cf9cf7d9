"""The inventory package's front door lists exactly what it exports."""

from __future__ import annotations

import subgraphs.inventory as inventory


def test_all_is_sorted_and_names_only_what_the_package_defines() -> None:
    assert inventory.__all__ == sorted(
        inventory.__all__, key=lambda n: (n.islower(), n)
    )
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
