"""Accounts settings on each backend: SQLite + memory, PostgreSQL + Redis."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings


@pytest.fixture
def distributed_settings(
    settings: Settings, redis_url: str, redis_prefix: str
) -> Settings:
    """`settings`, with Redis (a private prefix) beside PostgreSQL."""
    if (settings.database_url or "").startswith("postgres"):
        settings = dataclasses.replace(
            settings, redis_url=redis_url, redis_prefix=redis_prefix
        )
    return settings
