"""The upstream websocket client (issue 14) against a scripted server over real TCP
on 127.0.0.1: the handshake and its checks, frames split or fragmented, pings both
ways, a subgraph that stops answering, closes, oversized messages, wss."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import hashlib
import ssl
import struct
import time
from typing import TYPE_CHECKING, Any

import orjson
import pytest
import uvloop

from gateway.errors import SubgraphBadResponse, SubgraphError, SubgraphUnavailable
from gateway.transport import SubgraphRequest, SubgraphResponse, WebSocketTransport
from gateway.transport.subgraph_websocket import QUEUE_HIGH_WATER, client_frame

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

REQUEST = SubgraphRequest(
    "chat",
    "subscription { messageEvents { id } }",
    {"conversation": "c1"},
    None,
    {"authorization": "Bearer t", "x-agora-user": "u1"},
)
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING, PONG, CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


def frame(
    opcode: int, payload: bytes, *, fin: bool = True, mask: bool = False
) -> bytes:
    """A frame as a server writes it (unmasked unless `mask`)."""
    first = (0x80 if fin else 0) | opcode
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", first, size)
    elif size < 65536:
        head = struct.pack("!BBH", first, 126, size)
    else:
        head = struct.pack("!BBQ", first, 127, size)
    if mask:
        return client_frame(opcode, payload)
    return head + payload


def next_frame(n: int, body: str = "hello") -> bytes:
    message = {
        "id": "1",
        "type": "next",
        "payload": {"data": {"messageEvents": {"id": f"m{n}", "body": body}}},
    }
    return frame(TEXT, orjson.dumps(message))


@pytest.fixture(
    params=["asyncio", "uvloop"],
    # The gateway serves under uvloop, whose transports are not asyncio's.
)
def event_loop_policy(
    request: pytest.FixtureRequest,
) -> asyncio.AbstractEventLoopPolicy:
    if request.param == "uvloop":
        return uvloop.EventLoopPolicy()
    return asyncio.DefaultEventLoopPolicy()


class Peer:
    """The server side of one accepted connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.head = ""
        self.headers: dict[str, str] = {}

    async def read_upgrade(self) -> None:
        raw = await self.reader.readuntil(b"\r\n\r\n")
        self.head = raw.decode()
        for line in self.head.split("\r\n")[1:]:
            if line:
                name, _, value = line.partition(":")
                self.headers[name.strip().lower()] = value.strip()

    def accept_value(self) -> str:
        key = self.headers["sec-websocket-key"].encode()
        return base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()

    async def upgrade(
        self,
        *,
        protocol: str | None = "graphql-transport-ws",
        accept: str | None = None,
        status: str = "101 Switching Protocols",
        extra: str = "",
    ) -> None:
        await self.read_upgrade()
        lines = [
            f"HTTP/1.1 {status}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Accept: {accept or self.accept_value()}",
        ]
        if protocol:
            lines.append(f"Sec-WebSocket-Protocol: {protocol}")
        self.send_raw(("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode())

    async def start(self, **upgrade: Any) -> dict[str, Any]:
        """Upgrade, acknowledge connection_init, read `subscribe`; the init."""
        await self.upgrade(**upgrade)
        init = await self.recv_json()
        assert init["type"] == "connection_init"
        self.send_json({"type": "connection_ack"})
        subscribe = await self.recv_json()
        assert subscribe["type"] == "subscribe"
        assert subscribe["id"] == "1"
        assert subscribe["payload"]["query"] == REQUEST.query
        assert subscribe["payload"]["variables"] == REQUEST.variables
        return init

    def send_raw(self, data: bytes) -> None:
        self.writer.write(data)

    def send(self, opcode: int, payload: bytes, **kwargs: Any) -> None:
        self.writer.write(frame(opcode, payload, **kwargs))

    def send_json(self, message: dict[str, Any]) -> None:
        self.send(TEXT, orjson.dumps(message))

    async def recv(self) -> tuple[int, bytes]:
        """One frame from the client, unmasked (it must be masked and final)."""
        first, second = await self.reader.readexactly(2)
        assert second & 0x80, "client frames are masked"
        assert first & 0x80, "the client sends no fragments"
        size = second & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
        mask = await self.reader.readexactly(4)
        data = await self.reader.readexactly(size)
        return first & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))

    async def recv_json(self) -> dict[str, Any]:
        opcode, payload = await self.recv()
        assert opcode == TEXT, (opcode, payload)
        message: dict[str, Any] = orjson.loads(payload)
        return message

    async def recv_close(self) -> int:
        while True:
            opcode, payload = await self.recv()
            if opcode == CLOSE:
                code: int = struct.unpack("!H", payload[:2])[0]
                return code


