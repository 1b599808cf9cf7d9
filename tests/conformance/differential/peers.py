"""The reference gateways (@apollo/gateway, @graphql-hive/gateway) in one Node
process (peers.cjs), and the synthetic subgraphs served over HTTP for them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

    from .operations import Operation

__all__ = ["PEER_MODULES", "PeerGateways", "node_ready", "serve_apps"]

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[2]
# The peers come from the bench's checked-in lock file (scripts/bench/peers).
PEER_MODULES = REPOSITORY / "scripts" / "bench" / "peers" / "node_modules"
_PEERS_LOCK = PEER_MODULES.parent / "package-lock.json"
_START_SECONDS = 60.0
_QUERY_SECONDS = 15.0


def node_ready() -> str | None:
    """Why the peers cannot run here, or None when they can (installing them with
    `npm ci` from the bench's lock file when they are missing)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node and npm are needed for the reference gateways"
    if not (PEER_MODULES / "@apollo" / "gateway").is_dir():
        completed = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=_PEERS_LOCK.parent,
            capture_output=True,
            timeout=900,
            check=False,
        )
        if completed.returncode != 0:
            return (
                "npm ci failed in scripts/bench/peers: "
                + completed.stderr.decode(errors="replace")[-400:]
            )
    return None


class PeerGateways:
    """The Node process serving the reference gateways; ended with its group."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.client = httpx.AsyncClient(timeout=_QUERY_SECONDS)
        self._output: asyncio.Task[bytes] | None = None

    async def start(self) -> None:
        environment = {**os.environ, "NODE_PATH": str(PEER_MODULES)}
        environment["NODE_ENV"] = "production"
        self.process = subprocess.Popen(
            ["node", str(HERE / "peers.cjs"), "127.0.0.1", "0"],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        stdout = self.process.stdout
        assert stdout is not None
        line = await asyncio.wait_for(
            asyncio.to_thread(stdout.readline), _START_SECONDS
        )
        if not line.startswith(b"ready "):
            rest = await asyncio.to_thread(stdout.read)
            raise RuntimeError(f"peers.cjs did not start: {(line + rest).decode()}")
        self.client.base_url = httpx.URL(f"http://127.0.0.1:{int(line.split()[1])}")
        # Whatever Node prints later is read off the pipe, so it never fills.
        self._output = asyncio.create_task(asyncio.to_thread(stdout.read))

    async def register(self, name: str, supergraph_sdl: str) -> None:
        response = await self.client.put(f"/supergraphs/{name}", content=supergraph_sdl)
        response.raise_for_status()

    async def query(self, peer: str, name: str, operation: Operation) -> Any:
        """The peer's response, or `{"error": ...}` when it gave none in time."""
        try:
            response = await self.client.post(
                f"/{peer}/{name}",
                json={"query": operation.query, "variables": operation.variables},
            )
        except httpx.TimeoutException:
            return {"error": f"no answer within {_QUERY_SECONDS} s"}
        return response.json()

    async def stop(self) -> None:
        await self.client.aclose()
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            await asyncio.to_thread(self.process.wait, 5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            await asyncio.to_thread(self.process.wait, 5)
        if self._output is not None:
            await self._output
        if self.process.stdout is not None:
            self.process.stdout.close()


@contextlib.asynccontextmanager
async def serve_apps(
    apps: Mapping[str, Callable[..., Awaitable[None]]],
) -> AsyncIterator[int]:
    """Serve each ASGI app at `/<name>` (names may hold `/`) on 127.0.0.1; yields
    the port. The socket listens before the server runs: nobody waits for it."""

    async def router(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        app = apps.get(scope["path"].strip("/"))
        if app is None:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await app(scope, receive, send)

    listening = socket.socket()
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind(("127.0.0.1", 0))
    listening.listen(128)
    config = uvicorn.Config(router, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        yield listening.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        listening.close()
