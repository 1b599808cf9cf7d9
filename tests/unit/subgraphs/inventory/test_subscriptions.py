"""stockChanged over a real websocket (graphql-transport-ws) against uvicorn."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from subgraphs.inventory.app import create_app
from subgraphs.kit.context import gateway_identity_headers
from subgraphs.kit.principal import Principal
from tests.unit.subgraphs.inventory.conftest import TENANT_A, TENANT_B

if TYPE_CHECKING:
    import contextlib
    from collections.abc import Callable

    from subgraphs.kit.settings import Settings

ADMIN_A = Principal(
    user_id="admin-a", tenant_id=TENANT_A, roles=frozenset({"tenant_admin"})
)
ADMIN_B = Principal(
    user_id="admin-b", tenant_id=TENANT_B, roles=frozenset({"tenant_admin"})
)

SUBSCRIBE = """
subscription($p: ID!) {
  stockChanged(productId: $p) { productId quantity reserved available reason }
}
"""


def _headers(settings: Settings, caller: Principal) -> dict[str, str]:
    return gateway_identity_headers(
        settings.gateway_secret,
        user_id=caller.user_id,
        tenant_id=caller.tenant_id,
        roles=caller.roles,
    )


async def _post(
    http: httpx.AsyncClient,
    settings: Settings,
    caller: Principal,
    query: str,
    variables: dict[str, Any],
) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers=_headers(settings, caller),
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]


async def _receive(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(10):
        message: dict[str, Any] = json.loads(await ws.recv())
    return message


async def _subscribe(
    base_url: str, settings: Settings, caller: Principal, product_id: str
) -> ClientConnection:
    ws = await connect(
        base_url.replace("http", "ws", 1) + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
        additional_headers=_headers(settings, caller),
        proxy=None,
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert (await _receive(ws))["type"] == "connection_ack"
    await ws.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": {"p": product_id}},
            }
        )
    )
    return ws


async def _next(ws: ClientConnection) -> dict[str, Any]:
    message = await _receive(ws)
    assert message["type"] == "next", message
    change: dict[str, Any] = message["payload"]["data"]["stockChanged"]
    return change


async def check_stock_changed_flow(
    settings: Settings,
    uvicorn_server: Callable[..., contextlib.AbstractAsyncContextManager[str]],
) -> None:
    """Current level first, then one event after receiveStock and after reserve."""
    async with (
        uvicorn_server(create_app(settings)) as base_url,
        httpx.AsyncClient(base_url=base_url) as http,
    ):
        made = await _post(
            http,
            settings,
            ADMIN_A,
            """mutation {
              createFarm(input: {name: "North"}) { id }
              createProduct(input: {sku: "S", name: "Spinach", priceTiers:
                [{kind: RETAIL, minQuantity: 1, unitPriceCents: 100}]}) { id }
            }""",
            {},
        )
        farm, product = made["createFarm"]["id"], made["createProduct"]["id"]
        receive = """mutation($f: ID!, $p: ID!, $q: Int!) {
          receiveStock(input: {farmId: $f, productId: $p, quantity: $q}) { id }
        }"""
        ids = {"f": farm, "p": product}
        await _post(http, settings, ADMIN_A, receive, {**ids, "q": 10})
        ws = await _subscribe(base_url, settings, ADMIN_A, product)
        intruder = await _subscribe(base_url, settings, ADMIN_B, product)
        try:
            assert await _next(ws) == {
                "productId": product,
                "quantity": 10,
                "reserved": 0,
                "available": 10,
                "reason": "CURRENT",
            }
            await _post(http, settings, ADMIN_A, receive, {**ids, "q": 5})
            assert await _next(ws) == {
                "productId": product,
                "quantity": 15,
                "reserved": 0,
                "available": 15,
                "reason": "RECEIVED",
            }
            await _post(
                http,
                settings,
                ADMIN_A,
                "mutation($f: ID!, $p: ID!) {"
                " reserve(productId: $p, farmId: $f, quantity: 4) { id } }",
                ids,
            )
            assert await _next(ws) == {
                "productId": product,
                "quantity": 15,
                "reserved": 4,
                "available": 11,
                "reason": "RESERVED",
            }
            # Tenant B's stream of the same id is another channel: it got no
            # snapshot and none of A's changes; the first thing it hears is a ping
            # answer, which the server sends only after what it queued before.
            await intruder.send(json.dumps({"type": "ping"}))
            assert (await _receive(intruder))["type"] == "pong"
        finally:
            await ws.close()
            await intruder.close()


async def test_a_subscriber_sees_the_current_level_then_receive_and_reserve(
    settings: Settings,
    uvicorn_server: Callable[..., contextlib.AbstractAsyncContextManager[str]],
) -> None:
    await check_stock_changed_flow(settings, uvicorn_server)