class Server:
    def __init__(self) -> None:
        self.peers: asyncio.Queue[Peer] = asyncio.Queue()
        self.port = 0

    async def accepted(self) -> Peer:
        return await asyncio.wait_for(self.peers.get(), 5)

    async def handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await self.peers.put(Peer(reader, writer))


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    scripted = Server()
    tcp = await asyncio.start_server(scripted.handle, "127.0.0.1", 0)
    scripted.port = tcp.sockets[0].getsockname()[1]
    async with tcp:
        yield scripted
        tcp.close()


def transport(server: Server, **options: Any) -> WebSocketTransport:
    options.setdefault("timeout", 5.0)
    return WebSocketTransport(
        "chat", f"http://127.0.0.1:{server.port}/graphql", **options
    )


async def collect(
    stream: AsyncIterator[list[SubgraphResponse]],
) -> tuple[list[list[SubgraphResponse]], BaseException | None]:
    bursts: list[list[SubgraphResponse]] = []
    try:
        async for burst in stream:
            bursts.append(burst)
    except SubgraphError as exc:
        return bursts, exc
    return bursts, None


def ids(bursts: list[list[SubgraphResponse]]) -> list[str]:
    return [r.data["messageEvents"]["id"] for burst in bursts for r in burst if r.data]


async def test_events_that_arrive_together_come_as_one_burst_then_complete_ends(
    server: Server,
) -> None:
    stream = transport(server).bursts(REQUEST)
    consumer = asyncio.create_task(collect(stream))
    peer = await server.accepted()
    init = await peer.start()
    # Identity on the upgrade request and in connection_init, as before.
    assert peer.head.startswith("GET /graphql HTTP/1.1\r\n")
    assert peer.headers["authorization"] == "Bearer t"
    assert peer.headers["x-agora-user"] == "u1"
    assert peer.headers["sec-websocket-protocol"] == "graphql-transport-ws"
    assert peer.headers["host"] == f"127.0.0.1:{server.port}"
    assert init["payload"] == {"Authorization": "Bearer t", "x-agora-user": "u1"}
    peer.send_raw(next_frame(1) + next_frame(2) + next_frame(3))
    await peer.writer.drain()
    await asyncio.sleep(0.05)
    peer.send_raw(next_frame(4))
    peer.send_json({"id": "1", "type": "complete"})
    bursts, error = await asyncio.wait_for(consumer, 5)
    assert error is None
    assert [len(b) for b in bursts] == [3, 1]
    assert ids(bursts) == ["m1", "m2", "m3", "m4"]
    # The subgraph completed: no `complete` from us, only the close handshake.
    assert await peer.recv_close() == 1000


async def test_the_burst_limit_splits_a_long_burst(server: Server) -> None:
    consumer = asyncio.create_task(collect(transport(server).bursts(REQUEST, 2)))
    peer = await server.accepted()
    await peer.start()
    peer.send_raw(b"".join(next_frame(n) for n in range(5)))
    peer.send_json({"id": "1", "type": "complete"})
    bursts, error = await asyncio.wait_for(consumer, 5)
    assert error is None
    assert [len(b) for b in bursts] == [2, 2, 1]
    assert ids(bursts) == [f"m{n}" for n in range(5)]


