"""Slow and numerous clients against `run_server` in its own process, over real
sockets: slowloris headers and bodies are cut at their deadlines while other clients
are served, the connection cap refuses and recovers, and long-lived SSE streams and
websockets outlive every timeout."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
ATTACKERS = 400
# How late past its deadline the server may close a socket on a loaded machine.
SLACK = 2.0
# How early a timer may fire by the loop's clock resolution.
EARLY = 0.05
FAST = {"header_timeout": 1.0, "body_timeout": 1.0, "keepalive_timeout": 0.5}
CAPPED = {"max_connections": 50, "header_timeout": 10, "keepalive_timeout": 10}

# A small app with a body-reading endpoint, an SSE stream and a websocket, served by
# run_server with the limits given as JSON in argv[2].
SERVER = """
import asyncio, json, sys
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from gateway.server.connections import ServerLimits, run_server

async def echo(request):
    try:
        return Response(await request.body())
    except ClientDisconnect:
        return Response(status_code=400)

async def sse(request):
    count = int(request.query_params["events"])
    every = float(request.query_params["every"])
    async def events():
        for n in range(count):
            if n:
                await asyncio.sleep(every)
            yield f"data: {n}\\n\\n"
    return StreamingResponse(events(), media_type="text/event-stream")

async def ws(websocket):
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(text)

app = Starlette(routes=[
    Route("/echo", echo, methods=["GET", "POST"]),
    Route("/sse", sse),
    WebSocketRoute("/ws", ws),
])
limits = ServerLimits(**json.loads(sys.argv[2]))
run_server(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
           limits=limits)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _server(limits: dict[str, float], log: Path) -> Iterator[int]:
    port = _free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port), json.dumps(limits)],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited early:\n{log.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{port}/echo").status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail("the server did not answer within 20 s")
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def fast_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with _server(FAST, tmp_path_factory.mktemp("fast") / "server.log") as port:
        yield port


@pytest.fixture(scope="module")
def capped_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with _server(CAPPED, tmp_path_factory.mktemp("capped") / "server.log") as port:
        yield port


async def _read_to_end(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    with contextlib.suppress(ConnectionResetError):
        while chunk := await reader.read(65536):
            chunks.append(chunk)
    return b"".join(chunks)


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:] if line)
    await reader.readexactly(int(headers.get("content-length", "0")))
    return int(lines[0].split()[1])


async def _attack(
    port: int, sent: bytes, deadline: float
) -> tuple[list[bytes], list[float], int]:
    """Open ATTACKERS sockets that each send `sent` and stall; once all are open,
    make one ordinary request. Returns what each socket received before the server
    closed it, how long each lived, and the ordinary request's status."""
    opened = 0
    all_open = asyncio.Event()

    async def stall() -> tuple[bytes, float]:
        nonlocal opened
        # Before connecting: the server's clock cannot start any earlier.
        started = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(sent)
        opened += 1
        if opened == ATTACKERS:
            all_open.set()
        try:
            received = await _read_to_end(reader)
        finally:
            writer.close()
        return received, time.monotonic() - started

    async with asyncio.timeout(deadline):
        attackers = [asyncio.create_task(stall()) for _ in range(ATTACKERS)]
        await all_open.wait()
        async with httpx.AsyncClient() as client:
            response = await client.post(f"http://127.0.0.1:{port}/echo", content=b"ok")
        assert response.content == b"ok"
        assert not any(attacker.done() for attacker in attackers)
        results = await asyncio.gather(*attackers)
    return (
        [r for r, _ in results],
        [lived for _, lived in results],
        response.status_code,
    )


def _error_code(response: bytes) -> tuple[int, str]:
    head, _, body = response.partition(b"\r\n\r\n")
    [error] = orjson.loads(body)["errors"]
    return int(head.split()[1]), error["extensions"]["code"]


