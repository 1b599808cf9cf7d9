"""The policy front door lists exactly its public names, sorted."""

from __future__ import annotations

import types

import gateway.policy as policy


def _public(package: types.ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(package).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }


def test_policy_all_is_sorted_and_complete() -> None:
    names = [name for name in policy.__all__ if not name.isupper()]
    constants = [name for name in policy.__all__ if name.isupper()]
    # Constants first, then the rest, each sorted (ruff's RUF022 order).
    assert policy.__all__ == sorted(constants) + sorted(names)
    assert _public(policy) == set(policy.__all__)
