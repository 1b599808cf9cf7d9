"""The gateway's Starlette app: /graphql and /health for one supergraph."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from ..planner import plan_operation
from ..settings import GatewaySettings
from ..subscriptions import (
    SubscriptionServer,
    accepts_event_stream,
    serve_event_stream,
    serve_websocket,
)
from ..supergraph import load_supergraph
from ..transport import (
    AsgiTransport,
    AsgiWebSocketTransport,
    Http11Transport,
    HttpTransport,
    WebSocketTransport,
)
from .graphql_http import GraphQLEndpoint

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.websockets import WebSocket

    from ..subscriptions import SubscriptionSettings
    from ..supergraph import Supergraph
    from ..transport import SubgraphTransport, SubscriptionTransport
    from .operations import PlanOperation

__all__ = ["create_app"]


def create_app(
    supergraph_sdl: str,
    *,
    transports: Mapping[str, SubgraphTransport] | None = None,
    settings: GatewaySettings | None = None,
    subscription_transports: Mapping[str, SubscriptionTransport] | None = None,
    subscription_settings: SubscriptionSettings | None = None,
) -> Starlette:
    """The gateway app for `supergraph_sdl`.

    Without `transports`, each subgraph is reached over HTTP at its `join__Graph`
    URL through one pooled client made here. Raises SupergraphError for an SDL that
    cannot be loaded. The app is ready (GET /health is 200) as soon as it is built:
    the supergraph is parsed once, here, and clients exist; transports with a
    `start()` are started by the app's lifespan (an AsgiTransport only runs its
    app's lifespan when built with `lifespan=True`).
    """
    supergraph = load_supergraph(supergraph_sdl)
    return build_app(
        supergraph,
        transports=transports,
        settings=settings,
        plan_operation=plan_operation,
        subscription_transports=subscription_transports,
        subscription_settings=subscription_settings,
    )


def build_app(
    supergraph: Supergraph,
    *,
    plan_operation: PlanOperation,
    transports: Mapping[str, SubgraphTransport] | None = None,
    settings: GatewaySettings | None = None,
    subscription_transports: Mapping[str, SubscriptionTransport] | None = None,
    subscription_settings: SubscriptionSettings | None = None,
) -> Starlette:
    """`create_app` for an already loaded supergraph and a given planner."""
    settings = settings or GatewaySettings.from_env()
    if transports is None:
        client = HttpTransport if settings.http_client == "httpx" else Http11Transport
        transports = {
            name: client(name, info.url, timeout=settings.timeout_for(name))
            for name, info in supergraph.subgraphs.items()
        }
    owned = dict(transports)
    endpoint = GraphQLEndpoint(supergraph, owned, settings, plan_operation)
    if subscription_transports is None:
        subscription_transports = _subscription_transports(supergraph, owned, settings)
    subscriptions = SubscriptionServer(
        supergraph,
        endpoint.operations,
        owned,
        subscription_transports,
        subscription_settings,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
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

    async def health(request: Request) -> JSONResponse:
        if not request.app.state.ready:
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def graphql(request: Request) -> Response:
        if accepts_event_stream(request):
            return await serve_event_stream(subscriptions, request)
        return await endpoint.handle(request)

    async def graphql_websocket(websocket: WebSocket) -> None:
        await serve_websocket(subscriptions, websocket)

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST", "PUT", "DELETE"]),
            WebSocketRoute("/graphql", graphql_websocket),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.ready = True
    app.state.supergraph = supergraph
    app.state.endpoint = endpoint
    app.state.subscriptions = subscriptions
    return app


def _subscription_transports(
    supergraph: Supergraph,
    transports: Mapping[str, SubgraphTransport],
    settings: GatewaySettings,
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
                name, url, timeout=settings.timeout_for(name)
            )
    return result
