"""What operators see of the gateway: metrics, traces, logs."""

from __future__ import annotations

from dataclasses import dataclass, field

from .logs import (
    REQUEST_ID_HEADER,
    JsonFormatter,
    configure_logging,
    current_request_id,
    log_request,
    request_id_of,
)
from .metrics import CONTENT_TYPE, GatewayMetrics
from .tracing import Tracing

__all__ = [
    "CONTENT_TYPE",
    "REQUEST_ID_HEADER",
    "GatewayMetrics",
    "JsonFormatter",
    "Telemetry",
    "Tracing",
    "configure_logging",
    "current_request_id",
    "log_request",
    "request_id_of",
]


@dataclass(frozen=True, slots=True)
class Telemetry:
    """The metrics (None: off) and the tracer of one gateway app."""

    metrics: GatewayMetrics | None = None
    tracing: Tracing = field(default_factory=Tracing)
