"""Subscription bench: N websocket clients via the gateway vs straight to the subgraph.

Starts the fixture subgraphs (fixture.py), composes them, starts the gateway
(gateway_server.py), then for each mode (gateway, direct) connects N
graphql-transport-ws clients (clients.py, `--per-conversation` per conversation),
warms every subscription, measures the server's memory per idle connection, and for
each rate has a writer send `sendMessage` mutations (through the gateway, or to the
subgraph in direct mode) at that fixed total rate for `--duration` seconds. Delivery
latency is mutation sent -> event received, at every client (p50/p99/max), with the
share of expected deliveries that arrived. Through the gateway each event also needs
an entity jump to the second subgraph (the author's name); straight to the subgraph
it cannot have that field.

Run: .venv/bin/python scripts/bench/subscriptions/run.py --connections 1000 \
        --rates 100,1000 --duration 10 [--client-processes 2] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from gateway.compose import SubgraphDefinition, compose  # noqa: E402

PYTHON = sys.executable
MUTATION = (
    "mutation Send($room: String!, $body: String!, $author: ID!) "
    "{ sendMessage(room: $room, body: $body, author: $author) { id } }"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


async def wait_http(url: str, body: dict[str, Any] | None = None) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if body is None:
                    response = await client.get(url)
                else:
                    response = await client.post(url, json=body)
                if response.status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def start(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(PYTHON, *args, cwd=ROOT)


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


async def sdl_of(url: str) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(url, json={"query": "{ _service { sdl } }"})
        return str(response.json()["data"]["_service"]["sdl"])


class ClientGroup:
    """The client processes of one mode."""

    def __init__(self, processes: list[asyncio.subprocess.Process]) -> None:
        self.processes = processes

    @classmethod
    async def open(
        cls,
        url: str,
        connections: int,
        conversations: int,
        processes: int,
        names: bool,
    ) -> ClientGroup:
        share = connections // processes
        started = []
        for index in range(processes):
            count = share if index < processes - 1 else connections - share * index
            args = [
                str(HERE / "clients.py"),
                url,
                "--clients",
                str(count),
                "--conversations",
                str(conversations),
                "--first",
                str(index * share),
            ]
            if names:
                args.append("--names")
            started.append(
                await asyncio.create_subprocess_exec(
                    PYTHON,
                    *args,
                    cwd=ROOT,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    limit=2**30,
                )
            )
        group = cls(started)
        for line in await group.read_all("subscribed"):
            if line.get("failed"):
                raise RuntimeError(f"clients failed to subscribe: {line}")
        return group

    async def read(
        self, process: asyncio.subprocess.Process, key: str
    ) -> dict[str, Any]:
        assert process.stdout is not None
        while True:
            raw = await process.stdout.readline()
            if not raw:
                raise RuntimeError("a client process ended")
            line: dict[str, Any] = orjson.loads(raw)
            if key in line:
                return line
            print("  client:", line, file=sys.stderr)

    async def read_all(self, key: str) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(self.read(p, key) for p in self.processes)))

    async def command(self, text: str) -> None:
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.write(text.encode() + b"\n")
            await process.stdin.drain()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.command("stop")
        for process in self.processes:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 60)
            await stop(process)


class Writer:
    """Keep-alive HTTP/1.1 POSTs over a few raw connections (httpx is too slow to
    hold 1,000 requests a second on this machine; the writer must not be the
    bottleneck). Each connection sends one request and reads its answer."""

    def __init__(self, url: str, connections: int = 32) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = parts.path
        self.connections = connections
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.failures: list[str] = []
        self.workers: list[asyncio.Task[None]] = []
        self.pending = 0
        self.idle = asyncio.Event()

    async def __aenter__(self) -> Writer:
        self.workers = [
            asyncio.create_task(self._work()) for _ in range(self.connections)
        ]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for _ in self.workers:
            self.queue.put_nowait(None)
        await asyncio.gather(*self.workers, return_exceptions=True)

    def post(self, body: bytes) -> None:
        self.pending += 1
        self.idle.clear()
        self.queue.put_nowait(body)

    async def drained(self) -> None:
        if self.pending:
            await self.idle.wait()

    async def _work(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()
        try:
            while (body := await self.queue.get()) is not None:
                try:
                    writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
                    status = await reader.readline()
                    length = 0
                    while (line := await reader.readline()) not in (b"\r\n", b""):
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value)
                    answer = await reader.readexactly(length)
                    if b" 200 " not in status or b'"errors"' in answer:
                        self.failures.append((status + answer[:200]).decode())
                except (OSError, asyncio.IncompleteReadError) as exc:
                    self.failures.append(repr(exc))
                    writer.close()
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                finally:
                    self.pending -= 1
                    if not self.pending:
                        self.idle.set()
        finally:
            writer.close()


async def send_messages(
    writer: Writer,
    conversations: int,
    rate: float,
    duration: float,
    warm: bool = False,
) -> int:
    """Send `rate` messages a second for `duration` seconds (round robin over the
    conversations); returns how many were answered without error."""
    total = conversations if warm else int(rate * duration)
    failed = len(writer.failures)
    loop = asyncio.get_running_loop()
    begin = loop.time()
    for index in range(total):
        if not warm:
            delay = begin + index / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        body = "warm" if warm else str(time.time_ns())
        variables = {"room": f"r{index % conversations}", "body": body, "author": "u1"}
        writer.post(orjson.dumps({"query": MUTATION, "variables": variables}))
    await writer.drained()
    failures = writer.failures[failed:]
    if failures:
        print(f"  writer: {len(failures)} failed, first {failures[0]}", file=sys.stderr)
    return total - len(failures)


def summary(latencies_us: list[int]) -> dict[str, float]:
    if not latencies_us:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    ordered = sorted(latencies_us)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000  # noqa: E731
    return {
        "p50_ms": round(pick(0.50), 2),
        "p99_ms": round(pick(0.99), 2),
        "max_ms": round(ordered[-1] / 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) / 1000, 2),
    }


async def run_mode(
    mode: str,
    args: argparse.Namespace,
    server_pid: int,
    ws_url: str,
    http_url: str,
) -> dict[str, Any]:
    conversations = max(1, args.connections // args.per_conversation)
    baseline = rss_kib(server_pid)
    opened = time.monotonic()
    group = await ClientGroup.open(
        ws_url,
        args.connections,
        conversations,
        args.client_processes,
        names=mode == "gateway",
    )
    result: dict[str, Any] = {
        "mode": mode,
        "connections": args.connections,
        "conversations": conversations,
        "connect_s": round(time.monotonic() - opened, 1),
    }
    try:
        async with Writer(http_url) as client:
            warm_tasks = asyncio.ensure_future(group.read_all("warm"))
            await group.command("warm?")
            for _ in range(60):
                await send_messages(client, conversations, 0, 0, warm=True)
                done, _ = await asyncio.wait({warm_tasks}, timeout=2)
                if done:
                    break
            else:
                raise RuntimeError("not every client received a warm-up event")
            await asyncio.sleep(2)  # let the servers settle before reading memory
            idle = rss_kib(server_pid)
            result["server_rss_mib"] = round(idle / 1024, 1)
            result["kib_per_idle_connection"] = round(
                (idle - baseline) / args.connections, 1
            )
            result["rates"] = []
            for rate in args.rates:
                cpu_before = cpu_seconds(server_pid)
                began = time.monotonic()
                sent = await send_messages(client, conversations, rate, args.duration)
                elapsed = time.monotonic() - began
                await asyncio.sleep(args.drain)
                cpu = cpu_seconds(server_pid) - cpu_before
                await group.command("collect")
                batches = await group.read_all("latencies_us")
                latencies = [v for batch in batches for v in batch["latencies_us"]]
                expected = sent * args.per_conversation
                row = {
                    "rate": rate,
                    "sent": sent,
                    "send_s": round(elapsed, 1),
                    "deliveries": len(latencies),
                    "delivered": round(len(latencies) / expected, 4),
                    "server_cpu_core_share": round(cpu / (elapsed + args.drain), 2),
                    "closed_clients": sum(b["closed"] for b in batches),
                    **summary(latencies),
                }
                print(f"  {mode} {args.connections} conns {rate}/s: {row}", flush=True)
                result["rates"].append(row)
    finally:
        await group.close()
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--per-conversation", type=int, default=10)
    parser.add_argument(
        "--rates", type=lambda s: [float(r) for r in s.split(",")], default=[100.0]
    )
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--drain", type=float, default=3.0)
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--modes", default="gateway,direct")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--profile", type=Path, help="cProfile the gateway into PATH")
    args = parser.parse_args()

    rooms_port, people_port, gateway_port = free_port(), free_port(), free_port()
    fixture = await start(
        str(HERE / "fixture.py"),
        "--rooms-port",
        str(rooms_port),
        "--people-port",
        str(people_port),
    )
    processes = [fixture]
    results: list[dict[str, Any]] = []
    try:
        rooms = f"http://127.0.0.1:{rooms_port}/graphql"
        people = f"http://127.0.0.1:{people_port}/graphql"
        for url in (rooms, people):
            await wait_http(url, {"query": "{ __typename }"})
        composed = compose(
            [
                SubgraphDefinition("rooms", rooms, await sdl_of(rooms)),
                SubgraphDefinition("people", people, await sdl_of(people)),
            ]
        )
        assert composed.supergraph_sdl is not None, composed.errors
        with tempfile.NamedTemporaryFile("w", suffix=".graphql", delete=False) as f:
            f.write(composed.supergraph_sdl)
        gateway = await start(
            str(HERE / "gateway_server.py"),
            "--supergraph",
            f.name,
            "--port",
            str(gateway_port),
            *(["--profile", str(args.profile)] if args.profile else []),
        )
        processes.append(gateway)
        gateway_http = f"http://127.0.0.1:{gateway_port}"
        await wait_http(gateway_http + "/health")
        for mode in args.modes.split(","):
            if mode == "gateway":
                target = (gateway.pid, gateway_http.replace("http", "ws") + "/graphql")
                writer = gateway_http + "/graphql"
            else:
                target = (fixture.pid, rooms.replace("http", "ws"))
                writer = rooms
            results.append(await run_mode(mode, args, target[0], target[1], writer))
    finally:
        for process in reversed(processes):
            await stop(process)
    report = {"args": {k: str(v) for k, v in vars(args).items()}, "results": results}
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    if args.out:
        args.out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    asyncio.run(main())
