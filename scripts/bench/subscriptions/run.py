"""Subscription bench on the real graph: chat's messageEvents through the gateway.

Starts the graph as operators run it (tests/integration/subscriptions/realgraph.py:
PostgreSQL databases, a Redis of its own, `python -m subgraphs.accounts`,
`python -m subgraphs.chat`, `python -m gateway serve --workers N`), makes
`connections / per-conversation` conversations in chat (the demo user and the agent
in each), connects N graphql-transport-ws clients (clients.py) subscribed to
`messageEvents` with the sender's `displayName` (an entity fetch to accounts per
event), warms every subscription, reads the gateway's memory, then has a writer
send `sendMessage` at a fixed total rate for `--duration` seconds (straight to chat
with signed identity headers by default, so the gateway's CPU is the delivery's;
`--writer gateway` sends through it). Latency is mutation sent -> event received,
at every client; the gateway's CPU per delivered frame is its processes' CPU time
over the deliveries.

`--gateway hive` measures the peer instead, @graphql-hive/gateway (Node, one process,
hive/gateway.config.mjs) over a supergraph composed from accounts' and chat's
`_service { sdl }` with Apollo's composer (hive/compose.mjs), serving the same
subscription to the same clients; `--gateway both` measures Agora and then Hive on the
same graph (`--rounds N`: N pairs, the order alternating). Before measuring, one
event through the gateway under test must carry the sender (its displayName unless
`--plain`) without errors.

Run: .venv/bin/python scripts/bench/subscriptions/run.py --connections 1000 \
        --rates 100,1000 --duration 10 [--workers 2] [--client-processes 2] \
        [--gateway agora|hive|both] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration" / "subscriptions"))

from realgraph import (  # noqa: E402
    AGENT,
    DEMO_USER,
    Process,
    RealGraph,
    Subscriber,
    agent_headers,
    free_port,
    make_conversations,
    mint,
    real_graph,
)

if TYPE_CHECKING:
    from collections.abc import Callable

PYTHON = sys.executable
PEERS = ROOT / "scripts" / "bench" / "peers"
HIVE_BIN = PEERS / "node_modules" / ".bin" / "hive-gateway"
HIVE_CONFIG = HERE / "hive" / "gateway.config.mjs"
# As clients.py subscribes (the sender's displayName, or --plain its id only).
EVENTS_QUERY = (
    "subscription Events($id: ID!) { messageEvents(conversationId: $id) "
    "{ kind message { seq text sender { id displayName } } } }"
)
PLAIN_EVENTS_QUERY = EVENTS_QUERY.replace("sender { id displayName }", "sender { id }")
RESIGN_S = 20.0
MUTATION = (
    "mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { seq } }"
)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


class ClientGroup:
    """The client processes (clients.py)."""

    def __init__(self, processes: list[asyncio.subprocess.Process]) -> None:
        self.processes = processes

    @classmethod
    async def open(
        cls,
        url: str,
        connections: int,
        conversations: list[str],
        processes: int,
        token: str,
        plain: bool = False,
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
                ",".join(conversations),
                "--token",
                token,
                "--first",
                str(index * share),
                *(["--plain"] if plain else []),
            ]
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

    def __init__(
        self,
        url: str,
        headers: Callable[[], dict[str, str]],
        connections: int = 32,
    ) -> None:
        parts = urlsplit(url)
        # Made again every RESIGN_S: chat takes a signature for a minute only,
        # and a backlog can outlast it.
        self.headers = headers
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

    def _head(self) -> bytes:
        extra = "".join(
            f"{name}: {value}\r\n" for name, value in self.headers().items()
        )
        return (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}\r\n{extra}"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()

    def post(self, body: bytes) -> None:
        self.pending += 1
        self.idle.clear()
        self.queue.put_nowait(body)

    async def drained(self) -> None:
        if self.pending:
            await self.idle.wait()

    async def _work(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        head, made = self._head(), time.monotonic()
        try:
            while (body := await self.queue.get()) is not None:
                if time.monotonic() - made > RESIGN_S:
                    head, made = self._head(), time.monotonic()
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


def batch_mutation(size: int) -> str:
    """`size` sendMessage mutations in one document (m0, m1, ...)."""
    if size == 1:
        return MUTATION
    inputs = ", ".join(f"$i{n}: SendMessageInput!" for n in range(size))
    fields = " ".join(f"m{n}: sendMessage(input: $i{n}) {{ seq }}" for n in range(size))
    return f"mutation Send({inputs}) {{ {fields} }}"


async def send_messages(
    writer: Writer,
    conversations: list[str],
    rate: float,
    duration: float,
    warm: bool = False,
    batch: int = 1,
) -> int:
    """Send `rate` messages a second for `duration` seconds (round robin over the
    conversations), `batch` sendMessage mutations a request (chat validates each
    request's document anew: batching lets it reach higher rates); returns how
    many were answered without error."""
    total = len(conversations) if warm else int(rate * duration)
    failed = len(writer.failures)
    loop = asyncio.get_running_loop()
    begin = loop.time()
    for first in range(0, total, batch):
        if not warm:
            delay = begin + first / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        size = min(batch, total - first)
        text = "warm" if warm else str(time.time_ns())
        inputs = [
            {
                "conversationId": conversations[index % len(conversations)],
                "text": text,
            }
            for index in range(first, first + size)
        ]
        if size == 1:
            variables: dict[str, Any] = {"input": inputs[0]}
        else:
            variables = {f"i{n}": value for n, value in enumerate(inputs)}
        body = {"query": batch_mutation(size), "variables": variables}
        writer.post(orjson.dumps(body))
    await writer.drained()
    failures = writer.failures[failed:]
    if failures:
        print(f"  writer: {len(failures)} failed, first {failures[0]}", file=sys.stderr)
    return total - len(failures) * batch


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


def process_tree(pid: int) -> list[int]:
    """`pid` and its children (the gateway's workers)."""
    pids = [pid]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(child) for child in children]
    return pids


def tree_cpu(pid: int) -> float:
    return sum(cpu_seconds(p) for p in process_tree(pid))


def tree_rss_kib(pid: int) -> int:
    return sum(rss_kib(p) for p in process_tree(pid))


async def settled_rss_kib(target: Target) -> int:
    """The gateway's RSS; Hive's after a full collection (its config collects on
    SIGUSR2), so Node's garbage is not counted as memory the connections hold."""
    if target.name == "hive":
        os.kill(target.pid, signal.SIGUSR2)
        await asyncio.sleep(1)
    return tree_rss_kib(target.pid)


class Target:
    """The gateway under test: its name, process (CPU and memory are read from its
    tree) and URL."""

    def __init__(self, name: str, process: Process, url: str) -> None:
        self.name = name
        self.process = process
        self.url = url

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def websocket_url(self) -> str:
        return self.url.replace("http", "ws", 1) + "/graphql"


def writer_target(
    graph: RealGraph, via: str, gateway_url: str | None = None
) -> tuple[str, Callable[[], dict[str, str]]]:
    """Where the writer posts, and what makes its headers (a fresh identity
    signature each time)."""
    if via == "gateway":

        def bearer() -> dict[str, str]:
            return {"authorization": f"Bearer {mint(AGENT, roles=('support_agent',))}"}

        return (gateway_url or graph.gateway_url) + "/graphql", bearer

    return graph.chat_url + "/graphql", agent_headers


def accounts_url(graph: RealGraph) -> str:
    assert graph.accounts.ready is not None
    return graph.accounts.ready.removesuffix("/health")


async def service_sdl(client: httpx.AsyncClient, url: str) -> str:
    """A subgraph's `_service { sdl }`, asked with the gateway's signed headers."""
    response = await client.post(
        url + "/graphql",
        headers=agent_headers(),
        json={"query": "{ _service { sdl } }"},
    )
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"_service from {url}: {body['errors']}")
    return str(body["data"]["_service"]["sdl"])


