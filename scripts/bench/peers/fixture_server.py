"""The fixture subgraphs of one workload in one asyncio process: products, reviews and
accounts (`peers`, the default), or accounts, inventory, products and reviews
(`gateways-benchmark`, the public federation gateways benchmark's; see
gateways_benchmark.py).

Each subgraph answers `_service { sdl }`, `_entities` and its root fields over
HTTP/1.1 keep-alive. They must never be the bottleneck of the bench, so a request is
executed by graphql-core once and its response bytes are kept, keyed by the request
body: gateways send the same query text and representations on every request, so all
later requests are a dictionary look-up. GET /stats reports hits and misses, which tells
whether a gateway defeated the cache, and how many requests carried a caller's identity
(a non-empty `x-agora-user-id`, as Agora's gateway sends for a verified token).

Run: python fixture_server.py [--workload peers] [--host 127.0.0.1] [--port-base N]
(default port base: the workload's, which its supergraph names)
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gateways_benchmark
import httptools
import orjson
from fixture_data import (
    ME_ID,
    PRODUCTS,
    REVIEWS,
    REVIEWS_BY_UPC,
    USERS,
    user,
)
from graphql import GraphQLSchema, build_schema, graphql_sync
from workloads import WORKLOADS

JSON = Any
EntityResolver = Callable[[dict[str, JSON]], JSON]

# The header Agora's gateway names a verified caller in (gateway/policy/identity.py).
IDENTITY_HEADER = b"x-agora-user-id"
# Bounded so a gateway that varies its bodies cannot grow the process without limit.
CACHE_LIMIT = 4096
BIND_WAIT_SECONDS = 15.0

# What the federation subgraph spec adds to every subgraph schema, declared so that
# graphql-core can build and execute the subgraph's own SDL.
_FEDERATION_PREAMBLE = """
directive @link(url: String!, import: [String]) repeatable on SCHEMA
directive @key(fields: String!, resolvable: Boolean = true)
  repeatable on OBJECT | INTERFACE
directive @external on FIELD_DEFINITION | OBJECT
directive @shareable repeatable on FIELD_DEFINITION | OBJECT
directive @requires(fields: String!) on FIELD_DEFINITION
directive @provides(fields: String!) on FIELD_DEFINITION
scalar _Any
type _Service { sdl: String! }
"""


@dataclass(slots=True)
class Subgraph:
    """One subgraph: its SDL as served by `_service`, its schema and its resolvers."""

    name: str
    sdl: str
    root: dict[str, JSON]
    entities: dict[str, EntityResolver]
    schema: GraphQLSchema = field(init=False)
    responses: dict[bytes, bytes] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    # Requests that named a user in x-agora-user-id.
    identified: int = 0

    def __post_init__(self) -> None:
        self.schema = build_subgraph_schema(self.sdl, tuple(self.entities))
        self.root["_service"] = {"sdl": self.sdl}
        self.root["_entities"] = self._resolve_entities

    def _resolve_entities(
        self, _info: object, representations: list[dict[str, JSON]]
    ) -> list[JSON]:
        return [
            self.entities[representation["__typename"]](representation)
            for representation in representations
        ]

    def respond(self, body: bytes) -> bytes:
        """The response bytes for one POSTed GraphQL request body."""
        cached = self.responses.get(body)
        if cached is not None:
            self.hits += 1
            return cached
        self.misses += 1
        response = self.execute(body)
        if len(self.responses) >= CACHE_LIMIT:
            self.responses.clear()
        self.responses[body] = response
        return response

    def execute(self, body: bytes) -> bytes:
        try:
            request = orjson.loads(body)
            query = request["query"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return orjson.dumps({"errors": [{"message": "expected a JSON request"}]})
        result = graphql_sync(
            self.schema,
            query,
            root_value=self.root,
            variable_values=request.get("variables"),
            operation_name=request.get("operationName"),
        )
        payload: dict[str, JSON] = {}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        payload["data"] = result.data
        return orjson.dumps(payload)


def build_subgraph_schema(sdl: str, entity_types: tuple[str, ...]) -> GraphQLSchema:
    """Build an executable schema from a subgraph SDL, adding `_service`/`_entities`."""
    query_keyword = "extend type Query" if "type Query" in sdl else "type Query"
    extra = [_FEDERATION_PREAMBLE]
    fields = ["_service: _Service!"]
    if entity_types:
        extra.append(f"union _Entity = {' | '.join(entity_types)}")
        fields.append("_entities(representations: [_Any!]!): [_Entity]!")
    extra.append(f"{query_keyword} {{ {' '.join(fields)} }}")
    schema = build_schema(sdl + "\n".join(extra))
    if entity_types:
        entity_union = schema.get_type("_Entity")
        entity_union.resolve_type = (  # type: ignore[union-attr]  # union by construction
            lambda value, _info, _type: value["__typename"]
        )
    return schema


def _top_products(_info: object, first: int = 5, offset: int = 0) -> list[JSON]:
    return PRODUCTS[offset : offset + first]


def _product(_info: object, upc: str) -> JSON:
    return next((product for product in PRODUCTS if product["upc"] == upc), None)


_PRODUCTS_BY_UPC = {product["upc"]: product for product in PRODUCTS}


def build_subgraphs(workload: str = "peers") -> dict[str, Subgraph]:
    """The workload's subgraphs, by name, in port order."""
    fixtures = WORKLOADS[workload].fixtures
    resolvers = (
        gateways_benchmark.subgraph_resolvers()
        if workload == "gateways-benchmark"
        else _peers_resolvers()
    )
    subgraphs = {}
    for name in WORKLOADS[workload].subgraph_names:
        root, entities = resolvers[name]
        sdl = (fixtures / f"{name}.graphql").read_text()
        subgraphs[name] = Subgraph(name=name, sdl=sdl, root=root, entities=entities)
    return subgraphs


