"""The gateway's Prometheus metrics, on its own registry (one per app).

Requests by operation, client and outcome, with latency; planning latency and the
plan cache; each subgraph fetch's latency and outcome; de-duplication hits; open
websocket connections and subscriptions; each subgraph's circuit breaker state and
transitions, bulkhead slots in use and refusals, and retries. Operation names come
from clients, so the label takes the first `max_operation_names` seen and folds the
rest into "other": an attacker sending random names cannot grow the registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["CONTENT_TYPE", "GatewayMetrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Seconds: from well under a millisecond (a cached plan) to a slow subgraph.
_BUCKETS = (
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
OTHER = "other"
# Combinations of (operation, client, outcome) whose metric children are kept; past
# it (random operation names) the labels are looked up per request.
_MAX_REQUEST_CHILDREN = 4096
ANONYMOUS = "(anonymous)"


class GatewayMetrics:
    """Every metric of one gateway app; `render()` is the /metrics body."""

    def __init__(
        self, subgraphs: Iterable[str], max_operation_names: int = 500
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.max_operation_names = max_operation_names
        self._operation_names: set[str] = set()
        # The request counter's and histogram's children by (operation name,
        # client, outcome): `labels()` once per combination, not per request.
        self._request_children: dict[
            tuple[str | None, str, str], tuple[Counter, Histogram]
        ] = {}
        registry = self.registry
        self.requests = Counter(
            "agora_gateway_requests",
            "GraphQL requests answered, by operation name, client and outcome.",
            ("operation", "client", "outcome"),
            registry=registry,
        )
        self.request_seconds = Histogram(
            "agora_gateway_request_seconds",
            "Time from a request's arrival to its answer.",
            ("operation",),
            buckets=_BUCKETS,
            registry=registry,
        )
        self.planning_seconds = Histogram(
            "agora_gateway_planning_seconds",
            "Time to plan an operation (cold plans only).",
            buckets=_BUCKETS,
            registry=registry,
        )
        self.plan_cache = Counter(
            "agora_gateway_plan_cache",
            "Plan lookups, by result (hit or miss).",
            ("result",),
            registry=registry,
        )
        self.plan_cache_size = Gauge(
            "agora_gateway_plan_cache_size",
            "Plans kept.",
            registry=registry,
        )
        self.fetch_seconds = Histogram(
            "agora_gateway_subgraph_fetch_seconds",
            "Time of one subgraph request, by subgraph and outcome.",
            ("subgraph", "outcome"),
            buckets=_BUCKETS,
            registry=registry,
        )
        self.subgraph_errors = Counter(
            "agora_gateway_subgraph_errors",
            "Subgraph requests that failed, by subgraph and code.",
            ("subgraph", "code"),
            registry=registry,
        )
        self.dedup_hits = Counter(
            "agora_gateway_dedup_hits",
            "Requests that shared an identical one in flight (inbound: a whole "
            "operation; upstream: a subgraph request).",
            ("kind",),
            registry=registry,
        )
        self.entity_cache = Counter(
            "agora_gateway_entity_cache",
            "Entities of `_entities` fetches answered from the entity cache (hit) "
            "or asked of the subgraph (miss), by subgraph.",
            ("subgraph", "result"),
            registry=registry,
        )
        self.websocket_connections = Gauge(
            "agora_gateway_websocket_connections",
            "Open client websockets.",
            registry=registry,
        )
        self.subscriptions = Gauge(
            "agora_gateway_subscriptions",
            "Client subscriptions running (websocket and SSE).",
            registry=registry,
        )
        self.breaker_state = Gauge(
            "agora_gateway_subgraph_breaker_state",
            "Each subgraph's circuit breaker: 0 closed, 1 half-open, 2 open.",
            ("subgraph",),
            registry=registry,
        )
        self.breaker_transitions = Counter(
            "agora_gateway_subgraph_breaker_transitions",
            "Circuit breaker changes, by subgraph and the state entered.",
            ("subgraph", "state"),
            registry=registry,
        )
        self.bulkhead_in_use = Gauge(
            "agora_gateway_subgraph_bulkhead_in_use",
            "Requests in flight to each subgraph (its bulkhead's slots taken).",
            ("subgraph",),
            registry=registry,
        )
        self.bulkhead_rejections = Counter(
            "agora_gateway_subgraph_bulkhead_rejections",
            "Requests refused because a subgraph's bulkhead stayed full.",
            ("subgraph",),
            registry=registry,
        )
        self.retries = Counter(
            "agora_gateway_subgraph_retries",
            "Query fetches retried, and retries the retry budget refused "
            "(outcome: retried, budget_exhausted).",
            ("subgraph", "outcome"),
            registry=registry,
        )
        for name in subgraphs:
            # Listed from the start, so a dashboard shows a subgraph before it fails.
            self.subgraph_errors.labels(name, "SUBGRAPH_UNAVAILABLE")
            self.breaker_state.labels(name)
            self.bulkhead_in_use.labels(name)
            self.bulkhead_rejections.labels(name)
            for outcome in ("retried", "budget_exhausted"):
                self.retries.labels(name, outcome)

    def operation_label(self, name: str | None) -> str:
        """The label of a client's operation name (bounded, see the module doc)."""
        if not name:
            return ANONYMOUS
        if name in self._operation_names:
            return name
        if len(self._operation_names) < self.max_operation_names:
            self._operation_names.add(name)
            return name
        return OTHER

    def observe_request(
        self, operation: str | None, client: str, outcome: str, seconds: float
    ) -> None:
        key = (operation, client, outcome)
        children = self._request_children.get(key)
        if children is None:
            label = self.operation_label(operation)
            children = (
                self.requests.labels(label, client or "default", outcome),
                self.request_seconds.labels(label),
            )
            if len(self._request_children) < _MAX_REQUEST_CHILDREN:
                self._request_children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
