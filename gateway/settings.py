"""Gateway settings, read from the environment with defaults for the embedded mode."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["GatewaySettings"]

_PREFIX = "AGORA_GATEWAY_"
DEV_GATEWAY_SECRET = "agora-dev-gateway-secret"


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """How the gateway serves and reaches subgraphs.

    Environment (all optional): AGORA_GATEWAY_SUBGRAPH_TIMEOUT (seconds),
    AGORA_GATEWAY_SUBGRAPH_TIMEOUTS (`accounts=5,chat=2.5`),
    AGORA_GATEWAY_MAX_BODY_BYTES, AGORA_GATEWAY_FORWARD_HEADERS (comma list),
    AGORA_GATEWAY_GRAPHIQL (0/1), AGORA_GATEWAY_EXPLAIN (0/1),
    AGORA_GATEWAY_OPERATION_CACHE_SIZE, AGORA_GATEWAY_OVERRIDE_LABELS (comma list),
    AGORA_GATEWAY_HTTP_CLIENT (`http11`, the default, or `httpx`),
    AGORA_GATEWAY_SECRET (proves to subgraphs that a request came through the gateway),
    AGORA_GATEWAY_TRUST_FORWARDED_FOR (0/1: behind a load balancer that sets it).
    """

    subgraph_timeout: float = 30.0
    subgraph_timeouts: Mapping[str, float] = field(default_factory=dict)
    max_body_bytes: int = 1_048_576
    # Lower-case header names copied from the client's request to every subgraph.
    forward_headers: tuple[str, ...] = ("authorization",)
    graphiql: bool = True
    # Whether a client may ask for `extensions.queryPlan`.
    explain: bool = True
    operation_cache_size: int = 1024
    # Progressive-override labels that are always on (`percent(N)` labels are
    # drawn per request).
    override_labels: frozenset[str] = frozenset()
    # How subgraphs are reached over HTTP: `http11` (asyncio streams, the fast
    # default) or `httpx` (proxies, HTTP/2 and the rest of httpx's features).
    http_client: str = "http11"
    # Sent to subgraphs as `x-agora-gateway-secret` with the caller's address, so a
    # subgraph may trust `x-forwarded-for`; the default matches the subgraphs' dev
    # default (subgraphs/kit/settings.py) so the embedded mode needs no setting.
    gateway_secret: str = DEV_GATEWAY_SECRET
    # Whether the client's own X-Forwarded-For (first entry) names the caller: only
    # true behind a proxy that sets it; otherwise the TCP peer's address is used.
    trust_forwarded_for: bool = False

    def timeout_for(self, subgraph: str) -> float:
        return self.subgraph_timeouts.get(subgraph, self.subgraph_timeout)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GatewaySettings:
        """Settings from `environ` (default `os.environ`); raises ValueError for a
        malformed value, naming the variable."""
        env = os.environ if environ is None else environ
        defaults = cls()

        def get(name: str) -> str | None:
            value = env.get(_PREFIX + name)
            return value.strip() if value is not None and value.strip() else None

        def number(name: str, default: float) -> float:
            raw = get(name)
            if raw is None:
                return default
            try:
                return float(raw)
            except ValueError:
                raise ValueError(
                    f"{_PREFIX}{name} must be a number, got {raw!r}"
                ) from None

        def flag(name: str, default: bool) -> bool:
            raw = get(name)
            return default if raw is None else raw.lower() in ("1", "true", "yes", "on")

        def names(name: str) -> tuple[str, ...] | None:
            raw = get(name)
            if raw is None:
                return None
            return tuple(part.strip() for part in raw.split(",") if part.strip())

        timeouts: dict[str, float] = {}
        for item in names("SUBGRAPH_TIMEOUTS") or ():
            subgraph, _, seconds = item.partition("=")
            try:
                timeouts[subgraph.strip()] = float(seconds)
            except ValueError:
                raise ValueError(
                    f"{_PREFIX}SUBGRAPH_TIMEOUTS expects name=seconds, got {item!r}"
                ) from None
        http_client = get("HTTP_CLIENT") or defaults.http_client
        if http_client not in ("http11", "httpx"):
            raise ValueError(
                f"{_PREFIX}HTTP_CLIENT must be http11 or httpx, got {http_client!r}"
            )
        forward = names("FORWARD_HEADERS")
        labels = names("OVERRIDE_LABELS")
        return cls(
            subgraph_timeout=number("SUBGRAPH_TIMEOUT", defaults.subgraph_timeout),
            subgraph_timeouts=timeouts,
            max_body_bytes=int(number("MAX_BODY_BYTES", defaults.max_body_bytes)),
            forward_headers=(
                defaults.forward_headers
                if forward is None
                else tuple(h.lower() for h in forward)
            ),
            graphiql=flag("GRAPHIQL", defaults.graphiql),
            explain=flag("EXPLAIN", defaults.explain),
            operation_cache_size=int(
                number("OPERATION_CACHE_SIZE", defaults.operation_cache_size)
            ),
            override_labels=frozenset(labels or ()),
            http_client=http_client,
            gateway_secret=get("SECRET") or defaults.gateway_secret,
            trust_forwarded_for=flag("TRUST_FORWARDED_FOR", False),
        )
