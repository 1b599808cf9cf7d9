"""A subgraph's /metrics and its settings (subgraphs.kit.telemetry)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry

from subgraphs.kit.app import SubgraphSpec, create_subgraph_app
from subgraphs.kit.errors import BadUserInput
from subgraphs.kit.settings import Settings

if TYPE_CHECKING:
    from pathlib import Path


@strawberry.type
class Query:
    @strawberry.field
    def ok(self) -> str:
        return "fine"

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("internals")

    @strawberry.field
    def refused(self) -> str:
        raise BadUserInput("No.", field="x")


def spec(name: str) -> SubgraphSpec:
    return SubgraphSpec(
        name=name, schema=strawberry.federation.Schema(query=Query), models=[]
    )


async def test_metrics_show_requests_and_resolver_errors_by_code(
    tmp_path: Path, asgi_client: Any
) -> None:
    app = create_subgraph_app(spec("toy"), Settings(data_dir=tmp_path))
    async with asgi_client(app) as client:
        await client.post("/graphql", json={"query": "{ ok }"})
        await client.post("/graphql", json={"query": "{ boom }"})
        await client.post("/graphql", json={"query": "{ refused }"})
        await client.post("/graphql", json={"query": "{ nope }"})
        scrape = await client.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    text = scrape.text
    requests = "agora_subgraph_requests_total{"
    assert requests + 'operation_type="query",outcome="ok",subgraph="toy"} 1.0' in text
    assert (
        requests + 'operation_type="query",outcome="INTERNAL_SERVER_ERROR",'
        'subgraph="toy"} 1.0' in text
    )
    assert (
        requests + 'operation_type="query",outcome="BAD_USER_INPUT",'
        'subgraph="toy"} 1.0' in text
    )
    errors = "agora_subgraph_resolver_errors_total{"
    assert errors + 'code="INTERNAL_SERVER_ERROR",subgraph="toy"} 1.0' in text
    assert errors + 'code="BAD_USER_INPUT",subgraph="toy"} 1.0' in text
    # A validation error is the request's outcome, not a resolver's error.
    assert 'outcome="GRAPHQL_VALIDATION_FAILED"' in text
    assert 'code="GRAPHQL_VALIDATION_FAILED"' not in text
    assert 'agora_subgraph_request_sql_statements_count{subgraph="toy"} 4.0' in text
    statements = "agora_subgraph_request_sql_statements_bucket"
    assert statements + '{le="0.0",subgraph="toy"} 4.0' in text
    assert statements + '{le="+Inf",subgraph="toy"} 4.0' in text
    assert 'agora_subgraph_request_seconds_count{operation_type="query"' in text
    assert "agora_subgraph_broker_dropped_events_total 0.0" in text


async def test_two_apps_in_one_process_keep_their_own_counts(
    tmp_path: Path, asgi_client: Any
) -> None:
    # Not standalone: no database to open (one per process).
    settings = Settings(data_dir=tmp_path)
    first = create_subgraph_app(spec("one"), settings, standalone=False)
    second = create_subgraph_app(spec("two"), settings, standalone=False)
    async with asgi_client(first) as one, asgi_client(second) as two:
        await one.post("/graphql", json={"query": "{ ok }"})
        text_one = (await one.get("/metrics")).text
        text_two = (await two.get("/metrics")).text
    assert 'subgraph="one"} 1.0' in text_one
    assert 'outcome="ok",subgraph="one"' not in text_two


async def test_metrics_can_be_switched_off(tmp_path: Path, asgi_client: Any) -> None:
    settings = Settings.from_env(
        {"AGORA_DATA_DIR": str(tmp_path), "AGORA_SUBGRAPH_METRICS": "0"}
    )
    assert settings.metrics is False
    app = create_subgraph_app(spec("toy"), settings)
    async with asgi_client(app) as client:
        assert (await client.post("/graphql", json={"query": "{ ok }"})).json() == {
            "data": {"ok": "fine"}
        }
        assert (await client.get("/metrics")).status_code == 404


def test_tracing_is_off_unless_asked() -> None:
    assert Settings.from_env({}).tracing is False
    assert Settings.from_env({}).metrics is True
    traced = Settings.from_env(
        {
            "AGORA_SUBGRAPH_TRACING": "1",
            "AGORA_SUBGRAPH_TRACING_ENDPOINT": "http://otel:4318/v1/traces",
        }
    )
    assert traced.tracing is True
    assert traced.tracing_endpoint == "http://otel:4318/v1/traces"
