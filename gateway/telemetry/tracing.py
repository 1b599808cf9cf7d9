"""OpenTelemetry traces, when installed and switched on; nothing otherwise.

A span for each request, for planning and for each subgraph fetch; the W3C trace
context (`traceparent`) goes to the subgraphs with each fetch, so their spans join
the gateway's trace. OpenTelemetry is an optional dependency (`agora[tracing]`):
without it, or with `tracing.enabled` off, every call here costs one attribute check.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, MutableMapping

    from ..config import TracingConfig

__all__ = ["Tracing"]

logger = logging.getLogger("agora.gateway")


class Tracing:
    """The gateway's tracer; `enabled` False makes every span a no-op."""

    def __init__(self, tracer: Any = None) -> None:
        self._tracer = tracer
        self.enabled = tracer is not None
        self._inject: Any = None
        if tracer is not None:
            from opentelemetry.propagate import inject

            self._inject = inject

    @classmethod
    def from_config(cls, config: TracingConfig) -> Tracing:
        """A tracer exporting over OTLP/HTTP to `config.endpoint`, or off."""
        if not config.enabled:
            return cls()
        try:
            from opentelemetry import trace
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                OTLPSpanExporter,
            )
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError:
            logger.warning(
                "tracing.enabled but OpenTelemetry is not installed "
                "(pip install 'agora[tracing]'): no traces"
            )
            return cls()
        provider = TracerProvider(
            resource=Resource.create({"service.name": config.service_name})
        )
        exporter = OTLPSpanExporter(endpoint=config.endpoint or None)
        provider.add_span_processor(BatchSpanProcessor(exporter))
        return cls(trace.get_tracer("agora.gateway", tracer_provider=provider))

    @classmethod
    def with_provider(cls, provider: Any) -> Tracing:
        """A tracer on a given TracerProvider (tests: an in-memory exporter)."""
        from opentelemetry import trace

        return cls(trace.get_tracer("agora.gateway", tracer_provider=provider))

    @contextlib.contextmanager
    def span(self, name: str, **attributes: Any) -> Iterator[Any]:
        """A span around the block (the current one's child); None when off."""
        if self._tracer is None:
            yield None
            return
        with self._tracer.start_as_current_span(name, attributes=attributes) as span:
            yield span

    @contextlib.contextmanager
    def request_span(
        self, headers: Mapping[str, str], **attributes: Any
    ) -> Iterator[Any]:
        """The span of one client request, continuing the client's trace when its
        headers carry one (`traceparent`)."""
        if self._tracer is None:
            yield None
            return
        from opentelemetry.propagate import extract

        parent = extract(dict(headers))
        with self._tracer.start_as_current_span(
            "graphql request", context=parent, attributes=attributes
        ) as span:
            yield span

    def inject(self, headers: MutableMapping[str, str]) -> None:
        """Add the current trace context (`traceparent`, `tracestate`) to headers."""
        if self._inject is not None:
            self._inject(headers)
