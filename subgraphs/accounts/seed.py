"""Demo data, seeded idempotently at start-up (fixed ids shared by every subgraph).

Tenants: Demo Chamber 7d3c0a2e-0000-4000-8000-000000000001, Green Farms ...0002.
Users (password "agora-demo-password"): demo@agora.dev ...0101 (member, Demo
Chamber), admin@agora.dev ...0102 (platform_admin, no tenant), agent@agora.dev
...0103 (support_agent, Demo Chamber), farmer@agora.dev ...0104 (tenant_admin,
Green Farms).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from subgraphs.accounts.models import Tenant, User
from subgraphs.accounts.passwords import hash_password

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings

DEMO_PASSWORD = "agora-demo-password"
DEMO_CHAMBER_ID = uuid.UUID("7d3c0a2e-0000-4000-8000-000000000001")
GREEN_FARMS_ID = uuid.UUID("7d3c0a2e-0000-4000-8000-000000000002")

DEMO_TENANTS = ((DEMO_CHAMBER_ID, "Demo Chamber"), (GREEN_FARMS_ID, "Green Farms"))

# (id, email, display name, tenant, roles)
DEMO_USERS: tuple[tuple[uuid.UUID, str, str, uuid.UUID | None, list[str]], ...] = (
    (
        uuid.UUID("7d3c0a2e-0000-4000-8000-000000000101"),
        "demo@agora.dev",
        "Demo Member",
        DEMO_CHAMBER_ID,
        ["member"],
    ),
    (
        uuid.UUID("7d3c0a2e-0000-4000-8000-000000000102"),
        "admin@agora.dev",
        "Platform Admin",
        None,
        ["platform_admin"],
    ),
    (
        uuid.UUID("7d3c0a2e-0000-4000-8000-000000000103"),
        "agent@agora.dev",
        "Support Agent",
        DEMO_CHAMBER_ID,
        ["support_agent"],
    ),
    (
        uuid.UUID("7d3c0a2e-0000-4000-8000-000000000104"),
        "farmer@agora.dev",
        "Green Farmer",
        GREEN_FARMS_ID,
        ["tenant_admin"],
    ),
)


async def seed(settings: Settings) -> None:
    """Create the demo tenants and users that do not exist yet; change nothing else."""
    existing_users = set(
        await User.filter(id__in=[u[0] for u in DEMO_USERS]).values_list(
            "id", flat=True
        )
    )
    existing_tenants = set(
        await Tenant.filter(id__in=[t[0] for t in DEMO_TENANTS]).values_list(
            "id", flat=True
        )
    )
    missing_users = [u for u in DEMO_USERS if u[0] not in existing_users]
    missing_tenants = [t for t in DEMO_TENANTS if t[0] not in existing_tenants]
    if not missing_users and not missing_tenants:
        return
    password_hash = await hash_password(DEMO_PASSWORD)
    async with in_transaction("accounts"):
        for tenant_id, name in missing_tenants:
            await Tenant.create(id=tenant_id, name=name)
        for user_id, email, display_name, user_tenant_id, roles in missing_users:
            await User.create(
                id=user_id,
                email=email,
                display_name=display_name,
                password_hash=password_hash,
                tenant_id=user_tenant_id,
                roles=roles,
                scopes=[],
            )
