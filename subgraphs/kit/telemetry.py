"""What operators see of a subgraph: Prometheus metrics and OpenTelemetry traces.

Metrics (`/metrics`, prometheus-client, on a registry of the app's own so several
subgraphs in one process never collide; `create_embedded` gives its subgraphs one
shared registry, every series labelled with the subgraph): HTTP GraphQL requests by
operation type and outcome, with latency; SQL statements per request; resolver
errors by `extensions.code`; the asyncpg pool's connections (PostgreSQL only);
events the broker dropped. Settings.metrics off (AGORA_SUBGRAPH_METRICS=0): no
route and nothing counted.

Traces (Settings.tracing, off by default, and OpenTelemetry installed: the
`agora[tracing]` extra): each request continues the W3C trace context the gateway
sends (`traceparent`) with a "subgraph request" span; Strawberry's
OpenTelemetryExtension adds the operation and a span per resolver under it, and
the kit's database engines a span per SQL statement under the resolver that ran
it. Off, a request pays one context variable and nothing per field.

The hot path: `instrument` sets a context variable holding the request's
`RequestStats`; each SQL statement (the instrumented Tortoise clients) adds one to
it; at the end the request is added to plain dicts that the registry reads at
scrape time (no prometheus-client lock per increment).
"""

from __future__ import annotations

import logging
import time
import weakref
from bisect import bisect_left
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from graphql import OperationDefinitionNode
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from strawberry.extensions import SchemaExtension

if TYPE_CHECKING:
    from collections.abc import (
        Awaitable,
        Callable,
        Generator,
        Iterator,
        Mapping,
    )

    from prometheus_client.metrics_core import Metric
    from strawberry.types import ExecutionResult

    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

__all__ = [
    "CONTENT_TYPE",
    "OperationKind",
    "RequestStats",
    "SubgraphMetrics",
    "SubgraphTelemetry",
    "current_stats",
    "instrument",
    "instrument_client",
    "resolver_spans",
]

logger = logging.getLogger("agora.subgraphs")

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Seconds, as the gateway's: from a cached read to a slow write.
_SECONDS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)
# SQL statements in one request: 0 (served from memory) to an N+1 gone wrong.
_STATEMENTS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144)
UNKNOWN = "unknown"


class RequestStats:
    """What one request did so far: SQL statements, its operation type, its tracer."""

    __slots__ = ("operation_type", "statements", "tracer")

    def __init__(self, tracer: Any = None) -> None:
        self.statements = 0
        self.operation_type = UNKNOWN
        self.tracer = tracer


_STATS: ContextVar[RequestStats | None] = ContextVar(
    "agora_subgraph_request_stats", default=None
)


def current_stats() -> RequestStats | None:
    """The running request's stats (None outside an instrumented request)."""
    return _STATS.get()


# asyncpg-backed Tortoise clients by connection name, for the pool gauges.
_POOLED: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()


def register_pool(connection_name: str, client: Any) -> None:
    """Let the pool gauges read `client._pool` (an asyncpg Pool) for this name."""
    _POOLED[connection_name] = client


class _RuntimeCollector:
    """Read at scrape time: the asyncpg pools and the brokers' dropped events."""

    def __init__(self) -> None:
        self.databases: dict[str, str] = {}  # subgraph -> connection name
        self.brokers: dict[int, Broker] = {}

    def collect(self) -> Iterator[Metric]:
        in_use = GaugeMetricFamily(
            "agora_subgraph_db_pool_connections",
            "Connections of the subgraph's asyncpg pool, by state (in_use, idle); "
            "PostgreSQL only.",
            labels=("subgraph", "state"),
        )
        limit = GaugeMetricFamily(
            "agora_subgraph_db_pool_max",
            "The asyncpg pool's maximum size (PostgreSQL only).",
            labels=("subgraph",),
        )
        for subgraph, name in self.databases.items():
            client = _POOLED.get(name)
            pool = getattr(client, "_pool", None)
            if pool is None:
                continue
            size, idle = pool.get_size(), pool.get_idle_size()
            in_use.add_metric((subgraph, "in_use"), size - idle)
            in_use.add_metric((subgraph, "idle"), idle)
            limit.add_metric((subgraph,), pool.get_max_size())
        yield in_use
        yield limit
        dropped = CounterMetricFamily(
            "agora_subgraph_broker_dropped_events",
            "Events the broker dropped: a slow subscriber's full queue, or publishes "
            "Redis refused beyond the resend buffer (one broker per process when "
            "embedded).",
        )
        dropped.add_metric((), sum(broker.dropped for broker in self.brokers.values()))
        yield dropped