async def start_hive(
    graph: RealGraph, logs: Path, upstream: str = "conversation"
) -> Target:
    """@graphql-hive/gateway over a supergraph of accounts and chat composed from
    their live SDL (hive/compose.mjs), one process (hive/gateway.config.mjs);
    `upstream`: one websocket to chat per conversation or per client."""
    if not HIVE_BIN.exists():
        raise SystemExit(
            f"no {HIVE_BIN}: install the Node peers first "
            "(cd scripts/bench/peers && npm ci)"
        )
    subgraphs = []
    async with httpx.AsyncClient(timeout=10) as client:
        for name, url in (("accounts", accounts_url(graph)), ("chat", graph.chat_url)):
            sdl = await service_sdl(client, url)
            subgraphs.append({"name": name, "url": url + "/graphql", "sdl": sdl})
    composer = await asyncio.create_subprocess_exec(
        "node",
        str(HERE / "hive" / "compose.mjs"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    supergraph, _ = await composer.communicate(orjson.dumps(subgraphs))
    if composer.returncode:
        raise RuntimeError("hive/compose.mjs failed (see above)")
    path = logs / "hive-supergraph.graphql"
    path.write_bytes(supergraph)
    port = free_port()
    process = Process(
        "hive",
        [
            "node",
            str(HIVE_BIN),
            "--config-path",
            str(HIVE_CONFIG),
            "supergraph",
            str(path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--fork",
            "1",
        ],
        {
            **os.environ,
            "NODE_ENV": "production",
            "NODE_OPTIONS": "--expose-gc",
            "HIVE_UPSTREAM": upstream,
        },
        ready=f"http://127.0.0.1:{port}/healthcheck",
        log=logs / "hive.log",
    )
    await process.start()
    return Target("hive", process, f"http://127.0.0.1:{port}")


async def verify_delivery(
    graph: RealGraph, target: Target, conversation: str, plain: bool
) -> dict[str, Any]:
    """One subscriber through `target`, one message sent to chat: the event must
    come with the sender (its displayName unless `plain`) and no errors."""
    subscriber = await Subscriber.open(target.websocket_url, mint(DEMO_USER, ttl=3600))
    try:
        await subscriber.subscribe(
            PLAIN_EVENTS_QUERY if plain else EVENTS_QUERY, {"id": conversation}
        )
        await asyncio.sleep(1)  # the subscription reaches chat
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                graph.chat_url + "/graphql",
                headers=agent_headers(),
                json={
                    "query": MUTATION,
                    "variables": {
                        "input": {"conversationId": conversation, "text": "verify"}
                    },
                },
            )
            response.raise_for_status()

        def arrived() -> bool:
            return bool(subscriber.errors) or any(
                m.get("type") in ("next", "error", "complete")
                for m in subscriber.messages
            )

        await subscriber.wait_for(arrived, 20)
        if subscriber.errors:
            raise RuntimeError(
                f"{target.name}: the event had errors: {subscriber.errors}"
            )
        message = next(m for m in subscriber.messages if m.get("type") == "next")
        sender = message["payload"]["data"]["messageEvents"]["message"]["sender"]
        if sender.get("id") != AGENT or (not plain and not sender.get("displayName")):
            raise RuntimeError(f"{target.name}: unexpected sender {sender}")
        return dict(sender)
    finally:
        await subscriber.close()


async def run_graph(
    args: argparse.Namespace, graph: RealGraph, target: Target | None = None
) -> dict[str, Any]:
    if target is None:
        target = Target("agora", graph.gateway, graph.gateway_url)
    server_pid = target.pid
    conversations = await make_conversations(
        graph, max(1, args.connections // args.per_conversation)
    )
    # With Agora alone (the default) the run is as before: nothing verified.
    sender = None
    if args.gateway != "agora":
        sender = await verify_delivery(graph, target, conversations[0], args.plain)
    await asyncio.sleep(1)  # the workers are up and idle
    baseline = await settled_rss_kib(target)
    opened = time.monotonic()
    group = await ClientGroup.open(
        target.websocket_url,
        args.connections,
        conversations,
        args.client_processes,
        mint(DEMO_USER, ttl=24 * 3600),
        plain=args.plain,
    )
    result: dict[str, Any] = {
        "gateway": target.name,
        "workers": args.workers if target.name == "agora" else 1,
        "connections": args.connections,
        "conversations": len(conversations),
        "writer": args.writer,
        "selection": "sender { id }" if args.plain else "sender { id displayName }",
        "connect_s": round(time.monotonic() - opened, 1),
    }
    if sender is not None:
        result["verified_sender"] = sender
    if target.name == "hive":
        result["hive_upstream"] = args.hive_upstream
    idle_cpu = 0.0
    try:
        for rate_index, rate in enumerate([0.0, *args.rates]):
            url, headers = writer_target(graph, args.writer, target.url)
            async with Writer(url, headers) as client:
                if rate_index == 0:
                    warm_tasks = asyncio.ensure_future(group.read_all("warm"))
                    await group.command("warm?")
                    for _ in range(60):
                        await send_messages(client, conversations, 0, 0, warm=True)
                        done, _ = await asyncio.wait({warm_tasks}, timeout=2)
                        if done:
                            break
                    else:
                        raise RuntimeError("not every client received a warm-up event")
                    await asyncio.sleep(2)  # let the servers settle
                    idle = await settled_rss_kib(target)
                    result["gateway_rss_mib"] = round(idle / 1024, 1)
                    result["kib_per_idle_connection"] = round(
                        (idle - baseline) / args.connections, 1
                    )
                    # What the gateway spends with nothing to deliver (timers, pings):
                    # part of every rate's CPU, and most of it at low rates.
                    cpu_before = tree_cpu(server_pid)
                    await asyncio.sleep(args.idle)
                    idle_cpu = (tree_cpu(server_pid) - cpu_before) / args.idle
                    result["gateway_idle_cpu_core_share"] = round(idle_cpu, 4)
                    result["rates"] = []
                    continue
                cpu_before = tree_cpu(server_pid)
                if os.environ.get("AGORA_CPUPROF") and target.name == "agora":
                    # scripts/bench/cpuprof: the gateway's profile starts here.
                    for pid in process_tree(server_pid):
                        os.kill(pid, signal.SIGUSR2)
                began = time.monotonic()
                sent = await send_messages(
                    client, conversations, rate, args.duration, batch=args.batch
                )
                elapsed = time.monotonic() - began
                await asyncio.sleep(args.drain)
                cpu = tree_cpu(server_pid) - cpu_before
            await group.command("collect")
            batches = await group.read_all("latencies_us")
            latencies = [v for batch in batches for v in batch["latencies_us"]]
            expected = sent * args.per_conversation
            busy = cpu - idle_cpu * (elapsed + args.drain)
            row = {
                "rate": rate,
                "sent": sent,
                "send_s": round(elapsed, 1),
                "sent_per_s": round(sent / elapsed, 1),
                "deliveries": len(latencies),
                "deliveries_per_s": round(len(latencies) / elapsed, 1),
                "delivered": round(len(latencies) / expected, 4) if expected else 0,
                "gateway_cpu_core_share": round(cpu / (elapsed + args.drain), 2),
                "gateway_cpu_us_per_frame": (
                    round(cpu * 1e6 / len(latencies), 1) if latencies else None
                ),
                # The same less the idle share over the window.
                "gateway_busy_cpu_us_per_frame": (
                    round(busy * 1e6 / len(latencies), 1) if latencies else None
                ),
                "closed_clients": sum(b["closed"] for b in batches),
                # The machine's load (1 min) as the rate ended: what else competed.
                "loadavg_1m": round(os.getloadavg()[0], 1),
                **summary(latencies),
            }
            shown = "" if target.name == "agora" else f"{target.name} "
            print(f"  {shown}{args.connections} conns {rate}/s: {row}", flush=True)
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
    parser.add_argument(
        "--idle", type=float, default=5.0, help="seconds the idle CPU is read over"
    )
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="gateway workers")
    parser.add_argument("--writer", choices=["chat", "gateway"], default="chat")
    parser.add_argument(
        "--plain",
        action="store_true",
        help="subscribe without the sender's displayName (no entity fetch)",
    )
    parser.add_argument(
        "--batch", type=int, default=1, help="sendMessage mutations per request"
    )
    parser.add_argument(
        "--no-entity-cache",
        action="store_true",
        help="the gateway keeps no entities (entity_cache.max_entries 0): every "
        "event's sender is fetched from accounts",
    )
    parser.add_argument(
        "--gateway",
        choices=["agora", "hive", "both"],
        default="agora",
        help="the gateway measured: Agora, the peer @graphql-hive/gateway, or "
        "both in turn on the same graph",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=10.0,
        help="seconds between two gateways' turns (--gateway both, --rounds)",
    )
    parser.add_argument(
        "--hive-upstream",
        choices=["conversation", "client"],
        default="conversation",
        help="Hive's websockets to chat: one per conversation (its clients' "
        "subscriptions on it) or one per client subscription",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="with --gateway both: pairs measured, the order alternating",
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    # SIGTERM ends the run as Ctrl-C does: the graph's processes are stopped.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"agora-bench-{os.getpid()}"
    gateway_env = {
        "AGORA_GATEWAY_SERVER_MAX_CONNECTIONS": str(args.connections + 200),
        "AGORA_GATEWAY_SUBSCRIPTION_KEEPALIVE": "0",
    }
    if args.no_entity_cache:
        gateway_env["AGORA_GATEWAY_ENTITY_CACHE_MAX_ENTRIES"] = "0"
    results = []
    async with real_graph(logs, gateway_env=gateway_env, workers=args.workers) as graph:
        if args.gateway == "agora":
            results.append(await run_graph(args, graph))
        else:
            hive = await start_hive(graph, logs, args.hive_upstream)
            try:
                if args.gateway == "hive":
                    # Agora's gateway is not measured: it is stopped, not left idle.
                    await graph.gateway.stop()
                    order = ["hive"] * args.rounds
                else:
                    order = [
                        name
                        for round_index in range(args.rounds)
                        for name in (
                            ("agora", "hive")
                            if round_index % 2 == 0
                            else ("hive", "agora")
                        )
                    ]
                agora = Target("agora", graph.gateway, graph.gateway_url)
                for turn, name in enumerate(order):
                    target = hive if name == "hive" else agora
                    if turn:
                        # chat ends the last turn's upstream subscriptions (Hive's
                        # thousand take it a few seconds) before the next begins.
                        await asyncio.sleep(args.settle)
                    if name in order[:turn]:
                        # A fresh process each turn: its memory per idle connection
                        # is read from the same start, and no turn inherits the
                        # last one's warmed-up code.
                        await target.process.stop()
                        await target.process.start()
                    print(f"  measuring {name}", file=sys.stderr, flush=True)
                    results.append(await run_graph(args, graph, target))
            finally:
                await hive.process.stop(timeout=10)
    report = {"args": {k: str(v) for k, v in vars(args).items()}, "results": results}
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    if args.out:
        args.out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    asyncio.run(main())
