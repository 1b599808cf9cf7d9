"""gateway.compose's front door lists exactly its public names, sorted."""

from __future__ import annotations

import gateway.compose


def test_all_is_sorted_and_names_every_public_export() -> None:
    public = sorted(
        name
        for name, value in vars(gateway.compose).items()
        if not name.startswith("_")
        and not isinstance(value, type(gateway))
        and name != "annotations"
    )
    assert gateway.compose.__all__ == sorted(gateway.compose.__all__)
    assert public == gateway.compose.__all__
