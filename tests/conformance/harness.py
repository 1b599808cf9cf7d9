"""Conformance harness: small subgraphs run in process behind the real gateway.

A subgraph is its federation SDL plus plain data: root field values (or callables
taking `(parent, **args)`) and entity tables (`typename -> records`, or a callable
`representation -> record | None`). It is executed by graphql-core with `_service`
and `_entities` added as the subgraph spec requires, and served as an ASGI app that
the gateway reaches through its in-process ASGI transport. `behaviour` makes one
misbehave: "down" (HTTP 500), "garbage" (HTML), "hang" (never answers); `responses`
(one per request, in order) replaces execution with verbatim answers, for a
subgraph that breaks its own schema's promises.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from graphql import (
    DocumentNode,
    GraphQLSchema,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    build_ast_schema,
    graphql,
    parse,
)

from gateway.config import GatewayConfig, load_config
from gateway.server import create_app
from gateway.transport import AsgiTransport

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "composition"

Record = dict[str, Any]
EntityTable = list[Record] | Callable[[Record], Record | None]


@dataclass
class Subgraph:
    """One in-process subgraph: SDL, data, and how it behaves."""

    sdl: str
    query: Record = field(default_factory=dict)
    mutation: Record = field(default_factory=dict)
    entities: Mapping[str, EntityTable] = field(default_factory=dict)
    behaviour: str = "ok"
    responses: list[Record] = field(default_factory=list)
    requests: list[Record] = field(default_factory=list)


def fixture_sdl(fixture: str, name: str) -> str:
    return (FIXTURES / fixture / f"{name}.graphql").read_text()


def supergraph_sdl(fixture: str) -> str:
    return (FIXTURES / fixture / "supergraph.graphql").read_text()


_PRELUDE = """
scalar _Any
scalar FieldSet
scalar federation__FieldSet
scalar link__Import
type _Service { sdl: String }
"""


def build_subgraph_schema(sdl: str) -> GraphQLSchema:
    """An executable graphql-core schema for a federation subgraph SDL."""
    document = parse(sdl)
    defined = {
        d.name.value for d in document.definitions if isinstance(d, TypeDefinitionNode)
    }
    definitions: list[Any] = []
    entity_types: list[str] = []
    query_type = "Query"
    for definition in document.definitions:
        if isinstance(definition, SchemaExtensionNode):
            continue
        if isinstance(definition, SchemaDefinitionNode):
            for operation_type in definition.operation_types:
                if operation_type.operation.value == "query":
                    query_type = operation_type.type.name.value
        # Federation 1 subgraphs `extend` types they never define.
        if (
            isinstance(
                definition, (ObjectTypeExtensionNode, InterfaceTypeExtensionNode)
            )
            and definition.name.value not in defined
        ):
            defined.add(definition.name.value)
            kind = (
                ObjectTypeDefinitionNode
                if isinstance(definition, ObjectTypeExtensionNode)
                else InterfaceTypeDefinitionNode
            )
            definition = kind(
                name=definition.name,
                interfaces=definition.interfaces,
                directives=definition.directives,
                fields=definition.fields,
            )
        if isinstance(definition, (ObjectTypeDefinitionNode, ObjectTypeExtensionNode)):
            for directive in definition.directives or ():
                resolvable = all(
                    not (arg.name.value == "resolvable" and arg.value.value is False)  # type: ignore[attr-defined]
                    for arg in directive.arguments or ()
                )
                if directive.name.value == "key" and resolvable:
                    if definition.name.value not in entity_types:
                        entity_types.append(definition.name.value)
        definitions.append(definition)
    extra = _PRELUDE
    if entity_types:
        extra += f"union _Entity = {' | '.join(entity_types)}\n"
    root_fields = "_service: _Service!\n"
    if entity_types:
        root_fields += "_entities(representations: [_Any!]!): [_Entity]!\n"
    keyword = "extend type" if query_type in defined else "type"
    extra += f"{keyword} {query_type} {{ {root_fields} }}\n"
    full = DocumentNode(definitions=(*definitions, *parse(extra).definitions))
    return build_ast_schema(full, assume_valid_sdl=True)


def _resolve_field(parent: Any, info: Any, **args: Any) -> Any:
    value = parent.get(info.field_name) if isinstance(parent, dict) else None
    if callable(value):
        return value(parent, **args)
    return value


def _matches(record: Record, representation: Record) -> bool:
    for key, value in representation.items():
        if key == "__typename" or key not in record:
            continue
        if isinstance(value, dict) and isinstance(record[key], dict):
            if not _matches(record[key], value):
                return False
        elif record[key] != value:
            return False
    return True


def _entities_resolver(subgraph: Subgraph) -> Callable[..., list[Record | None]]:
    def resolve(parent: Any, representations: list[Record]) -> list[Record | None]:
        found: list[Record | None] = []
        for representation in representations:
            typename = representation["__typename"]
            table = subgraph.entities.get(typename)
            if table is None:
                record: Record | None = dict(representation)
            elif callable(table):
                record = table(representation)
            else:
                record = next((r for r in table if _matches(r, representation)), None)
            if record is not None:
                # A table resolving an entity interface answers with the implementing
                # type, as a subgraph's __resolveReference on an interface does.
                own = record.get("__typename") if callable(table) else None
                record = {**record, **representation, "__typename": own or typename}
            found.append(record)
        return found

    return resolve


def subgraph_app(subgraph: Subgraph) -> Callable[..., Awaitable[None]]:
    """A minimal ASGI app serving `subgraph` on POST (any path)."""
    schema = build_subgraph_schema(subgraph.sdl)
    root = {
        **subgraph.query,
        **subgraph.mutation,
        "_service": {"sdl": subgraph.sdl},
        "_entities": _entities_resolver(subgraph),
    }

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        payload = orjson.loads(body)
        subgraph.requests.append(payload)
        if subgraph.behaviour == "hang":
            await asyncio.Event().wait()
        if subgraph.behaviour == "down":
            status, content = 500, b"Internal Server Error"
        elif subgraph.behaviour == "garbage":
            status, content = 200, b"<html>not graphql</html>"
        elif subgraph.responses:
            status, content = 200, orjson.dumps(subgraph.responses.pop(0))
        else:
            result = await graphql(
                schema,
                payload["query"],
                root_value=root,
                variable_values=payload.get("variables"),
                operation_name=payload.get("operationName"),
                field_resolver=_resolve_field,
            )
            status, content = 200, orjson.dumps(result.formatted)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": content})

    return app


class Gateway:
    """A gateway app over in-process subgraphs, with a client to query it."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def query(
        self,
        query: str,
        variables: Record | None = None,
        *,
        operation_name: str | None = None,
        headers: Mapping[str, str] | None = None,
        extensions: Record | None = None,
    ) -> Record:
        body: Record = {"query": query}
        if variables is not None:
            body["variables"] = variables
        if operation_name is not None:
            body["operationName"] = operation_name
        if extensions is not None:
            body["extensions"] = extensions
        response = await self.client.post(
            "/graphql", json=body, headers=dict(headers or {})
        )
        assert response.status_code == 200, response.text
        result: Record = response.json()
        return result


GatewayFactory = Callable[..., Awaitable[Gateway]]


@pytest.fixture
async def gateway() -> AsyncIterator[GatewayFactory]:
    """`await gateway(supergraph_sdl, {name: Subgraph}, timeout=...)`."""
    clients: list[httpx.AsyncClient] = []

    async def build(
        supergraph: str,
        subgraphs: Mapping[str, Subgraph],
        *,
        timeout: float = 5.0,
        config: GatewayConfig | None = None,
    ) -> Gateway:
        transports = {
            name: AsgiTransport(name, subgraph_app(subgraph), timeout=timeout)
            for name, subgraph in subgraphs.items()
        }
        app = create_app(
            supergraph,
            transports=transports,
            config=config
            or load_config(environ={}, values={"subgraph_timeout": timeout}),
        )
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway"
        )
        clients.append(client)
        return Gateway(client)

    yield build
    for client in clients:
        await client.aclose()
