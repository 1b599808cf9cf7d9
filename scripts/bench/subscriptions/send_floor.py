"""What one frame's `send` costs the sending process on this machine (issue 14).

The gateway writes each delivered frame to its client's socket: one `send` per
frame per socket. This measures that floor without the gateway: a process on
uvloop (as the gateway runs) holds `--connections` loopback TCP connections to a
reader process (asyncio, reading everything, as the bench's clients do) and, at
`--rate` events a second, writes one 300-byte websocket text frame to each of
`--fanout` sockets per event, for `--duration` seconds. It reports the writer's
CPU (user + system, from /proc) per event in three modes: waking for the event
and writing nothing; one `send` per frame; and the event's frames joined in one
`send` to one socket (what several frames for one socket in one write would
cost). From those: what one frame's `send` costs, and what waking once an event
costs, on this machine.

    .venv/bin/python scripts/bench/subscriptions/send_floor.py [--rate 100] \\
        [--fanout 10] [--connections 1000] [--duration 10]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import time

import orjson
import uvloop

FRAME = b"\x81\x7e\x01\x2c" + b"x" * 300


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def reader(port_queue: multiprocessing.Queue[int]) -> None:
    async def serve() -> None:
        async def drain(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            while await reader.read(65536):
                pass
            writer.close()

        server = await asyncio.start_server(drain, "127.0.0.1", 0, backlog=4096)
        port_queue.put(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


async def write(args: argparse.Namespace, port: int) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    sinks: list[asyncio.BaseTransport] = []
    for _ in range(args.connections):
        transport, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
        transport.get_extra_info("socket").setsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
        )
        sinks.append(transport)
    await asyncio.sleep(1)
    result: dict[str, float] = {}
    for mode in ("wake only", "one frame a send", "frames joined in one send"):
        events = int(args.rate * args.duration)
        before = cpu_seconds()
        began = time.monotonic()
        for n in range(events):
            # Sleep until this event is due: the loop wakes once an event, as the
            # gateway does for an event from a subgraph.
            due = began + n / args.rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            start = (n * args.fanout) % args.connections
            if mode == "wake only":
                continue
            if mode == "one frame a send":
                for i in range(args.fanout):
                    sinks[(start + i) % args.connections].write(FRAME)  # type: ignore[attr-defined]
            else:
                sinks[start % args.connections].write(FRAME * args.fanout)  # type: ignore[attr-defined]
        spent = cpu_seconds() - before
        result[f"{mode}: µs an event"] = round(spent * 1e6 / events, 1)
    wake = result["wake only: µs an event"]
    result["one frame's send: µs"] = round(
        (result["one frame a send: µs an event"] - wake) / args.fanout, 1
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--fanout", type=int, default=10)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    child = multiprocessing.Process(target=reader, args=(ports,), daemon=True)
    child.start()
    try:
        port = ports.get(timeout=10)
        result = uvloop.run(write(args, port))
    finally:
        child.terminate()
    report = {
        "args": vars(args),
        "writer_cpu": result,
        "loadavg_1m": round(os.getloadavg()[0], 1),
    }
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
