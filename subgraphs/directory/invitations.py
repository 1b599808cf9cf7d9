"""Invitations accepted: accounts' event makes the membership active.

accounts publishes INVITATION_ACCEPTED on one channel per tenant when an invited
user registers. This background task listens on the channel of every chamber's
tenant (and of each chamber registered while it runs) and marks the invitation
accepted (idempotent, so a repeated event changes nothing).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from subgraphs.accounts.events import INVITATION_ACCEPTED
from subgraphs.directory.chambers import accept_invitation
from subgraphs.directory.events import CHAMBER_REGISTERED
from subgraphs.directory.models import Chamber

if TYPE_CHECKING:
    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

__all__ = ["follow_invitations"]

logger = logging.getLogger("agora.subgraphs")


async def _follow(broker: Broker, tenant_id: str) -> None:
    async for event in INVITATION_ACCEPTED.subscribe(broker, tenant_id):
        if await accept_invitation(event.invitation_id, event.user_id, event.tenant_id):
            logger.info(
                "invitation %s accepted by %s", event.invitation_id, event.user_id
            )


async def follow_invitations(broker: Broker, settings: Settings) -> None:
    """A directory background task (kit signature): runs until cancelled."""
    following: dict[str, asyncio.Task[None]] = {}

    def follow(tenant_id: str) -> None:
        if tenant_id not in following:
            following[tenant_id] = asyncio.create_task(_follow(broker, tenant_id))

    try:
        async with broker.subscribe(CHAMBER_REGISTERED.name()) as registered:
            for tenant_id in await Chamber.all().values_list("tenant_id", flat=True):
                follow(str(tenant_id))
            async for payload in registered:
                follow(CHAMBER_REGISTERED.decode(payload).tenant_id)
    finally:
        for task in following.values():
            task.cancel()
        await asyncio.gather(*following.values(), return_exceptions=True)
