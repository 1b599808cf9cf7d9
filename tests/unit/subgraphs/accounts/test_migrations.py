"""The accounts models and their migrations agree: no change is left unmigrated."""

from __future__ import annotations

from subgraphs.accounts.app import SPEC
from subgraphs.kit.database import detect_model_changes


async def test_accounts_models_need_no_new_migration() -> None:
    assert await detect_model_changes([SPEC]) == []
