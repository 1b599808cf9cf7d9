"""Suite-wide settings: which real services the integration tests may use.

Integration tests (marked `integration`) use the machine's PostgreSQL and Redis on
127.0.0.1. On a laptop without them they are skipped with a reason in the summary; with
AGORA_REQUIRE_SERVICES=1 (set by .ci/run) a missing service fails the run instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
import uvicorn

from subgraphs.kit.settings import Settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

POSTGRES_URL = os.environ.get(
    "AGORA_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("AGORA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("AGORA_REQUIRE_SERVICES") == "1"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def services_available() -> tuple[bool, str]:
    missing = [
        name
        for name, port in (("PostgreSQL", 5432), ("Redis", 6379))
        if not _reachable("127.0.0.1", port)
    ]
    if missing:
        return False, " and ".join(missing) + " not reachable on 127.0.0.1"
    return True, ""


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not any(item.get_closest_marker("integration") for item in items):
        return
    ok, reason = services_available()
    if ok:
        return
    if REQUIRE_SERVICES:
        raise pytest.UsageError(
            f"AGORA_REQUIRE_SERVICES=1 but {reason}: integration tests cannot run"
        )
    skip = pytest.mark.skip(reason=f"integration: {reason}")
    for item in items:
        if item.get_closest_marker("integration"):
            item.add_marker(skip)


# Fixtures for subgraph tests (kit engineer): a fresh database per test on each
# backend, a Redis URL with a private prefix, and ways to run an app in process or
# under a real uvicorn.


_PG = urlsplit(POSTGRES_URL)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.integration),
    ]
)
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """A fresh, empty database URL on each backend (PostgreSQL: its own database)."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'agora.sqlite3'}"
        return
    name = f"agora_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _PG._replace(path=f"/{name}").geturl()
    finally:
        admin = await asyncpg.connect(POSTGRES_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
def redis_url() -> str:
    """The test Redis (db 15); use it with `redis_prefix`, never flush it."""
    return REDIS_URL


@dataclass(frozen=True)
class PrivateRedis:
    """A redis-server of one test's own, which the test may stop (SIGSTOP: it
    accepts connections and never answers) and let go on."""

    url: str
    pid: int

    def hang(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)


@pytest.fixture
async def private_redis() -> AsyncIterator[PrivateRedis]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = await asyncio.create_subprocess_exec(
        "redis-server",
        *("--port", str(port), "--bind", "127.0.0.1"),
        *("--save", "", "--appendonly", "no"),
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(10):
            while True:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    await asyncio.sleep(0.05)
                    continue
                writer.close()
                break
        yield PrivateRedis(f"redis://127.0.0.1:{port}/0", process.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGCONT)
            process.kill()
        await process.wait()


@pytest.fixture
def redis_prefix() -> str:
    """A channel/key prefix no other test uses."""
    return f"agora-test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Embedded-style settings on this test's fresh database, in-memory pub/sub."""
    return Settings(database_url=database_url, data_dir=tmp_path)


@pytest.fixture
def asgi_client() -> Callable[..., contextlib.AbstractAsyncContextManager[Any]]:
    """`async with asgi_client(app) as client:` runs the app's lifespan around an
    httpx.AsyncClient that calls it in process (base URL http://subgraph)."""

    @contextlib.asynccontextmanager
    async def open_client(
        app: Any, *, lifespan: Any = None
    ) -> AsyncIterator[httpx.AsyncClient]:
        span = lifespan(app) if lifespan else app.router.lifespan_context(app)
        async with span:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://subgraph"
            ) as client:
                yield client

    return open_client


@pytest.fixture
def uvicorn_server() -> Callable[..., contextlib.AbstractAsyncContextManager[str]]:
    """`async with uvicorn_server(app) as base_url:` serves the app on a free port
    (for websocket tests); base_url is like http://127.0.0.1:PORT."""

    @contextlib.asynccontextmanager
    async def serve(app: Any) -> AsyncIterator[str]:
        # Naming the protocol lets asyncio set TCP_NODELAY (a reused keep-alive
        # request otherwise waits ~40 ms for delayed ACKs).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
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

    return serve
