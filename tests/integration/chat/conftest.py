"""Chat app settings on each backend: SQLite + memory, PostgreSQL + Redis."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

if TYPE_CHECKING:
    from collections.abc import Iterator

    from subgraphs.kit.settings import Settings


@pytest.fixture
def chat_settings(
    settings: Settings, redis_url: str, redis_prefix: str
) -> Iterator[Settings]:
    # Tortoise caches compiled SQL per connection name, whatever the backend was.
    EXECUTOR_CACHE.clear()
    if (settings.database_url or "").startswith("postgres"):
        settings = dataclasses.replace(
            settings, redis_url=redis_url, redis_prefix=redis_prefix
        )
    yield settings
    EXECUTOR_CACHE.clear()
