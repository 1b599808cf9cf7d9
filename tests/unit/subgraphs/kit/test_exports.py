"""The kit's front door lists exactly its public names, sorted."""

from __future__ import annotations

import subgraphs.kit


def test_all_is_sorted_and_every_name_is_importable() -> None:
    names = subgraphs.kit.__all__
    assert names == sorted(names)
    assert all(hasattr(subgraphs.kit, name) for name in names)


def test_every_public_name_of_the_front_door_is_listed() -> None:
    public = {
        name
        for name, value in vars(subgraphs.kit).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "").startswith("subgraphs.kit.")
    }
    assert public <= set(subgraphs.kit.__all__)
