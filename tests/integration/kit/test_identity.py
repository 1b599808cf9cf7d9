"""A subgraph app believes the gateway's signed identity only, over HTTP and at
the websocket's connection_init, and can close `_entities`/`_service` to all but
the gateway."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import TYPE_CHECKING, Any

import pytest
import websockets

from subgraphs.accounts.app import SPEC as ACCOUNTS
from subgraphs.kit.app import create_subgraph_app
from subgraphs.kit.context import gateway_identity_headers
from subgraphs.kit.database import count_statements
from subgraphs.kit.tokens import issue_token

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

DEMO_USER = "7d3c0a2e-0000-4000-8000-000000000101"
ENTITIES = (
    "query($r: [_Any!]!) { _entities(representations: $r) "
    "{ ... on User { id displayName } } }"
)
REPRESENTATIONS = {"r": [{"__typename": "User", "id": DEMO_USER}]}
ME = "{ me { id } }"


async def post(
    client: Any, query: str, headers: dict[str, str] | None = None, **variables: Any
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers=headers or {},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def code(result: dict[str, Any]) -> str:
    return str(result["errors"][0]["extensions"]["code"])


def gateway_only(settings: Settings) -> Settings:
    return dataclasses.replace(settings, gateway_only=True)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(ENTITIES, id="entities"),
        pytest.param("{ _service { sdl } }", id="service"),
        pytest.param("{ sdl: _service { sdl } }", id="aliased"),
        pytest.param(
            "query { ...F } fragment F on Query { _service { sdl } }", id="fragment"
        ),
        pytest.param("{ __typename _service { sdl } }", id="beside-another-field"),
    ],
)
async def test_gateway_only_refuses_federation_fields_without_the_signature(
    settings: Settings, asgi_client: Any, query: str
) -> None:
    forged = {"x-agora-user-id": DEMO_USER, "x-agora-signature": "v1=" + "0" * 64}
    async with asgi_client(create_subgraph_app(ACCOUNTS, gateway_only(settings))) as c:
        with count_statements() as statements:
            bare = await post(c, query, **REPRESENTATIONS)
            with_forged = await post(c, query, forged, **REPRESENTATIONS)
    for refused in (bare, with_forged):
        assert refused["data"] is None
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert statements.total == 0


async def test_gateway_only_answers_the_gateway(
    settings: Settings, asgi_client: Any
) -> None:
    headers = gateway_identity_headers(settings.gateway_secret, user_id=None)
    async with asgi_client(create_subgraph_app(ACCOUNTS, gateway_only(settings))) as c:
        entities = await post(c, ENTITIES, headers, **REPRESENTATIONS)
        service = await post(c, "{ _service { sdl } }", headers)
        other = await post(c, "{ __typename }")
    assert entities == {
        "data": {"_entities": [{"id": DEMO_USER, "displayName": "Demo Member"}]}
    }
    assert "type User" in service["data"]["_service"]["sdl"]
    assert other == {"data": {"__typename": "Query"}}


async def test_federation_fields_stay_open_in_development_by_default(
    settings: Settings, asgi_client: Any
) -> None:
    production = dataclasses.replace(
        settings,
        environment="production",
        jwt_secret="production-jwt-secret-of-at-least-32-chars",
        gateway_secret="production-gateway-secret-of-32-chars-plus",
    )
    assert not settings.entities_gateway_only
    assert production.entities_gateway_only
    async with asgi_client(create_subgraph_app(ACCOUNTS, settings)) as client:
        service = await post(client, "{ _service { sdl } }")
    assert "type User" in service["data"]["_service"]["sdl"]


async def test_a_signed_caller_reaches_resolvers_and_a_forged_one_does_not(
    settings: Settings, asgi_client: Any
) -> None:
    signed = gateway_identity_headers(
        settings.gateway_secret, user_id=DEMO_USER, roles=["member"]
    )
    forged = {**signed, "x-agora-roles": "platform_admin"}
    replayed = gateway_identity_headers(
        settings.gateway_secret, user_id=DEMO_USER, now=0
    )
    async with asgi_client(create_subgraph_app(ACCOUNTS, settings)) as client:
        results = [await post(client, ME, h) for h in (signed, forged, replayed)]
    assert results[0] == {"data": {"me": {"id": DEMO_USER}}}
    assert [code(r) for r in results[1:]] == ["UNAUTHENTICATED"] * 2


async def _whoami_over_websocket(
    base_url: str, init: dict[str, str], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    url = base_url.replace("http", "ws", 1) + "/graphql"
    async with websockets.connect(
        url,
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        additional_headers=headers or {},
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        query = {"query": "{ me { id } }"}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": query}))
        async with asyncio.timeout(5):
            message: dict[str, Any] = json.loads(await ws.recv())
    return message


async def test_websocket_identity_is_read_from_the_signed_connection_init(
    settings: Settings, uvicorn_server: Any
) -> None:
    signed = gateway_identity_headers(settings.gateway_secret, user_id=DEMO_USER)
    forged = {**signed, "x-agora-user-id": "7d3c0a2e-0000-4000-8000-000000000102"}
    async with uvicorn_server(create_subgraph_app(ACCOUNTS, settings)) as base_url:
        trusted = await _whoami_over_websocket(base_url, signed)
        refused = await _whoami_over_websocket(base_url, forged)
        at_upgrade = await _whoami_over_websocket(base_url, {}, signed)
    assert trusted["payload"] == {"data": {"me": {"id": DEMO_USER}}}
    assert code(refused["payload"]) == "UNAUTHENTICATED"
    assert at_upgrade["payload"] == {"data": {"me": {"id": DEMO_USER}}}


async def test_production_ignores_bearer_tokens_at_connection_init(
    settings: Settings, uvicorn_server: Any
) -> None:
    production = dataclasses.replace(
        settings,
        environment="production",
        jwt_secret="production-jwt-secret-of-at-least-32-chars",
        gateway_secret="production-gateway-secret-of-32-chars-plus",
    )
    token = issue_token(
        production,
        user_id=DEMO_USER,
        tenant_id=None,
        roles=[],
        scopes=[],
        type="access",
    )
    signed = gateway_identity_headers(production.gateway_secret, user_id=DEMO_USER)
    async with uvicorn_server(create_subgraph_app(ACCOUNTS, production)) as base_url:
        bearer = await _whoami_over_websocket(
            base_url, {"Authorization": f"Bearer {token}"}
        )
        gateway = await _whoami_over_websocket(base_url, signed)
    assert code(bearer["payload"]) == "UNAUTHENTICATED"
    assert gateway["payload"] == {"data": {"me": {"id": DEMO_USER}}}


async def test_gateway_only_refuses_federation_fields_over_websocket(
    settings: Settings, uvicorn_server: Any
) -> None:
    app = create_subgraph_app(ACCOUNTS, gateway_only(settings))
    async with uvicorn_server(app) as base_url:
        url = base_url.replace("http", "ws", 1) + "/graphql"
        async with websockets.connect(
            url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            query = {"query": "{ _service { sdl } }"}
            await ws.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": query})
            )
            async with asyncio.timeout(5):
                message = json.loads(await ws.recv())
    assert message["type"] in ("error", "next")
    errors = (
        message["payload"]
        if message["type"] == "error"
        else message["payload"]["errors"]
    )
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]