async def test_a_subgraph_faster_than_its_consumer_is_not_read_past_the_high_mark(
    server: Server,
) -> None:
    # 5,000 events of ~1 KiB while the consumer takes none: the client stops
    # reading once QUEUE_HIGH_WATER are queued (plus what one read held), the rest
    # waits in TCP, and every event still arrives, in order, once it catches up.
    stream = transport(server).bursts(REQUEST, 100_000)
    first = asyncio.create_task(anext(stream))
    peer = await server.accepted()
    await peer.start()
    peer.send_raw(next_frame(0))
    assert ids([await asyncio.wait_for(first, 5)]) == ["m0"]
    body = "x" * 1000
    flood = b"".join(next_frame(n, body) for n in range(1, 5001))
    peer.send_raw(flood)
    await asyncio.sleep(0.5)  # the consumer is busy elsewhere
    held = await asyncio.wait_for(anext(stream), 5)
    assert QUEUE_HIGH_WATER <= len(held) < QUEUE_HIGH_WATER + 400
    peer.send_json({"id": "1", "type": "complete"})
    await peer.writer.drain()
    rest, error = await asyncio.wait_for(collect(stream), 10)
    assert error is None
    assert ids([held, *rest]) == [f"m{n}" for n in range(1, 5001)]


async def test_frames_split_across_reads_byte_by_byte(server: Server) -> None:
    consumer = asyncio.create_task(collect(transport(server).bursts(REQUEST)))
    peer = await server.accepted()
    await peer.start()
    # 7-bit, 16-bit and 64-bit lengths, every byte its own TCP segment.
    data = next_frame(1) + next_frame(2, "x" * 300) + next_frame(3, "y" * 70_000)
    head_and_start = data[: len(next_frame(1)) + 200]
    for i in range(len(head_and_start)):
        peer.send_raw(head_and_start[i : i + 1])
        await peer.writer.drain()
        await asyncio.sleep(0)
    rest = data[len(head_and_start) :]
    for i in range(0, len(rest), 999):
        peer.send_raw(rest[i : i + 999])
        await peer.writer.drain()
        await asyncio.sleep(0)
    peer.send_json({"id": "1", "type": "complete"})
    bursts, error = await asyncio.wait_for(consumer, 5)
    assert error is None
    assert ids(bursts) == ["m1", "m2", "m3"]
    bodies = [r.data["messageEvents"]["body"] for b in bursts for r in b if r.data]
    assert bodies == ["hello", "x" * 300, "y" * 70_000]


async def test_a_fragmented_message_with_a_ping_between_its_fragments(
    server: Server,
) -> None:
    consumer = asyncio.create_task(collect(transport(server).bursts(REQUEST)))
    peer = await server.accepted()
    await peer.start()
    message = next_frame(7)[2:]  # the payload (under 126 bytes)
    peer.send(TEXT, message[:10], fin=False)
    peer.send(PING, b"mid")  # control frames may come between fragments
    peer.send(CONTINUATION, message[10:20], fin=False)
    peer.send(CONTINUATION, message[20:])
    assert await peer.recv() == (PONG, b"mid")
    peer.send_json({"id": "1", "type": "complete"})
    bursts, error = await asyncio.wait_for(consumer, 5)
    assert error is None
    assert ids(bursts) == ["m7"]


async def test_pings_of_both_protocols_are_answered(server: Server) -> None:
    consumer = asyncio.create_task(collect(transport(server).bursts(REQUEST)))
    peer = await server.accepted()
    await peer.start()
    peer.send(PING, b"are you there")
    assert await peer.recv() == (PONG, b"are you there")
    peer.send_json({"type": "ping"})
    assert await peer.recv_json() == {"type": "pong"}
    peer.send_raw(next_frame(1))
    peer.send_json({"id": "1", "type": "complete"})
    bursts, error = await asyncio.wait_for(consumer, 5)
    assert (ids(bursts), error) == (["m1"], None)


