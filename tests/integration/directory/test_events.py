"""A capacity is never exceeded: 200 concurrent registrations for 50 places."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from subgraphs.directory.agenda import register_for_event
from subgraphs.directory.errors import EventFull
from subgraphs.directory.models import Event, Registration
from subgraphs.directory.seed import DEMO_CHAMBER_ID
from subgraphs.kit.principal import Principal

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings


async def test_200_concurrent_registrations_for_50_places_give_exactly_50(
    directory_db: Settings,
) -> None:
    start = datetime.now(UTC) + timedelta(days=1)
    event = await Event.create(
        chamber_id=DEMO_CHAMBER_ID,
        title="Popular",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        capacity=50,
    )
    results = await asyncio.gather(
        *(register_for_event(Principal(f"user-{n}"), event.id) for n in range(200)),
        return_exceptions=True,
    )
    registered = [r for r in results if isinstance(r, Registration)]
    full = [r for r in results if isinstance(r, EventFull)]
    others = [r for r in results if not isinstance(r, Registration | EventFull)]
    await event.refresh_from_db()
    assert others == []
    assert (len(registered), len(full)) == (50, 150)
    assert await Registration.filter(event=event).count() == 50
    assert event.registered == 50
