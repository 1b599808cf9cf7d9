"""What a subgraph's metrics cost a request (issue 17): the same small query through
a subgraph app in process, metrics on and off taking turns request by request; and
the bare cost of `instrument` around a request that does nothing.

    .venv/bin/python scripts/bench/subgraph_telemetry.py [--requests 5000] [--traced]

`--traced` also times a traced app (OpenTelemetry, spans to an in-memory exporter).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import strawberry

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from subgraphs.kit.app import SubgraphSpec, create_subgraph_app
from subgraphs.kit.settings import Settings
from subgraphs.kit.telemetry import (
    SubgraphMetrics,
    SubgraphTelemetry,
    instrument,
)


@strawberry.type
class Item:
    id: int
    name: str


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [Item(id=i, name=f"item {i}") for i in range(20)]


def spec() -> SubgraphSpec:
    # A schema each: the app measuring adds an extension to its schema.
    return SubgraphSpec(
        name="bench", schema=strawberry.federation.Schema(query=Query), models=[]
    )


SPEC = spec()
QUERY = {"query": "{ items { id name } }"}


async def interleaved(apps: dict[str, object], requests: int) -> dict[str, list[float]]:
    """Seconds of each request, the apps taking turns request by request (a loaded
    machine's drift then hits both alike)."""
    clients = {
        name: httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
            base_url="http://b",
        )
        for name, app in apps.items()
    }
    times: dict[str, list[float]] = {name: [] for name in apps}
    order = list(apps)
    for index in range(requests + 200):
        for name in order if index % 2 else reversed(order):
            started = time.perf_counter()
            await clients[name].post("/graphql", json=QUERY)
            if index >= 200:  # after a warm-up
                times[name].append(time.perf_counter() - started)
    for client in clients.values():
        await client.aclose()
    return times


async def bare(calls: int) -> tuple[float, float]:
    telemetry = SubgraphTelemetry(metrics=SubgraphMetrics())
    result = SPEC.schema.execute_sync("{ items { id } }")

    async def call() -> object:
        return result

    started = time.perf_counter()
    for _ in range(calls):
        await call()
    plain = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(calls):
        await instrument(telemetry, "bench", {}, call)  # type: ignore[arg-type]
    counted = time.perf_counter() - started
    return plain / calls * 1e6, counted / calls * 1e6


def in_memory_tracer() -> object:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
        InMemorySpanExporter,
    )

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    return trace.get_tracer("bench", tracer_provider=provider)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--traced", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        on = create_subgraph_app(
            spec(), Settings(data_dir=Path(data)), standalone=False
        )
        off = create_subgraph_app(
            spec(), Settings(data_dir=Path(data), metrics=False), standalone=False
        )
        apps: dict[str, object] = {"off": off, "on": on}
        if args.traced:
            apps["traced"] = create_subgraph_app(
                spec(),
                Settings(data_dir=Path(data), metrics=False),
                standalone=False,
                telemetry=SubgraphTelemetry(tracer=in_memory_tracer()),
            )
        times = await interleaved(apps, args.requests)
    p50 = {
        name: sorted(values)[len(values) // 2] * 1e6 for name, values in times.items()
    }
    mean = {name: statistics.fmean(values) * 1e6 for name, values in times.items()}
    print(
        f"{args.requests} requests each, interleaved: p50 metrics off "
        f"{p50['off']:.1f} µs, on {p50['on']:.1f} µs ({p50['on'] - p50['off']:+.1f}); "
        f"mean off {mean['off']:.1f} µs, on {mean['on']:.1f} µs "
        f"({mean['on'] - mean['off']:+.1f})"
    )
    if args.traced:
        print(
            f"traced (metrics off): p50 {p50['traced']:.1f} µs "
            f"({p50['traced'] - p50['off']:+.1f})"
        )
    plain, counted = await bare(100_000)
    print(f"instrument() alone: {counted - plain:.2f} µs per request")


if __name__ == "__main__":
    asyncio.run(main())