async def test_a_subgraph_that_answers_pings_stays_and_one_that_stops_is_dropped(
    server: Server,
) -> None:
    stream = transport(server, ping_interval=0.2, ping_timeout=0.3).bursts(REQUEST)
    consumer = asyncio.create_task(collect(stream))
    peer = await server.accepted()
    await peer.start()
    for _ in range(4):  # ~0.8 s of pings, each answered
        opcode, payload = await asyncio.wait_for(peer.recv(), 1)
        assert opcode == PING
        peer.send(PONG, payload)
    assert not consumer.done()
    peer.send_raw(next_frame(1))
    opcode, _ = await asyncio.wait_for(peer.recv(), 1)
    assert opcode == PING  # ...and this one is never answered (hung subgraph)
    started = time.monotonic()
    bursts, error = await asyncio.wait_for(consumer, 5)
    elapsed = time.monotonic() - started
    assert ids(bursts) == ["m1"]
    assert isinstance(error, SubgraphUnavailable)
    assert "did not answer a ping within 0.3s" in str(error)
    assert elapsed < 0.2 + 0.3 + 0.3  # within ping_timeout of the ping (+ slack)
    assert await peer.reader.read() == b""  # the connection is gone


async def test_a_close_mid_stream_ends_it_unavailable_after_the_events_before(
    server: Server,
) -> None:
    consumer = asyncio.create_task(collect(transport(server).bursts(REQUEST)))
    peer = await server.accepted()
    await peer.start()
    peer.send_raw(next_frame(1) + next_frame(2))
    peer.send(CLOSE, struct.pack("!H", 1011) + b"going away")
    bursts, error = await asyncio.wait_for(consumer, 5)
    assert ids(bursts) == ["m1", "m2"]
    assert isinstance(error, SubgraphUnavailable)
    assert "closed (1011: going away)" in str(error)
    assert await peer.recv() == (CLOSE, struct.pack("!H", 1011))  # echoed
    peer.writer.close()


async def test_a_connection_dropped_mid_stream_ends_it_unavailable(
    server: Server,
) -> None:
    consumer = asyncio.create_task(collect(transport(server).bursts(REQUEST)))
    peer = await server.accepted()
    await peer.start()
    peer.send_raw(next_frame(1))
    await peer.writer.drain()
    peer.writer.transport.abort()
    bursts, error = await asyncio.wait_for(consumer, 5)
    assert ids(bursts) == ["m1"]
    assert isinstance(error, SubgraphUnavailable)
    assert "closed (1006)" in str(error)


async def test_an_oversized_frame_is_refused_before_its_payload_arrives(
    server: Server,
) -> None:
    stream = transport(server, max_message_size=4096).bursts(REQUEST)
    consumer = asyncio.create_task(collect(stream))
    peer = await server.accepted()
    await peer.start()
    peer.send_raw(next_frame(1))
    # A header announcing 1 GiB, and nothing after it.
    peer.send_raw(struct.pack("!BBQ", 0x81, 127, 2**30))
    bursts, error = await asyncio.wait_for(consumer, 5)
    assert ids(bursts) == ["m1"]
    assert isinstance(error, SubgraphBadResponse)
    assert "over 4096 bytes" in str(error)
    assert await peer.recv_close() == 1009


async def test_an_oversized_fragmented_message_is_refused(server: Server) -> None:
    stream = transport(server, max_message_size=4096).bursts(REQUEST)
    consumer = asyncio.create_task(collect(stream))
    peer = await server.accepted()
    await peer.start()
    peer.send(TEXT, b"[" * 3000, fin=False)
    peer.send(CONTINUATION, b"[" * 3000, fin=False)
    _, error = await asyncio.wait_for(consumer, 5)
    assert isinstance(error, SubgraphBadResponse)
    assert await peer.recv_close() == 1009


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (frame(TEXT, b"not json"), "not JSON"),
        (frame(TEXT, b"[1]"), "not an object"),
        (frame(TEXT, b'{"type":"next","id":"1","payload":3}'), "payload object"),
        (frame(TEXT, b'{"type":"next","id":"1","payload":{"data":[1]}}'), "result"),
        (frame(TEXT, orjson.dumps({"type": "next"}), mask=True), "masked"),
        (b"\xc1\x00", "reserved bits"),
        (frame(CONTINUATION, b"x"), "continuation"),
        (frame(TEXT, b"{", fin=False) + frame(TEXT, b"}"), "inside a fragmented"),
        (frame(PING, b"x", fin=False), "control frame"),
        (b"\x83\x00", "unknown opcode"),
    ],
)
async def test_protocol_violations_end_the_stream_as_bad_responses(
    server: Server, bad: bytes, reason: str
) -> None:
    consumer = asyncio.create_task(collect(transport(server).bursts(REQUEST)))
    peer = await server.accepted()
    await peer.start()
    peer.send_raw(next_frame(1) + bad)
    bursts, error = await asyncio.wait_for(consumer, 5)
    assert ids(bursts) == ["m1"]
    assert isinstance(error, SubgraphBadResponse)
    assert reason in str(error)
    assert await peer.recv_close() == 1002


