"""Gateway-added latency in the embedded mode: one operation through the gateway in
process against the same subgraph requests sent straight to the subgraphs in process.

    .venv/bin/python scripts/bench/embedded/latency.py [--requests 3000]
        [--warmup 300] [--config PATH] [--operation farms|tenant]
        [--output results/latest.json]

Builds the whole graph as `scripts/run` does (every Agora subgraph in process, SQLite
in a temporary directory, in-memory pub/sub, demo data seeded; the gateway reaches each
subgraph through its in-process ASGI transport), logs in as the demo farmer, and then,
one request at a time (no concurrency: this is latency, not throughput), alternates:

- through the gateway: the client's POST to the gateway's ASGI app, answered in full;
- straight: the very subgraph requests that gateway request sent (body, headers with
  the identity it signed, in the plan's order), each POSTed to its subgraph's ASGI app.

Both are raw ASGI calls with the body already serialised and the answer left as bytes,
so the difference is what the gateway adds: parsing, validation, policies, the plan
cache, building and sending each fetch, merging, projection, serialising, its logs and
metrics. The figures are p50/p90/p99 of each path and of the per-pair difference
(gateway minus straight, measured back to back). Issue 17's goal: p50 under 1 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

Message = MutableMapping[str, Any]
ASGIApp = Callable[..., Awaitable[None]]

# Two subgraphs: farms from inventory, each farm's tenant name from accounts.
OPERATIONS = {
    "farms": (
        "Farms",
        "query Farms { farms { id name location tenant { id name } } }",
    ),
    # One subgraph (accounts): the gateway's cost without an entity jump.
    "tenant": (
        "Tenant",
        "query Tenant($id: ID!) { tenant(id: $id) { id name createdAt } }",
    ),
}
FARMER_EMAIL = "farmer@agora.dev"


async def asgi_post(
    app: ASGIApp, path: str, body: bytes, headers: list[tuple[bytes, bytes]]
) -> tuple[int, bytes]:
    """POST body to an ASGI app; its status and the whole answer, as bytes."""
    scope: Message = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *headers,
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    sent = False
    status = 500
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # no disconnect while answering
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


@dataclass(slots=True)
class Recorded:
    """The subgraph requests of the last gateway request, ready to send straight."""

    requests: list[tuple[str, bytes, list[tuple[bytes, bytes]]]] = field(
        default_factory=list
    )


class TimedApp:
    """A subgraph's ASGI app, adding up the time spent inside it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.spent = 0.0
        # CPU time of this (the event loop's) thread inside the app.
        self.spent_cpu = 0.0

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        started_cpu = time.thread_time()
        try:
            await self.app(scope, receive, send)
        finally:
            self.spent += time.perf_counter() - started
            self.spent_cpu += time.thread_time() - started_cpu


class RecordingTransport:
    """The gateway's in-process transport, noting each request it sends."""

    def __init__(self, inner: Any, recorded: Recorded) -> None:
        self.inner = inner
        self.recorded = recorded

    async def fetch(self, request: Any) -> Any:
        headers = [
            (key.lower().encode("latin-1"), value.encode("latin-1"))
            for key, value in request.headers.items()
        ]
        self.recorded.requests.append(
            (request.subgraph, orjson.dumps(request.body()), headers)
        )
        return await self.inner.fetch(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@contextlib.asynccontextmanager
async def lifespan_of(app: ASGIApp) -> AsyncIterator[None]:
    """Run app's lifespan (start-up before the block, shut-down after it)."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()

    async def run() -> None:
        await app({"type": "lifespan"}, inbox.get, outbox.put)

    task = asyncio.create_task(run())
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"start-up failed: {started.get('message')}")
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p90, p99 and the mean of samples (seconds), in milliseconds."""
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    return {
        "p50_ms": round(at(0.50) * 1000, 4),
        "p90_ms": round(at(0.90) * 1000, 4),
        "p99_ms": round(at(0.99) * 1000, 4),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 4),
    }


