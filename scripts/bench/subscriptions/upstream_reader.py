"""Gateway CPU per upstream subscription event: old reader against new (issue 14).

A server process (websockets' own server, `--serve`) answers graphql-transport-ws and,
once subscribed, pushes `--events` `next` messages carrying a messageEvents payload as
chat sends it for the gateway's primary fetch, as fast as it can (`--rate 0`) or at
`--rate` per second, then `complete`. This process reads them, under uvloop as the
gateway does, alternately with

- old: what the hub did before issue 14, copied here: the `websockets` asyncio client,
  `run_graphql_transport_ws` over it (one async generator per message, wrapped by the
  transport's), a reader task per upstream pushing into an asyncio.Queue, the
  upstream task draining bursts of at most 64;
- new: `WebSocketTransport.bursts` (the sans-io protocol) as hub.py consumes it,

and reports this process's CPU time (time.process_time) from the first event to the
last, divided by the events. The consumer touches every response (as projection
would read `data`), so both run through to it.

Run: .venv/bin/python scripts/bench/subscriptions/upstream_reader.py \
        [--rounds 5] [--events 20000] [--rate 0] [--loop uvloop]

`--parse` compares, without sockets, the frame parsing alone: the `websockets`
library's sans-io Protocol (parser, then JSON and the response) against ours
(`data_received` of a whole frame, queueing and waking included), 1,000 frames a
repetition, wall time per frame.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gateway.errors import (  # noqa: E402
    SubgraphBadResponse,
    SubgraphError,
    SubgraphUnavailable,
)
from gateway.transport import (  # noqa: E402
    SubgraphRequest,
    SubgraphResponse,
    WebSocketTransport,
)
from gateway.transport.subgraph_websocket import (  # noqa: E402
    connection_init_payload,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

DOCUMENT = (
    "subscription($id:ID!){messageEvents(conversationId:$id)"
    "{kind message{id seq text createdAt sender{__typename id}}}}"
)
REQUEST = SubgraphRequest(
    "chat",
    DOCUMENT,
    {"id": "0f6f4c2e-2b7d-4c0e-9a59-1f0c8b5b7d21"},
    None,
    {
        "authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl",
        "x-agora-gateway-signature": "v1=" + "ab" * 32,
    },
)


def event_text(seq: int) -> str:
    """One `next` as chat sends it for the primary fetch (~400 bytes)."""
    return orjson.dumps(
        {
            "id": "1",
            "type": "next",
            "payload": {
                "data": {
                    "messageEvents": {
                        "kind": "CREATED",
                        "message": {
                            "id": f"7c1e5d0a-4f7b-4b8e-9d3a-{seq:012d}",
                            "seq": seq,
                            "text": f"bench message {seq}: the quick brown fox "
                            "jumps over the lazy dog, twice over",
                            "createdAt": "2026-12-07T10:41:07.123456+00:00",
                            "sender": {
                                "__typename": "User",
                                "id": "5d2f8e61-0b1c-4d5e-8f9a-2b3c4d5e6f70",
                            },
                        },
                    }
                }
            },
        }
    ).decode()


# --- the server process ----------------------------------------------------------


async def serve(events: int, rate: float) -> None:
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.typing import Subprotocol

    texts = [event_text(seq) for seq in range(events)]
    complete = orjson.dumps({"id": "1", "type": "complete"}).decode()

    async def handler(socket: ServerConnection) -> None:
        init = orjson.loads(await socket.recv())
        assert init["type"] == "connection_init", init
        await socket.send('{"type":"connection_ack"}')
        subscribe = orjson.loads(await socket.recv())
        assert subscribe["type"] == "subscribe", subscribe
        if rate > 0:
            interval = 1.0 / rate
            start = time.monotonic()
            for seq, text in enumerate(texts):
                delay = start + seq * interval - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await socket.send(text)
        else:
            for text in texts:
                await socket.send(text)
        await socket.send(complete)
        with contextlib.suppress(Exception):
            await socket.wait_closed()

    async with serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=[Subprotocol("graphql-transport-ws")],
        compression=None,
        max_queue=None,
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(port, flush=True)
        await asyncio.Future()


# --- the old reader (hub.py and subgraph_websocket.py before issue 14) ------------


class _OldChannel:
    def __init__(self, socket: Any) -> None:
        self.socket = socket

    async def send(self, text: str) -> None:
        await self.socket.send(text)

    async def receive(self) -> str:
        from websockets.exceptions import ConnectionClosed

        try:
            message = await self.socket.recv()
        except ConnectionClosed as closed:
            raise SubgraphUnavailable("chat", f"closed: {closed}") from None
        return message if isinstance(message, str) else message.decode()

    async def close(self) -> None:
        await self.socket.close()


def _old_response(payload: Any) -> SubgraphResponse:
    if not isinstance(payload, dict):
        raise SubgraphBadResponse("chat", "a `next` without a payload object")
    data = payload.get("data")
    errors = payload.get("errors") or []
    if (data is not None and not isinstance(data, dict)) or not isinstance(
        errors, list
    ):
        raise SubgraphBadResponse("chat", "a `next` that is not a GraphQL result")
    return SubgraphResponse(data, tuple(errors), payload.get("extensions"))


async def _old_receive(channel: _OldChannel) -> dict[str, Any]:
    message = orjson.loads(await channel.receive())
    if not isinstance(message, dict):
        raise SubgraphBadResponse("chat", "a message that is not an object")
    return message


async def _old_protocol(
    channel: _OldChannel, request: SubgraphRequest
) -> AsyncGenerator[SubgraphResponse, None]:
    completed = False
    try:
        await channel.send(
            orjson.dumps(
                {
                    "type": "connection_init",
                    "payload": connection_init_payload(request.headers),
                }
            ).decode()
        )
        while (await _old_receive(channel)).get("type") != "connection_ack":
            pass
        await channel.send(
            orjson.dumps(
                {"type": "subscribe", "id": "1", "payload": request.body()}
            ).decode()
        )
        while True:
            message = await _old_receive(channel)
            kind = message.get("type")
            if kind == "next":
                yield _old_response(message.get("payload"))
            elif kind in ("error", "complete"):
                completed = True
                return
            elif kind == "ping":
                await channel.send('{"type":"pong"}')
    finally:
        if not completed:
            with contextlib.suppress(Exception):
                await channel.send('{"id":"1","type":"complete"}')
        with contextlib.suppress(Exception):
            await channel.close()


async def _old_subscribe(
    url: str, request: SubgraphRequest
) -> AsyncIterator[SubgraphResponse]:
    from websockets.asyncio.client import connect
    from websockets.typing import Subprotocol

    socket = await connect(
        url,
        subprotocols=[Subprotocol("graphql-transport-ws")],
        additional_headers=dict(request.headers),
        open_timeout=10,
        ping_interval=10,
        ping_timeout=10,
        close_timeout=10,
        max_queue=None,
        compression=None,
    )
    stream = _old_protocol(_OldChannel(socket), request)
    try:
        async for response in stream:
            yield response
    except SubgraphError:
        raise
    except OSError as exc:
        raise SubgraphUnavailable("chat", str(exc)) from exc
    finally:
        await stream.aclose()


async def read_old(url: str, consume: Consumer) -> None:
    """hub.py's _Upstream._stream before issue 14."""
    pending: asyncio.Queue[SubgraphResponse | None] = asyncio.Queue()
    failure: list[BaseException] = []

    async def read() -> None:
        try:
            async for response in _old_subscribe(url, REQUEST):
                pending.put_nowait(response)
        except Exception as exc:  # noqa: BLE001
            failure.append(exc)
        finally:
            pending.put_nowait(None)

    reader = asyncio.create_task(read())
    try:
        ended = False
        while not ended:
            first = await pending.get()
            if first is None:
                break
            burst = [first]
            while not pending.empty() and len(burst) < 64:
                item = pending.get_nowait()
                if item is None:
                    ended = True
                    break
                burst.append(item)
            await consume(burst)
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    if failure:
        raise failure[0]