async def test_unfinished_headers_on_400_sockets_are_cut_while_others_are_served(
    fast_port: int,
) -> None:
    timeout = FAST["header_timeout"]
    received, lived, status = await _attack(
        fast_port, b"POST /echo HTTP/1.1\r\nHost: e2e\r\nContent-Ty", timeout + SLACK
    )
    assert status == 200
    assert {_error_code(r) for r in received} == {(408, "REQUEST_TIMEOUT")}
    assert timeout - EARLY <= min(lived) <= max(lived) < timeout + SLACK


async def test_unfinished_bodies_on_400_sockets_get_408_while_others_are_served(
    fast_port: int,
) -> None:
    timeout = FAST["body_timeout"]
    head = b"POST /echo HTTP/1.1\r\nHost: e2e\r\nContent-Length: 1000\r\n\r\n"
    received, lived, status = await _attack(
        fast_port, head + b"0123456789", timeout + SLACK
    )
    assert status == 200
    assert {_error_code(r) for r in received} == {(408, "REQUEST_TIMEOUT")}
    assert timeout - EARLY <= min(lived) <= max(lived) < timeout + SLACK


async def test_sse_and_websocket_outlive_every_timeout(fast_port: int) -> None:
    quiet = max(FAST.values()) + 0.5

    async def stream() -> list[str]:
        url = f"http://127.0.0.1:{fast_port}/sse?events=3&every={quiet}"
        async with (
            httpx.AsyncClient(timeout=quiet + SLACK) as client,
            client.stream("GET", url) as response,
        ):
            return [line async for line in response.aiter_lines() if line]

    async def websocket() -> list[str]:
        async with connect(f"ws://127.0.0.1:{fast_port}/ws") as ws:
            await ws.send("before")
            first = await ws.recv()
            # Idle on purpose: the socket must stay open past every timeout.
            await asyncio.sleep(quiet)
            await ws.send("after")
            return [str(first), str(await ws.recv())]

    async with asyncio.timeout(3 * quiet + SLACK):
        events, echoes = await asyncio.gather(stream(), websocket())
    assert events == ["data: 0", "data: 1", "data: 2"]
    assert echoes == ["before", "after"]


async def test_the_51st_connection_is_refused_until_held_ones_close(
    capped_port: int,
) -> None:
    request = b"GET /echo HTTP/1.1\r\nHost: e2e\r\n\r\n"
    cap = int(CAPPED["max_connections"])
    async with contextlib.AsyncExitStack() as held, asyncio.timeout(10):
        sockets = []
        for _ in range(cap // 2):
            reader, writer = await asyncio.open_connection("127.0.0.1", capped_port)
            held.callback(writer.close)
            writer.write(request)
            assert await _read_response(reader) == 200
            sockets.append((reader, writer))
        for _ in range(cap - cap // 2):
            ws = await held.enter_async_context(
                connect(f"ws://127.0.0.1:{capped_port}/ws")
            )
            await ws.send("held")
            assert await ws.recv() == "held"

        reader, writer = await asyncio.open_connection("127.0.0.1", capped_port)
        writer.write(request)
        refused = await _read_to_end(reader)
        writer.close()
        assert refused == b""
        # Connections already open are still served.
        held_reader, held_writer = sockets[0]
        held_writer.write(request)
        assert await _read_response(held_reader) == 200

    async with asyncio.timeout(10):
        # The server learns of the closes a moment after they happen.
        while True:
            reader, writer = await asyncio.open_connection("127.0.0.1", capped_port)
            writer.write(request)
            try:
                if await _read_response(reader) == 200:
                    break
            except (asyncio.IncompleteReadError, ConnectionResetError):
                await asyncio.sleep(0.05)
            finally:
                writer.close()
        # Every slot came back, not just one.
        async with contextlib.AsyncExitStack() as again:
            for _ in range(cap):
                reader, writer = await asyncio.open_connection("127.0.0.1", capped_port)
                again.callback(writer.close)
                writer.write(request)
                assert await _read_response(reader) == 200
