"""The server's socket limits: header and body deadlines, header size, keep-alive and
the connection cap, driven over real sockets against an in-process uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from typing import TYPE_CHECKING

import orjson
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError

from gateway.server.connections import ServerLimits, server_config

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.websockets import WebSocket

# Short enough for a quick suite, long enough that a loaded machine does not trip it.
FAST = ServerLimits(header_timeout=0.3, body_timeout=0.3, keepalive_timeout=0.3)
SLACK = 1.5
# How early a timer may fire by the loop's clock resolution.
EARLY = 0.05

POST_HEAD = (
    b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
    b"Content-Length: 1000\r\n\r\n"
)


class Recorder:
    """An app that echoes POST bodies (noting what reached it) and websocket
    messages."""

    def __init__(self) -> None:
        self.requests = 0
        self.disconnects = 0

    def app(self) -> Starlette:
        async def echo(request: Request) -> Response:
            self.requests += 1
            try:
                body = await request.body()
            except ClientDisconnect:
                self.disconnects += 1
                return Response(status_code=400)
            return Response(body)

        async def early(request: Request) -> Response:
            return Response(b"answered before the body")

        async def echo_websocket(websocket: WebSocket) -> None:
            await websocket.accept()
            async for text in websocket.iter_text():
                await websocket.send_text(text)

        return Starlette(
            routes=[
                Route("/echo", echo, methods=["GET", "POST"]),
                Route("/early", early, methods=["POST"]),
                WebSocketRoute("/ws", echo_websocket),
            ]
        )


@contextlib.asynccontextmanager
async def serving(limits: ServerLimits, recorder: Recorder) -> AsyncIterator[int]:
    config = server_config(
        recorder.app(), host="127.0.0.1", port=0, log_level="warning", limits=limits
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(5):
            while not server.started:
                assert not task.done(), "uvicorn stopped before it started"
                await asyncio.sleep(0.01)
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        await task


async def read_to_end(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    with contextlib.suppress(ConnectionResetError):
        while chunk := await reader.read(65536):
            chunks.append(chunk)
    return b"".join(chunks)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:] if line)
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(lines[0].split()[1]), body


async def exchange(port: int, data: bytes) -> tuple[bytes, float]:
    """What the server sends until it closes, and how long after connecting."""
    # Before connecting: the server's clock cannot start any earlier.
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    try:
        received = await asyncio.wait_for(read_to_end(reader), 5)
    finally:
        writer.close()
    return received, time.monotonic() - started


def graphql_error(response: bytes) -> tuple[int, str]:
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"connection: close" in head
    [error] = orjson.loads(body)["errors"]
    return int(head.split()[1]), error["extensions"]["code"]


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(ServerLimits)])
def test_every_limit_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match=f"ServerLimits.{field} must be greater"):
        ServerLimits(**{field: 0})


def test_server_config_carries_the_limits_to_uvicorn() -> None:
    limits = ServerLimits(
        backlog=64, shutdown_timeout=2.5, max_websocket_message_bytes=4096
    )
    config = server_config(
        Recorder().app(), host="127.0.0.1", port=0, log_level="info", limits=limits
    )
    assert config.backlog == 64
    assert config.ws_max_size == 4096
    assert config.timeout_graceful_shutdown == 3
    assert isinstance(config.http, type)
    assert issubclass(config.http, HttpToolsProtocol)
    # Only the gateway decides whether X-Forwarded-For names the caller.
    assert config.proxy_headers is False


async def test_a_connection_that_sends_nothing_is_closed_silently() -> None:
    async with serving(FAST, Recorder()) as port:
        received, lived = await exchange(port, b"")
    assert received == b""
    assert FAST.header_timeout - EARLY <= lived < FAST.header_timeout + SLACK


async def test_unfinished_headers_get_408_then_the_connection_closes() -> None:
    recorder = Recorder()
    async with serving(FAST, recorder) as port:
        received, lived = await exchange(port, b"POST /echo HTTP/1.1\r\nHost: te")
    assert graphql_error(received) == (408, "REQUEST_TIMEOUT")
    assert FAST.header_timeout - EARLY <= lived < FAST.header_timeout + SLACK
    assert recorder.requests == 0


async def test_an_unfinished_body_gets_408_and_the_app_sees_a_disconnect() -> None:
    recorder = Recorder()
    async with serving(FAST, recorder) as port:
        received, lived = await exchange(port, POST_HEAD + b'{"query":"')
    assert graphql_error(received) == (408, "REQUEST_TIMEOUT")
    assert FAST.body_timeout - EARLY <= lived < FAST.body_timeout + SLACK
    assert recorder.disconnects == 1


async def test_a_stalled_body_after_the_app_answered_closes_without_a_408() -> None:
    async with serving(FAST, Recorder()) as port:
        received, lived = await exchange(
            port, POST_HEAD.replace(b"/echo", b"/early") + b"0123456789"
        )
    assert received.startswith(b"HTTP/1.1 200 ")
    assert received.endswith(b"answered before the body")
    assert FAST.body_timeout - EARLY <= lived < FAST.body_timeout + SLACK


async def test_headers_over_the_limit_get_431_and_never_reach_the_app() -> None:
    limits = dataclasses.replace(FAST, max_header_bytes=1024)
    recorder = Recorder()
    request = b"GET /echo HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * 2000 + b"\r\n\r\n"
    async with serving(limits, recorder) as port:
        received, lived = await exchange(port, request)
    assert graphql_error(received) == (431, "REQUEST_HEADER_FIELDS_TOO_LARGE")
    assert lived < limits.header_timeout
    assert recorder.requests == 0


async def test_unfinished_headers_over_the_limit_get_431_at_once() -> None:
    limits = dataclasses.replace(FAST, max_header_bytes=1024)
    async with serving(limits, Recorder()) as port:
        received, lived = await exchange(
            port, b"GET /echo HTTP/1.1\r\nX-Big: " + b"a" * 2000
        )
    assert graphql_error(received) == (431, "REQUEST_HEADER_FIELDS_TOO_LARGE")
    assert lived < limits.header_timeout


async def test_idle_time_between_requests_is_keepalive_not_header_time() -> None:
    limits = ServerLimits(header_timeout=0.2, body_timeout=0.2, keepalive_timeout=0.8)
    async with serving(limits, Recorder()) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        request = b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n\r\nhi"
        writer.write(request)
        assert await read_response(reader) == (200, b"hi")
        # Idle for longer than header_timeout, within keepalive_timeout.
        await asyncio.sleep(0.4)
        # Before the request: the keep-alive clock starts after its response.
        idle_since = time.monotonic()
        writer.write(request)
        assert await read_response(reader) == (200, b"hi")
        rest = await asyncio.wait_for(read_to_end(reader), 5)
        idle = time.monotonic() - idle_since
        writer.close()
    assert rest == b""
    assert limits.keepalive_timeout - EARLY <= idle < limits.keepalive_timeout + SLACK


@pytest.mark.parametrize("after_response", [b"\r\n", b"GET /echo HTTP/1.1\r\nHo"])
async def test_a_byte_after_a_response_starts_the_header_clock(
    after_response: bytes,
) -> None:
    # A first byte cancels uvicorn's keep-alive timer; the header clock must take over.
    limits = ServerLimits(header_timeout=0.3, keepalive_timeout=30)
    async with serving(limits, Recorder()) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /echo HTTP/1.1\r\nHost: test\r\n\r\n")
        assert await read_response(reader) == (200, b"")
        started = time.monotonic()
        writer.write(after_response)
        rest = await asyncio.wait_for(read_to_end(reader), 5)
        lived = time.monotonic() - started
        writer.close()
    assert graphql_error(rest) == (408, "REQUEST_TIMEOUT")
    assert limits.header_timeout - EARLY <= lived < limits.header_timeout + SLACK


async def test_a_connection_over_the_cap_is_closed_and_its_slot_comes_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limits = ServerLimits(max_connections=1, header_timeout=10)
    async with serving(limits, Recorder()) as port:
        _, holder = await asyncio.open_connection("127.0.0.1", port)
        refused, _ = await exchange(port, b"GET /echo HTTP/1.1\r\nHost: test\r\n\r\n")
        holder.close()
        answered = b""
        async with asyncio.timeout(5):
            while not answered:
                answered, _ = await exchange(
                    port, b"GET /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                )
    assert refused == b""
    assert answered.startswith(b"HTTP/1.1 200 ")
    warnings = [r for r in caplog.records if r.name == "agora.gateway"]
    # Reached twice (the holder, then the retry), warned once.
    assert [r.levelname for r in warnings] == ["WARNING"]
    assert "max_connections=1" in warnings[0].getMessage()


async def test_a_websocket_message_over_the_limit_closes_the_socket_with_1009() -> None:
    limits = dataclasses.replace(FAST, max_websocket_message_bytes=1024)
    async with serving(limits, Recorder()) as port:
        async with connect(f"ws://127.0.0.1:{port}/ws") as ws:
            await ws.send("a" * 1024)
            assert await ws.recv() == "a" * 1024
            await ws.send("a" * 1025)
            with pytest.raises(ConnectionClosedError) as closed:
                await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009