async def read_new(url: str, consume: Consumer) -> None:
    """hub.py's _Upstream._stream now."""
    transport = WebSocketTransport("chat", url, ping_interval=10, ping_timeout=10)
    bursts = transport.bursts(REQUEST, 64)
    async with contextlib.aclosing(bursts):
        async for burst in bursts:
            await consume(burst)


# --- the measurement -------------------------------------------------------------


class Consumer:
    """Counts events and takes the CPU time between the first and the last."""

    def __init__(self, events: int) -> None:
        self.expected = events
        self.received = 0
        self.bursts = 0
        self.first_cpu = 0.0
        self.last_cpu = 0.0
        self.first_wall = 0.0
        self.last_wall = 0.0
        self.checksum = 0

    async def __call__(self, burst: list[SubgraphResponse]) -> None:
        if not self.received:
            self.first_cpu = time.process_time()
            self.first_wall = time.perf_counter()
        for response in burst:
            data = response.data
            assert data is not None
            self.checksum += data["messageEvents"]["message"]["seq"]
        self.received += len(burst)
        self.bursts += 1
        if self.received >= self.expected:
            self.last_cpu = time.process_time()
            self.last_wall = time.perf_counter()


async def one_run(kind: str, url: str, events: int) -> dict[str, float]:
    consume = Consumer(events)
    reader = read_new if kind == "new" else read_old
    await asyncio.wait_for(reader(url, consume), 300)
    assert consume.received == events, (kind, consume.received)
    assert consume.checksum == events * (events - 1) // 2
    counted = events - 1  # the first event starts the clock
    return {
        "cpu_us": (consume.last_cpu - consume.first_cpu) / counted * 1e6,
        "wall_s": consume.last_wall - consume.first_wall,
        "events_per_burst": events / consume.bursts,
    }


