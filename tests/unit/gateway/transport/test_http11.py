"""The HTTP/1.1 transport against an in-process asyncio server with canned answers."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import orjson
import pytest

from gateway.errors import SubgraphBadResponse, SubgraphTimeout, SubgraphUnavailable
from gateway.transport import Http11Transport, SubgraphRequest, SubgraphResponse

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    Serve = Callable[["CannedServer"], Awaitable[str]]

REQUEST = SubgraphRequest(
    "accounts", "{ me { id } }", {"x": 1}, None, {"authorization": "Bearer t"}
)
OK_BODY = orjson.dumps({"data": {"me": {"id": "1"}}})


def fixed(body: bytes, *, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        + extra
        + b"content-length: %d\r\n\r\n" % len(body)
        + body
    )


def chunked(body: bytes) -> bytes:
    half = len(body) // 2
    return (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        + b"%x\r\n" % half
        + body[:half]
        + b"\r\n"
        + b"%x;ext=1\r\n" % (len(body) - half)
        + body[half:]
        + b"\r\n0\r\n\r\n"
    )


class CannedServer:
    """Answers each request on a connection with `answer(n)`; records requests.

    `answer(n)` None hangs, b"" closes the connection without answering.
    """

    def __init__(self, answer: Callable[[int], bytes | None], close_after: int = 0):
        self.answer = answer
        self.close_after = close_after
        self.requests: list[bytes] = []
        self.connections = 0

    async def handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.connections += 1
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                self.requests.append(head + await reader.readexactly(length))
                answer = self.answer(len(self.requests))
                if answer is None:
                    await asyncio.Event().wait()
                if answer == b"":  # read the request, then drop the connection
                    break
                writer.write(answer)
                await writer.drain()
                served += 1
                if self.close_after and served >= self.close_after:
                    break
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[asyncio.Server] = []

    async def start(canned: CannedServer) -> str:
        server = await asyncio.start_server(canned.handle, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/graphql"

    yield start
    for server in servers:
        server.close()


async def test_posts_one_json_request_with_forwarded_headers(serve: Serve) -> None:
    canned = CannedServer(lambda n: fixed(OK_BODY))
    transport = Http11Transport("accounts", await serve(canned))
    response = await transport.fetch(REQUEST)
    await transport.aclose()
    assert response == SubgraphResponse({"me": {"id": "1"}})
    head, _, body = canned.requests[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /graphql HTTP/1.1"
    assert b"authorization: Bearer t" in lines
    assert b"content-type: application/json" in lines
    assert orjson.loads(body) == {"query": "{ me { id } }", "variables": {"x": 1}}


async def test_keeps_the_connection_alive_between_requests(serve: Serve) -> None:
    canned = CannedServer(lambda n: fixed(OK_BODY))
    transport = Http11Transport("accounts", await serve(canned))
    for _ in range(3):
        await transport.fetch(REQUEST)
    await transport.aclose()
    assert canned.connections == 1
    assert len(canned.requests) == 3


async def test_reads_chunked_bodies(serve: Serve) -> None:
    transport = Http11Transport(
        "accounts", await serve(CannedServer(lambda n: chunked(OK_BODY)))
    )
    assert await transport.fetch(REQUEST) == SubgraphResponse({"me": {"id": "1"}})
    await transport.aclose()


async def test_reconnects_when_the_server_closed_an_idle_connection(
    serve: Serve,
) -> None:
    canned = CannedServer(lambda n: fixed(OK_BODY), close_after=1)
    transport = Http11Transport("accounts", await serve(canned))
    await transport.fetch(REQUEST)
    await asyncio.sleep(0)
    assert await transport.fetch(REQUEST) == SubgraphResponse({"me": {"id": "1"}})
    await transport.aclose()
    assert canned.connections == 2


def _drop_the_second_request(n: int) -> bytes:
    return b"" if n == 2 else fixed(OK_BODY)


async def test_a_query_is_resent_when_a_reused_connection_drops_it(
    serve: Serve,
) -> None:
    canned = CannedServer(_drop_the_second_request)
    transport = Http11Transport("accounts", await serve(canned))
    await transport.fetch(REQUEST)

    assert await transport.fetch(REQUEST) == SubgraphResponse({"me": {"id": "1"}})
    await transport.aclose()
    assert len(canned.requests) == 3


async def test_a_mutation_is_never_sent_twice(serve: Serve) -> None:
    canned = CannedServer(_drop_the_second_request)
    transport = Http11Transport("accounts", await serve(canned))
    await transport.fetch(REQUEST)
    mutation = SubgraphRequest("accounts", "mutation { pay { id } }", idempotent=False)

    with pytest.raises(SubgraphUnavailable):
        await transport.fetch(mutation)
    await transport.aclose()
    assert len(canned.requests) == 2


async def test_connection_close_answers_are_not_reused(serve: Serve) -> None:
    canned = CannedServer(
        lambda n: fixed(OK_BODY, extra=b"connection: close\r\n"), close_after=1
    )
    transport = Http11Transport("accounts", await serve(canned))
    await transport.fetch(REQUEST)
    await transport.fetch(REQUEST)
    await transport.aclose()
    assert canned.connections == 2


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", SubgraphBadResponse),
        (fixed(b"<html>hi</html>"), SubgraphBadResponse),
        (b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n", SubgraphUnavailable),
        (b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n{}", SubgraphUnavailable),
        (b"HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n", SubgraphBadResponse),
    ],
)
async def test_broken_answers_become_subgraph_errors(
    serve: Serve, answer: bytes, expected: type[Exception]
) -> None:
    canned = CannedServer(lambda n: answer, close_after=1)
    transport = Http11Transport("accounts", await serve(canned))
    with pytest.raises(expected):
        await transport.fetch(REQUEST)
    await transport.aclose()


async def test_times_out(serve: Serve) -> None:
    transport = Http11Transport(
        "accounts", await serve(CannedServer(lambda n: None)), timeout=0.05
    )
    with pytest.raises(SubgraphTimeout):
        await transport.fetch(REQUEST)
    await transport.aclose()


async def test_closed_port_is_unavailable() -> None:
    transport = Http11Transport("accounts", "http://127.0.0.1:9/graphql", timeout=2)
    with pytest.raises(SubgraphUnavailable):
        await transport.fetch(REQUEST)


def test_unsupported_url_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="unsupported URL"):
        Http11Transport("accounts", "ftp://example.com/graphql")
