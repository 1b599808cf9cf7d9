"""The hostile-client suite's harness: the real Agora graph, a request log, gateways.

The three subgraphs (accounts, chat, inventory) run in process on SQLite under a
temporary directory with in-memory pub/sub and the demo data, in production posture
(their own secrets, bearer tokens refused, `_entities`/`_service` for the gateway
only). Each subgraph app is wrapped in `LoggedApp`, which writes every HTTP and
websocket scope it receives to the `RequestLog` (body and websocket messages
included), so a test can assert that no subgraph saw an attack. Gateways reach them
through AsgiTransport and are served by a real uvicorn on a free port, so SSE and
websockets are real sockets.

The graph is built once per module (`graph`, module-scoped: Tortoise's state is
process-global, so each module opens and closes it); `log` hands a test the request
log emptied. Modules run in one event loop per module:
`pytestmark = pytest.mark.asyncio(loop_scope="module")`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import jwt
import pytest
import pytest_asyncio
import uvicorn

from gateway.config import GatewayConfig, load_config
from gateway.server import create_app
from gateway.transport import AsgiTransport
from subgraphs.accounts.app import SPEC as ACCOUNTS
from subgraphs.chat.app import SPEC as CHAT
from subgraphs.inventory.app import SPEC as INVENTORY
from subgraphs.kit.embedded import create_embedded
from subgraphs.kit.settings import Settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping

    from starlette.applications import Starlette

    Message = MutableMapping[str, Any]
    Receive = Callable[[], Awaitable[Message]]
    Send = Callable[[Message], Awaitable[None]]
    ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

ROOT = Path(__file__).resolve().parents[3]
SUPERGRAPH = (ROOT / "schema" / "supergraph.graphql").read_text()

# The secrets this graph shares (production posture: not the repository's).
GATEWAY_SECRET = "security-suite-gateway-secret-0123456789abcdef"
JWT_SECRET = "security-suite-jwt-secret-0123456789abcdefghijk"

_DEMO = "7d3c0a2e-0000-4000-8000-00000000"
DEMO_CHAMBER = f"{_DEMO}0001"
GREEN_FARMS = f"{_DEMO}0002"
DEMO_USER = f"{_DEMO}0101"
ADMIN_USER = f"{_DEMO}0102"
AGENT_USER = f"{_DEMO}0103"
FARMER_USER = f"{_DEMO}0104"
DEMO_COMPLAINT = f"{_DEMO}0501"
DEMO_CONVERSATION = f"{_DEMO}0601"
DEMO_PASSWORD = "agora-demo-password"

# The gateway configuration every gateway of the suite starts from.
BASE_VALUES: dict[str, Any] = {
    "secret": GATEWAY_SECRET,
    "auth": {"jwt_secret": JWT_SECRET},
    # No keep-alive pings in the way of the messages a test waits for.
    "subscription": {"keepalive": 0, "init_timeout": 1.0},
}


@dataclass(frozen=True)
class SeenRequest:
    """One request a subgraph received: HTTP (with its body) or a websocket (with
    every text message the client side sent on it)."""

    subgraph: str
    kind: str
    headers: dict[str, str]
    body: bytearray = field(default_factory=bytearray)
    messages: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace") + "\n".join(self.messages)


class RequestLog:
    """Every request the subgraphs received since the last `clear()`."""

    def __init__(self) -> None:
        self.requests: list[SeenRequest] = []

    def clear(self) -> None:
        self.requests.clear()

    def __len__(self) -> int:
        return len(self.requests)

    def __bool__(self) -> bool:
        return bool(self.requests)

    def __repr__(self) -> str:
        seen = [(r.subgraph, r.kind, r.text[:120]) for r in self.requests]
        return f"RequestLog({seen})"

    def subgraphs(self) -> list[str]:
        return [request.subgraph for request in self.requests]


class LoggedApp:
    """ASGI middleware: append each HTTP and websocket scope to `log`, then serve."""

    def __init__(self, app: ASGIApp, name: str, log: RequestLog) -> None:
        self.app = app
        self.name = name
        self.log = log

    async def __call__(
        self, scope: MutableMapping[str, Any], receive: Receive, send: Send
    ) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {
            key.decode("latin-1"): value.decode("latin-1")
            for key, value in scope.get("headers", [])
        }
        seen = SeenRequest(self.name, scope["type"], headers)
        self.log.requests.append(seen)

        async def logged_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen.body.extend(message.get("body", b""))
            elif message["type"] == "websocket.receive" and message.get("text"):
                seen.messages.append(message["text"])
            return message

        await self.app(scope, logged_receive, send)


@dataclass
class Graph:
    """The subgraphs in process (wrapped in LoggedApp), their settings and log."""

    apps: dict[str, LoggedApp]
    settings: Settings
    log: RequestLog


@dataclass
class Gateway:
    """A gateway over the graph, served by uvicorn."""

    url: str  # http://127.0.0.1:PORT
    app: Starlette
    config: GatewayConfig
    # One pooled client per gateway, so a timed request times the gateway.
    http: httpx.AsyncClient

    @property
    def graphql(self) -> str:
        return self.url + "/graphql"

    @property
    def ws(self) -> str:
        return self.url.replace("http://", "ws://") + "/graphql"


def subgraph_settings(data_dir: Path) -> Settings:
    """Production subgraphs: own secrets, no bearer tokens, gateway-only _entities."""
    return Settings(
        database_url=f"sqlite://{data_dir / 'agora.sqlite3'}",
        data_dir=data_dir,
        environment="production",
        gateway_secret=GATEWAY_SECRET,
        jwt_secret=JWT_SECRET,
        accept_bearer=False,
    )


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free port (lifespan on), as the suite-wide
    `uvicorn_server` fixture does (that one is function-scoped; these servers live
    for a module)."""
    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets whose proto says
    # TCP, and without it every reused keep-alive connection waits ~40 ms (Nagle
    # against delayed ACKs) between a response's head and body.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # proxy_headers off: uvicorn would otherwise take X-Forwarded-For from any
    # client on 127.0.0.1 (its forwarded_allow_ips), and every client here is one;
    # off, the gateway sees what it sees of a remote client.
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", proxy_headers=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("expected uvicorn to start, it stopped")
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def gateway_config(values: dict[str, Any] | None = None) -> GatewayConfig:
    """BASE_VALUES changed by `values` (merged key by key), no environment."""
    merged: dict[str, Any] = {}
    for source in (BASE_VALUES, values or {}):
        for key, value in source.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    return load_config(environ={}, values=merged)


