"""Tenant B, even as its admin, gets nothing or an error for tenant A's ids.

Every query and mutation of the schema is tried; the test fails when a new operation
is added without a case here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import GraphQLObjectType

from subgraphs.inventory.schema import schema
from subgraphs.kit.principal import Principal
from tests.unit.subgraphs.inventory.conftest import TENANT_A, TENANT_B

if TYPE_CHECKING:
    from tests.unit.subgraphs.inventory.conftest import InventoryClient

ADMIN_A = Principal(
    user_id="admin-a", tenant_id=TENANT_A, roles=frozenset({"tenant_admin"})
)
ADMIN_B = Principal(
    user_id="admin-b", tenant_id=TENANT_B, roles=frozenset({"tenant_admin"})
)

TIERS = "[{kind: RETAIL, minQuantity: 1, unitPriceCents: 100}]"

A_SETUP = f"""
mutation {{
  createFarm(input: {{name: "A Farm"}}) {{ id }}
  createProduct(input: {{sku: "A-SKU", name: "A Beans", priceTiers: {TIERS}}}) {{ id }}
}}
"""

A_STATE = """
query($p: ID!) {
  products { edges { node { id sku name priceTiers { unitPriceCents } } } }
  farms { id name }
  stock(productId: $p) { quantity reserved }
  orders { id status }
}
"""

# Each operation with tenant A's ids; the value is what tenant B may see: the data
# (nothing) it must get, or the error code it must get.
QUERIES: dict[str, tuple[str, Any]] = {
    "products": ("{ products { edges { node { id } } } }", {"edges": []}),
    "product": ("query($p: ID!) { product(id: $p) { id } }", None),
    "productBySku": ('{ productBySku(sku: "A-SKU") { id } }', "NOT_FOUND"),
    "farms": ("{ farms { id } }", []),
    "stock": ("query($p: ID!) { stock(productId: $p) { id } }", []),
    "lowStock": ("{ lowStock(threshold: 1000000) { id } }", []),
    "orders": ("{ orders { id } }", []),
    "_entities": (
        """query($p: ID!, $f: ID!, $t: _Any!) {
          _entities(representations: [
            {__typename: "Product", id: $p}, {__typename: "Farm", id: $f}, $t
          ]) {
            ... on Product { id } ... on Farm { id }
            ... on Tenant { farms { id } products { id } }
          }
        }""",
        "NOT_FOUND",
    ),
    "_service": ("{ _service { sdl } }", "SDL"),
}

MUTATIONS: dict[str, tuple[str, Any]] = {
    "createFarm": ('mutation { createFarm(input: {name: "A Farm"}) { id } }', "OWN"),
    "createProduct": (
        f'mutation {{ createProduct(input: {{sku: "A-SKU", name: "B", priceTiers: '
        f"{TIERS}}}) {{ id }} }}",
        "OWN",
    ),
    "updateProduct": (
        'mutation($p: ID!) { updateProduct(id: $p, input: {name: "Pwned"}) { id } }',
        "NOT_FOUND",
    ),
    "receiveStock": (
        "mutation($p: ID!, $f: ID!) { receiveStock(input: "
        "{farmId: $f, productId: $p, quantity: 5}) { id } }",
        "NOT_FOUND",
    ),
    "adjustStock": (
        "mutation($p: ID!, $f: ID!) { adjustStock(input: "
        '{farmId: $f, productId: $p, delta: -5, reason: "theft"}) { id } }',
        "NOT_FOUND",
    ),
    "reserve": (
        "mutation($p: ID!, $f: ID!) { reserve(productId: $p, farmId: $f, "
        "quantity: 1) { id } }",
        "NOT_FOUND",
    ),
    "releaseReservation": (
        "mutation($r: ID!) { releaseReservation(id: $r) { id } }",
        "NOT_FOUND",
    ),
    "placeOrder": (
        "mutation($r: ID!) { placeOrder(reservationIds: [$r]) { id } }",
        "NOT_FOUND",
    ),
    "cancelOrder": ("mutation($o: ID!) { cancelOrder(id: $o) { id } }", "NOT_FOUND"),
}


def _root_fields(type_name: str) -> set[str]:
    graphql_type = schema._schema.get_type(type_name)
    assert isinstance(graphql_type, GraphQLObjectType)
    return set(graphql_type.fields)


def test_every_query_and_mutation_has_an_isolation_case() -> None:
    assert _root_fields("Query") == set(QUERIES)
    assert _root_fields("Mutation") == set(MUTATIONS)


async def _tenant_a(inventory: InventoryClient) -> dict[str, Any]:
    made = await inventory.execute(ADMIN_A, A_SETUP)
    farm, product = (
        made["data"]["createFarm"]["id"],
        made["data"]["createProduct"]["id"],
    )
    held = await inventory.execute(
        ADMIN_A,
        """mutation($p: ID!, $f: ID!) {
          receiveStock(input: {farmId: $f, productId: $p, quantity: 10}) { id }
          first: reserve(productId: $p, farmId: $f, quantity: 2) { id }
          second: reserve(productId: $p, farmId: $f, quantity: 3) { id }
        }""",
        {"p": product, "f": farm},
    )
    order = await inventory.execute(
        ADMIN_A,
        "mutation($r: ID!) { placeOrder(reservationIds: [$r]) { id } }",
        {"r": held["data"]["second"]["id"]},
    )
    return {
        "p": product,
        "f": farm,
        "r": held["data"]["first"]["id"],
        "o": order["data"]["placeOrder"]["id"],
        "t": {"__typename": "Tenant", "id": TENANT_A},
    }


def _check(name: str, body: dict[str, Any], expected: Any) -> None:
    errors = body.get("errors") or []
    codes = {e["extensions"]["code"] for e in errors}
    if expected == "NOT_FOUND":
        assert codes == {"NOT_FOUND"}, (name, body)
        return
    assert not errors, (name, body)
    value = body["data"][name]
    if expected == "SDL":
        assert "A-SKU" not in value["sdl"], name
    elif expected == "OWN":
        assert value["id"], name
    else:
        assert value == expected, (name, body)


async def test_tenant_b_sees_and_changes_nothing_of_tenant_a(
    inventory: InventoryClient,
) -> None:
    ids = await _tenant_a(inventory)
    before = await inventory.execute(ADMIN_A, A_STATE, {"p": ids["p"]})
    for name, (query, expected) in {**QUERIES, **MUTATIONS}.items():
        body = await inventory.execute(ADMIN_B, query, ids)
        _check(name, body, expected)
    entities = await inventory.execute(ADMIN_B, QUERIES["_entities"][0], ids)
    assert entities["data"]["_entities"][2] == {"farms": [], "products": []}
    after = await inventory.execute(ADMIN_A, A_STATE, {"p": ids["p"]})
    assert after == before
    assert before["data"]["stock"] == [{"quantity": 7, "reserved": 2}]
