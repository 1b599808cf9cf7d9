"""Forged identity: `x-agora-*` headers and X-Forwarded-For sent by a client to the
gateway never reach a subgraph as identity, on any transport; identity headers sent
straight to a subgraph (unsigned, badly signed, one header swapped, replayed, signed
with the repository's development secret) name nobody; `_entities` and `_service`
answer the gateway only, and are not in the gateway's API at all."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

import httpx
import orjson
import pytest
import pytest_asyncio
import websockets
from websockets.asyncio.client import connect

from gateway.config import DEV_GATEWAY_SECRET
from subgraphs.kit.context import gateway_identity_headers, verify_gateway_identity

from ._clients import EVERY, SOCKETS, Via, ask, receive, refused, send
from .conftest import (
    ADMIN_USER,
    DEMO_CHAMBER,
    DEMO_CONVERSATION,
    DEMO_USER,
    GATEWAY_SECRET,
    mint,
    open_gateway,
    serve,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from .conftest import Gateway, Graph, RequestLog, SeenRequest

pytestmark = pytest.mark.asyncio(loop_scope="module")

# What an attacker claims: the platform admin, signed with the public dev secret.
FORGED = gateway_identity_headers(
    DEV_GATEWAY_SECRET,
    user_id=ADMIN_USER,
    roles=("platform_admin",),
    scopes=("admin",),
    client_address="10.0.0.1",
)
ME_AND_ADMIN = f'{{ me {{ id }} user(id: "{ADMIN_USER}") {{ email }} }}'
# A public field of accounts: it reaches a subgraph whoever calls (issue 12 made
# `user(id:)` need a caller), so the identity the gateway signs can be read.
PUBLIC = "{ passwordRules { minLength } }"
PUBLIC_ANSWER = {"data": {"passwordRules": {"minLength": 10}}}


def identity_of(request: SeenRequest, graph: Graph) -> Any:
    """Who the subgraph believes sent `request` (None: nobody it trusts)."""
    return verify_gateway_identity(request.headers, graph.settings)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def forwarding_gateway(graph: Graph) -> AsyncIterator[Gateway]:
    """Misconfigured to forward the identity headers themselves: still dropped."""
    names = [*FORGED, "x-forwarded-for", "x-tenant"]
    async with open_gateway(graph, {"forward_headers": names}) as opened:
        yield opened


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chat_url(graph: Graph) -> AsyncIterator[str]:
    """The chat subgraph served on its own port, as in the distributed mode."""
    async with serve(graph.apps["chat"]) as url:
        yield url


@contextlib.asynccontextmanager
async def subgraph(graph: Graph, name: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=graph.apps[name])
    async with httpx.AsyncClient(
        transport=transport, base_url=f"http://{name}"
    ) as client:
        yield client


async def ask_subgraph(
    graph: Graph,
    name: str,
    query: str,
    headers: dict[str, str],
    *,
    method: str = "POST",
) -> dict[str, Any]:
    async with subgraph(graph, name) as client:
        if method == "GET":
            response = await client.get(
                "/graphql", params={"query": query}, headers=headers
            )
        else:
            response = await client.post(
                "/graphql", json={"query": query}, headers=headers
            )
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


# -- at the gateway ----------------------------------------------------------


@pytest.mark.parametrize("via", EVERY)
async def test_forged_identity_headers_sent_to_the_gateway_never_name_the_caller(
    gateway: Gateway, graph: Graph, log: RequestLog, via: Via
) -> None:
    init = dict(FORGED) if via in SOCKETS else None

    answer = await ask(
        gateway, via, ME_AND_ADMIN, token=mint(), headers=FORGED, init=init
    )

    assert answer.body == {
        "data": {"me": {"id": DEMO_USER}, "user": {"email": None}}
    }, answer
    assert log, "the query reaches accounts"
    for request in log.requests:
        identity = identity_of(request, graph)
        assert identity is not None, request.headers
        assert (identity.user_id, identity.roles) == (DEMO_USER, frozenset({"member"}))
        assert identity.scopes == frozenset()
        assert identity.client_address == "127.0.0.1"


@pytest.mark.parametrize("via", EVERY)
async def test_forged_identity_headers_from_an_anonymous_caller_name_nobody(
    gateway: Gateway, graph: Graph, log: RequestLog, via: Via
) -> None:
    init = dict(FORGED) if via in SOCKETS else None

    answer = await ask(gateway, via, PUBLIC, headers=FORGED, init=init)

    assert answer.body == PUBLIC_ANSWER, answer
    assert [identity_of(r, graph).user_id for r in log.requests] == [None]


@pytest.mark.parametrize("via", EVERY)
async def test_identity_headers_listed_in_forward_headers_are_still_dropped(
    forwarding_gateway: Gateway, graph: Graph, log: RequestLog, via: Via
) -> None:
    headers = {**FORGED, "x-tenant": "kept"}

    answer = await ask(forwarding_gateway, via, PUBLIC, headers=headers)

    assert answer.body == PUBLIC_ANSWER, answer
    (request,) = log.requests
    assert identity_of(request, graph).user_id is None
    assert request.headers["x-agora-signature"] != FORGED["x-agora-signature"]
    # The configured header is forwarded on every transport (a websocket's from
    # its upgrade request).
    assert request.headers["x-tenant"] == "kept"


@pytest.mark.parametrize("via", EVERY)
async def test_a_spoofed_x_forwarded_for_is_not_the_caller_address(
    gateway: Gateway, graph: Graph, log: RequestLog, via: Via
) -> None:
    # The login throttle counts failures per verified address: a client that could
    # name its own address would get a fresh allowance per request.
    headers = {"x-forwarded-for": "203.0.113.7"}

    await ask(gateway, via, PUBLIC, headers=headers)

    (request,) = log.requests
    assert identity_of(request, graph).client_address == "127.0.0.1"


@pytest.mark.parametrize("via", EVERY)
@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        pytest.param(
            {"roles": ("member,platform_admin",)},
            {"roles": frozenset({"member,platform_admin"})},
            id="comma-in-a-role",
        ),
        pytest.param(
            {"roles": ("member\nx-agora-roles: platform_admin",)},
            {"roles": frozenset({"member\nx-agora-roles: platform_admin"})},
            id="line-break-in-a-role",
        ),
        pytest.param(
            {"user": "u1\n7d3c0a2e", "tenant": None},
            {"user_id": "u1\n7d3c0a2e", "tenant_id": None},
            id="line-break-in-sub",
        ),
        pytest.param(
            {"scopes": ("a", "b,admin")},
            {"scopes": frozenset({"a", "b,admin"})},
            id="comma-in-a-scope",
        ),
    ],
)
async def test_separators_inside_token_claims_never_split_into_more_identity(
    gateway: Gateway,
    graph: Graph,
    log: RequestLog,
    via: Via,
    claims: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    # A claim the issuer copied from user input must arrive as the one value it
    # is: the signed headers percent-encode each value and each role.
    answer = await ask(gateway, via, PUBLIC, token=mint(**claims))

    assert answer.body == PUBLIC_ANSWER, answer
    (request,) = log.requests
    identity = identity_of(request, graph)
    assert identity is not None
    for name, value in expected.items():
        assert getattr(identity, name) == value


# -- straight at a subgraph ----------------------------------------------------


def signed(secret: str = GATEWAY_SECRET, **changes: Any) -> dict[str, str]:
    values: dict[str, Any] = {
        "user_id": DEMO_USER,
        "tenant_id": DEMO_CHAMBER,
        "roles": ("member",),
        "now": time.time(),
    }
    values.update(changes)
    return gateway_identity_headers(secret, **values)


async def test_the_gateway_signature_names_the_caller_at_a_subgraph(
    graph: Graph,
) -> None:
    # The control for the forgeries below: the request signed as the gateway signs.
    body = await ask_subgraph(graph, "accounts", "{ me { id } }", signed())
    assert body == {"data": {"me": {"id": DEMO_USER}}}


# Each made when its test runs, so a timestamp is as fresh as the forgery needs.
FORGERIES = [
    pytest.param(
        lambda: {
            "x-agora-user-id": ADMIN_USER,
            "x-agora-roles": "platform_admin",
            "x-agora-timestamp": str(int(time.time())),
        },
        id="unsigned",
    ),
    pytest.param(
        lambda: {**signed(), "x-agora-signature": "v1=" + "0" * 64}, id="bad-signature"
    ),
    pytest.param(
        lambda: {**signed(), "x-agora-signature": signed()["x-agora-signature"][1:]},
        id="truncated-signature",
    ),
    pytest.param(
        lambda: {**signed(), "x-agora-user-id": ADMIN_USER}, id="user-swapped"
    ),
    pytest.param(
        lambda: {**signed(), "x-agora-roles": "platform_admin"}, id="roles-swapped"
    ),
    pytest.param(
        lambda: {**signed(), "x-agora-tenant-id": "other-tenant"}, id="tenant-swapped"
    ),
    pytest.param(
        lambda: {**signed(), "x-agora-timestamp": str(int(time.time()) + 1)},
        id="timestamp-moved",
    ),
    pytest.param(lambda: signed(now=time.time() - 120), id="replayed-past-the-window"),
    pytest.param(lambda: signed(now=time.time() + 120), id="from-the-future"),
    pytest.param(lambda: signed(DEV_GATEWAY_SECRET), id="dev-secret"),
    pytest.param(lambda: signed(""), id="empty-secret"),
    pytest.param(lambda: {"authorization": "Bearer " + mint()}, id="bearer-token"),
]


@pytest.mark.parametrize("forge", FORGERIES)
async def test_forged_identity_headers_straight_at_a_subgraph_name_nobody(
    graph: Graph, forge: Callable[[], dict[str, str]]
) -> None:
    body = await ask_subgraph(graph, "accounts", "{ me { id } }", forge())

    assert body["data"] is None
    assert codes(body) == ["UNAUTHENTICATED"]


async def test_identity_headers_replayed_inside_the_window_still_name_only_their_caller(
    graph: Graph,
) -> None:
    # A captured request can be replayed for up to identity_max_age, but only as
    # itself: the signature binds every header, so it never becomes someone else.
    captured = signed()
    forged = {**captured, "x-agora-roles": "member,platform_admin"}

    replayed = await ask_subgraph(graph, "accounts", "{ me { id roles } }", captured)
    escalated = await ask_subgraph(graph, "accounts", "{ me { id roles } }", forged)

    assert replayed == {"data": {"me": {"id": DEMO_USER, "roles": ["member"]}}}
    assert codes(escalated) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("forge", FORGERIES)
async def test_forged_identity_in_a_subgraph_websocket_connection_init_names_nobody(
    chat_url: str, forge: Callable[[], dict[str, str]]
) -> None:
    payload = {name.title(): value for name, value in forge().items()}
    query = f'{{ conversation(id: "{DEMO_CONVERSATION}") {{ id }} }}'

    async with connect(
        chat_url.replace("http://", "ws://") + "/graphql",
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
    ) as socket:
        await send(socket, {"type": "connection_init", "payload": payload})
        assert await receive(socket) == {"type": "connection_ack"}
        await send(
            socket, {"id": "1", "type": "subscribe", "payload": {"query": query}}
        )
        message = await receive(socket)

    assert message["type"] == "next", message
    assert message["payload"]["data"] == {"conversation": None}
    assert codes(message["payload"]) == ["UNAUTHENTICATED"]


async def test_the_gateway_signature_in_a_subgraph_connection_init_names_the_caller(
    chat_url: str,
) -> None:
    query = f'{{ conversation(id: "{DEMO_CONVERSATION}") {{ id }} }}'

    async with connect(
        chat_url.replace("http://", "ws://") + "/graphql",
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
    ) as socket:
        await send(socket, {"type": "connection_init", "payload": signed()})
        assert await receive(socket) == {"type": "connection_ack"}
        await send(
            socket, {"id": "1", "type": "subscribe", "payload": {"query": query}}
        )
        message = await receive(socket)

    assert message["payload"] == {"data": {"conversation": {"id": DEMO_CONVERSATION}}}


# -- _entities and _service ----------------------------------------------------

ENTITIES = (
    '_entities(representations: [{__typename: "User", id: "' + ADMIN_USER + '"}]) '
    "{ ... on User { id email roles } }"
)
FEDERATION_QUERIES = [
    pytest.param({"query": "{ _service { sdl } }"}, id="service"),
    pytest.param({"query": "{ " + ENTITIES + " }"}, id="entities"),
    pytest.param({"query": "{ e: " + ENTITIES + " }"}, id="aliased"),
    pytest.param(
        {"query": "{ ...F } fragment F on Query { " + ENTITIES + " }"},
        id="in-a-fragment",
    ),
    pytest.param(
        {"query": "{ ... on Query { s: _service { sdl } } }"},
        id="in-an-inline-fragment",
    ),
    pytest.param(
        {
            "query": "query A { __typename } query B { " + ENTITIES + " }",
            "operationName": "B",
        },
        id="in-another-operation",
    ),
]


@pytest.mark.parametrize("payload", FEDERATION_QUERIES)
@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(dict, id="anonymous"),
        pytest.param(
            lambda: signed(DEV_GATEWAY_SECRET, user_id=ADMIN_USER), id="dev-secret"
        ),
        pytest.param(
            lambda: {"authorization": "Bearer " + mint(ADMIN_USER)}, id="bearer"
        ),
    ],
)
@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_entities_and_service_straight_at_a_subgraph_are_forbidden(
    graph: Graph,
    payload: dict[str, str],
    forge: Callable[[], dict[str, str]],
    method: str,
) -> None:
    async with subgraph(graph, "accounts") as client:
        if method == "GET":
            response = await client.get("/graphql", params=payload, headers=forge())
        else:
            response = await client.post("/graphql", json=payload, headers=forge())
    body = response.json()

    assert codes(body) == ["FORBIDDEN"], body
    assert "data" not in body or body["data"] is None
    assert "sdl" not in orjson.dumps(body).decode()


async def test_entities_signed_by_the_gateway_are_served_at_a_subgraph(
    graph: Graph,
) -> None:
    # The control: the gateway itself still reaches entities.
    body = await ask_subgraph(graph, "accounts", "{ " + ENTITIES + " }", signed())
    assert body["data"]["_entities"][0]["id"] == ADMIN_USER


async def test_service_over_a_subgraph_websocket_is_forbidden(chat_url: str) -> None:
    async with connect(
        chat_url.replace("http://", "ws://") + "/graphql",
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
    ) as socket:
        await send(socket, {"type": "connection_init", "payload": {}})
        assert await receive(socket) == {"type": "connection_ack"}
        payload = {"query": "{ _service { sdl } }"}
        await send(socket, {"id": "1", "type": "subscribe", "payload": payload})
        message = await receive(socket)

    assert message["type"] == "error", message
    assert [error["extensions"]["code"] for error in message["payload"]] == [
        "FORBIDDEN"
    ]


@pytest.mark.parametrize("via", EVERY)
@pytest.mark.parametrize("payload", FEDERATION_QUERIES)
async def test_entities_and_service_are_not_in_the_gateway_api(
    gateway: Gateway, log: RequestLog, via: Via, payload: dict[str, str]
) -> None:
    token = mint(ADMIN_USER, tenant=None, roles=("platform_admin",))

    answer = await ask(
        gateway,
        via,
        payload["query"],
        operation_name=payload.get("operationName"),
        token=token,
    )

    refused(answer, "GRAPHQL_VALIDATION_FAILED")
    assert not log


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def proxied_gateway(graph: Graph) -> AsyncIterator[Gateway]:
    """Behind one reverse proxy, which appends the address it saw to X-Forwarded-For."""
    async with open_gateway(graph, {"trust_forwarded_for": True}) as opened:
        yield opened


@pytest.mark.parametrize("via", EVERY)
async def test_a_client_written_x_forwarded_for_entry_behind_a_proxy_is_not_the_address(
    proxied_gateway: Gateway, graph: Graph, log: RequestLog, via: Via
) -> None:
    # The client sent "203.0.113.7"; the proxy appended the address it saw.
    headers = {"x-forwarded-for": "203.0.113.7, 198.51.100.20"}

    await ask(proxied_gateway, via, PUBLIC, headers=headers)

    (request,) = log.requests
    assert identity_of(request, graph).client_address == "198.51.100.20"
