"""Tenants that other subgraphs create: a chamber registered in the directory.

Directory sets a chamber up at once under a new tenant id and publishes
CHAMBER_REGISTERED (directory re-announces every chamber at start-up and on an
interval, since pub/sub may lose a message); this background task creates the
tenant of that id here, so invitations to the chamber can be redeemed by
`register`. Creating is idempotent, and a name another tenant already holds gets
the chamber's slug beside it (tenant names are unique).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from uuid import UUID

from tortoise.exceptions import IntegrityError

from subgraphs.accounts.models import Tenant
from subgraphs.directory.events import CHAMBER_REGISTERED

if TYPE_CHECKING:
    from subgraphs.directory.events import ChamberRegistered
    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

__all__ = ["ensure_tenant", "follow_chambers"]

logger = logging.getLogger("agora.subgraphs")


async def ensure_tenant(event: ChamberRegistered) -> Tenant:
    """The tenant `event` names, created when it does not exist yet."""
    tenant_id = UUID(event.tenant_id)
    existing = await Tenant.get_or_none(id=tenant_id)
    if existing is not None:
        return existing
    for name in (event.name, f"{event.name} ({event.slug})"):
        if await Tenant.filter(name=name).exists():
            continue
        try:
            return await Tenant.create(id=tenant_id, name=name)
        except IntegrityError:  # another instance created it just now
            found = await Tenant.get_or_none(id=tenant_id)
            if found is not None:
                return found
    raise ValueError(f"no free tenant name for chamber {event.chamber_id}")


async def follow_chambers(broker: Broker, settings: Settings) -> None:
    """An accounts background task (kit signature): runs until cancelled."""
    async for event in CHAMBER_REGISTERED.subscribe(broker):
        try:
            tenant = await ensure_tenant(event)
        except ValueError as error:
            logger.warning("%s", error)
            continue
        logger.info("tenant %s of chamber %s ready", tenant.id, event.chamber_id)