@contextlib.asynccontextmanager
async def open_gateway(
    graph: Graph, values: dict[str, Any] | None = None
) -> AsyncIterator[Gateway]:
    """A gateway of `gateway_config(values)` over `graph`, served until exit."""
    config = gateway_config(values)
    transports = {
        name: AsgiTransport(name, app, timeout=10.0) for name, app in graph.apps.items()
    }
    app = create_app(SUPERGRAPH, transports=transports, config=config)
    async with serve(app) as url, httpx.AsyncClient(timeout=10.0) as http:
        # Warm: the first request of a process pays for lazy imports and pools.
        warm = await http.post(url + "/graphql", json={"query": "{ __typename }"})
        assert warm.status_code == 200, warm.text
        yield Gateway(url, app, config, http)


def mint(
    user: str = DEMO_USER,
    *,
    tenant: str | None = DEMO_CHAMBER,
    roles: tuple[str, ...] = ("member",),
    scopes: tuple[str, ...] = (),
    expires_in: float = 600,
    secret: str = JWT_SECRET,
    algorithm: str = "HS256",
    **claims: Any,
) -> str:
    """An access token as accounts issues one (HS256 by default)."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "sub": user,
        "tenant": tenant,
        "roles": list(roles),
        "scopes": list(scopes),
        "type": "access",
        "iat": now,
        "exp": int(now + expires_in),
        "iss": "agora",
        "jti": f"security-suite-{now}",
    }
    payload.update(claims)
    return jwt.encode(payload, secret, algorithm=algorithm)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def graph(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Graph]:
    settings = subgraph_settings(tmp_path_factory.mktemp("graph"))
    apps, lifespan = create_embedded([ACCOUNTS, CHAT, INVENTORY], settings)
    log = RequestLog()
    logged = {name: LoggedApp(app, name, log) for name, app in apps.items()}
    async with lifespan(None):
        yield Graph(logged, settings, log)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway(graph: Graph) -> AsyncIterator[Gateway]:
    """A gateway with the default (development) posture and limits."""
    async with open_gateway(graph) as opened:
        yield opened


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def production_gateway(graph: Graph) -> AsyncIterator[Gateway]:
    """A gateway in production posture: introspection, suggestions, explain and
    GraphiQL off, production limits."""
    async with open_gateway(graph, {"production": True}) as opened:
        yield opened


@pytest.fixture
def log(graph: Graph) -> RequestLog:
    """The subgraphs' request log, emptied for this test."""
    graph.log.clear()
    return graph.log
