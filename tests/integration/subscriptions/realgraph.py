"""The graph as operators run it, in real processes, for fault tests and the bench.

`real_graph()` starts a Redis of its own (on a free port: the test may kill it; the
machine's Redis on 6379 is never touched), a fresh PostgreSQL database for accounts
and one for chat, `python -m subgraphs.accounts`, `python -m subgraphs.chat` and
`python -m gateway serve` over the checked-in supergraph with those ports. Each
process can be stopped, paused (SIGSTOP), killed and started again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import jwt
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from subgraphs.kit.context import gateway_identity_headers
from subgraphs.kit.settings import DEV_GATEWAY_SECRET, DEV_JWT_SECRET

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

ROOT = Path(__file__).resolve().parents[3]
POSTGRES_URL = os.environ.get(
    "AGORA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
JWT_SECRET = DEV_JWT_SECRET
GATEWAY_SECRET = DEV_GATEWAY_SECRET

_DEMO = "7d3c0a2e-0000-4000-8000-00000000"
DEMO_CHAMBER = f"{_DEMO}0001"
DEMO_USER = f"{_DEMO}0101"
AGENT = f"{_DEMO}0103"
DEMO_CONVERSATION = f"{_DEMO}0601"

SEND_MESSAGE = (
    "mutation($input: SendMessageInput!) { sendMessage(input: $input) { seq } }"
)
MESSAGE_EVENTS = (
    "subscription($id: ID!) { messageEvents(conversationId: $id) "
    "{ kind message { seq text sender { id displayName } } } }"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mint(user: str, *, roles: Sequence[str] = ("member",), ttl: float = 3600) -> str:
    """An access token as accounts issues one (the development secret)."""
    now = int(time.time())
    claims = {
        "sub": user,
        "tenant": DEMO_CHAMBER,
        "roles": list(roles),
        "scopes": [],
        "type": "access",
        "iat": now,
        "exp": int(now + ttl),
        "iss": "agora",
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


# The demo support agent and the demo user (a member), for tests of the graph.
AGENT_TOKEN = mint(AGENT, roles=("support_agent",))
USER_TOKEN = mint(DEMO_USER)


@dataclass
class Process:
    """One child process; `start()` again after `kill()` or `stop()`."""

    name: str
    argv: list[str]
    env: dict[str, str]
    ready: str | None = None  # a URL that answers 200 once it serves
    log: Path | None = None
    process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        output = open(self.log, "ab") if self.log else asyncio.subprocess.DEVNULL
        self.process = await asyncio.create_subprocess_exec(
            *self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
        if self.ready is not None:
            await wait_ready(self.ready, self)

    @property
    def pid(self) -> int:
        assert self.process is not None, "started"
        return self.process.pid

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    async def wait(self, timeout: float = 20.0) -> int:
        assert self.process is not None, "started"
        async with asyncio.timeout(timeout):
            return await self.process.wait()

    async def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within `timeout`."""
        if self.process is None or self.process.returncode is not None:
            return
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        try:
            await self.wait(timeout)
        except TimeoutError:
            self.signal(signal.SIGKILL)
            await self.wait()

    async def kill(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.signal(signal.SIGKILL)
        await self.wait()


def gateway_process(
    supergraph: Path,
    port: int,
    env: dict[str, str],
    log: Path | None,
    *,
    config: Path | None = None,
    workers: int | None = None,
) -> Process:
    """`python -m gateway serve` over `supergraph` on `port` (not started)."""
    argv = [sys.executable, "-m", "gateway", "serve"]
    if config is not None:
        argv += ["--config", str(config)]
    argv += ["--supergraph", str(supergraph), "--port", str(port)]
    if workers is not None:
        argv += ["--workers", str(workers)]
    argv += ["--log-level", "warning"]
    return Process("gateway", argv, env, f"http://127.0.0.1:{port}/health", log)


async def wait_ready(url: str, process: Process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            assert process.process is not None
            if process.process.returncode is not None:
                raise RuntimeError(f"{process.name} exited ({process.log})")
            with contextlib.suppress(httpx.HTTPError, OSError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{process.name} did not come up at {url}")


async def create_database() -> str:
    name = f"agora_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return urlsplit(POSTGRES_URL)._replace(path=f"/{name}").geturl()


async def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@dataclass
class RealGraph:
    redis: Process
    redis_url: str
    accounts: Process
    chat: Process
    gateway: Process
    gateway_url: str
    chat_url: str
    chat_database: str
    logs: Path
    accounts_database: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def websocket_url(self) -> str:
        return self.gateway_url.replace("http", "ws", 1) + "/graphql"

    async def redis_command(self, *args: str) -> str:
        """Run redis-cli against the graph's own Redis."""
        port = urlsplit(self.redis_url).port
        process = await asyncio.create_subprocess_exec(
            "redis-cli",
            "-p",
            str(port),
            *args,
            stdout=asyncio.subprocess.PIPE,
            # "Could not connect" while the graph's Redis starts: not the caller's.
            stderr=asyncio.subprocess.PIPE,
        )
        out, _ = await process.communicate()
        return out.decode().strip()


@contextlib.asynccontextmanager
async def real_graph(
    logs: Path,
    *,
    gateway_env: dict[str, str] | None = None,
    chat_env: dict[str, str] | None = None,
    workers: int = 1,
) -> AsyncIterator[RealGraph]:
    """Start everything (see the module docstring); stop it all on exit."""
    logs.mkdir(parents=True, exist_ok=True)
    redis_port, accounts_port, chat_port, gateway_port = (
        free_port(),
        free_port(),
        free_port(),
        free_port(),
    )
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    redis = Process(
        "redis",
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        dict(os.environ),
        log=logs / "redis.log",
    )
    databases = [await create_database(), await create_database()]
    base = {
        **os.environ,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": "agora:",
        "AGORA_GATEWAY_SECRET": GATEWAY_SECRET,
        "JWT_SECRET": JWT_SECRET,
        "LOG_LEVEL": "warning",
        "CHAT_MESSAGES_PER_MINUTE": "1000000",
    }
    accounts = Process(
        "accounts",
        [sys.executable, "-m", "subgraphs.accounts", "--port", str(accounts_port)],
        {**base, "DATABASE_URL": databases[0]},
        ready=f"http://127.0.0.1:{accounts_port}/health",
        log=logs / "accounts.log",
    )
    chat = Process(
        "chat",
        [sys.executable, "-m", "subgraphs.chat", "--port", str(chat_port)],
        {**base, "DATABASE_URL": databases[1], **(chat_env or {})},
        ready=f"http://127.0.0.1:{chat_port}/health",
        log=logs / "chat.log",
    )
    supergraph = (ROOT / "schema" / "supergraph.graphql").read_text()
    supergraph = supergraph.replace(
        "127.0.0.1:4001", f"127.0.0.1:{accounts_port}"
    ).replace("127.0.0.1:4003", f"127.0.0.1:{chat_port}")
    supergraph_path = logs / "supergraph.graphql"
    supergraph_path.write_text(supergraph)
    gateway = gateway_process(
        supergraph_path,
        gateway_port,
        {
            **base,
            "AGORA_GATEWAY_SUBSCRIPTION_KEEPALIVE": "0",
            **(gateway_env or {}),
        },
        logs / "gateway.log",
        config=ROOT / "gateway.yaml",
        workers=workers,
    )
    graph = RealGraph(
        redis,
        redis_url,
        accounts,
        chat,
        gateway,
        f"http://127.0.0.1:{gateway_port}",
        f"http://127.0.0.1:{chat_port}",
        databases[1],
        logs,
        databases[0],
    )
    try:
        await redis.start()
        await wait_redis(graph)
        await asyncio.gather(accounts.start(), chat.start())
        await gateway.start()
        yield graph
    finally:
        for process in (gateway, chat, accounts, redis):
            with contextlib.suppress(Exception):
                await process.stop(timeout=10)
        for database in databases:
            with contextlib.suppress(Exception):
                await drop_database(database)


async def wait_redis(graph: RealGraph, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await graph.redis_command("ping") == "PONG":
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("redis did not come up")


class Subscriber:
    """A graphql-transport-ws client of the gateway counting what it receives."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.seqs: list[int] = []
        self.errors: list[dict[str, Any]] = []
        self.completed = False
        self.messages: list[dict[str, Any]] = []
        self.changed = asyncio.Event()
        self.reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, url: str, token: str) -> Subscriber:
        socket = await connect(
            url,
            subprotocols=[Subprotocol("graphql-transport-ws")],
            max_queue=None,
        )
        await socket.send(
            orjson.dumps(
                {
                    "type": "connection_init",
                    "payload": {"Authorization": f"Bearer {token}"},
                }
            ).decode()
        )
        ack = orjson.loads(await asyncio.wait_for(socket.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        return cls(socket)

    async def subscribe(self, query: str, variables: dict[str, Any]) -> None:
        await self.socket.send(
            orjson.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables},
                }
            ).decode()
        )
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for text in self.socket:
                message = orjson.loads(text)
                self.messages.append(message)
                if message.get("type") == "next":
                    payload = message["payload"]
                    if payload.get("errors"):
                        self.errors.extend(payload["errors"])
                    data = payload.get("data") or {}
                    event = data.get("messageEvents")
                    if event and event["kind"] == "ADDED":
                        self.seqs.append(event["message"]["seq"])
                elif message.get("type") == "complete":
                    self.completed = True
                elif message.get("type") == "error":
                    self.errors.extend(message.get("payload") or [])
                self.changed.set()
        self.changed.set()

    async def wait_for(self, predicate: Any, timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.socket.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(BaseException):
                await self.reader


def agent_headers() -> dict[str, str]:
    """The demo support agent's identity headers as the gateway signs them (now)."""
    return gateway_identity_headers(
        GATEWAY_SECRET, user_id=AGENT, tenant_id=DEMO_CHAMBER, roles=["support_agent"]
    )


async def make_conversations(graph: RealGraph, count: int) -> list[str]:
    """`count` direct conversations of the demo user and the agent, both
    participants, made in SQL (the benches' many conversations)."""
    ids = [str(uuid.uuid4()) for _ in range(count)]
    connection = await asyncpg.connect(graph.chat_database)
    try:
        await connection.executemany(
            "INSERT INTO chat.chat_conversation (id, tenant_id, kind, last_seq, "
            "created_at) VALUES ($1, $2, 'direct', 0, now())",
            [(uuid.UUID(i), DEMO_CHAMBER) for i in ids],
        )
        await connection.executemany(
            "INSERT INTO chat.chat_participant (conversation_id, user_id, accepted, "
            "read_seq, delivered_seq, joined_at) VALUES ($1, $2, true, 0, 0, now())",
            [(uuid.UUID(i), user) for i in ids for user in (DEMO_USER, AGENT)],
        )
    finally:
        await connection.close()
    return ids


async def send_message(
    client: httpx.AsyncClient, url: str, token: str, conversation: str, text: str
) -> dict[str, Any]:
    """sendMessage through the gateway; the JSON answer."""
    response = await client.post(
        url + "/graphql",
        headers={"authorization": f"Bearer {token}"},
        json={
            "query": SEND_MESSAGE,
            "variables": {
                "input": {
                    "conversationId": conversation,
                    "text": text,
                    "clientId": text if len(text) <= 64 else uuid.uuid4().hex,
                }
            },
        },
    )
    body: dict[str, Any] = response.json()
    return body
