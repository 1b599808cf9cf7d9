"""The server's socket limits: header and body deadlines, header size, keep-alive and
the connection cap, and a response's head and body in one write, driven over real
sockets against an in-process uvicorn."""

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
from starlette.responses import Response, StreamingResponse
from starlette.routing import Mount, Route, WebSocketRoute
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError

from gateway.server.connections import ServerLimits, server_config

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.types import Receive, Scope, Send
    from starlette.websockets import WebSocket
    from uvicorn.server import Server

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

        async def later(request: Request) -> StreamingResponse:
            async def parts() -> AsyncIterator[bytes]:
                await asyncio.sleep(STREAM_PAUSE)
                yield b"first part"

            return StreamingResponse(parts())

        async def lookalike(scope: Scope, receive: Receive, send: Send) -> None:
            # Its last part is its own last write (no empty one after it).
            length = str(1 + len(LOOKALIKE)).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", length)],
                }
            )
            await send({"type": "http.response.body", "body": b"x", "more_body": True})
            await send({"type": "http.response.body", "body": LOOKALIKE})

        async def empty(request: Request) -> Response:
            return Response(status_code=204)

        async def broken(scope: Scope, receive: Receive, send: Send) -> None:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"5")],
                }
            )
            raise RuntimeError("the app fails after starting its response")

        async def echo_websocket(websocket: WebSocket) -> None:
            await websocket.accept()
            async for text in websocket.iter_text():
                await websocket.send_text(text)

        return Starlette(
            routes=[
                Route("/echo", echo, methods=["GET", "POST"]),
                Route("/early", early, methods=["POST"]),
                Route("/later", later),
                Route("/empty", empty),
                Mount("/lookalike", lookalike),
                Mount("/broken", broken),
                WebSocketRoute("/ws", echo_websocket),
            ]
        )


@contextlib.asynccontextmanager
async def serving(limits: ServerLimits, recorder: Recorder) -> AsyncIterator[int]:
    async with running(limits, recorder) as (port, _):
        yield port


@contextlib.asynccontextmanager
async def running(
    limits: ServerLimits, recorder: Recorder
) -> AsyncIterator[tuple[int, Server]]:
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
        yield int(server.servers[0].sockets[0].getsockname()[1]), server
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


# A body part that looks like a response head: only a cycle's first write is one.
LOOKALIKE = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"

# How long /later waits before its first part.
STREAM_PAUSE = 1.0


class CountedWrites:
    """The server's real transport, each write noted on its way through (an empty
    one is no send: not noted)."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        if data:
            self.writes.append(bytes(data))
        self.transport.write(data)

    def __getattr__(self, name: str) -> object:
        return getattr(self.transport, name)


async def counted_connection(
    server: Server, port: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, CountedWrites]:
    """A client connection, and the writes the server's responses make on it."""
    known = set(server.server_state.connections)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    async with asyncio.timeout(5):
        while not (fresh := set(server.server_state.connections) - known):
            await asyncio.sleep(0.01)
    [protocol] = fresh
    # Each request's cycle writes through the protocol's transport as it is when the
    # request arrives (joined, or straight for HEAD): this one.
    counted = CountedWrites(protocol.transport)
    protocol.transport = counted
    return reader, writer, counted


async def test_a_response_head_and_body_go_out_in_one_write() -> None:
    async with running(FAST, Recorder()) as (port, server):
        reader, writer, counted = await counted_connection(server, port)
        request = b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello"
        writer.write(request + request)  # two requests, pipelined
        assert await read_response(reader) == (200, b"hello")
        assert await read_response(reader) == (200, b"hello")
        writer.close()
    assert len(counted.writes) == 2
    for write in counted.writes:
        assert write.startswith(b"HTTP/1.1 200 OK\r\n")
        assert write.endswith(b"\r\n\r\nhello")


async def test_a_head_whose_body_is_not_ready_goes_out_alone_at_once() -> None:
    async with running(FAST, Recorder()) as (port, server):
        reader, writer, counted = await counted_connection(server, port)
        started = time.monotonic()
        writer.write(b"GET /later HTTP/1.1\r\nHost: test\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        head_after = time.monotonic() - started
        first = await asyncio.wait_for(reader.readuntil(b"first part\r\n"), 5)
        writer.close()
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"transfer-encoding: chunked" in head
    assert head_after < STREAM_PAUSE / 2
    assert first.endswith(b"first part\r\n")
    assert counted.writes[0] == head


@pytest.mark.parametrize(
    "request_line", [b"HEAD /echo HTTP/1.1", b"GET /empty HTTP/1.1"]
)
async def test_a_response_without_a_body_is_written_and_the_connection_goes_on(
    request_line: bytes,
) -> None:
    async with running(FAST, Recorder()) as (port, server):
        reader, writer, counted = await counted_connection(server, port)
        writer.write(request_line + b"\r\nHost: test\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        writer.write(
            b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n\r\nhi"
        )
        assert await asyncio.wait_for(read_response(reader), 5) == (200, b"hi")
        writer.close()
    assert head.split(b"\r\n")[0] in (b"HTTP/1.1 200 OK", b"HTTP/1.1 204 No Content")
    assert counted.writes[0] == head
    assert len(counted.writes) == 2


async def test_100_continue_reaches_a_client_that_waits_for_it() -> None:
    async with serving(FAST, Recorder()) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /echo HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\n"
            b"Content-Length: 5\r\n\r\n"
        )
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        writer.write(b"hello")
        answer = await asyncio.wait_for(read_response(reader), 5)
        writer.close()
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert answer == (200, b"hello")


async def test_a_response_that_closes_the_connection_is_written_whole_first() -> None:
    async with serving(FAST, Recorder()) as port:
        received, _ = await exchange(
            port,
            b"POST /echo HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
            b"Content-Length: 5\r\n\r\nhello",
        )
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert received.endswith(b"\r\n\r\nhello")


async def test_a_held_head_goes_out_when_the_app_fails_after_starting() -> None:
    async with serving(FAST, Recorder()) as port:
        received, lived = await exchange(
            port, b"GET /broken/ HTTP/1.1\r\nHost: t\r\n\r\n"
        )
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert received.endswith(b"content-length: 5\r\n\r\n")
    assert lived < FAST.header_timeout


async def test_a_body_part_that_looks_like_a_head_is_written_as_it_comes() -> None:
    async with serving(FAST, Recorder()) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /lookalike/ HTTP/1.1\r\nHost: test\r\n\r\n")
        answer = await asyncio.wait_for(read_response(reader), 5)
        writer.close()
    assert answer == (200, b"x" + LOOKALIKE)