class _Counts:
    """A counter or histogram family kept as plain numbers, read at scrape time.

    prometheus-client's metrics take a lock per increment; a subgraph answers on one
    event loop thread, so dicts and lists do, at a fraction of the cost per request
    (scripts/bench/subgraph_telemetry.py).
    """

    __slots__ = ("bounds", "doc", "labels", "name", "series")

    def __init__(
        self,
        name: str,
        doc: str,
        labels: tuple[str, ...],
        bounds: tuple[float, ...] = (),
    ) -> None:
        self.name = name
        self.doc = doc
        self.labels = labels
        self.bounds = bounds
        # Counter: key -> [total]. Histogram: key -> [count per bucket..., sum].
        self.series: dict[tuple[str, ...], list[float]] = {}

    def inc(self, key: tuple[str, ...]) -> None:
        series = self.series.get(key)
        if series is None:
            self.series[key] = [1.0]
        else:
            series[0] += 1

    def observe(self, key: tuple[str, ...], value: float) -> None:
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = [0.0] * (len(self.bounds) + 2)
        series[bisect_left(self.bounds, value)] += 1
        series[-1] += value

    def collect(self) -> Metric:
        if not self.bounds:
            counter = CounterMetricFamily(self.name, self.doc, labels=self.labels)
            for key, (total,) in self.series.items():
                counter.add_metric(key, total)
            return counter
        histogram = HistogramMetricFamily(self.name, self.doc, labels=self.labels)
        edges = [repr(float(bound)) for bound in self.bounds] + ["+Inf"]
        for key, series in self.series.items():
            running = 0.0
            buckets = []
            for edge, count in zip(edges, series, strict=False):
                running += count
                buckets.append((edge, running))
            histogram.add_metric(key, buckets, series[-1])
        return histogram


class SubgraphMetrics:
    """The metrics of one subgraph app, or of the subgraphs embedded in one process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = _Counts(
            "agora_subgraph_requests",
            "GraphQL requests over HTTP, by operation type and outcome (ok, or the "
            "first error's code).",
            ("subgraph", "operation_type", "outcome"),
        )
        self.request_seconds = _Counts(
            "agora_subgraph_request_seconds",
            "Time to answer a GraphQL request over HTTP.",
            ("subgraph", "operation_type"),
            _SECONDS,
        )
        self.statements = _Counts(
            "agora_subgraph_request_sql_statements",
            "SQL statements one GraphQL request ran.",
            ("subgraph",),
            _STATEMENTS,
        )
        self.resolver_errors = _Counts(
            "agora_subgraph_resolver_errors",
            "Errors raised in resolvers, by the extensions.code the client saw "
            "(INTERNAL_SERVER_ERROR: a masked defect).",
            ("subgraph", "code"),
        )
        self._runtime = _RuntimeCollector()
        self.registry.register(self)
        self.registry.register(self._runtime)

    def collect(self) -> Iterator[Metric]:
        for counts in (
            self.requests,
            self.request_seconds,
            self.statements,
            self.resolver_errors,
        ):
            yield counts.collect()

    def watch(
        self, subgraph: str, *, broker: Broker | None, database: str | None
    ) -> None:
        """Report `subgraph`'s pool (its connection `database`) and `broker`."""
        if database is not None:
            self._runtime.databases[subgraph] = database
        if broker is not None:
            self._runtime.brokers[id(broker)] = broker
        # Listed from the start, so a dashboard shows the subgraph before it fails.
        self.resolver_errors.series.setdefault(
            (subgraph, "INTERNAL_SERVER_ERROR"), [0.0]
        )

    def observe(
        self,
        subgraph: str,
        stats: RequestStats,
        result: ExecutionResult | None,
        seconds: float,
    ) -> None:
        """Count one answered request (`result` None: it raised)."""
        operation_type = stats.operation_type
        outcome = "ok"
        if result is None:
            outcome = "INTERNAL_SERVER_ERROR"
        elif result.errors:
            for error in result.errors:
                code = str((error.extensions or {}).get("code", UNKNOWN))
                if outcome == "ok":
                    outcome = code
                if error.path is not None:
                    self.resolver_errors.inc((subgraph, code))
        self.requests.inc((subgraph, operation_type, outcome))
        self.request_seconds.observe((subgraph, operation_type), seconds)
        self.statements.observe((subgraph,), stats.statements)

    def render(self) -> bytes:
        return generate_latest(self.registry)


