"""Subgraph metrics and traces behind the gateway, on SQLite and PostgreSQL (issue 17).

The accounts subgraph runs embedded behind the gateway (its in-process ASGI
transport); one in-memory span exporter receives the gateway's and the subgraph's
spans, so the test sees the whole trace of one request.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

from gateway.compose import SubgraphDefinition, compose
from gateway.config import load_config
from gateway.server import create_app
from gateway.telemetry import Tracing
from gateway.transport import AsgiTransport
from subgraphs.accounts.app import SPEC as ACCOUNTS
from subgraphs.accounts.seed import DEMO_PASSWORD
from subgraphs.kit.embedded import create_embedded, metrics_registry

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings

LOGIN = (
    'mutation LogIn { login(email: "demo@agora.dev", password: "'
    + DEMO_PASSWORD
    + '") { user { id } } }'
)


def supergraph() -> str:
    data = ACCOUNTS.schema.execute_sync("{ _service { sdl } }").data
    assert data is not None
    sdl = data["_service"]["sdl"]
    result = compose(
        [SubgraphDefinition("accounts", "http://accounts.invalid/graphql", sdl)]
    )
    assert result.supergraph_sdl is not None, result.errors
    return result.supergraph_sdl


def metric(text: str, line_start: str) -> float:
    match = re.search(re.escape(line_start) + r" ([0-9.e+]+)$", text, re.M)
    assert match is not None, f"{line_start} not in /metrics"
    return float(match.group(1))


async def test_subgraph_spans_join_the_gateway_trace_under_the_fetch_span(
    settings: Settings,
) -> None:
    postgres = (settings.database_url or "").startswith("postgres")
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    apps, lifespan = create_embedded([ACCOUNTS], settings, tracer_provider=provider)
    gateway = create_app(
        supergraph(),
        transports={"accounts": AsgiTransport("accounts", apps["accounts"])},
        config=load_config(environ={}),
        tracing=Tracing.with_provider(provider),
    )
    async with (
        lifespan(None),
        gateway.router.lifespan_context(gateway),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=gateway), base_url="http://gw"
        ) as client,
    ):
        answer = await client.post("/graphql", json={"query": LOGIN})
        assert answer.json()["data"]["login"]["user"]["id"]
        spans = list(exporter.get_finished_spans())

        # Scraped where the gateway serves: the subgraphs' registry merged into its.
        registry = metrics_registry(apps)
        assert registry is not None
        gateway.state.telemetry.metrics.registry.register(registry)
        text = (await client.get("/metrics")).text

    by_id = {span.context.span_id: span for span in spans}

    def named(name: str) -> Any:
        found = [span for span in spans if span.name == name]
        assert len(found) == 1, [span.name for span in spans]
        return found[0]

    def ancestors(span: Any) -> list[str]:
        chain = []
        while span.parent is not None and span.parent.span_id in by_id:
            span = by_id[span.parent.span_id]
            chain.append(span.name)
        return chain

    request = named("graphql request")
    fetch = named("subgraph accounts")
    subgraph = named("subgraph request")
    resolver = named("GraphQL Resolving: login")
    sql = [span for span in spans if span.name.startswith("sql ")]
    assert named("graphql plan").parent.span_id == request.context.span_id
    assert fetch.parent.span_id == request.context.span_id
    # One trace: the subgraph continued the traceparent the fetch sent.
    assert {span.context.trace_id for span in spans} == {request.context.trace_id}
    assert subgraph.parent.span_id == fetch.context.span_id
    assert (subgraph.attributes or {})["agora.subgraph"] == "accounts"
    assert ancestors(resolver)[-3:] == [
        "subgraph request",
        "subgraph accounts",
        "graphql request",
    ]
    assert sql, [span.name for span in spans]
    # The login's reads and writes, under its resolver.
    assert any(span.name == "sql SELECT" for span in sql)
    for span in sql:
        assert "GraphQL Resolving: login" in ancestors(span)
        system = "postgresql" if postgres else "sqlite"
        assert (span.attributes or {})["db.system"] == system

    statements = metric(
        text, 'agora_subgraph_request_sql_statements_sum{subgraph="accounts"}'
    )
    assert statements >= len(sql)
    assert (
        metric(
            text,
            'agora_subgraph_requests_total{operation_type="mutation",outcome="ok",'
            'subgraph="accounts"}',
        )
        == 1.0
    )
    # Pool gauges: asyncpg's pool; SQLite has none.
    idle = 'agora_subgraph_db_pool_connections{state="idle",subgraph="accounts"}'
    if postgres:
        assert metric(text, idle) >= 1.0
        assert 'agora_subgraph_db_pool_max{subgraph="accounts"}' in text
    else:
        assert idle not in text
    # The gateway's own series sit beside them.
    assert "agora_gateway_requests_total{" in text