async def test_a_refused_subprotocol_is_a_bad_response(server: Server) -> None:
    consumer = asyncio.create_task(collect(transport(server).bursts(REQUEST)))
    peer = await server.accepted()
    await peer.upgrade(protocol=None)
    _, error = await asyncio.wait_for(consumer, 5)
    assert isinstance(error, SubgraphBadResponse)
    assert "graphql-transport-ws was refused" in str(error)


async def test_another_subprotocol_is_a_bad_response(server: Server) -> None:
    consumer = asyncio.create_task(collect(transport(server).bursts(REQUEST)))
    peer = await server.accepted()
    await peer.upgrade(protocol="graphql-ws")
    _, error = await asyncio.wait_for(consumer, 5)
    assert isinstance(error, SubgraphBadResponse)
    assert "graphql-transport-ws was refused" in str(error)


async def test_a_wrong_sec_websocket_accept_is_a_bad_response(server: Server) -> None:
    consumer = asyncio.create_task(collect(transport(server).bursts(REQUEST)))
    peer = await server.accepted()
    await peer.upgrade(accept=base64.b64encode(b"x" * 20).decode())
    _, error = await asyncio.wait_for(consumer, 5)
    assert isinstance(error, SubgraphBadResponse)
    assert "Sec-WebSocket-Accept" in str(error)


async def test_an_extension_not_offered_is_a_bad_response(server: Server) -> None:
    consumer = asyncio.create_task(collect(transport(server).bursts(REQUEST)))
    peer = await server.accepted()
    await peer.upgrade(extra="Sec-WebSocket-Extensions: permessage-deflate\r\n")
    _, error = await asyncio.wait_for(consumer, 5)
    assert isinstance(error, SubgraphBadResponse)