@dataclass(frozen=True, slots=True)
class SubgraphTelemetry:
    """The metrics (None: off) and the OpenTelemetry tracer (None: off) of an app."""

    metrics: SubgraphMetrics | None = None
    tracer: Any = None

    @property
    def enabled(self) -> bool:
        return self.metrics is not None or self.tracer is not None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        service_name: str,
        *,
        metrics: SubgraphMetrics | None = None,
        tracer_provider: Any = None,
    ) -> SubgraphTelemetry:
        """Metrics unless settings.metrics is off (`metrics` given: that shared
        registry); a tracer on `tracer_provider` when given, else one exporting over
        OTLP/HTTP when settings.tracing is on and OpenTelemetry is installed."""
        if settings.metrics and metrics is None:
            metrics = SubgraphMetrics()
        return cls(
            metrics=metrics if settings.metrics else None,
            tracer=_tracer(settings, service_name, tracer_provider),
        )


def _tracer(settings: Settings, service_name: str, provider: Any) -> Any:
    if provider is None and not settings.tracing:
        return None
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        logger.warning(
            "AGORA_SUBGRAPH_TRACING is on but OpenTelemetry is not installed "
            "(pip install 'agora[tracing]'): no traces"
        )
        return None
    if provider is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter,
        )

        provider = TracerProvider(
            resource=Resource.create({"service.name": f"agora-{service_name}"})
        )
        exporter = OTLPSpanExporter(endpoint=settings.tracing_endpoint or None)
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return trace.get_tracer("agora.subgraphs", tracer_provider=provider)


async def instrument(
    telemetry: SubgraphTelemetry,
    subgraph: str,
    headers: Mapping[str, str],
    call: Callable[[], Awaitable[ExecutionResult]],
) -> ExecutionResult:
    """Run one HTTP GraphQL request (`call`) counted and, with a tracer, in a
    "subgraph request" span continuing the caller's trace (`traceparent`)."""
    tracer = telemetry.tracer
    stats = RequestStats(tracer)
    token = _STATS.set(stats)
    started = time.perf_counter()
    result: ExecutionResult | None = None
    try:
        if tracer is None:
            result = await call()
        else:
            from opentelemetry.propagate import extract

            with tracer.start_as_current_span(
                "subgraph request",
                context=extract(headers),
                kind=_server_kind(),
                attributes={"agora.subgraph": subgraph},
            ) as span:
                result = await call()
                span.set_attribute("graphql.operation.type", stats.operation_type)
                span.set_attribute("agora.sql_statements", stats.statements)
        return result
    finally:
        _STATS.reset(token)
        if telemetry.metrics is not None:
            telemetry.metrics.observe(
                subgraph, stats, result, time.perf_counter() - started
            )


def _server_kind() -> Any:
    from opentelemetry.trace import SpanKind

    return SpanKind.SERVER


