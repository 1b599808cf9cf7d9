"""The graph in real processes for the write fault tests (issue 13).

`write_graph()` makes one fresh PostgreSQL database (each subgraph keeps its tables
in its own schema there), starts the subgraphs asked for (`python -m
subgraphs.<name>`, demo seed included) and `python -m gateway serve` over the
checked-in supergraph with their ports, on the machine's Redis under a prefix of
its own. Any process can be paused (SIGSTOP), killed and started again; `sql()`
reads what the database holds, `terminate_backends()` drops every connection the
subgraphs hold.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs
import httpx
import jwt

from subgraphs.kit.settings import DEV_GATEWAY_SECRET, DEV_JWT_SECRET
from tests.integration.subscriptions.realgraph import (
    Process,
    free_port,
    gateway_process,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

ROOT = Path(__file__).resolve().parents[3]
POSTGRES_URL = os.environ.get(
    "AGORA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("AGORA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# The development secrets, from the one place the subgraphs define them.
JWT_SECRET = DEV_JWT_SECRET
GATEWAY_SECRET = DEV_GATEWAY_SECRET

_DEMO = "7d3c0a2e-0000-4000-8000-00000000"
DEMO_CHAMBER = f"{_DEMO}0001"
GREEN_FARMS = f"{_DEMO}0002"
DEMO_USER = f"{_DEMO}0101"
DEMO_CONVERSATION = f"{_DEMO}0601"
FARMER = f"{_DEMO}0104"
FARM = f"{_DEMO}0401"
PRODUCT = f"{_DEMO}0501"
# The supergraph's URL of each subgraph (schema/supergraph.graphql).
PORTS = {"accounts": 4001, "directory": 4002, "chat": 4003, "inventory": 4004}

RESERVE = (
    "mutation($p: ID!, $f: ID!, $q: Int!) "
    "{ reserve(productId: $p, farmId: $f, quantity: $q) { id quantity status } }"
)
RELEASE = "mutation($id: ID!) { releaseReservation(id: $id) { id status } }"
SEND = (
    "mutation($input: SendMessageInput!) "
    "{ sendMessage(input: $input) { id seq clientId } }"
)
REGISTER = "mutation($input: RegisterInput!) { register(input: $input) { email } }"


def mint(user: str, tenant: str, roles: Sequence[str] = ("member",)) -> str:
    """An access token as accounts issues one (the development secret)."""
    now = int(time.time())
    claims = {
        "sub": user,
        "tenant": tenant,
        "roles": list(roles),
        "scopes": [],
        "type": "access",
        "iat": now,
        "exp": now + 3600,
        "iss": "agora",
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


@dataclass
class WriteGraph:
    database: str
    gateway: Process
    subgraphs: dict[str, Process]
    logs: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.gateway.ready.removesuffix("/health") + "/graphql"

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.database)
        try:
            rows: list[asyncpg.Record] = await connection.fetch(query, *args)
            return rows
        finally:
            await connection.close()

    async def new_gateway(self, env: dict[str, str]) -> None:
        """Start a new gateway process (after the old one was killed)."""
        port = free_port()
        argv = list(self.gateway.argv)
        argv[argv.index("--port") + 1] = str(port)
        self.gateway = Process(
            "gateway", argv, env, f"http://127.0.0.1:{port}/health", self.gateway.log
        )
        await self.gateway.start()


async def terminate_backends(admin: asyncpg.Connection) -> int:
    """Terminate every other connection to the admin connection's database."""
    rows = await admin.fetch(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    return len(rows)


@contextlib.asynccontextmanager
async def write_graph(
    logs: Path,
    subgraphs: Sequence[str],
    *,
    gateway_env: dict[str, str] | None = None,
    subgraph_env: dict[str, str] | None = None,
) -> AsyncIterator[WriteGraph]:
    """Start everything (module docstring); stop it all and drop the database."""
    logs.mkdir(parents=True, exist_ok=True)
    name = f"agora_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    database = urlsplit(POSTGRES_URL)._replace(path=f"/{name}").geturl()
    base = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": f"agora-test:{uuid.uuid4().hex[:12]}:",
        "AGORA_GATEWAY_SECRET": GATEWAY_SECRET,
        "JWT_SECRET": JWT_SECRET,
        "LOG_LEVEL": "warning",
        "CHAT_MESSAGES_PER_MINUTE": "1000000",
    }
    ports = {subgraph: free_port() for subgraph in subgraphs}
    processes = {
        subgraph: Process(
            subgraph,
            [sys.executable, "-m", f"subgraphs.{subgraph}", "--port", str(port)],
            {**base, **(subgraph_env or {})},
            f"http://127.0.0.1:{port}/health",
            logs / f"{subgraph}.log",
        )
        for subgraph, port in ports.items()
    }
    supergraph = (ROOT / "schema" / "supergraph.graphql").read_text()
    for subgraph, port in PORTS.items():
        # A subgraph not started gets a port nothing listens on.
        supergraph = supergraph.replace(
            f"127.0.0.1:{port}/", f"127.0.0.1:{ports.get(subgraph, 9)}/"
        )
    (logs / "supergraph.graphql").write_text(supergraph)
    gateway_port = free_port()
    gateway = gateway_process(
        logs / "supergraph.graphql",
        gateway_port,
        {**base, **(gateway_env or {})},
        logs / "gateway.log",
        config=ROOT / "gateway.yaml",
    )
    graph = WriteGraph(database, gateway, processes, logs)
    try:
        # One at a time: their migrations share the database.
        for process in processes.values():
            await process.start()
        await gateway.start()
        yield graph
    finally:
        for process in (graph.gateway, *processes.values()):
            with contextlib.suppress(Exception):
                await process.stop()
        admin = await asyncpg.connect(POSTGRES_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def call(
    client: httpx.AsyncClient,
    url: str,
    query: str,
    variables: dict[str, Any],
    *,
    token: str | None = None,
    key: str | None = None,
) -> dict[str, Any]:
    """One operation through the gateway; a transport failure is reported as the
    answer `{"transport": <error name>}` (the client learnt nothing)."""
    headers = {}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    if key is not None:
        headers["idempotency-key"] = key
    try:
        response = await client.post(
            url, json={"query": query, "variables": variables}, headers=headers
        )
    except httpx.HTTPError as error:
        return {"transport": type(error).__name__}
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [
        str((error.get("extensions") or {}).get("code"))
        for error in body.get("errors") or ()
    ]


# What a client holding an idempotency key may send again: an answer lost, an
# outcome unknown, a transient fault, a subgraph not reached.
RETRYABLE = frozenset(
    {
        "OUTCOME_UNKNOWN",
        "SERVICE_UNAVAILABLE",
        "SUBGRAPH_UNAVAILABLE",
        "SUBGRAPH_TIMEOUT",
    }
)


def retryable(body: dict[str, Any]) -> bool:
    """The client, which sent a key, may send the same request again."""
    if "transport" in body:
        return True
    # The gateway adds NON_NULLABLE_FIELD_IS_NULL where the field was non-null.
    return any(code in RETRYABLE for code in codes(body))
