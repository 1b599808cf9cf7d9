"""The real Apollo Client (npm @apollo/client, its Defer20220824Handler) runs a
query whose deferred fragment crosses subgraphs, over HTTP (multipart/mixed) and
over graphql-transport-ws: it shows the primary data first, while the deferred
fetch is still held, then the whole result."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from .service import Gate, gateway_app, served

NODE_DIR = Path(__file__).resolve().parent / "node"
QUERY = "query Me { me { id name ... @defer { reviews { body } } } }"


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("AGORA_REQUIRE_SERVICES") == "1":
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


async def _line(stream: asyncio.StreamReader) -> Any:
    line = await asyncio.wait_for(stream.readline(), 30)
    assert line, "Apollo Client ended without a result"
    text = line.decode().strip()
    return text if text == "done" else json.loads(text)


@pytest.mark.parametrize("transport", ["http", "ws"])
async def test_apollo_client_shows_the_primary_data_then_the_deferred(
    transport: str,
) -> None:
    node = node_or_skip()
    await ensure_node_modules()
    gate = Gate()
    async with served(gateway_app(gate)) as url:
        process = await asyncio.create_subprocess_exec(
            node,
            str(NODE_DIR / "defer.mjs"),
            f"{url}/graphql",
            transport,
            QUERY,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        try:
            first = await _line(process.stdout)
            # Shown while the deferred fetch to the reviews subgraph is held.
            assert gate.asked.is_set()
            assert first == {
                "data": {"me": {"__typename": "User", "id": "1", "name": "Ada"}},
                "dataState": "streaming",
            }
            gate.open()
            last = await _line(process.stdout)
            assert last == {
                "data": {
                    "me": {
                        "__typename": "User",
                        "id": "1",
                        "name": "Ada",
                        "reviews": [{"__typename": "Review", "body": "Lovely"}],
                    }
                },
                "dataState": "complete",
            }
            assert await _line(process.stdout) == "done"
            assert await asyncio.wait_for(process.wait(), 30) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
