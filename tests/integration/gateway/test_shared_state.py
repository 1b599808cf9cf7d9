"""Two gateway instances on one Redis share APQ documents and rate limits; with
Redis gone or hung, both fail open (a miss, no limit), never a 500 or a hang; more
requests at once than the Redis pool has connections still meet their limit."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from gateway._redis import POOL_TIMEOUT, SOCKET_TIMEOUT
from gateway.config import load_config
from gateway.server import create_app
from gateway.transport import MockTransport

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.applications import Starlette

    from gateway.transport import SubgraphRequest
    from gateway.types import JSONObject
    from tests.conftest import PrivateRedis

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "composition"
SINGLE = (FIXTURES / "single_subgraph" / "supergraph.graphql").read_text()
ME = "query Me { me { id } }"
NOBODYS_HASH = "ab" * 32  # registered by no one


def answer(request: SubgraphRequest) -> JSONObject:
    return {"data": {"me": {"id": "1"}}}


@contextlib.asynccontextmanager
async def instances(
    values: dict[str, Any], count: int = 2
) -> AsyncIterator[tuple[list[httpx.AsyncClient], MockTransport]]:
    accounts = MockTransport(answer)
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for _ in range(count):
            app: Starlette = create_app(
                SINGLE,
                transports={"accounts": accounts},
                config=load_config(environ={}, values=values),
            )
            await stack.enter_async_context(app.router.lifespan_context(app))
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(
                        transport=httpx.ASGITransport(app=app), base_url="http://gw"
                    )
                )
            )
        yield clients, accounts


def shared(redis_url: str, **values: Any) -> dict[str, Any]:
    return {
        "redis_url": redis_url,
        "redis_prefix": f"agora-test:{uuid.uuid4().hex[:12]}:",
        **values,
    }


async def test_a_document_registered_on_one_instance_is_found_on_the_other(
    redis_url: str,
) -> None:
    digest = hashlib.sha256(ME.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    async with instances(shared(redis_url)) as ((a, b), accounts):
        register = await a.post(
            "/graphql", json={"query": ME, "extensions": extensions}
        )
        assert register.json() == {"data": {"me": {"id": "1"}}}
        hit = await b.post("/graphql", json={"extensions": extensions})
        assert hit.json() == {"data": {"me": {"id": "1"}}}
    assert len(accounts.requests) == 2


# 400 at once: more than the Redis pool's 100 connections. redis-py's default pool
# refused the 101st command in flight (MaxConnectionsError), and a limiter that took
# that for "Redis is down" and failed open let 310 of the 400 past a limit of 10.
@pytest.mark.parametrize(("count", "sent"), [(2, 40), (1, 400)])
async def test_the_limit_holds_across_instances_under_concurrency(
    redis_url: str, count: int, sent: int
) -> None:
    # No sharing of identical requests here: each accepted one reaches accounts.
    values = shared(
        redis_url,
        rate_limits={"per_caller": {"limit": 10, "period": 60}},
        dedup={"inbound": False, "upstream": False},
    )
    async with instances(values, count=count) as (clients, accounts):
        answers = await asyncio.gather(
            *(
                clients[i % count].post("/graphql", json={"query": ME})
                for i in range(sent)
            )
        )
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == 10
    assert statuses.count(429) == sent - 10
    assert len(accounts.requests) == 10


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_with_redis_gone_the_gateway_fails_open() -> None:
    values = {
        "redis_url": f"redis://127.0.0.1:{_closed_port()}/0",
        "rate_limits": {"per_caller": {"limit": 1, "period": 60}},
    }
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": NOBODYS_HASH}}
    async with instances(values, count=1) as ((client,), accounts):
        served = [await client.post("/graphql", json={"query": ME}) for _ in range(3)]
        miss = await client.post("/graphql", json={"extensions": extensions})
    assert [answer.status_code for answer in served] == [200, 200, 200]
    assert miss.json()["errors"][0]["extensions"]["code"] == (
        "PERSISTED_QUERY_NOT_FOUND"
    )
    assert len(accounts.requests) == 3


async def test_with_redis_hung_requests_fail_open_within_the_socket_timeout(
    private_redis: PrivateRedis,
) -> None:
    values = shared(
        private_redis.url,
        rate_limits={"per_caller": {"limit": 1, "period": 60}},
        dedup={"inbound": False, "upstream": False},
    )
    async with instances(values, count=1) as ((client,), accounts):
        first = await client.post("/graphql", json={"query": ME})
        private_redis.hang()
        started = time.monotonic()
        async with asyncio.timeout(10 * SOCKET_TIMEOUT + POOL_TIMEOUT):
            hung = await asyncio.gather(
                *(client.post("/graphql", json={"query": ME}) for _ in range(3))
            )
        waited = time.monotonic() - started
        private_redis.resume()
        # Back: the limit (spent by the first request) holds again.
        after = await client.post("/graphql", json={"query": ME})
    assert first.status_code == 200
    assert [answer.status_code for answer in hung] == [200, 200, 200]
    assert waited < 2 * SOCKET_TIMEOUT + POOL_TIMEOUT
    assert after.status_code == 429
    assert len(accounts.requests) == 4
