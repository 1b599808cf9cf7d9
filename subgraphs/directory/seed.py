"""Demo data, seeded idempotently at start-up (ids shared with accounts' demo data).

The Demo Chamber (tenant 7d3c0a2e-0000-4000-8000-000000000001, chamber ...0201)
with demo@agora.dev (...0101) as its chamber admin and agent@agora.dev (...0103)
as a member, a few categories, eight businesses and two events.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from subgraphs.directory.cards import new_card_key
from subgraphs.directory.models import (
    Business,
    BusinessCategory,
    Category,
    Chamber,
    Event,
    MemberRole,
    Membership,
    MembershipStatus,
)

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings

DEMO_TENANT_ID = "7d3c0a2e-0000-4000-8000-000000000001"
DEMO_CHAMBER_ID = uuid.UUID("7d3c0a2e-0000-4000-8000-000000000201")
DEMO_USER_ID = "7d3c0a2e-0000-4000-8000-000000000101"
DEMO_AGENT_ID = "7d3c0a2e-0000-4000-8000-000000000103"

CATEGORIES = (
    ("bakery", "Bakery"),
    ("cafe", "Café"),
    ("hardware", "Hardware"),
    ("legal", "Legal services"),
    ("it", "IT services"),
    ("farm-shop", "Farm shop"),
)

# (id suffix, name, categories, description, lat, lng, owner)
BUSINESSES = (
    (
        1,
        "Sunrise Bakery",
        ("bakery", "cafe"),
        "Sourdough and pastries, baked at 5.",
        52.5200,
        13.4050,
        DEMO_USER_ID,
    ),
    (
        2,
        "Corner Café",
        ("cafe",),
        "Coffee, cakes from the bakery next door.",
        52.5210,
        13.4070,
        None,
    ),
    (
        3,
        "Miller & Sons Hardware",
        ("hardware",),
        "Tools, paint and keys cut.",
        52.5150,
        13.3990,
        None,
    ),
    (
        4,
        "Becker Legal",
        ("legal",),
        "Contracts and company law for small firms.",
        52.5300,
        13.4200,
        None,
    ),
    (
        5,
        "ByteWorks",
        ("it",),
        "Networks, laptops and websites for shops.",
        52.5000,
        13.4500,
        DEMO_AGENT_ID,
    ),
    (
        6,
        "Green Farms Shop",
        ("farm-shop",),
        "Vegetables and eggs from Green Farms.",
        52.4800,
        13.3000,
        None,
    ),
    (
        7,
        "Old Town Patisserie",
        ("bakery",),
        "Tarts and wedding cakes.",
        52.5190,
        13.4010,
        None,
    ),
    (
        8,
        "Harbour Hardware",
        ("hardware",),
        "Marine supplies and a bakery oven repair.",
        53.5500,
        9.9900,
        None,
    ),
)


async def seed(settings: Settings) -> None:
    """Create the demo chamber and what belongs to it, unless it exists."""
    async with in_transaction("directory"):
        if await Chamber.exists(id=DEMO_CHAMBER_ID):
            return
        chamber = await Chamber.create(
            id=DEMO_CHAMBER_ID,
            tenant_id=DEMO_TENANT_ID,
            name="Demo Chamber",
            slug="demo-chamber",
            region="Berlin",
            timezone="Europe/Berlin",
            card_key=new_card_key(),
            next_member_number=3,
        )
        now = datetime.now(UTC)
        for number, user_id, role, name in (
            (1, DEMO_USER_ID, MemberRole.CHAMBER_ADMIN, "Demo Member"),
            (2, DEMO_AGENT_ID, MemberRole.MEMBER, "Support Agent"),
        ):
            await Membership.create(
                chamber=chamber,
                user_id=user_id,
                display_name=name,
                role=role,
                status=MembershipStatus.ACTIVE,
                number=number,
                joined_at=now,
                renews_at=now + timedelta(days=365),
            )
        categories = {}
        for slug, name in CATEGORIES:
            found = await Category.get_or_none(slug=slug)
            categories[slug] = found or await Category.create(slug=slug, name=name)
        for suffix, name, slugs, description, lat, lng, owner in BUSINESSES:
            business = await Business.create(
                id=uuid.UUID(f"7d3c0a2e-0000-4000-8000-{300 + suffix:012d}"),
                chamber=chamber,
                owner_id=owner,
                name=name,
                description=description,
                latitude=lat,
                longitude=lng,
                verified=suffix % 2 == 1,
            )
            await BusinessCategory.bulk_create(
                [
                    BusinessCategory(business=business, category=categories[s])
                    for s in slugs
                ]
            )
        start = (now + timedelta(days=14)).replace(
            hour=17, minute=0, second=0, microsecond=0
        )
        await Event.create(
            id=uuid.UUID("7d3c0a2e-0000-4000-8000-000000000401"),
            chamber=chamber,
            title="Members' evening",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            timezone="Europe/Berlin",
            venue="Town Hall",
            capacity=50,
        )
        await Event.create(
            id=uuid.UUID("7d3c0a2e-0000-4000-8000-000000000402"),
            chamber=chamber,
            title="Digital shop front workshop",
            starts_at=start + timedelta(days=7),
            ends_at=start + timedelta(days=7, hours=2),
            timezone="Europe/Berlin",
            venue="ByteWorks",
            capacity=12,
        )
