"""What a subgraph's metrics cost a request (issue 17): the same small query through a
subgraph app in process, metrics on and off, alternating rounds; and the bare cost of
`instrument` around a request that does nothing.

    .venv/bin/python scripts/bench/subgraph_telemetry.py [--requests 2000 --rounds 5]
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


SPEC = SubgraphSpec(
    name="bench", schema=strawberry.federation.Schema(query=Query), models=[]
)
QUERY = {"query": "{ items { id name } }"}


async def per_request(app: object, requests: int) -> float:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
        for _ in range(200):  # warm up
            await client.post("/graphql", json=QUERY)
        started = time.perf_counter()
        for _ in range(requests):
            await client.post("/graphql", json=QUERY)
        return (time.perf_counter() - started) / requests * 1e6


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


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        base = Settings(data_dir=Path(data))
        on = create_subgraph_app(SPEC, base, standalone=False)
        off = create_subgraph_app(
            SPEC,
            Settings(data_dir=Path(data), metrics=False),
            standalone=False,
        )
        timings: dict[str, list[float]] = {"on": [], "off": []}
        for round_ in range(args.rounds):
            # Alternate which goes first: a loaded machine favours neither.
            order = [("off", off), ("on", on)]
            for name, app in order if round_ % 2 else reversed(order):
                timings[name].append(await per_request(app, args.requests))
    for pick in (min, statistics.median):
        off_us, on_us = pick(timings["off"]), pick(timings["on"])
        print(
            f"{pick.__name__} of {args.rounds} rounds: metrics off {off_us:.1f} µs, "
            f"on {on_us:.1f} µs ({on_us - off_us:+.1f} µs) per request"
        )
    plain, counted = await bare(100_000)
    print(f"instrument() alone: {counted - plain:.2f} µs per request")


if __name__ == "__main__":
    asyncio.run(main())
