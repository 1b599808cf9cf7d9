"""Fixtures for the inventory integration tests: PostgreSQL and Redis only."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from subgraphs.inventory.app import SPEC
from subgraphs.kit.database import close_databases, init_databases
from subgraphs.kit.settings import Settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

# Test modules here put this in `pytestmark`: the `postgres` parameter of the shared
# database_url fixture only, and the integration marker.
ON_POSTGRES = [
    pytest.mark.integration,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]


@pytest.fixture
def redis_settings(
    database_url: str, redis_url: str, redis_prefix: str, tmp_path: Path
) -> Settings:
    """PostgreSQL for data, the test Redis (private prefix) for events."""
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        data_dir=tmp_path,
    )


@pytest.fixture
async def postgres_inventory(settings: Settings) -> AsyncIterator[Settings]:
    """The inventory tables, migrated (row level security included), on PostgreSQL."""
    await init_databases([SPEC], settings)
    try:
        yield settings
    finally:
        await close_databases()
