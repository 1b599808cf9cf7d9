"""Accounts' directory task ends when cancelled, even inside a call that swallows
the cancellation (redis-py and asyncpg can)."""

from __future__ import annotations

import asyncio

import pytest

from subgraphs.accounts import sync
from subgraphs.kit.pubsub import Broker
from subgraphs.kit.settings import Settings


async def test_a_cancellation_swallowed_by_the_publish_still_ends_the_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inside = asyncio.Event()

    async def swallowing_publish(broker: Broker | None) -> int:
        inside.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            return 0  # what a client library may do at shutdown
        return 0

    monkeypatch.setattr(sync, "publish_directory", swallowing_publish)
    task = asyncio.create_task(
        sync.sync_user_directory(Broker("memory://"), Settings())
    )
    await inside.wait()
    task.cancel()
    async with asyncio.timeout(5):
        with pytest.raises(asyncio.CancelledError):
            await task