class OperationKind(SchemaExtension):
    """Notes the operation type (query, mutation, subscription) in the request's
    stats, for the metrics' `operation_type` label."""

    def on_operation(self) -> Iterator[None]:
        yield
        stats = _STATS.get()
        if stats is None:
            return
        # Strawberry's `operation_type` does this too, at twice the cost.
        execution = self.execution_context
        document = execution.graphql_document
        name = execution.operation_name
        if document is None:  # a syntax error: "unknown"
            return
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode) and (
                name is None
                or (definition.name is not None and definition.name.value == name)
            ):
                stats.operation_type = definition.operation.value
                return


_Client = TypeVar("_Client", bound=type)
_EXECUTE = (
    "execute_insert",
    "execute_many",
    "execute_query",
    "execute_query_dict",
    "execute_script",
)


def _instrumented(name: str, original: Any, system: str) -> Any:
    async def execute(self: Any, query: str, *args: Any) -> Any:
        stats = _STATS.get()
        if stats is None:
            return await original(self, query, *args)
        stats.statements += 1
        tracer = stats.tracer
        if tracer is None:
            return await original(self, query, *args)
        verb = query.lstrip()[:6].upper() or "SQL"
        with tracer.start_as_current_span(
            f"sql {verb.split()[0]}",
            kind=_client_kind(),
            attributes={
                "db.system": system,
                "db.statement": query[:2000],
                "db.name": getattr(self, "connection_name", "") or "",
            },
        ):
            return await original(self, query, *args)

    execute.__name__ = execute.__qualname__ = name
    return execute


def _client_kind() -> Any:
    from opentelemetry.trace import SpanKind

    return SpanKind.CLIENT


def instrument_client(cls: _Client, system: str) -> _Client:
    """A subclass of the Tortoise client `cls` whose statements count toward the
    running request and, traced, each get a span ("sql SELECT", `db.statement`)."""
    namespace = {
        name: _instrumented(name, getattr(cls, name), system)
        for name in _EXECUTE
        if hasattr(cls, name)
    }
    namespace["__module__"] = __name__
    subclass: _Client = type(f"Counted{cls.__name__}", (cls,), namespace)  # type: ignore[assignment]
    return subclass


def resolver_spans() -> type[SchemaExtension]:
    """Strawberry's OpenTelemetryExtension on the running request's tracer: a span
    for the operation and for each resolver (default field resolvers and
    introspection skipped). Only added to a schema some app traces; a request
    without a tracer passes through (one call per field)."""
    global _RESOLVER_SPANS
    if _RESOLVER_SPANS is None:
        _RESOLVER_SPANS = _make_resolver_spans()
    return _RESOLVER_SPANS


_RESOLVER_SPANS: type[SchemaExtension] | None = None


def _make_resolver_spans() -> type[SchemaExtension]:
    from strawberry.extensions.tracing import OpenTelemetryExtension
    from strawberry.extensions.tracing.utils import should_skip_tracing

    class ResolverSpans(OpenTelemetryExtension):
        """OpenTelemetryExtension on the request's tracer, or nothing."""

        _traced = False

        def on_operation(self) -> Generator[None, None, None]:
            stats = _STATS.get()
            if stats is None or stats.tracer is None:
                yield
                return
            self._tracer = stats.tracer
            self._traced = True
            yield from super().on_operation()

        def on_validate(self) -> Generator[None, None, None]:
            if not self._traced:
                yield
                return
            yield from super().on_validate()

        def on_parse(self) -> Generator[None, None, None]:
            if not self._traced:
                yield
                return
            yield from super().on_parse()

        def resolve(
            self,
            _next: Callable[..., Any],
            root: Any,
            info: Any,
            *args: Any,
            **kwargs: Any,
        ) -> Any:
            # Default resolvers and introspection stay synchronous: no span, and
            # no coroutine per field of a long list.
            if not self._traced or should_skip_tracing(_next, info):
                return _next(root, info, *args, **kwargs)
            return super().resolve(_next, root, info, *args, **kwargs)

    return ResolverSpans
