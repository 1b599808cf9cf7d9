"""Apollo Client 3 (npm) through two gateway instances sharing Redis: APQ misses on
one instance, registers, and hits on the other; BatchHttpLink sends one array."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pytest

from gateway.config import load_config
from gateway.server import create_app
from gateway.transport import MockTransport

if TYPE_CHECKING:
    from collections.abc import Callable

    from gateway.transport import SubgraphRequest
    from gateway.types import JSONObject

pytestmark = pytest.mark.integration

NODE_DIR = Path(__file__).resolve().parent / "node"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "composition"
SINGLE = (FIXTURES / "single_subgraph" / "supergraph.graphql").read_text()
REQUIRE_SERVICES = os.environ.get("AGORA_REQUIRE_SERVICES") == "1"


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        if REQUIRE_SERVICES:
            pytest.fail("AGORA_REQUIRE_SERVICES=1 but node is not installed")
        pytest.skip("node is not installed: Apollo Client cannot run")
    return node


async def ensure_node_modules() -> None:
    if (NODE_DIR / "node_modules" / "@apollo" / "client").exists():
        return
    npm = shutil.which("npm")
    assert npm is not None, "node without npm: cannot install Apollo Client"
    process = await asyncio.create_subprocess_exec(
        npm, "ci", "--no-audit", "--no-fund", cwd=NODE_DIR
    )
    assert await process.wait() == 0, "npm ci failed"


def answer(request: SubgraphRequest) -> JSONObject:
    if "user" in request.query:
        return {"data": {"user": {"id": request.variables.get("id", "1")}}}
    return {"data": {"me": {"id": "1", "name": "Ada"}}}


async def test_apollo_client_apq_is_shared_by_two_instances_and_batches_work(
    uvicorn_server: Callable[..., contextlib.AbstractAsyncContextManager[str]],
    redis_url: str,
) -> None:
    node = node_or_skip()
    await ensure_node_modules()
    accounts = MockTransport(answer)
    # Both instances on one Redis, under a prefix no other test uses.
    values: dict[str, Any] = {
        "redis_url": redis_url,
        "redis_prefix": f"agora-test:{uuid.uuid4().hex[:12]}:",
    }
    async with contextlib.AsyncExitStack() as stack:
        urls = []
        for _ in range(2):
            app = create_app(
                SINGLE,
                transports={"accounts": accounts},
                config=load_config(environ={}, values=values),
            )
            urls.append(
                await stack.enter_async_context(uvicorn_server(app)) + "/graphql"
            )
        process = await asyncio.create_subprocess_exec(
            node,
            str(NODE_DIR / "apq_and_batch.mjs"),
            *urls,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(60):
            out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    result = orjson.loads(out)
    # Apollo Client adds __typename to every selection set.
    me = {"me": {"id": "1", "name": "Ada", "__typename": "User"}}
    assert result["first"] == me
    assert result["second"] == me
    assert result["batch"] == [
        {"me": {"id": "1", "__typename": "User"}},
        {"me": {"name": "Ada", "__typename": "User"}},
        {"user": {"id": "1", "__typename": "User"}},
    ]
    by_instance: dict[str, list[JSONObject]] = {}
    for exchange in result["exchanges"]:
        by_instance.setdefault(exchange["instance"], []).append(exchange)
    miss, register = by_instance["a"]
    # Instance A: the hash alone misses; the retry with the document registers it.
    assert "query" not in miss["body"]
    assert miss["response"]["errors"][0]["extensions"]["code"] == (
        "PERSISTED_QUERY_NOT_FOUND"
    )
    assert "query" in register["body"]
    assert register["response"] == {"data": me}
    # Instance B: one GET with the hash alone, found in Redis.
    (hit,) = by_instance["b"]
    assert hit["method"] == "GET"
    assert "query=" not in hit["url"]
    assert hit["response"] == {"data": me}
    # BatchHttpLink: one POST of an array of three operations.
    (batch,) = by_instance["batch"]
    assert isinstance(batch["body"], list)
    assert len(batch["body"]) == 3
