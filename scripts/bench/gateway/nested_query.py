"""Benchmark: requests/second of a nested operation across three subgraphs.

    .venv/bin/python scripts/bench/gateway/nested_query.py [--seconds 10]
        [--concurrency 32] [--http | --in-memory]

Starts the static subgraphs (subgraphs.py) in their own process, builds the gateway
app (HTTP transports, pooled clients) in this process, and drives its ASGI app
directly with `concurrency` concurrent clients, so the figure is the gateway's own
cost per request: plan cache lookup, three subgraph round trips over loopback,
entity batching, merge and projection. `--http` instead serves the gateway with
uvicorn and loads it over HTTP from this process (client cost included);
`--in-memory` replaces the subgraphs with in-process answers (no I/O at all), which
isolates the executor's CPU cost.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))
sys.path.insert(0, str(HERE))

from gateway.config import load_config  # noqa: E402
from gateway.server import create_app  # noqa: E402 - after the path is set
from gateway.transport import Http11Transport, SubgraphRequest  # noqa: E402

QUERY = "{ topProducts { name price reviews { body author { name } } } }"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_for(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                await client.post(url, content=b"{}")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not start")


async def _call(app: Any, body: bytes) -> bytes:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent = False
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return b"".join(chunks)


async def _load(request: Any, seconds: float, concurrency: int) -> int:
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await request()
            done += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done


class _StaticTransport:
    """Answers like subgraphs.py without any I/O: isolates the gateway's CPU cost."""

    def __init__(self, path: str) -> None:
        self.path = path

    async def fetch(self, request: Any) -> Any:
        from gateway.transport import SubgraphResponse
        from subgraphs import answer

        return SubgraphResponse(answer(self.path, request.variables))


async def _in_memory(seconds: float, concurrency: int) -> None:
    sdl = (HERE / "supergraph.graphql").read_text()
    transports = {
        name: _StaticTransport(f"/{name}")
        for name in ("accounts", "products", "reviews")
    }
    app = create_app(sdl, transports=transports, config=load_config(environ={}))
    body = orjson.dumps({"query": QUERY})
    first = orjson.loads(await _call(app, body))
    assert "errors" not in first, first

    async def request() -> None:
        await _call(app, body)

    await _load(request, 1.0, concurrency)
    started = time.perf_counter()
    count = await _load(request, seconds, concurrency)
    elapsed = time.perf_counter() - started
    print(f"mode: gateway ASGI app with in-memory subgraphs, concurrency {concurrency}")
    print(f"{count} requests in {elapsed:.1f}s: {count / elapsed:.0f} requests/second")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--in-memory", action="store_true")
    parser.add_argument(
        "--httpx", action="store_true", help="reach subgraphs with the httpx client"
    )
    options = parser.parse_args()
    if options.in_memory:
        asyncio.run(_in_memory(options.seconds, options.concurrency))
        return
    port = _free_port()
    subgraphs = subprocess.Popen(
        [sys.executable, str(HERE / "subgraphs.py"), str(port)]
    )
    try:
        asyncio.run(_bench(port, options))
    finally:
        subgraphs.terminate()
        subgraphs.wait()


async def _bench(port: int, options: argparse.Namespace) -> None:
    await _wait_for(f"http://127.0.0.1:{port}/products")
    sdl = (HERE / "supergraph.graphql").read_text().replace("4101", str(port))
    client_name = "httpx" if options.httpx else "http11"
    app = create_app(
        sdl,
        config=load_config(
            environ={},
            values={"subgraph_timeout": 10.0, "http_client": client_name},
        ),
    )
    body = orjson.dumps({"query": QUERY})
    first = orjson.loads(await _call(app, body))
    assert "errors" not in first, first
    authors = sum(len(p["reviews"]) for p in first["data"]["topProducts"])
    print(f"operation: {QUERY}; subgraph client: {client_name}")
    print(f"response: 10 products, {authors} reviews with authors")

    if options.http:
        import uvicorn

        gateway_port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                app, port=gateway_port, log_level="warning", access_log=False
            )
        )
        serving = asyncio.create_task(server.serve())
        await _wait_for(f"http://127.0.0.1:{gateway_port}/health")
        # The load client is the gateway's own HTTP/1.1 client: cheap per request.
        client = Http11Transport(
            "gateway",
            f"http://127.0.0.1:{gateway_port}/graphql",
            max_connections=options.concurrency,
        )
        graphql_request = SubgraphRequest("gateway", QUERY)

        async def request() -> None:
            await client.fetch(graphql_request)

    else:

        async def request() -> None:
            await _call(app, body)

    await _load(request, 1.0, options.concurrency)  # warm-up
    started = time.perf_counter()
    count = await _load(request, options.seconds, options.concurrency)
    elapsed = time.perf_counter() - started
    mode = (
        "gateway over HTTP (uvicorn)"
        if options.http
        else "gateway ASGI app driven in-process"
    )
    print(f"mode: {mode}, concurrency {options.concurrency}")
    print(f"{count} requests in {elapsed:.1f}s: {count / elapsed:.0f} requests/second")
    if options.http:
        await client.aclose()
        server.should_exit = True
        await serving


if __name__ == "__main__":
    main()
