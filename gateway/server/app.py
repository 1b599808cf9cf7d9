"""The gateway's Starlette app: /graphql, /health and /ready for one supergraph.

Every entry point of /graphql (GET, POST, SSE, both websocket protocols) hands its
requests to one RequestPipeline built here from the GatewayConfig; CORS wraps the
whole app (preflights answered, nothing allowed unless configured).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute

from .._redis import redis_client
from ..config import GatewayConfig, load_config
from ..persisted import MemoryApqStore, RedisApqStore
from ..planner import plan_operation
from ..policy import JwtConfig, MemoryRateLimiter, RedisRateLimiter, TokenVerifier
from ..request import Clients, RequestPipeline
from ..subscriptions import (
    SubscriptionServer,
    accepts_event_stream,
    serve_event_stream,
    serve_websocket,
)
from ..supergraph import load_supergraph
from ..telemetry import CONTENT_TYPE as METRICS_CONTENT_TYPE
from ..telemetry import GatewayMetrics, Telemetry, Tracing
from ..transport import (
    AsgiTransport,
    AsgiWebSocketTransport,
    DedupTransport,
    EntityCache,
    EntityCacheTransport,
    Http11Transport,
    HttpTransport,
    ObservedTransport,
    WebSocketTransport,
)
from ..transport.resilience import resilient_transport
from ..transport.uploads import UploadTransport
from .graphiql import graphiql_routes
from .graphql_http import GraphQLEndpoint
from .readiness import Readiness

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

    from redis.asyncio import Redis
    from starlette.types import Receive, Scope, Send
    from starlette.websockets import WebSocket

    from ..persisted import ApqStore
    from ..request import PlanOperation
    from ..supergraph import Supergraph
    from ..transport import SubgraphTransport, SubscriptionTransport

__all__ = ["build_app", "create_app", "token_verifier"]

logger = logging.getLogger("agora.gateway")


def create_app(
    supergraph_sdl: str,
    *,
    transports: Mapping[str, SubgraphTransport] | None = None,
    config: GatewayConfig | None = None,
    subscription_transports: Mapping[str, SubscriptionTransport] | None = None,
    tracing: Tracing | None = None,
) -> Starlette:
    """The gateway app for `supergraph_sdl`.

    `config` defaults to `load_config()` (the environment over the defaults).
    Without `transports`, each subgraph is reached over HTTP at its `join__Graph`
    URL through one pooled client made here. Raises SupergraphError for an SDL that
    cannot be loaded. The app is ready (GET /health is 200) as soon as it is built;
    transports with a `start()` are started by the app's lifespan (an AsgiTransport
    only runs its app's lifespan when built with `lifespan=True`).
    """
    supergraph = load_supergraph(supergraph_sdl)
    return build_app(
        supergraph,
        transports=transports,
        config=config,
        plan_operation=plan_operation,
        subscription_transports=subscription_transports,
        tracing=tracing,
    )


def build_app(
    supergraph: Supergraph,
    *,
    plan_operation: PlanOperation,
    transports: Mapping[str, SubgraphTransport] | None = None,
    config: GatewayConfig | None = None,
    subscription_transports: Mapping[str, SubscriptionTransport] | None = None,
    tracing: Tracing | None = None,
) -> Starlette:
    """`create_app` for an already loaded supergraph and a given planner.

    `tracing` replaces the one `config.tracing` describes (tests: an in-memory
    exporter)."""
    config = config or load_config()
    if transports is None:
        client = HttpTransport if config.http_client == "httpx" else Http11Transport
        transports = {
            name: client(name, info.url, timeout=config.timeout_for(name))
            for name, info in supergraph.subgraphs.items()
        }
    owned = dict(transports)
    if subscription_transports is None:
        subscription_transports = _subscription_transports(supergraph, owned, config)
    telemetry = Telemetry(
        GatewayMetrics(supergraph.subgraphs) if config.metrics else None,
        tracing or Tracing.from_config(config.tracing),
    )
    resilient = {
        name: resilient_transport(
            name, UploadTransport(transport), config, telemetry.metrics
        )
        for name, transport in owned.items()
    }
    observed = {
        name: ObservedTransport(name, _shared(transport, config, telemetry), telemetry)
        for name, transport in resilient.items()
    }
    verifier = token_verifier(config)
    clients = Clients(config)
    redis = redis_client(config.redis_url) if config.redis_url else None
    pipeline = RequestPipeline(
        supergraph,
        config,
        plan_operation,
        apq=_apq_store(config, redis),
        limiter=(
            RedisRateLimiter(redis, config.redis_prefix)
            if redis is not None
            else MemoryRateLimiter()
        ),
        telemetry=telemetry,
    )
    fetching = _with_entity_cache(observed, config, telemetry)
    endpoint = GraphQLEndpoint(pipeline, fetching, config, verifier, clients, telemetry)
    subscriptions = SubscriptionServer(
        pipeline,
        fetching,
        subscription_transports,
        config,
        verifier,
        clients,
        telemetry,
    )
    readiness = Readiness(
        observed,
        breakers={name: t.breaker for name, t in resilient.items() if t.breaker},
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await verifier.load_keys()
        for transport in owned.values():
            start = getattr(transport, "start", None)
            if start is not None:
                await start()
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            await subscriptions.aclose()
            for transport in owned.values():
                close = getattr(transport, "aclose", None)
                if close is not None:
                    await close()
            if redis is not None:
                await redis.aclose()

    async def health(request: Request) -> JSONResponse:
        if not request.app.state.ready:
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> JSONResponse:
        if not request.app.state.ready:
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse(await readiness.report())

    async def metrics(request: Request) -> Response:
        if telemetry.metrics is None:
            return PlainTextResponse("metrics are off", status_code=404)
        return Response(telemetry.metrics.render(), media_type=METRICS_CONTENT_TYPE)

    async def graphql(request: Request) -> Response:
        if accepts_event_stream(request):
            return await serve_event_stream(subscriptions, request)
        return await endpoint.handle(request)

    async def graphql_websocket(websocket: WebSocket) -> None:
        await serve_websocket(subscriptions, websocket)

    cors = config.cors
    app = _GatewayApp(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST", "PUT", "DELETE"]),
            WebSocketRoute("/graphql", graphql_websocket),
            Route("/health", health, methods=["GET"]),
            Route("/ready", ready, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            *graphiql_routes(config.switch("graphiql")),
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=list(cors.allow_origins),
                allow_methods=["GET", "POST"],
                allow_headers=list(cors.allow_headers),
                allow_credentials=cors.allow_credentials,
                expose_headers=list(cors.expose_headers),
                max_age=cors.max_age,
            )
        ],
        lifespan=lifespan,
    )
    app.graphql = graphql
    app.state.ready = True
    app.state.config = config
    app.state.supergraph = supergraph
    app.state.pipeline = pipeline
    app.state.endpoint = endpoint
    app.state.subscriptions = subscriptions
    app.state.telemetry = telemetry
    _warn_about_development_settings(config)
    return app


class _GatewayApp(Starlette):
    """The Starlette app, with a short way for GET and POST /graphql requests
    without an `Origin` header: CORS has nothing to do for them (its middleware
    passes them through untouched) and the route is known, so they go to the
    /graphql handler directly instead of through the middleware stack and router.
    Everything else (preflights, cross-origin requests, other paths) takes the
    whole stack."""

    graphql: Callable[[Request], Awaitable[Response]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        graphql = self.graphql
        if (
            graphql is not None
            and scope["type"] == "http"
            and scope["path"] == "/graphql"
            and scope["method"] in _SHORT_METHODS
            and not scope.get("root_path")
            and _without_origin(scope["headers"])
        ):
            scope["app"] = self
            response = await graphql(Request(scope, receive, send))
            await response(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


_SHORT_METHODS = frozenset(("GET", "POST"))


def _without_origin(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, _ in headers:
        if name == b"origin":
            return False
    return True


def _apq_store(config: GatewayConfig, redis: Redis | None) -> ApqStore | None:
    """Where APQ documents live: Redis (shared by every instance) or memory."""
    apq = config.apq
    if not apq.enabled:
        return None
    if redis is None:
        return MemoryApqStore(apq.cache_size)
    return RedisApqStore(
        redis, config.redis_prefix, apq.ttl, local_size=min(apq.cache_size, 1000)
    )


def token_verifier(config: GatewayConfig) -> TokenVerifier:
    """The verifier of the configured tokens (HS256 secret and/or a JWKS)."""
    auth = config.auth
    return TokenVerifier(
        JwtConfig(
            secret=auth.jwt_secret or None,
            jwks_file=Path(auth.jwks_file) if auth.jwks_file else None,
            jwks_url=auth.jwks_url,
            algorithms=auth.algorithms,
            issuer=auth.issuer,
            jwt_issuer=auth.jwt_issuer,
            audience=auth.audience,
            leeway=auth.leeway,
            jwks_ttl=auth.jwks_cache_ttl,
            jwks_min_refetch_interval=auth.jwks_min_refetch_interval,
        )
    )


def _warn_about_development_settings(config: GatewayConfig) -> None:
    if config.production:
        return
    logger.warning(
        "the gateway runs in development mode (introspection, field suggestions, "
        "plan explain and GraphiQL on; development secrets allowed): set "
        "AGORA_ENV=production (or production: true) outside local use"
    )


def _shared(
    transport: SubgraphTransport, config: GatewayConfig, telemetry: Telemetry
) -> SubgraphTransport:
    """`transport`, shared by identical requests in flight (`dedup.upstream`)."""
    if not config.dedup.upstream:
        return transport
    metrics = telemetry.metrics
    on_shared = metrics.dedup_hits.labels("upstream").inc if metrics else None
    return DedupTransport(transport, on_shared)


def _with_entity_cache(
    transports: Mapping[str, SubgraphTransport],
    config: GatewayConfig,
    telemetry: Telemetry,
) -> Mapping[str, SubgraphTransport]:
    """`transports`, their `_entities` fetches answered from one entity cache
    where the subgraphs allowed it (`entity_cache`)."""
    settings = config.entity_cache
    if settings.max_entries == 0:
        return transports
    cache = EntityCache(
        settings.max_entries, settings.max_ttl, max_bytes=settings.max_bytes
    )
    metrics = telemetry.metrics

    def counter(name: str) -> Callable[[int, int], None] | None:
        if metrics is None:
            return None
        hits = metrics.entity_cache.labels(name, "hit")
        misses = metrics.entity_cache.labels(name, "miss")

        def count(hit: int, missed: int) -> None:
            if hit:
                hits.inc(hit)
            if missed:
                misses.inc(missed)

        return count

    return {
        name: EntityCacheTransport(transport, cache, counter(name))
        for name, transport in transports.items()
    }


def _subscription_transports(
    supergraph: Supergraph,
    transports: Mapping[str, SubgraphTransport],
    config: GatewayConfig,
) -> dict[str, SubscriptionTransport]:
    """In-process apps are subscribed to in process, the rest over websocket at
    their join__Graph URL."""
    result: dict[str, SubscriptionTransport] = {}
    for name, info in supergraph.subgraphs.items():
        transport = transports.get(name)
        if isinstance(transport, AsgiTransport):
            result[name] = AsgiWebSocketTransport(
                name, transport.app, path=transport.path
            )
        else:
            url = transport.url if isinstance(transport, HttpTransport) else info.url
            result[name] = WebSocketTransport(
                name,
                url,
                timeout=config.timeout_for(name),
                ping_interval=config.subscription.upstream_ping_interval or None,
                ping_timeout=config.subscription.upstream_ping_timeout or None,
            )
    return result
