"""Metrics, traces, request ids, logs and readiness, seen from outside the gateway."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

from gateway.config import load_config
from gateway.errors import SubgraphUnavailable
from gateway.server import create_app
from gateway.telemetry import JsonFormatter, Tracing
from gateway.transport import MockTransport

if TYPE_CHECKING:
    from collections.abc import Callable

    import pytest
    from starlette.applications import Starlette

    from gateway.transport import SubgraphRequest
    from gateway.types import JSONObject

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "composition"
SINGLE = (FIXTURES / "single_subgraph" / "supergraph.graphql").read_text()
ME = "query Me { me { id } }"


def answer(request: SubgraphRequest) -> JSONObject:
    if "__typename" in request.query and "me" not in request.query:
        return {"data": {"__typename": "Query"}}
    return {"data": {"me": {"id": "1"}}}


def client_of(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gw"
    )


def app_for(
    handler: Callable[[SubgraphRequest], Any] = answer,
    tracing: Tracing | None = None,
    **values: Any,
) -> tuple[Starlette, MockTransport]:
    accounts = MockTransport(handler)
    app = create_app(
        SINGLE,
        transports={"accounts": accounts},
        config=load_config(environ={}, values=values),
        tracing=tracing,
    )
    return app, accounts


async def test_metrics_show_the_request_just_served() -> None:
    app, _ = app_for()
    async with client_of(app) as client:
        await client.post("/graphql", json={"query": ME, "operationName": "Me"})
        await client.post("/graphql", json={"query": "{ nope }"})
        scrape = await client.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    text = scrape.text
    assert (
        'agora_gateway_requests_total{client="default",operation="Me",outcome="ok"} 1.0'
        in text
    )
    assert 'outcome="GRAPHQL_VALIDATION_FAILED"' in text
    fetches = 'agora_gateway_subgraph_fetch_seconds_count{outcome="ok",'
    assert fetches + 'subgraph="accounts"} 1.0' in text
    assert 'agora_gateway_plan_cache_total{result="miss"} 1.0' in text


async def test_operation_names_cannot_grow_the_metrics_without_bound() -> None:
    app, _ = app_for()
    metrics = app.state.telemetry.metrics
    metrics.max_operation_names = 3
    async with client_of(app) as client:
        for index in range(10):
            query = f"query Op{index} {{ me {{ id }} }}"
            await client.post("/graphql", json={"query": query})
        text = (await client.get("/metrics")).text
    assert 'operation="Op2"' in text
    assert 'operation="Op3"' not in text
    assert 'operation="other"' in text


async def test_metrics_can_be_switched_off() -> None:
    app, _ = app_for(metrics=False)
    async with client_of(app) as client:
        assert (await client.get("/metrics")).status_code == 404


async def test_the_request_id_is_answered_and_sent_to_subgraphs() -> None:
    app, accounts = app_for()
    async with client_of(app) as client:
        given = await client.post(
            "/graphql", json={"query": ME}, headers={"x-request-id": "abc-123"}
        )
        made = await client.post(
            "/graphql",
            json={"query": "{ me { id } }"},
            headers={"x-request-id": "not ok\nat all"},
        )
    assert given.headers["x-request-id"] == "abc-123"
    assert accounts.requests[0].headers["x-request-id"] == "abc-123"
    # A header that is not a sane token is replaced by a fresh id.
    fresh = made.headers["x-request-id"]
    assert fresh != "not ok\nat all"
    assert len(fresh) == 32
    assert accounts.requests[1].headers["x-request-id"] == fresh


async def test_spans_cover_the_request_planning_and_each_fetch() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app, accounts = app_for(tracing=Tracing.with_provider(provider))
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with client_of(app) as client:
        await client.post(
            "/graphql", json={"query": ME}, headers={"traceparent": parent}
        )
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert set(spans) == {"graphql request", "graphql plan", "subgraph accounts"}
    request = spans["graphql request"]
    # The client's trace goes on: same trace id, its span as the parent.
    assert format(request.context.trace_id, "032x") == parent.split("-")[1]
    assert request.parent is not None
    for child in ("graphql plan", "subgraph accounts"):
        assert spans[child].parent.span_id == request.context.span_id
    # The subgraph gets the fetch span's context, to continue the trace.
    sent = accounts.requests[0].headers["traceparent"]
    fetch = spans["subgraph accounts"].context
    assert sent.split("-")[1:3] == [
        format(fetch.trace_id, "032x"),
        format(fetch.span_id, "016x"),
    ]


async def test_identical_queries_in_flight_share_one_execution() -> None:
    release = asyncio.Event()

    async def slow(request: SubgraphRequest) -> JSONObject:
        await release.wait()
        return {"data": {"me": {"id": "1"}}}

    app, accounts = app_for(slow)
    async with client_of(app) as client:
        pending = [
            asyncio.create_task(client.post("/graphql", json={"query": ME}))
            for _ in range(5)
        ]
        for _ in range(50):
            await asyncio.sleep(0)
        release.set()
        answers = await asyncio.gather(*pending)
        text = (await client.get("/metrics")).text
    assert all(a.json() == {"data": {"me": {"id": "1"}}} for a in answers)
    assert len(accounts.requests) == 1
    assert 'agora_gateway_dedup_hits_total{kind="inbound"} 4.0' in text


async def test_without_dedup_every_query_runs() -> None:
    release = asyncio.Event()

    async def slow(request: SubgraphRequest) -> JSONObject:
        await release.wait()
        return {"data": {"me": {"id": "1"}}}

    app, accounts = app_for(slow, dedup={"inbound": False, "upstream": False})
    async with client_of(app) as client:
        pending = [
            asyncio.create_task(client.post("/graphql", json={"query": ME}))
            for _ in range(3)
        ]
        for _ in range(50):
            await asyncio.sleep(0)
        release.set()
        await asyncio.gather(*pending)
    assert len(accounts.requests) == 3


async def test_ready_names_a_failing_subgraph_and_stays_200() -> None:
    def down(request: SubgraphRequest) -> JSONObject:
        raise SubgraphUnavailable("accounts", "connection refused")

    app, _ = app_for(down)
    async with client_of(app) as client:
        ready = await client.get("/ready")
        served = await client.post("/graphql", json={"query": ME})
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "degraded"
    assert body["subgraphs"]["accounts"]["healthy"] is False
    assert "connection refused" in body["subgraphs"]["accounts"]["error"]
    assert served.json()["errors"][0]["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"


async def test_ready_probes_quiet_subgraphs() -> None:
    app, accounts = app_for()
    async with client_of(app) as client:
        ready = await client.get("/ready")
    assert ready.json() == {
        "status": "ready",
        "subgraphs": {
            "accounts": {"ready": True, "healthy": True, "breaker": "closed"}
        },
    }
    assert [r.operation_name for r in accounts.requests] == ["AgoraProbe"]


async def test_each_request_ends_with_one_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _ = app_for()
    caplog.set_level(logging.INFO, logger="agora.gateway.requests")
    async with client_of(app) as client:
        await client.post(
            "/graphql",
            json={"query": ME, "operationName": "Me"},
            headers={"x-request-id": "r-1"},
        )
    (record,) = [r for r in caplog.records if r.name == "agora.gateway.requests"]
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "request"
    assert line["request_id"] == "r-1"
    assert line["operation"] == "Me"
    assert line["outcome"] == "ok"
    assert line["client"] == "default"
    assert line["duration_ms"] >= 0
