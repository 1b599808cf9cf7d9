"""Fixtures for the inventory domain tests: a migrated database and some callers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from subgraphs.inventory.app import SPEC, create_app
from subgraphs.inventory.catalog import create_farm, create_product
from subgraphs.inventory.validation import PriceTier, PriceTierKind
from subgraphs.kit.context import gateway_identity_headers
from subgraphs.kit.database import close_databases, init_databases
from subgraphs.kit.principal import Principal

if TYPE_CHECKING:
    import contextlib
    from collections.abc import AsyncIterator, Callable

    import httpx

    from subgraphs.kit.settings import Settings

TENANT_A = "7d3c0a2e-0000-4000-8000-00000000000a"
TENANT_B = "7d3c0a2e-0000-4000-8000-00000000000b"


@pytest.fixture
async def inventory_db(settings: Settings) -> AsyncIterator[Settings]:
    """The inventory tables, migrated, on this test's fresh database (both backends)."""
    await init_databases([SPEC], settings)
    try:
        yield settings
    finally:
        await close_databases()


@pytest.fixture
def admin_a() -> Principal:
    return Principal(
        user_id="admin-a", tenant_id=TENANT_A, roles=frozenset({"tenant_admin"})
    )


@pytest.fixture
def member_a() -> Principal:
    return Principal(
        user_id="member-a", tenant_id=TENANT_A, roles=frozenset({"member"})
    )


@pytest.fixture
def admin_b() -> Principal:
    return Principal(
        user_id="admin-b", tenant_id=TENANT_B, roles=frozenset({"tenant_admin"})
    )


RETAIL = [PriceTier(PriceTierKind.RETAIL, 1, 350)]


@dataclass(frozen=True)
class Shelf:
    """A farm and a product of tenant A, ready to receive stock."""

    farm_id: str
    product_id: str


@pytest.fixture
async def shelf(inventory_db: Settings, admin_a: Principal) -> Shelf:
    farm = await create_farm(admin_a, name="North Field", timezone="Europe/Berlin")
    product = await create_product(
        admin_a, sku="TOM-1", name="Tomatoes", unit="kg", price_tiers=RETAIL
    )
    return Shelf(farm_id=str(farm.id), product_id=str(product.id))


@dataclass(frozen=True)
class InventoryClient:
    """Calls the inventory app's /graphql as a caller, via the gateway headers."""

    client: httpx.AsyncClient
    settings: Settings

    async def execute(
        self,
        caller: Principal | None,
        query: str,
        variables: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        headers = {}
        if caller is not None:
            headers = gateway_identity_headers(
                self.settings.gateway_secret,
                user_id=caller.user_id,
                tenant_id=caller.tenant_id,
                roles=caller.roles,
            )
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
async def inventory(
    settings: Settings,
    asgi_client: Callable[
        ..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]
    ],
) -> AsyncIterator[InventoryClient]:
    """The inventory app in process (migrated, seeded) on this test's database."""
    async with asgi_client(create_app(settings)) as client:
        yield InventoryClient(client, settings)