async def test_an_http_refusal_is_unavailable(server: Server) -> None:
    consumer = asyncio.create_task(collect(transport(server).bursts(REQUEST)))
    peer = await server.accepted()
    await peer.read_upgrade()
    peer.send_raw(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
    _, error = await asyncio.wait_for(consumer, 5)
    assert isinstance(error, SubgraphUnavailable)
    assert "HTTP 403" in str(error)


async def test_the_handshake_split_and_followed_by_frames_in_one_read(
    server: Server,
) -> None:
    consumer = asyncio.create_task(collect(transport(server).bursts(REQUEST)))
    peer = await server.accepted()
    await peer.read_upgrade()
    response = (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Accept: {peer.accept_value()}\r\n"
        "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
    ).encode()
    peer.send_raw(response[:20])
    await peer.writer.drain()
    await asyncio.sleep(0.02)
    # The rest of the head, the ack, and (early) an event, all in one write.
    peer.send_raw(response[20:] + frame(TEXT, b'{"type":"connection_ack"}'))
    assert (await peer.recv_json())["type"] == "connection_init"
    assert (await peer.recv_json())["type"] == "subscribe"
    peer.send_raw(next_frame(1))
    peer.send_json({"id": "1", "type": "complete"})
    bursts, error = await asyncio.wait_for(consumer, 5)
    assert (ids(bursts), error) == (["m1"], None)


async def test_no_connection_ack_is_unavailable(server: Server) -> None:
    stream = transport(server, timeout=0.3).bursts(REQUEST)
    consumer = asyncio.create_task(collect(stream))
    peer = await server.accepted()
    await peer.upgrade()
    assert (await peer.recv_json())["type"] == "connection_init"
    _, error = await asyncio.wait_for(consumer, 5)
    assert isinstance(error, SubgraphUnavailable)
    assert "no connection_ack" in str(error)


async def test_a_message_before_the_ack_is_a_bad_response(server: Server) -> None:
    consumer = asyncio.create_task(collect(transport(server).bursts(REQUEST)))
    peer = await server.accepted()
    await peer.upgrade()
    await peer.recv_json()
    peer.send_raw(next_frame(1))
    _, error = await asyncio.wait_for(consumer, 5)
    assert isinstance(error, SubgraphBadResponse)
    assert "expected connection_ack, got 'next'" in str(error)


async def test_an_error_message_is_yielded_and_ends_the_stream(server: Server) -> None:
    consumer = asyncio.create_task(collect(transport(server).bursts(REQUEST)))
    peer = await server.accepted()
    await peer.start()
    peer.send_json({"id": "1", "type": "error", "payload": [{"message": "no"}]})
    bursts, error = await asyncio.wait_for(consumer, 5)
    assert error is None
    assert bursts == [[SubgraphResponse(None, ({"message": "no"},))]]


async def test_a_consumer_that_stops_sends_complete_then_closes(server: Server) -> None:
    stream = transport(server).bursts(REQUEST)
    peer_task = asyncio.ensure_future(server.accepted())
    first = asyncio.ensure_future(anext(stream))
    peer = await peer_task
    await peer.start()
    peer.send_raw(next_frame(1))
    assert ids([await asyncio.wait_for(first, 5)]) == ["m1"]
    await stream.aclose()
    assert await peer.recv_json() == {"id": "1", "type": "complete"}
    assert await peer.recv() == (CLOSE, struct.pack("!H", 1000))
    peer.send(CLOSE, struct.pack("!H", 1000))
    assert await asyncio.wait_for(peer.reader.read(), 5) == b""


async def test_a_cancelled_consumer_sends_complete(server: Server) -> None:
    consumer = asyncio.create_task(collect(transport(server).bursts(REQUEST)))
    peer = await server.accepted()
    await peer.start()
    consumer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await consumer
    assert await peer.recv_json() == {"id": "1", "type": "complete"}
    assert await peer.recv_close() == 1000


async def test_a_closed_port_is_unavailable() -> None:
    scratch = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = scratch.sockets[0].getsockname()[1]
    scratch.close()
    await scratch.wait_closed()
    client = WebSocketTransport("chat", f"ws://127.0.0.1:{port}/graphql")
    _, error = await collect(client.bursts(REQUEST))
    assert isinstance(error, SubgraphUnavailable)
    assert "cannot open the subscription socket" in str(error)


async def test_a_header_that_would_split_the_request_is_refused(
    server: Server,
) -> None:
    request = SubgraphRequest("chat", "subscription { x }", {}, None, {"x": "a\r\nb"})
    _, error = await collect(transport(server).bursts(request))
    assert isinstance(error, SubgraphError)
    assert "cannot forward the header" in str(error)


def self_signed(tmp_path: Path) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path = tmp_path / "cert.pem"
    key_path = tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


async def test_wss_over_tls(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=cert)
    scripted = Server()
    tcp = await asyncio.start_server(
        scripted.handle, "127.0.0.1", 0, ssl=server_context
    )
    port = tcp.sockets[0].getsockname()[1]
    async with tcp:
        # "localhost" resolves to 127.0.0.1 (or ::1, where the server is not).
        client = WebSocketTransport(
            "chat",
            f"https://localhost:{port}/graphql",
            timeout=5,
            ssl_context=client_context,
        )
        consumer = asyncio.create_task(collect(client.bursts(REQUEST)))
        peer = await scripted.accepted()
        await peer.start()
        peer.send_raw(next_frame(1))
        peer.send_json({"id": "1", "type": "complete"})
        bursts, error = await asyncio.wait_for(consumer, 5)
        assert (ids(bursts), error) == (["m1"], None)
        assert peer.headers["host"] == f"localhost:{port}"
        # An unknown certificate: no connection.
        strict = WebSocketTransport("chat", f"wss://localhost:{port}/graphql")
        _, error = await collect(strict.bursts(REQUEST))
        assert isinstance(error, SubgraphUnavailable)
        tcp.close()