def _peers_resolvers() -> dict[str, tuple[dict[str, JSON], dict[str, EntityResolver]]]:
    """products, reviews and accounts: (root fields, entity resolvers by type)."""
    return {
        "products": (
            {"topProducts": _top_products, "product": _product},
            {
                "Product": lambda rep: {
                    "__typename": "Product",
                    **_PRODUCTS_BY_UPC[rep["upc"]],
                }
            },
        ),
        "reviews": (
            {},
            {
                "Product": lambda rep: {
                    "__typename": "Product",
                    "upc": rep["upc"],
                    "reviews": REVIEWS_BY_UPC.get(rep["upc"], []),
                },
                "Review": lambda rep: {"__typename": "Review", **REVIEWS[rep["id"]]},
            },
        ),
        "accounts": (
            {
                "me": lambda _info: USERS[ME_ID],
                "user": lambda _info, id: user(id),  # the GraphQL name
            },
            {"User": lambda rep: {"__typename": "User", **user(rep["id"])}},
        ),
    }


def _response(
    status: bytes, content_type: bytes, body: bytes, keep_alive: bool
) -> bytes:
    connection = b"keep-alive" if keep_alive else b"close"
    return b"".join(
        (
            b"HTTP/1.1 ",
            status,
            b"\r\ncontent-type: ",
            content_type,
            b"\r\ncontent-length: ",
            str(len(body)).encode(),
            b"\r\nconnection: ",
            connection,
            b"\r\n\r\n",
            body,
        )
    )


class SubgraphProtocol(asyncio.Protocol):
    """HTTP/1.1 for one connection: POST = GraphQL, GET /health, GET /stats."""

    def __init__(self, subgraph: Subgraph) -> None:
        self.subgraph = subgraph
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.body: list[bytes] = []
        self.identified = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a stream transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport is not None:
                self.transport.write(
                    _response(b"400 Bad Request", b"text/plain", b"bad request", False)
                )
                self.transport.close()

    # httptools parser callbacks.
    def on_message_begin(self) -> None:
        self.url = b""
        self.body = []
        self.identified = False

    def on_header(self, name: bytes, value: bytes) -> None:
        if value and name.lower() == IDENTITY_HEADER:
            self.identified = True

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self.transport is None:
            return
        keep_alive = self.parser.should_keep_alive()
        method = self.parser.get_method()
        if method == b"POST":
            if self.identified:
                self.subgraph.identified += 1
            payload = self.subgraph.respond(b"".join(self.body))
            reply = _response(b"200 OK", b"application/json", payload, keep_alive)
        elif self.url.startswith(b"/stats"):
            stats = {
                "hits": self.subgraph.hits,
                "misses": self.subgraph.misses,
                "identified": self.subgraph.identified,
            }
            reply = _response(
                b"200 OK", b"application/json", orjson.dumps(stats), keep_alive
            )
        else:
            reply = _response(b"200 OK", b"text/plain", b"ok", keep_alive)
        self.transport.write(reply)
        if not keep_alive:
            self.transport.close()


async def start_servers(
    host: str, port_base: int, workload: str = "peers"
) -> list[asyncio.Server]:
    """Listen for the workload's subgraphs on port_base, +1, +2, ... in its order."""
    servers = []
    for offset, subgraph in enumerate(build_subgraphs(workload).values()):
        servers.append(await _listen(subgraph, host, port_base + offset))
    return servers


async def _listen(subgraph: Subgraph, host: str, port: int) -> asyncio.Server:
    """Listen on port, waiting up to BIND_WAIT_SECONDS while it is taken: the fixed
    ports lie in Linux's ephemeral range, so another process's outgoing connection
    can hold one for a moment (the runner checks they are free just before)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BIND_WAIT_SECONDS
    while True:
        try:
            return await loop.create_server(
                lambda: SubgraphProtocol(subgraph), host, port, reuse_address=True
            )
        except OSError as error:
            if error.errno != errno.EADDRINUSE or loop.time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def serve(host: str, port_base: int, workload: str = "peers") -> None:
    """Serve the workload's subgraphs until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    servers = await start_servers(host, port_base, workload)
    await stop.wait()
    for server in servers:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=tuple(WORKLOADS), default="peers")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port-base", type=int, default=None)
    args = parser.parse_args()
    port_base = args.port_base or WORKLOADS[args.workload].port_base
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(args.host, port_base, args.workload))
    else:
        uvloop.run(serve(args.host, port_base, args.workload))


if __name__ == "__main__":
    main()
