"""The chat's Redis clients are made at start-up and closed at shutdown.

Standalone and embedded beside other subgraphs; observed from the Redis server,
which lists the chat's links by their name.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from redis.asyncio import Redis

from subgraphs.chat.app import SPEC, create_app
from subgraphs.kit.embedded import create_embedded

from .test_realtime import CONVERSATION, DEMO_USER, SEND_MESSAGE, identity

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx

    from subgraphs.kit.settings import Settings

pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]


@pytest.fixture
async def redis(chat_settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(chat_settings.redis_url or "")
    try:
        yield client
    finally:
        await client.aclose()


async def chat_links(redis: Redis, settings: Settings) -> int:
    """How many Redis connections carry the chat runtime's name for this prefix."""
    prefix = f"{settings.redis_prefix}chat"
    name = "agora-chat-" + "".join(c if c.isalnum() else "-" for c in prefix)
    return sum(1 for c in await redis.client_list() if c.get("name") == name)


async def closed_links(redis: Redis, settings: Settings) -> int:
    """chat_links once the server has seen the sockets close (it may lag a little)."""
    for _ in range(100):
        if not (count := await chat_links(redis, settings)):
            return count
        await asyncio.sleep(0.02)
    return count


async def send(client: httpx.AsyncClient, settings: Settings) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        headers=identity(settings, DEMO_USER),
        json={
            "query": SEND_MESSAGE,
            "variables": {"input": {"conversationId": CONVERSATION, "text": "hi"}},
        },
    )
    body: dict[str, Any] = response.json()
    return body


async def test_embedded_the_chat_closes_its_redis_clients_at_shutdown(
    chat_settings: Settings, asgi_client: Any, redis: Redis
) -> None:
    apps, lifespan = create_embedded([SPEC], chat_settings)
    async with asgi_client(apps["chat"], lifespan=lifespan) as client:
        sent = await send(client, chat_settings)
        during = await chat_links(redis, chat_settings)
    after = await closed_links(redis, chat_settings)
    assert sent == {"data": {"sendMessage": {"seq": 5}}}
    assert during >= 1
    assert after == 0


async def test_standalone_the_chat_closes_its_redis_clients_at_shutdown(
    chat_settings: Settings, asgi_client: Any, redis: Redis
) -> None:
    async with asgi_client(create_app(chat_settings)) as client:
        sent = await send(client, chat_settings)
        during = await chat_links(redis, chat_settings)
    after = await closed_links(redis, chat_settings)
    assert sent == {"data": {"sendMessage": {"seq": 5}}}
    assert during >= 1
    assert after == 0
