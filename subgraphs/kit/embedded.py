"""Several subgraphs in one process, sharing one database init and one broker.

Tortoise's state is process-global, so one lifespan must open every subgraph's
connection at once; the apps themselves do nothing at start-up.

Metrics: the embedded subgraphs share one registry (every series labelled with its
subgraph), which each app's /metrics renders; `metrics_registry(apps)` gives it to
the process's server, so the embedded gateway adds it to its own /metrics
(scripts/embedded.py): one scrape for the whole process.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from subgraphs.kit.app import create_subgraph_app
from subgraphs.kit.lifecycle import run_subgraphs
from subgraphs.kit.pubsub import Broker
from subgraphs.kit.services import Services
from subgraphs.kit.telemetry import SubgraphMetrics, SubgraphTelemetry

if TYPE_CHECKING:
    from collections.abc import Sequence

    from prometheus_client import CollectorRegistry
    from starlette.types import ASGIApp

    from subgraphs.kit.app import SubgraphSpec
    from subgraphs.kit.settings import Settings

Lifespan = Callable[[Any], contextlib.AbstractAsyncContextManager[None]]


def create_embedded(
    specs: Sequence[SubgraphSpec],
    settings: Settings,
    *,
    tracer_provider: Any = None,
) -> tuple[dict[str, ASGIApp], Lifespan]:
    """Apps by subgraph name, and the one lifespan that must wrap them all.

    The lifespan takes any argument (the outer app) so it can be given straight to
    `Starlette(lifespan=...)`; it opens the databases, applies migrations, seeds, and
    connects the shared broker (in-memory unless settings.redis_url is set), starts
    every spec's services and background tasks until it exits: the same sequence as
    a subgraph alone (subgraphs.kit.lifecycle). The apps share one metrics
    registry (module docstring); `tracer_provider` (tests) traces them whatever
    settings.tracing says.
    """
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"expected distinct subgraph names, got {names}")
    broker = Broker.from_settings(settings)
    running = [(spec, Services()) for spec in specs]
    metrics = SubgraphMetrics() if settings.metrics else None
    apps: dict[str, ASGIApp] = {
        spec.name: create_subgraph_app(
            spec,
            settings,
            broker=broker,
            standalone=False,
            services=services,
            telemetry=SubgraphTelemetry.from_settings(
                settings, spec.name, metrics=metrics, tracer_provider=tracer_provider
            ),
        )
        for spec, services in running
    }

    @contextlib.asynccontextmanager
    async def lifespan(app: Any = None) -> AsyncIterator[None]:
        async with run_subgraphs(running, settings, broker):
            yield

    return apps, lifespan


def metrics_registry(apps: dict[str, ASGIApp]) -> CollectorRegistry | None:
    """The registry the embedded `apps` share (None: metrics off)."""
    for app in apps.values():
        telemetry: SubgraphTelemetry | None = getattr(
            getattr(app, "state", None), "telemetry", None
        )
        if telemetry is not None and telemetry.metrics is not None:
            return telemetry.metrics.registry
    return None
