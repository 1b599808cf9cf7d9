"""The real `graphql-ws` npm client subscribes through the gateway and gets the
federated event (fields from a second subgraph), then completes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pytest

from gateway.compose import SubgraphDefinition, compose
from gateway.config import load_config
from gateway.server import create_app
from tests.integration.subscriptions.graph import (
    SUBSCRIPTION,
    Bus,
    people_app,
    rooms_app,
    starlette_app,
    subgraph_sdl,
)

if TYPE_CHECKING:
    from collections.abc import Callable

NODE_DIR = Path(__file__).resolve().parent / "node"
REQUIRE_SERVICES = os.environ.get("AGORA_REQUIRE_SERVICES") == "1"


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        if REQUIRE_SERVICES:
            pytest.fail("AGORA_REQUIRE_SERVICES=1 but node is not installed")
        pytest.skip("node is not installed: the graphql-ws client cannot run")
    return node


async def ensure_node_modules() -> None:
    if (NODE_DIR / "node_modules" / "graphql-ws").exists():
        return
    npm = shutil.which("npm")
    assert npm is not None, "node without npm: cannot install graphql-ws"
    process = await asyncio.create_subprocess_exec(
        npm, "install", "--no-audit", "--no-fund", cwd=NODE_DIR
    )
    assert await process.wait() == 0, "npm install failed"


async def test_graphql_ws_client_receives_a_federated_event_then_completes(
    uvicorn_server: Callable[..., contextlib.AbstractAsyncContextManager[str]],
) -> None:
    node = node_or_skip()
    await ensure_node_modules()
    bus = Bus()
    apps = {"rooms": rooms_app(bus), "people": people_app(bus)}
    async with contextlib.AsyncExitStack() as stack:
        definitions = []
        for name, app in apps.items():
            base = await stack.enter_async_context(uvicorn_server(starlette_app(app)))
            definitions.append(
                SubgraphDefinition(name, base + "/graphql", await subgraph_sdl(app))
            )
        supergraph = compose(definitions).supergraph_sdl
        assert supergraph is not None
        gateway = create_app(
            supergraph,
            config=load_config(environ={}, values={"subscription": {"keepalive": 0}}),
        )
        base = await stack.enter_async_context(uvicorn_server(gateway))
        process = await asyncio.create_subprocess_exec(
            node,
            str(NODE_DIR / "subscribe.mjs"),
            base.replace("http://", "ws://") + "/graphql",
            SUBSCRIPTION,
            '{"room": "general"}',
            "1",
            cwd=NODE_DIR,
            stdout=asyncio.subprocess.PIPE,
        )
        stack.push_async_callback(_reap, process)
        assert process.stdout is not None
        lines = process.stdout
        assert orjson.loads(await lines.readline()) == {"connected": True}
        await asyncio.wait_for(bus.wait_for("general", 1), 30)
        await bus.publish("general", {"id": "m1", "body": "hi", "author": "u1"})
        assert orjson.loads(await lines.readline()) == {
            "next": {
                "data": {
                    "messageAdded": {
                        "id": "m1",
                        "body": "hi",
                        "author": {"id": "u1", "name": "Ada"},
                    }
                }
            }
        }
        assert orjson.loads(await lines.readline()) == {"complete": "client"}
        assert await asyncio.wait_for(process.wait(), 30) == 0
        # The client's complete reached the subgraph: its subscription closed.
        await asyncio.wait_for(bus.wait_for("general", 0), 30)


async def _reap(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
        await process.wait()
