"""`python -m gateway serve` serves a reference supergraph: /health turns 200 and a
query whose subgraphs cannot be reached still answers with GraphQL errors."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import tempfile

import httpx

from tests.conformance.harness import FIXTURES


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_until_healthy(client: httpx.AsyncClient, url: str) -> httpx.Response:
    for _ in range(200):
        try:
            return await client.get(url)
        except httpx.TransportError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never answered")


async def test_serve_answers_health_and_graphql() -> None:
    port = _free_port()
    supergraph = FIXTURES / "single_subgraph" / "supergraph.graphql"
    # The subgraph URL points at a closed local port: unreachable, quickly.
    closed = _free_port()
    sdl = supergraph.read_text().replace(
        "http://accounts.example/graphql", f"http://127.0.0.1:{closed}/graphql"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".graphql") as file:
        file.write(sdl)
        file.flush()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gateway",
                "serve",
                "--supergraph",
                file.name,
                "--port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                health = await _wait_until_healthy(
                    client, f"http://127.0.0.1:{port}/health"
                )
                response = await client.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={"query": "{ __typename me { id } }"},
                )
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert health.status_code == 200
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"__typename": "Query", "me": None}
    assert [e["extensions"] for e in body["errors"]] == [
        {"code": "SUBGRAPH_UNAVAILABLE", "serviceName": "accounts"}
    ]