async def measure(args: argparse.Namespace, devnull: IO[str]) -> dict[str, Any]:
    from gateway.config import load_config
    from gateway.server import create_app
    from gateway.telemetry import configure_logging
    from gateway.transport import AsgiTransport
    from scripts._subgraphs import existing_subgraphs
    from scripts.embedded import EmbeddedGraph
    from subgraphs.accounts.seed import DEMO_PASSWORD, GREEN_FARMS_ID
    from subgraphs.kit.embedded import create_embedded
    from subgraphs.kit.settings import Settings

    config = load_config(args.config)
    # As the embedded mode logs (one line a request), into the void.
    configure_logging(config.server.log_level, config.log_format)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(devnull)
    settings = Settings.from_env()
    subgraphs = existing_subgraphs()
    plain_apps, subgraphs_lifespan = create_embedded(
        [s for _, s in subgraphs], settings
    )
    apps = {name: TimedApp(app) for name, app in plain_apps.items()}
    recorded = Recorded()
    transports = {
        name: RecordingTransport(AsgiTransport(name, app), recorded)
        for name, app in apps.items()
    }
    # The checked-in supergraph (CI keeps it current): composing from each app's
    # `_service` as scripts/run does needs no running loop.
    supergraph = (ROOT / "schema" / "supergraph.graphql").read_text()
    gateway = create_app(supergraph, transports=transports, config=config)
    graph = EmbeddedGraph(gateway, subgraphs_lifespan)
    async with lifespan_of(graph):
        login = orjson.dumps(
            {
                "query": "mutation($e: String!, $p: String!)"
                " { login(email: $e, password: $p) { accessToken } }",
                "variables": {"e": FARMER_EMAIL, "p": DEMO_PASSWORD},
            }
        )
        _, answer = await asgi_post(graph, "/graphql", login, [])
        token = orjson.loads(answer)["data"]["login"]["accessToken"]
        auth = [(b"authorization", f"Bearer {token}".encode())]
        name, query = OPERATIONS[args.operation]
        variables = {"id": str(GREEN_FARMS_ID)} if args.operation == "tenant" else {}
        body = orjson.dumps(
            {"query": query, "operationName": name, "variables": variables}
        )

        async def through_gateway() -> bytes:
            recorded.requests.clear()
            status, answer = await asgi_post(graph, "/graphql", body, auth)
            if status != 200:
                raise RuntimeError(f"gateway answered {status}: {answer[:300]!r}")
            return answer

        async def straight(requests: list[Any]) -> list[bytes]:
            answers = []
            for subgraph, sub_body, headers in requests:
                status, answer = await asgi_post(
                    apps[subgraph], "/graphql", sub_body, headers
                )
                if status != 200:
                    raise RuntimeError(f"{subgraph} answered {status}: {answer!r}")
                answers.append(answer)
            return answers

        first = orjson.loads(await through_gateway())
        if first.get("errors") or not first.get("data"):
            raise RuntimeError(f"the operation failed: {first}")
        requests = list(recorded.requests)
        for answer in await straight(requests):
            if orjson.loads(answer).get("errors"):
                raise RuntimeError(f"a straight request failed: {answer[:300]!r}")
        for _ in range(args.warmup):
            await through_gateway()
            for answer in await straight(list(recorded.requests)):
                if orjson.loads(answer).get("errors"):
                    raise RuntimeError(f"a straight request failed: {answer[:300]!r}")
        if args.gc == "off":
            gc.collect()
            gc.disable()
        elif args.gc == "freeze":
            # What a server can do once started: the long-lived heap (schemas,
            # supergraph, plans) leaves the collector's sight.
            gc.collect()
            gc.freeze()
        if args.gc_threshold:
            gc.set_threshold(args.gc_threshold, *gc.get_threshold()[1:])
        gateway_times: list[float] = []
        straight_times: list[float] = []
        # Per gateway request: its time less the time spent inside the subgraph apps
        # while it ran (the same requests' subgraph work, measured in place).
        outside: list[float] = []
        within: list[float] = []
        # The same in CPU time of the event loop's thread: what the gateway's code
        # costs, whatever else the machine runs (SQLite's own thread left out).
        outside_cpu: list[float] = []
        # The subgraphs' CPU time in each path: equal unless the gateway's path makes
        # them do more (the garbage collector runs when allocations cross its
        # thresholds, in whatever code runs then: mostly the subgraphs').
        subgraphs_cpu_gateway: list[float] = []
        subgraphs_cpu_straight: list[float] = []
        clock = time.perf_counter

        def inside() -> float:
            return sum(app.spent for app in apps.values())

        def inside_cpu() -> float:
            return sum(app.spent_cpu for app in apps.values())

        async def timed_gateway() -> None:
            before, before_cpu = inside(), inside_cpu()
            started, started_cpu = clock(), time.thread_time()
            await through_gateway()
            gateway_times.append(clock() - started)
            cpu = time.thread_time() - started_cpu
            within.append(inside() - before)
            outside.append(gateway_times[-1] - within[-1])
            subgraphs_cpu_gateway.append(inside_cpu() - before_cpu)
            outside_cpu.append(cpu - subgraphs_cpu_gateway[-1])

        async def timed_straight(requests: list[Any]) -> None:
            before_cpu = inside_cpu()
            started = clock()
            await straight(requests)
            straight_times.append(clock() - started)
            subgraphs_cpu_straight.append(inside_cpu() - before_cpu)

        for index in range(args.requests):
            # Alternate which path goes first; the straight path replays the last
            # gateway request's subgraph requests (fresh identity signatures).
            if index % 2:
                await timed_gateway()
                await timed_straight(list(recorded.requests))
            else:
                await timed_straight(list(recorded.requests))
                await timed_gateway()
        added = [g - s for g, s in zip(gateway_times, straight_times, strict=True)]
        subgraph_requests = [(s, json.loads(b)) for s, b, _ in recorded.requests]
    return {
        "operation": args.operation,
        "query": query,
        "subgraph_requests": [
            {"subgraph": s, "query": b["query"]} for s, b in subgraph_requests
        ],
        "requests": args.requests,
        "through_gateway": percentiles(gateway_times),
        "straight_to_subgraphs": percentiles(straight_times),
        "gateway_outside_subgraphs": percentiles(outside),
        "gateway_cpu_outside_subgraphs": percentiles(outside_cpu),
        "subgraphs_cpu_in_gateway_path": percentiles(subgraphs_cpu_gateway),
        "subgraphs_cpu_straight": percentiles(subgraphs_cpu_straight),
        "gc": args.gc,
        "gc_threshold": gc.get_threshold(),
        "subgraphs_within_gateway": percentiles(within),
        "gateway_added": {
            **percentiles(added),
            "p50_difference_ms": round(
                (statistics.median(gateway_times) - statistics.median(straight_times))
                * 1000,
                4,
            ),
        },
        "config": str(args.config) if args.config else "defaults",
        "dedup": {"inbound": config.dedup.inbound, "upstream": config.dedup.upstream},
    }


