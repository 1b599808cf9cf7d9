"""Two chat processes on one PostgreSQL and one Redis behave as one chat.

The second process is a real `python -m subgraphs.chat`: events, presence and rate
limits must cross between processes through Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from subgraphs.chat.app import create_app
from subgraphs.chat.cursors import encode_cursor

from .test_realtime import (
    AGENT,
    CONVERSATION,
    DEMO_USER,
    MESSAGE_EVENTS,
    SEEDED,
    SEND_MESSAGE,
    TransportWsClient,
    identity,
    seqs,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from subgraphs.kit.settings import Settings

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def chat_process(settings: Settings) -> AsyncIterator[str]:
    """`python -m subgraphs.chat` on the same database and Redis; yields its URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "REDIS_PREFIX": settings.redis_prefix,
        "AGORA_GATEWAY_SECRET": settings.gateway_secret,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "subgraphs.chat",
        "--port",
        str(port),
        "--log-level",
        "warning",
        cwd=ROOT,
        env=env,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url) as client:
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/ready")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError("expected the second chat process to get ready")
        yield base_url
    finally:
        process.terminate()
        await process.wait()


async def test_an_event_sent_to_one_process_reaches_a_subscriber_of_the_other(
    chat_settings: Settings, uvicorn_server: Any
) -> None:
    async with (
        uvicorn_server(create_app(chat_settings)) as first,
        chat_process(chat_settings) as second,
        httpx.AsyncClient(base_url=first) as http,
    ):
        phone = await TransportWsClient.open(second, identity(chat_settings, DEMO_USER))
        await phone.subscribe(
            MESSAGE_EVENTS, id=CONVERSATION, after=encode_cursor(SEEDED - 1)
        )
        replayed = await phone.next()
        response = await http.post(
            "/graphql",
            headers=identity(chat_settings, AGENT),
            json={
                "query": SEND_MESSAGE,
                "variables": {"input": {"conversationId": CONVERSATION, "text": "hop"}},
            },
        )
        live = await phone.next()
        await phone.close()
    assert response.json() == {"data": {"sendMessage": {"seq": SEEDED + 1}}}
    assert seqs([replayed, live]) == [SEEDED, SEEDED + 1]


async def test_presence_and_rate_limits_are_shared_between_processes(
    chat_settings: Settings, uvicorn_server: Any
) -> None:
    send = {
        "query": SEND_MESSAGE,
        "variables": {"input": {"conversationId": CONVERSATION, "text": "again"}},
    }
    headers = identity(chat_settings, DEMO_USER)
    async with (
        uvicorn_server(create_app(chat_settings)) as first,
        chat_process(chat_settings) as second,
        httpx.AsyncClient() as http,
    ):
        watcher = await TransportWsClient.open(first, identity(chat_settings, AGENT))
        await watcher.subscribe(
            "subscription($ids: [ID!]!) { presence(userIds: $ids) { online } }",
            ids=[DEMO_USER],
        )
        offline = await watcher.next()
        phone = await TransportWsClient.open(second, headers)
        await phone.subscribe(
            "subscription($id: ID!) { typing(conversationId: $id) { userIds } }",
            id=CONVERSATION,
        )
        await phone.next()
        online = await watcher.next()
        await phone.close()
        offline_again = await watcher.next()
        await watcher.close()
        results = [
            (
                await http.post(
                    f"{(first, second)[n % 2]}/graphql", json=send, headers=headers
                )
            ).json()
            for n in range(11)
        ]
    assert [offline, online, offline_again] == [
        {"presence": {"online": False}},
        {"presence": {"online": True}},
        {"presence": {"online": False}},
    ]
    assert all("errors" not in r for r in results[:10])
    assert results[10]["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
