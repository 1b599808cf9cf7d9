"""Chamber events and registrations; a capacity is never exceeded.

`register_for_event` takes a place with one conditional UPDATE
(`registered = registered + 1 WHERE registered < capacity`) in the same
transaction as the registration row: concurrent registrations serialise on the
event's row, so the last place goes once whatever the concurrency.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from subgraphs.directory.access import parse_id, require_chamber, require_chamber_admin
from subgraphs.directory.errors import EventFull
from subgraphs.directory.models import Event, Registration
from subgraphs.kit.errors import BadUserInput, NotFound

if TYPE_CHECKING:
    from subgraphs.kit.principal import Principal

__all__ = ["cancel_registration", "create_event", "list_events", "register_for_event"]

MAX_EVENTS = 500


async def list_events(
    chamber_id: object, *, start: datetime | None = None, end: datetime | None = None
) -> list[Event]:
    """A chamber's events starting within [start, end), soonest first."""
    chamber = await require_chamber(chamber_id)
    query = Event.filter(chamber=chamber)
    if start is not None:
        query = query.filter(starts_at__gte=start)
    if end is not None:
        query = query.filter(starts_at__lt=end)
    return list(await query.order_by("starts_at", "id").limit(MAX_EVENTS))


async def create_event(
    caller: Principal,
    chamber_id: object,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    timezone: str | None = None,
    venue: str = "",
    description: str = "",
) -> Event:
    """A chamber's admins create its events (times are stored in UTC)."""
    chamber = await require_chamber_admin(caller, chamber_id)
    if not title.strip():
        raise BadUserInput("An event needs a title.", field="title")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise BadUserInput("Give times with their UTC offset.", field="startsAt")
    if ends_at <= starts_at:
        raise BadUserInput("An event ends after it starts.", field="endsAt")
    if capacity < 1 or capacity > 100_000:
        raise BadUserInput("capacity must be 1 to 100000.", field="capacity")
    zone = timezone or chamber.timezone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadUserInput(f"Unknown timezone {zone!r}.", field="timezone") from None
    return await Event.create(
        chamber=chamber,
        title=title.strip(),
        description=description,
        starts_at=starts_at.astimezone(UTC),
        ends_at=ends_at.astimezone(UTC),
        timezone=zone,
        venue=venue,
        capacity=capacity,
    )


async def register_for_event(caller: Principal, event_id: object) -> Registration:
    """The caller's registration (the existing one when already registered);
    EventFull when every place is taken."""
    key = parse_id("Event", event_id)
    try:
        async with in_transaction("directory"):
            existing = await Registration.get_or_none(
                event_id=key, user_id=caller.user_id
            )
            if existing is not None:
                return existing
            taken = await Event.filter(id=key, registered__lt=F("capacity")).update(
                registered=F("registered") + 1
            )
            if not taken:
                event = await Event.get_or_none(id=key)
                if event is None:
                    raise NotFound("Event", str(event_id))
                raise EventFull(str(event_id), event.capacity)
            return await Registration.create(event_id=key, user_id=caller.user_id)
    except IntegrityError:
        # The same user registering twice at once: the unique index kept one.
        return await Registration.get(event_id=key, user_id=caller.user_id)


async def cancel_registration(caller: Principal, event_id: object) -> bool:
    """Give the caller's place back; False when they had none."""
    key = parse_id("Event", event_id)
    async with in_transaction("directory"):
        deleted = await Registration.filter(
            event_id=key, user_id=caller.user_id
        ).delete()
        if deleted:
            await Event.filter(id=key).update(registered=F("registered") - 1)
    return bool(deleted)
