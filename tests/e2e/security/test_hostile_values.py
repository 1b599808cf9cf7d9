"""Every root field of the whole graph, sent hostile values, answers in our words.

For each root mutation, query and subscription field of the API schema (the four
subgraphs embedded on SQLite, and on PostgreSQL with Redis, behind the gateway in
development posture; subscriptions over graphql-transport-ws), the test builds
arguments from their types: strings of 10,000, 100 and 0 characters, Ints at their
bounds, huge Floats, an id that exists nowhere and one id of each root list the
admin can read. It sends them as a platform admin and as a member. Whatever a
field refuses, it must refuse with a code of ours (`BAD_USER_INPUT`,
`NOT_FOUND`, `FORBIDDEN`, ...): never INTERNAL_SERVER_ERROR, never a 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from typing import TYPE_CHECKING, Any

import orjson
import pytest
import pytest_asyncio
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
)
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from gateway.supergraph import load_supergraph
from subgraphs.accounts.app import SPEC as ACCOUNTS
from subgraphs.chat.app import SPEC as CHAT
from subgraphs.directory.app import SPEC as DIRECTORY
from subgraphs.inventory.app import SPEC as INVENTORY
from subgraphs.kit.embedded import create_embedded
from tests.conftest import REDIS_URL
from tests.integration.subscriptions.realgraph import create_database, drop_database

from .conftest import (
    DEMO_CHAMBER,
    DEMO_USER,
    SUPERGRAPH,
    Graph,
    LoggedApp,
    RequestLog,
    mint,
    subgraph_settings,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from .conftest import Gateway

pytestmark = pytest.mark.asyncio(loop_scope="module")

API = load_supergraph(SUPERGRAPH).api_schema
ROOTS = {
    "mutation": API.mutation_type,
    "query": API.query_type,
    "subscription": API.subscription_type,
}
FIELDS = [
    (kind, name)
    for kind, root in ROOTS.items()
    if root is not None
    for name in sorted(root.fields)
    if not name.startswith("_")
]
NOWHERE = str(uuid.UUID(int=0xDEAD))


@pytest_asyncio.fixture(
    scope="module",
    loop_scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.integration),
    ],
)
async def graph(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Graph]:
    # The suite's graph with the directory too, so every root field has its
    # subgraph; on SQLite, and on PostgreSQL with Redis (whose columns refuse
    # what SQLite stores).
    settings = subgraph_settings(tmp_path_factory.mktemp("hostile"))
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "postgres":
            url = await create_database()
            stack.push_async_callback(drop_database, url)
            settings = dataclasses.replace(
                settings,
                database_url=url,
                redis_url=REDIS_URL,
                redis_prefix=f"agora-test:{uuid.uuid4().hex[:12]}:",
            )
        apps, lifespan = create_embedded(
            [ACCOUNTS, CHAT, INVENTORY, DIRECTORY], settings
        )
        log = RequestLog()
        logged = {name: LoggedApp(app, name, log) for name, app in apps.items()}
        async with lifespan(None):
            yield Graph(logged, settings, log)


def value_for(
    kind: GraphQLInputType, text: str, number: int, id_value: str, depth: int = 0
) -> Any:
    """A value of `kind`: strings are `text`, numbers `number`, every input field
    (required or not) filled the same way."""
    if isinstance(kind, GraphQLNonNull):
        return value_for(kind.of_type, text, number, id_value, depth)
    if isinstance(kind, GraphQLList):
        return [value_for(kind.of_type, text, number, id_value, depth)]
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        if depth > 3:
            return None
        return {
            name: value_for(field.type, text, number, id_value, depth + 1)
            for name, field in kind.fields.items()
        }
    assert isinstance(kind, GraphQLScalarType)
    name = kind.name
    if name == "ID":
        return id_value
    if name == "Int":
        return number
    if name == "Float":
        return 1.7e308 if number > 0 else -1.7e308 if number < 0 else 0.0
    if name == "Boolean":
        return True
    return text  # String and custom scalars (DateTime, Upload, ...)


def field_of(kind: str, field: str) -> GraphQLField:
    root = ROOTS[kind]
    assert root is not None
    return root.fields[field]


def operation(kind: str, field: str) -> tuple[str, list[str]]:
    """`mutation($a: T, ...) { field(a: $a, ...) { __typename } }` and the names."""
    definition = field_of(kind, field)
    names = list(definition.args)
    variables = ", ".join(f"${n}: {definition.args[n].type}" for n in names)
    arguments = ", ".join(f"{n}: ${n}" for n in names)
    selection = (
        "{ __typename }"
        if not isinstance(
            get_named_type(definition.type), GraphQLScalarType | GraphQLEnumType
        )
        else ""
    )
    head = f"{kind}({variables})" if names else kind
    call = f"{field}({arguments})" if names else field
    return f"{head} {{ {call} {selection} }}", names


# Strings past every column (and the 255-character idempotency key), past the
# 64- and 100-character columns only, and empty; Ints at their bounds.
CASES = [("x" * 10_000, 2**31 - 1), ("y" * 100, -(2**31)), ("", 0)]


async def known_ids(gateway: Gateway, token: str) -> list[str]:
    """One id from every root list the admin can read (a conversation, a product,
    a business, ...), so refusals are tried past "not found" too."""
    query = API.query_type
    assert query is not None
    selections = []
    for name, field in query.fields.items():
        required = {
            n for n, a in field.args.items() if isinstance(a.type, GraphQLNonNull)
        }
        if required - {"first"}:
            continue
        call = f"{name}(first: 5)" if required else name
        named = get_named_type(field.type)
        fields = getattr(named, "fields", {})
        node = (
            get_named_type(
                getattr(get_named_type(fields["edges"].type), "fields", {})
                .get("node", fields["edges"])
                .type
            )
            if "edges" in fields
            else None
        )
        if node is not None and "id" in getattr(node, "fields", {}):
            selections.append(f"{call} {{ edges {{ node {{ id }} }} }}")
        elif "id" in fields:
            selections.append(f"{call} {{ id }}")
    found: list[str] = []
    for selection in selections:
        response = await gateway.http.post(
            gateway.url + "/graphql",
            json={"query": f"{{ {selection} }}"},
            headers={"authorization": f"Bearer {token}"},
        )
        data = (response.json().get("data") or {}).values()
        for value in data:
            items = value.get("edges", []) if isinstance(value, dict) else value
            items = items if isinstance(items, list) else [value]
            for item in items[:1]:
                node = item.get("node", item) if isinstance(item, dict) else None
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    found.append(node["id"])
    return sorted(set(found))


@pytest.mark.parametrize(("kind", "field"), FIELDS)
async def test_every_root_field_refuses_hostile_values_in_our_words(
    gateway: Gateway, kind: str, field: str
) -> None:
    query, names = operation(kind, field)
    args = field_of(kind, field).args
    admin = mint(DEMO_USER, tenant=DEMO_CHAMBER, roles=("platform_admin", "admin"))
    member = mint(DEMO_USER, tenant=DEMO_CHAMBER, roles=("member",))
    ids = [NOWHERE, *await known_ids(gateway, admin)]
    tries = [(admin, i) for i in ids] + [(member, ids[-1])]
    for text, number in CASES:
        asked = [
            (token, {n: value_for(args[n].type, text, number, i) for n in names})
            for token, i in tries
        ]
        if kind == "subscription":
            # At once: an accepted stream stays quiet for the whole wait.
            answers = await asyncio.gather(
                *(subscribed(gateway, token, query, v) for token, v in asked)
            )
        else:
            answers = [
                await asked_over_http(gateway, token, query, v) for token, v in asked
            ]
        for errors in answers:
            codes = [(e.get("extensions") or {}).get("code") for e in errors]
            assert "INTERNAL_SERVER_ERROR" not in codes, (field, text[:10], errors)
            assert None not in codes, (field, errors)


async def asked_over_http(
    gateway: Gateway, token: str, query: str, variables: dict[str, Any]
) -> list[dict[str, Any]]:
    response = await gateway.http.post(
        gateway.url + "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code < 500, response.text[:500]
    return list(response.json().get("errors", []))


async def subscribed(
    gateway: Gateway, token: str, query: str, variables: dict[str, Any]
) -> list[dict[str, Any]]:
    """Subscribe over graphql-transport-ws; the errors of the refusal or of the
    first event within a second (none for a stream that is open and quiet)."""
    async with connect(
        gateway.ws, subprotocols=[Subprotocol("graphql-transport-ws")], max_size=None
    ) as socket:
        init = {"authorization": f"Bearer {token}"}
        await socket.send(
            orjson.dumps({"type": "connection_init", "payload": init}).decode()
        )
        assert orjson.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(
            orjson.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables},
                }
            ).decode()
        )
        try:
            async with asyncio.timeout(1.0):
                while True:
                    message = orjson.loads(await socket.recv())
                    if message["type"] == "error":
                        return list(message["payload"])
                    if message["type"] == "next":
                        return list(message["payload"].get("errors", []))
                    if message["type"] == "complete":
                        return []
        except TimeoutError:
            return []  # open and quiet: accepted
