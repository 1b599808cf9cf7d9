"""Directory integration fixtures: the directory's database on PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from subgraphs.directory.app import SPEC
from subgraphs.kit.database import close_databases
from subgraphs.kit.lifecycle import prepare_subgraphs

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from subgraphs.kit.settings import Settings


@pytest.fixture
async def directory_db(settings: Settings) -> AsyncIterator[Settings]:
    """The directory's tables, migrated and seeded, on this test's fresh database."""
    await prepare_subgraphs([SPEC], settings)
    try:
        yield settings
    finally:
        await close_databases()