def render(result: dict[str, Any]) -> str:
    lines = [
        f"embedded latency, {result['operation']}: {result['query']} "
        f"(gc {result['gc']}, thresholds {tuple(result['gc_threshold'])})",
        f"  {result['requests']} requests one at a time; subgraph requests per "
        "operation: "
        + ", ".join(request["subgraph"] for request in result["subgraph_requests"]),
        f"  {'path':<22} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'mean ms':>8}",
    ]
    for label, key in (
        ("through the gateway", "through_gateway"),
        ("straight to subgraphs", "straight_to_subgraphs"),
        ("gateway added (pairs)", "gateway_added"),
        ("gateway, own time", "gateway_outside_subgraphs"),
        ("gateway, own CPU time", "gateway_cpu_outside_subgraphs"),
        ("subgraphs, in gateway", "subgraphs_within_gateway"),
        ("subgraphs CPU, gateway", "subgraphs_cpu_in_gateway_path"),
        ("subgraphs CPU, straight", "subgraphs_cpu_straight"),
    ):
        figures = result[key]
        lines.append(
            f"  {label:<22} {figures['p50_ms']:>8.3f} {figures['p90_ms']:>8.3f} "
            f"{figures['p99_ms']:>8.3f} {figures['mean_ms']:>8.3f}"
        )
    for label, key in (
        ("through minus straight, per pair", "gateway_added"),
        ("the gateway's own time per request", "gateway_outside_subgraphs"),
        ("the gateway's own CPU time per request", "gateway_cpu_outside_subgraphs"),
    ):
        added = result[key]["p50_ms"]
        verdict = "met" if added < 1.0 else "NOT MET"
        lines.append(
            f"  goal, gateway-added p50 under 1 ms ({label}): {added:.3f} ms "
            f"({verdict})"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--operation", choices=tuple(OPERATIONS), default="farms")
    parser.add_argument("--config", type=Path, default=None, help="gateway.yaml")
    parser.add_argument(
        "--gc",
        choices=("default", "freeze", "off"),
        default="default",
        help="the garbage collector while measuring: as is, gc.freeze() after the "
        "warm-up, or disabled",
    )
    parser.add_argument(
        "--gc-threshold", type=int, default=0, help="gen0 threshold (default: as is)"
    )
    parser.add_argument("--output", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="agora-latency-") as data,
        open(os.devnull, "w") as devnull,
    ):
        # The embedded defaults, in a directory of its own: SQLite, in-memory pub/sub.
        for name in ("DATABASE_URL", "REDIS_URL", "AGORA_ENV"):
            os.environ.pop(name, None)
        os.environ["AGORA_DATA_DIR"] = data
        try:
            import uvloop
        except ImportError:
            result = asyncio.run(measure(args, devnull))
        else:
            result = uvloop.run(measure(args, devnull))
    result["started_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(render(result))
    print(f"\nfigures: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
