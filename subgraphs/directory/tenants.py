"""How accounts learns of the tenant each chamber is.

A chamber is a tenant, and accounts owns tenants; but a mutation cannot span two
subgraphs in one transaction. So `registerChamber` stores the chamber with a new
tenant id at once (instant setup) and publishes CHAMBER_REGISTERED after its
commit; accounts creates the tenant (idempotently) when it hears it. Pub/sub is
at most once, so this background task publishes every chamber again at start-up
and every DIRECTORY_TENANT_SYNC_INTERVAL seconds (default 300): a tenant missed
while accounts was down is created at the next round.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING

from subgraphs.directory.events import CHAMBER_REGISTERED, ChamberRegistered
from subgraphs.directory.models import Chamber, MemberRole, Membership
from subgraphs.kit.errors import BrokerUnavailable

if TYPE_CHECKING:
    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

__all__ = ["announce_chambers", "announce_chambers_once"]

logger = logging.getLogger("agora.subgraphs")

DEFAULT_INTERVAL = 300.0


async def announce_chambers_once(broker: Broker) -> int:
    """Publish CHAMBER_REGISTERED for every chamber; how many were published."""
    admins = dict(
        await Membership.filter(role=MemberRole.CHAMBER_ADMIN)
        .order_by("-number")
        .values_list("chamber_id", "user_id")
    )
    count = 0
    for chamber in await Chamber.all().order_by("created_at"):
        event = ChamberRegistered(
            chamber_id=str(chamber.id),
            tenant_id=chamber.tenant_id,
            name=chamber.name,
            slug=chamber.slug,
            admin_user_id=str(admins.get(chamber.id) or ""),
        )
        await CHAMBER_REGISTERED.publish(broker, event)
        count += 1
    return count


async def announce_chambers(broker: Broker, settings: Settings) -> None:
    """A directory background task (kit signature): runs until cancelled."""
    interval = float(
        os.environ.get("DIRECTORY_TENANT_SYNC_INTERVAL") or DEFAULT_INTERVAL
    )
    while True:
        try:
            await announce_chambers_once(broker)
        except BrokerUnavailable:
            logger.warning("chambers not announced: the broker is unavailable")
        await asyncio.sleep(interval)
