"""The inventory schema over HTTP: operations, errors with codes, federation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from subgraphs.inventory.seed import GREEN_FARMS
from subgraphs.kit.database import count_statements
from subgraphs.kit.principal import Principal
from tests.unit.subgraphs.inventory.conftest import TENANT_A

if TYPE_CHECKING:
    from tests.unit.subgraphs.inventory.conftest import InventoryClient

FARMER = Principal(
    user_id="7d3c0a2e-0000-4000-8000-000000000104",
    tenant_id=GREEN_FARMS,
    roles=frozenset({"tenant_admin"}),
)
ADMIN = Principal(
    user_id="admin-a", tenant_id=TENANT_A, roles=frozenset({"tenant_admin"})
)
MEMBER = Principal(user_id="member-a", tenant_id=TENANT_A, roles=frozenset({"member"}))

SETUP = """
mutation Setup($tiers: [PriceTierInput!]!) {
  createFarm(input: {name: "North Field", timezone: "Europe/Berlin"}) { id }
  createProduct(
    input: {sku: "TOM-1", name: "Tomatoes", unit: "kg", priceTiers: $tiers}
  ) { id }
}
"""
TIERS = [
    {"kind": "RETAIL", "minQuantity": 1, "unitPriceCents": 350},
    {"kind": "WHOLESALE", "minQuantity": 20, "unitPriceCents": 280},
]


async def _setup(inventory: InventoryClient) -> tuple[str, str]:
    body = await inventory.execute(ADMIN, SETUP, {"tiers": TIERS})
    assert "errors" not in body, body
    return body["data"]["createFarm"]["id"], body["data"]["createProduct"]["id"]


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_the_seed_gives_green_farms_two_farms_with_stock(
    inventory: InventoryClient,
) -> None:
    body = await inventory.execute(
        FARMER, "{ farms { name stock { quantity available product { sku } } } }"
    )
    farms = body["data"]["farms"]
    assert [f["name"] for f in farms] == [
        "Green Farms Hillside",
        "Green Farms Riverside",
    ]
    assert {s["product"]["sku"]: s["quantity"] for s in farms[0]["stock"]} == {
        "GF-TOM-1KG": 120,
        "GF-EGG-10": 60,
        "GF-HON-500": 25,
    }


async def test_receive_reserve_and_order_through_graphql(
    inventory: InventoryClient,
) -> None:
    farm_id, product_id = await _setup(inventory)
    received = await inventory.execute(
        ADMIN,
        """mutation($farm: ID!) {
          receiveStock(input: {farmId: $farm, sku: "TOM-1", quantity: 40}) {
            quantity reserved available
          }
        }""",
        {"farm": farm_id},
    )
    assert received["data"]["receiveStock"] == {
        "quantity": 40,
        "reserved": 0,
        "available": 40,
    }
    held = await inventory.execute(
        MEMBER,
        """mutation($p: ID!, $f: ID!) {
          reserve(productId: $p, farmId: $f, quantity: 25, ttl: 600) {
            id status holder { id } product { sku } farm { name }
          }
        }""",
        {"p": product_id, "f": farm_id},
    )
    reservation = held["data"]["reserve"]
    assert reservation["status"] == "ACTIVE"
    assert reservation["holder"] == {"id": "member-a"}
    ordered = await inventory.execute(
        MEMBER,
        """mutation($ids: [ID!]!) {
          placeOrder(reservationIds: $ids) {
            status totalCents buyer { id }
            lines { quantity unitPriceCents product { sku } }
          }
        }""",
        {"ids": [reservation["id"]]},
    )
    assert ordered["data"]["placeOrder"] == {
        "status": "PLACED",
        "totalCents": 25 * 280,
        "buyer": {"id": "member-a"},
        "lines": [{"quantity": 25, "unitPriceCents": 280, "product": {"sku": "TOM-1"}}],
    }
    stock = await inventory.execute(
        MEMBER,
        "query($p: ID!) { stock(productId: $p) { quantity reserved available } }",
        {"p": product_id},
    )
    assert stock["data"]["stock"] == [{"quantity": 15, "reserved": 0, "available": 15}]


async def test_bad_input_comes_back_as_coded_errors(inventory: InventoryClient) -> None:
    farm_id, product_id = await _setup(inventory)
    cases = {
        "negative quantity": (
            "mutation($f: ID!, $p: ID!) { receiveStock(input: "
            "{farmId: $f, productId: $p, quantity: -3}) { id } }",
            "BAD_USER_INPUT",
        ),
        "unknown SKU": (
            "mutation($f: ID!) { receiveStock(input: "
            '{farmId: $f, sku: "NOPE", quantity: 3}) { id } }',
            "NOT_FOUND",
        ),
        "more than available": (
            "mutation($f: ID!, $p: ID!) { reserve(productId: $p, farmId: $f, "
            "quantity: 1) { id } }",
            "BAD_USER_INPUT",
        ),
        "negative price tier": (
            'mutation { createProduct(input: {sku: "X", name: "X", priceTiers: '
            "[{kind: RETAIL, minQuantity: 1, unitPriceCents: -1}]}) { id } }",
            "BAD_USER_INPUT",
        ),
        "no caller": ("{ farms { id } }", "UNAUTHENTICATED"),
    }
    for name, (query, code) in cases.items():
        caller = None if name == "no caller" else ADMIN
        body = await inventory.execute(caller, query, {"f": farm_id, "p": product_id})
        assert _codes(body) == [code], (name, body)
    unchanged = await inventory.execute(
        ADMIN, "{ products { edges { node { sku } } } lowStock(threshold: 1) { id } }"
    )
    assert unchanged["data"]["products"]["edges"] == [{"node": {"sku": "TOM-1"}}]
    assert unchanged["data"]["lowStock"] == []


async def test_entities_resolve_through_one_select_per_type(
    inventory: InventoryClient,
) -> None:
    body = await inventory.execute(FARMER, "{ products { edges { node { id } } } }")
    ids = [e["node"]["id"] for e in body["data"]["products"]["edges"]]
    representations = [{"__typename": "Product", "id": i} for i in ids] * 20
    with count_statements() as counter:
        found = await inventory.execute(
            FARMER,
            """query($r: [_Any!]!) {
              _entities(representations: $r) {
                ... on Product { sku stock { quantity } }
              }
            }""",
            {"r": representations},
        )
    assert len(found["data"]["_entities"]) == 100
    assert all(entity["sku"] for entity in found["data"]["_entities"])
    # One SELECT of products, one of their stock levels, whatever the count (on
    # PostgreSQL each batch's transaction also sets the tenant: not a table read).
    reads = [s for s in counter.statements if 'FROM "inventory_' in s]
    assert len(reads) == 2


async def test_tenant_gains_its_farms_and_products(inventory: InventoryClient) -> None:
    body = await inventory.execute(
        FARMER,
        """query($r: [_Any!]!) {
          _entities(representations: $r) {
            ... on Tenant { id farms { name } products { sku } }
          }
        }""",
        {"r": [{"__typename": "Tenant", "id": GREEN_FARMS}]},
    )
    tenant = body["data"]["_entities"][0]
    assert len(tenant["farms"]) == 2
    assert len(tenant["products"]) == 5


async def test_the_subgraph_sdl_declares_the_entities(
    inventory: InventoryClient,
) -> None:
    body = await inventory.execute(None, "{ _service { sdl } }")
    sdl = body["data"]["_service"]["sdl"]
    for declaration in (
        'type Product @key(fields: "id")',
        'type Farm @key(fields: "id")',
        'type Tenant @key(fields: "id")',
        'type User @key(fields: "id", resolvable: false)',
    ):
        assert declaration in sdl


async def test_a_non_integer_quantity_is_refused_with_a_code_and_writes_nothing(
    inventory: InventoryClient,
) -> None:
    farm_id, product_id = await _setup(inventory)
    receive = (
        "mutation($f: ID!, $p: ID!, $q: Int!) { receiveStock(input: "
        "{farmId: $f, productId: $p, quantity: $q}) { id } }"
    )
    as_variable = await inventory.execute(
        ADMIN, receive, {"f": farm_id, "p": product_id, "q": 2.5}
    )
    assert _codes(as_variable) == ["BAD_USER_INPUT"]
    as_literal = await inventory.execute(
        ADMIN,
        "mutation($f: ID!, $p: ID!) { receiveStock(input: "
        "{farmId: $f, productId: $p, quantity: 2.5}) { id } }",
        {"f": farm_id, "p": product_id},
    )
    assert _codes(as_literal) == ["GRAPHQL_VALIDATION_FAILED"]
    stock = await inventory.execute(
        ADMIN, "query($p: ID!) { stock(productId: $p) { id } }", {"p": product_id}
    )
    assert stock["data"]["stock"] == []
