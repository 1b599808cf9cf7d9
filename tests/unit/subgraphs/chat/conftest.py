"""Chat fixtures: the chat database on each backend, broker, limiter and people."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from subgraphs.chat.complaints import open_complaint
from subgraphs.chat.models import Conversation
from subgraphs.chat.presence import MemoryPresence, RedisPresence
from subgraphs.chat.ratelimit import MemoryRateLimiter, RedisRateLimiter
from subgraphs.kit.database import close_databases, init_databases
from subgraphs.kit.principal import Principal
from subgraphs.kit.pubsub import Broker

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from subgraphs.chat.models import Complaint
    from subgraphs.chat.presence import Presence
    from subgraphs.chat.ratelimit import RateLimiter
    from subgraphs.kit.settings import Settings

TENANT = "7d3c0a2e-0000-4000-8000-000000000001"
OTHER_TENANT = "7d3c0a2e-0000-4000-8000-000000000002"


@dataclass(frozen=True)
class ChatDatabase:
    name: str = "chat"
    models: tuple[str, ...] = ("subgraphs.chat.models",)
    migrations: str | None = "subgraphs.chat.migrations"


def on_postgres(settings: Settings) -> bool:
    return (settings.database_url or "").startswith("postgres")


@pytest.fixture
def chat_settings(settings: Settings, redis_url: str, redis_prefix: str) -> Settings:
    """Settings for a whole chat app: SQLite + memory, or PostgreSQL + Redis."""
    if on_postgres(settings):
        settings = dataclasses.replace(
            settings, redis_url=redis_url, redis_prefix=redis_prefix
        )
    return settings


@pytest.fixture
async def chat_db(settings: Settings) -> AsyncIterator[Settings]:
    """The chat tables, migrated, on this test's fresh database."""
    await init_databases([ChatDatabase()], settings)  # type: ignore[list-item]
    try:
        yield settings
    finally:
        await close_databases()


@pytest.fixture
async def broker(
    chat_db: Settings, redis_url: str, redis_prefix: str
) -> AsyncIterator[Broker]:
    """In-memory pub/sub beside SQLite, Redis (own prefix) beside PostgreSQL."""
    url = redis_url if on_postgres(chat_db) else "memory://"
    async with Broker(url, prefix=redis_prefix) as connected:
        yield connected


@pytest.fixture
async def limiter(
    chat_db: Settings, redis_url: str, redis_prefix: str
) -> AsyncIterator[RateLimiter]:
    created: RateLimiter
    if on_postgres(chat_db):
        created = RedisRateLimiter(redis_url, prefix=f"{redis_prefix}ratelimit")
    else:
        created = MemoryRateLimiter()
    yield created
    await created.close()


@pytest.fixture
async def presence(
    chat_db: Settings, redis_url: str, redis_prefix: str
) -> AsyncIterator[Presence]:
    created: Presence
    if on_postgres(chat_db):
        created = RedisPresence(redis_url, prefix=f"{redis_prefix}presence")
    else:
        created = MemoryPresence()
    yield created
    await created.close()


@pytest.fixture
def citizen() -> Principal:
    return Principal("user-citizen", TENANT, frozenset({"member"}))


@pytest.fixture
def neighbour() -> Principal:
    return Principal("user-neighbour", TENANT, frozenset({"member"}))


@pytest.fixture
def agent() -> Principal:
    return Principal("user-agent", TENANT, frozenset({"support_agent"}))


@pytest.fixture
def foreign_agent() -> Principal:
    return Principal("user-foreign-agent", OTHER_TENANT, frozenset({"support_agent"}))


@pytest.fixture
def admin() -> Principal:
    return Principal("user-admin", None, frozenset({"platform_admin"}))


@pytest.fixture
async def complaint(chat_db: Settings, citizen: Principal) -> Complaint:
    return await open_complaint(
        citizen,
        subject="Garbage not collected",
        category="waste",
        city_corporation="Dhaka North",
        ward="12",
        thana="Gulshan",
    )


@pytest.fixture
async def conversation_id(complaint: Complaint) -> str:
    """The id of the complaint's conversation (the citizen takes part in it)."""
    conversation = await Conversation.get(complaint_id=complaint.id)
    return str(conversation.id)
