"""Accounts' background task: publish the active users to the user directory.

Every subgraph refuses callers the directory does not list (subgraphs.kit.users).
Accounts replaces it at start-up and every ACCOUNTS_DIRECTORY_SYNC_INTERVAL seconds
(60): a user deleted or deactivated outside accounts' own mutations (which update
it at once) drops out by the next run, and a Redis that lost the directory gets it
back.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING

from subgraphs.accounts.auth import publish_directory

if TYPE_CHECKING:
    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

logger = logging.getLogger("agora.subgraphs")

DEFAULT_SYNC_INTERVAL = 60.0


def sync_interval() -> float:
    raw = os.environ.get("ACCOUNTS_DIRECTORY_SYNC_INTERVAL")
    try:
        value = float(raw) if raw else DEFAULT_SYNC_INTERVAL
    except ValueError:
        value = DEFAULT_SYNC_INTERVAL
    return value if value > 0 else DEFAULT_SYNC_INTERVAL


async def sync_user_directory(broker: Broker, settings: Settings) -> None:
    """Publish the directory now and then every interval, until cancelled (a
    failure is raised: the kit restarts the task after a back-off)."""
    interval = sync_interval()
    while True:
        count = await publish_directory(broker)
        logger.debug("user directory published: %d active users", count)
        _raise_if_cancelling()
        await asyncio.sleep(interval)


def _raise_if_cancelling() -> None:
    # A task cancelled inside a redis-py or asyncpg call can see the call return
    # instead of CancelledError (see subgraphs.chat.presence): carrying on would
    # outlive the shutdown that cancelled it, and hang it.
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
