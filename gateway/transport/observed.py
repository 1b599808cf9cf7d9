"""Every subgraph fetch timed, counted, traced, and remembered for /ready.

Wraps a transport: adds the request id and the W3C trace context to the subgraph
request, records the fetch's latency and outcome in the metrics, opens a span, and
keeps each subgraph's recent outcome so /ready can name the ones that are failing.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any

from ..errors import SubgraphError
from ..telemetry import REQUEST_ID_HEADER, current_request_id

if TYPE_CHECKING:
    from ..telemetry import Telemetry
    from .models import SubgraphRequest, SubgraphResponse, SubgraphTransport

__all__ = ["ObservedTransport", "SubgraphHealth"]


@dataclasses.dataclass(slots=True)
class SubgraphHealth:
    """What recent fetches said of one subgraph."""

    last_success: float | None = None
    last_failure: float | None = None
    last_error: str | None = None
    consecutive_failures: int = 0

    @property
    def healthy(self) -> bool:
        """Unhealthy after a failure with no success since (None: no traffic yet)."""
        return self.consecutive_failures == 0


class ObservedTransport:
    """Wraps a transport with metrics, traces, the request id and health."""

    def __init__(
        self, subgraph: str, inner: SubgraphTransport, telemetry: Telemetry
    ) -> None:
        self.subgraph = subgraph
        self.inner = inner
        self.telemetry = telemetry
        self.health = SubgraphHealth()

    async def fetch(self, request: SubgraphRequest) -> SubgraphResponse:
        telemetry = self.telemetry
        extra: dict[str, str] = {}
        request_id = current_request_id.get()
        if request_id is not None:
            extra[REQUEST_ID_HEADER] = request_id
        started = time.perf_counter()
        outcome = "ok"
        with telemetry.tracing.span(
            f"subgraph {self.subgraph}",
            **{"graphql.subgraph": self.subgraph},
        ) as span:
            telemetry.tracing.inject(extra)
            if extra:
                request = dataclasses.replace(
                    request, headers={**request.headers, **extra}
                )
            try:
                response = await self.inner.fetch(request)
            except SubgraphError as error:
                outcome = error.code
                self._failed(error)
                if span is not None:
                    span.set_attribute("error.type", error.code)
                raise
            finally:
                metrics = telemetry.metrics
                if metrics is not None:
                    elapsed = time.perf_counter() - started
                    metrics.fetch_seconds.labels(self.subgraph, outcome).observe(
                        elapsed
                    )
        health = self.health
        health.last_success = time.time()
        health.consecutive_failures = 0
        return response

    def record_failure(self, reason: str) -> None:
        """Count a failure seen outside a fetch (a probe that timed out)."""
        health = self.health
        health.last_failure = time.time()
        health.last_error = reason
        health.consecutive_failures += 1

    def _failed(self, error: SubgraphError) -> None:
        self.record_failure(error.message)
        metrics = self.telemetry.metrics
        if metrics is not None:
            metrics.subgraph_errors.labels(self.subgraph, error.code).inc()

    def __getattr__(self, name: str) -> Any:
        # start(), aclose(), url: the wrapped transport's.
        return getattr(self.inner, name)
