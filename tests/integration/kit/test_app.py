"""The app factory: /graphql, /health, /ready, error masking, websockets, embedding."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator  # noqa: TC003 - read by Strawberry
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
import strawberry
import websockets
from strawberry.types import Info  # noqa: TC002 - read by Strawberry

from subgraphs.accounts.app import SPEC as ACCOUNTS
from subgraphs.accounts.seed import DEMO_PASSWORD
from subgraphs.kit.app import SubgraphSpec, create_subgraph_app
from subgraphs.kit.context import RequestContext, gateway_identity_headers
from subgraphs.kit.embedded import create_embedded
from subgraphs.kit.errors import BadUserInput, RateLimited
from subgraphs.kit.tokens import issue_token

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings


@strawberry.type
class Query:
    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("secret internals: password=hunter2")

    @strawberry.field
    def refused(self) -> str:
        raise BadUserInput("Quantity must be positive.", field="quantity")

    @strawberry.field
    def limited(self) -> str:
        raise RateLimited("Slow down.", retry_after=2.5)

    @strawberry.field
    def whoami(self, info: Info[RequestContext, None]) -> str | None:
        return info.context.user_id


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def news(self, info: Info[RequestContext, None]) -> AsyncGenerator[str, None]:
        broker = info.context.broker
        assert broker is not None
        async with broker.subscribe("news") as events:
            yield "subscribed"
            async for event in events:
                yield event["headline"]

    @strawberry.subscription
    async def whoami(
        self, info: Info[RequestContext, None]
    ) -> AsyncGenerator[str | None, None]:
        yield info.context.user_id


TOY = SubgraphSpec(
    name="toy",
    schema=strawberry.federation.Schema(query=Query, subscription=Subscription),
    models=[],
)


async def gql(client: Any, query: str, **kwargs: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query}, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


async def test_health_and_ready_answer_when_database_and_broker_are_up(
    settings: Settings, asgi_client: Any
) -> None:
    async with asgi_client(create_subgraph_app(TOY, settings)) as client:
        health = await client.get("/health")
        ready = await client.get("/ready")
    assert health.status_code == 200
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": True, "broker": True},
    }


async def test_ready_is_503_when_the_broker_is_gone(
    settings: Settings, asgi_client: Any
) -> None:
    app = create_subgraph_app(TOY, settings)
    async with asgi_client(app) as client:
        await app.state.broker.disconnect()
        ready = await client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": True, "broker": False}


async def test_unexpected_errors_are_masked_and_ours_keep_their_code(
    settings: Settings, asgi_client: Any
) -> None:
    async with asgi_client(create_subgraph_app(TOY, settings)) as client:
        response = await client.post("/graphql", json={"query": "{ boom }"})
        refused = await gql(client, "{ refused }")
        limited = await gql(client, "{ limited }")
    assert response.status_code == 200
    assert "hunter2" not in response.text
    assert response.json()["errors"] == [
        {
            "message": "Internal server error.",
            "locations": [{"line": 1, "column": 3}],
            "path": ["boom"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
        }
    ]
    assert refused["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "quantity",
    }
    assert limited["errors"][0]["extensions"] == {
        "code": "RATE_LIMITED",
        "retryAfter": 2.5,
    }


async def test_federation_service_sdl_is_served(
    settings: Settings, asgi_client: Any
) -> None:
    async with asgi_client(create_subgraph_app(ACCOUNTS, settings)) as client:
        result = await gql(client, "{ _service { sdl } }")
    sdl = result["data"]["_service"]["sdl"]
    assert 'type User @key(fields: "id")' in sdl
    assert 'type Tenant @key(fields: "id")' in sdl


async def test_gateway_headers_identify_the_caller_only_when_signed(
    settings: Settings, asgi_client: Any
) -> None:
    signed = gateway_identity_headers(
        settings.gateway_secret, user_id="u9", roles=["member"]
    )
    async with asgi_client(create_subgraph_app(TOY, settings)) as client:
        trusted = await gql(client, "{ whoami }", headers=signed)
        forged = await gql(
            client,
            "{ whoami }",
            headers={**signed, "x-agora-user-id": "u1"},
        )
        static = await gql(
            client,
            "{ whoami }",
            headers={
                "x-agora-user-id": "u9",
                "x-agora-gateway-secret": settings.gateway_secret,
            },
        )
    assert trusted == {"data": {"whoami": "u9"}}
    assert forged == {"data": {"whoami": None}}
    assert static == {"data": {"whoami": None}}


async def test_embedded_subgraphs_share_one_lifespan_and_one_broker(
    settings: Settings, asgi_client: Any
) -> None:
    apps, lifespan = create_embedded([ACCOUNTS, TOY], settings)
    login = (
        'mutation { login(email: "demo@agora.dev", password: "'
        + DEMO_PASSWORD
        + '") { user { id } } }'
    )
    async with lifespan(None):
        async with asgi_client(apps["accounts"], lifespan=_no_lifespan) as accounts:
            logged_in = await gql(accounts, login)
        async with asgi_client(apps["toy"], lifespan=_no_lifespan) as toy:
            ready = await toy.get("/ready")
    assert logged_in["data"]["login"]["user"]["id"].endswith("0101")
    assert ready.status_code == 200
    assert apps["accounts"].state.broker is apps["toy"].state.broker


async def test_startup_applies_migrations_once_and_reseeding_changes_nothing(
    settings: Settings, asgi_client: Any
) -> None:
    app = create_subgraph_app(ACCOUNTS, settings)
    for _ in range(2):
        async with asgi_client(app) as client:
            result = await gql(client, "{ passwordRules { minLength } }")
            assert result == {"data": {"passwordRules": {"minLength": 10}}}
    from tortoise.connection import connections

    async with asgi_client(app):
        _, rows = await connections.get("accounts").execute_query(
            "SELECT app, name FROM tortoise_migrations"
        )
    assert [(r["app"], r["name"]) for r in rows] == [
        ("accounts", "0001_initial"),
        ("accounts", "0002_refresh_tokens"),
    ]


@pytest.mark.integration
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_postgres_subgraph_tables_live_in_their_own_schema(
    settings: Settings, asgi_client: Any
) -> None:
    assert settings.database_url is not None
    async with asgi_client(create_subgraph_app(ACCOUNTS, settings)):
        connection = await asyncpg.connect(settings.database_url)
        try:
            rows = await connection.fetch(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
                "ORDER BY table_name"
            )
        finally:
            await connection.close()
    assert [(r["table_schema"], r["table_name"]) for r in rows] == [
        ("accounts", "accounts_refresh_token"),
        ("accounts", "accounts_tenant"),
        ("accounts", "accounts_user"),
        # The kit's idempotency records (subgraphs.kit.idempotency).
        ("accounts", "agora_idempotency"),
        ("accounts", "tortoise_migrations"),
    ]


async def test_subscriptions_stream_broker_events_over_graphql_transport_ws(
    settings: Settings, uvicorn_server: Any
) -> None:
    app = create_subgraph_app(TOY, settings)
    async with uvicorn_server(app) as base_url:
        url = base_url.replace("http", "ws", 1) + "/graphql"
        async with websockets.connect(
            url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": "subscription { news }"},
                    }
                )
            )
            async with asyncio.timeout(5):
                first = json.loads(await ws.recv())
                await app.state.broker.publish("news", {"headline": "hello"})
                second = json.loads(await ws.recv())
    assert first["payload"] == {"data": {"news": "subscribed"}}
    assert second == {"id": "1", "type": "next", "payload": {"data": {"news": "hello"}}}


async def test_websocket_clients_authenticate_in_the_connection_init_payload(
    settings: Settings, uvicorn_server: Any
) -> None:
    token = issue_token(
        settings, user_id="u7", tenant_id=None, roles=[], scopes=[], type="access"
    )
    app = create_subgraph_app(TOY, settings)
    async with uvicorn_server(app) as base_url:
        url = base_url.replace("http", "ws", 1) + "/graphql"
        async with websockets.connect(
            url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
        ) as ws:
            init = {"Authorization": f"Bearer {token}"}
            await ws.send(json.dumps({"type": "connection_init", "payload": init}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            query = {"query": "subscription { whoami }"}
            await ws.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": query})
            )
            async with asyncio.timeout(5):
                message = json.loads(await ws.recv())
    assert message["payload"] == {"data": {"whoami": "u7"}}


def _no_lifespan(app: Any) -> Any:
    import contextlib

    return contextlib.nullcontext()
