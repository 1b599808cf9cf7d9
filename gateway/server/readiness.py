"""/ready: whether the gateway serves, and which subgraphs are failing.

Liveness is /health. Readiness reports each subgraph from its recent fetches, and
probes (`{ __typename }`, with a short timeout) the ones that have had no traffic
for a while. A subgraph whose circuit breaker is open (or half-open, probing) is
reported not ready (`"ready": false, "breaker": "open"`): the gateway answers
its fields with SUBGRAPH_UNAVAILABLE at once. A failing subgraph makes the answer
"degraded", still 200: the gateway serves the rest of the graph (partial data), and
taking every gateway out of a load balancer for one subgraph would take all of it
down. 503 only while starting or stopping.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from ..errors import AgoraError
from ..transport import SubgraphRequest

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..transport import ObservedTransport
    from ..transport.resilience import CircuitBreaker
    from ..types import JSONObject

__all__ = ["Readiness"]

PROBE = "query AgoraProbe { __typename }"


class Readiness:
    """The readiness report of a set of observed subgraph transports."""

    def __init__(
        self,
        transports: Mapping[str, ObservedTransport],
        *,
        quiet_after: float = 10.0,
        probe_timeout: float = 2.0,
        breakers: Mapping[str, CircuitBreaker] | None = None,
    ) -> None:
        self.transports = transports
        self.breakers = breakers or {}
        self.quiet_after = quiet_after
        self.probe_timeout = probe_timeout

    async def report(self) -> JSONObject:
        """`{"status": "ready" | "degraded", "subgraphs": {name: {...}}}`."""
        now = time.time()
        quiet = [
            name
            for name, transport in self.transports.items()
            if _last_seen(transport) is None
            or now - (_last_seen(transport) or 0.0) > self.quiet_after
        ]
        await asyncio.gather(*(self._probe(name) for name in quiet))
        subgraphs: JSONObject = {}
        for name, transport in self.transports.items():
            health = transport.health
            breaker = self.breakers.get(name)
            state = breaker.state.value if breaker is not None else "closed"
            entry: JSONObject = {
                "ready": health.healthy and state == "closed",
                "healthy": health.healthy,
                "breaker": state,
            }
            if not health.healthy:
                entry["error"] = health.last_error
                entry["consecutiveFailures"] = health.consecutive_failures
            if breaker is not None and state == "open":
                entry["retryAfter"] = round(breaker.retry_after(), 3)
            subgraphs[name] = entry
        degraded = not all(entry["ready"] for entry in subgraphs.values())
        return {"status": "degraded" if degraded else "ready", "subgraphs": subgraphs}

    async def _probe(self, name: str) -> None:
        request = SubgraphRequest(name, PROBE, {}, "AgoraProbe")
        transport = self.transports[name]
        try:
            async with asyncio.timeout(self.probe_timeout):
                await transport.fetch(request)
        except AgoraError:
            return  # the transport recorded the failure
        except TimeoutError:
            transport.record_failure(
                f"no answer to a probe within {self.probe_timeout:g}s"
            )


def _last_seen(transport: ObservedTransport) -> float | None:
    health = transport.health
    seen = [t for t in (health.last_success, health.last_failure) if t is not None]
    return max(seen) if seen else None