def parse_only(repetitions: int) -> None:
    import struct

    from websockets.frames import Opcode
    from websockets.protocol import Protocol, Side, State

    from gateway.transport.subgraph_websocket import (
        _response,
        _UpstreamProtocol,
    )

    def frame(text: str) -> bytes:
        data = text.encode()
        size = len(data)
        if size < 126:
            return struct.pack("!BB", 0x81, size) + data
        return struct.pack("!BBH", 0x81, 126, size) + data

    frames = [frame(event_text(seq)) for seq in range(1000)]

    def library() -> float:
        protocol = Protocol(Side.CLIENT, state=State.OPEN, max_size=2**20)
        events: list[SubgraphResponse] = []
        start = time.perf_counter()
        for data in frames:
            protocol.receive_data(data)
            for received in protocol.events_received():
                if received.opcode is Opcode.TEXT:
                    message = orjson.loads(received.data)
                    if message.get("type") == "next":
                        events.append(_response("chat", message.get("payload")))
            protocol.data_to_send()
        return time.perf_counter() - start

    class Sink:
        def write(self, data: bytes) -> None:
            pass

        def is_closing(self) -> bool:
            return False

    async def ours() -> float:
        protocol = _UpstreamProtocol(
            "chat",
            b"",
            "key",
            max_message_size=2**20,
            ping_interval=None,
            ping_timeout=None,
            close_timeout=1,
        )
        protocol.upgraded = protocol.acked = True
        protocol.transport = Sink()  # type: ignore[assignment]
        start = time.perf_counter()
        for data in frames:
            protocol.data_received(data)
        return time.perf_counter() - start

    times: dict[str, list[float]] = {"websockets sans-io": [], "ours": []}
    for _ in range(repetitions):
        times["websockets sans-io"].append(library())
        times["ours"].append(asyncio.run(ours()))
    for kind, values in times.items():
        values.sort()
        print(
            f"{kind}: min {values[0] * 1e3:.2f} us/frame, "
            f"median {values[len(values) // 2] * 1e3:.2f} us/frame"
        )


def load() -> str:
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rate", type=float, default=0.0, help="0: as fast as it can")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument(
        "--only", choices=("old", "new"), help="run one reader (to profile it)"
    )
    parser.add_argument("--parse", action="store_true", help="the parsers alone")
    args = parser.parse_args()
    if args.parse:
        parse_only(max(args.rounds, 5) * 6)
        return
    if args.loop == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    if args.serve:
        asyncio.run(serve(args.events, args.rate))
        return
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--events",
            str(args.events),
            "--rate",
            str(args.rate),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        url = f"ws://127.0.0.1:{port}/graphql"
        rate = f"{args.rate:g}/s" if args.rate else "as fast as possible"
        print(
            f"{args.events} events a run, {rate}, {args.loop}; "
            "CPU of this process from the first event to the last, per event"
        )
        kinds = [args.only] if args.only else ["old", "new"]
        results: dict[str, list[float]] = {kind: [] for kind in kinds}
        for round_ in range(args.rounds):
            for kind in kinds if round_ % 2 == 0 else kinds[::-1]:
                figures = asyncio.run(one_run(kind, url, args.events))
                results[kind].append(figures["cpu_us"])
                print(
                    f"round {round_ + 1} {kind}: {figures['cpu_us']:6.1f} us/event, "
                    f"{figures['wall_s']:5.2f} s, "
                    f"{figures['events_per_burst']:5.1f} events/burst, "
                    f"load {load()}",
                    flush=True,
                )
        for kind, values in results.items():
            print(
                f"{kind}: median {statistics.median(values):.1f} us/event "
                f"(range {min(values):.1f}-{max(values):.1f})"
            )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
