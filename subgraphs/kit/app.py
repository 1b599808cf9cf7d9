"""The ASGI app factory: a Strawberry federation schema served by Starlette.

Routes: /graphql (HTTP GET/POST and websocket graphql-transport-ws), /health (the
process runs) and /ready (the database answers and the broker is connected).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from subgraphs.kit._masking import MaskInternalErrors
from subgraphs.kit._request_errors import RequestErrorCodes
from subgraphs.kit.background import BackgroundTask, run_background
from subgraphs.kit.context import RequestContext, apply_identity, build_context
from subgraphs.kit.database import check_databases, close_databases, init_databases
from subgraphs.kit.pubsub import Broker
from subgraphs.kit.settings import Settings

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.websockets import WebSocket
    from strawberry.federation import Schema

logger = logging.getLogger("agora.subgraphs")

Seed = Callable[[Settings], Awaitable[None]]


@dataclass(frozen=True)
class SubgraphSpec:
    """What a subgraph is: its name, schema, Tortoise model modules and demo seed.

    `migrations` defaults to the `migrations` package beside the first models module
    (`subgraphs.accounts.models` -> `subgraphs.accounts.migrations`). `seed(settings)`
    runs at every start and must be idempotent. `background` tasks
    (`async (broker, settings) -> None`) run while the subgraph serves, standalone or
    embedded (see subgraphs.kit.background).
    """

    name: str
    schema: Schema
    models: list[str]
    seed: Seed | None = None
    migrations: str | None = field(default=None)
    background: Sequence[BackgroundTask] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "background", tuple(self.background))
        if self.migrations is None and self.models:
            package = self.models[0].rpartition(".")[0]
            if package:
                object.__setattr__(self, "migrations", f"{package}.migrations")


def ensure_error_codes(schema: Schema) -> None:
    """Give every error `schema` returns an `extensions.code`.

    Adds MaskInternalErrors (resolver failures) and RequestErrorCodes (parse,
    validation, variable coercion) unless they are there already.
    """
    for extension in (MaskInternalErrors, RequestErrorCodes):
        if extension not in schema.extensions:
            schema.extensions = (*schema.extensions, extension)


class SubgraphGraphQL(GraphQL[RequestContext, None]):
    """Strawberry's ASGI app with our RequestContext as `info.context`."""

    def __init__(self, schema: Schema, settings: Settings, broker: Broker) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.settings = settings
        self.broker = broker

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        return build_context(request, self.settings, self.broker)

    async def on_ws_connect(self, context: RequestContext) -> Any:
        # Browsers cannot set headers on websockets: accept a token in the payload.
        if context.user_id is None and context.connection_params:
            apply_identity(context, {}, context.connection_params)
        return await super().on_ws_connect(context)


async def prepare_subgraphs(specs: list[SubgraphSpec], settings: Settings) -> None:
    """Open the databases of `specs`, apply their migrations and run their seeds."""
    await init_databases(specs, settings)
    try:
        for spec in specs:
            if spec.seed is not None:
                await spec.seed(settings)
    except BaseException:
        await close_databases()
        raise


async def _health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def _ready_endpoint(broker: Broker) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def ready(request: Request) -> JSONResponse:
        checks = {"database": await check_databases(), "broker": await broker.ping()}
        status = 200 if all(checks.values()) else 503
        return JSONResponse(
            {"status": "ready" if status == 200 else "unavailable", "checks": checks},
            status_code=status,
        )

    return ready


def create_subgraph_app(
    spec: SubgraphSpec,
    settings: Settings | None = None,
    *,
    broker: Broker | None = None,
    standalone: bool = True,
) -> Starlette:
    """The Starlette app of one subgraph.

    Standalone (the default), its lifespan opens the database (migrations, seed),
    connects the broker and runs the spec's background tasks. Embedded beside other
    subgraphs, `standalone=False` and the caller's lifespan does that once for all
    (see subgraphs.kit.embedded).
    """
    settings = settings or Settings.from_env()
    broker = broker or Broker.from_settings(settings)
    ensure_error_codes(spec.schema)
    graphql_app = SubgraphGraphQL(spec.schema, settings, broker)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not standalone:
            yield
            return
        await prepare_subgraphs([spec], settings)
        try:
            await broker.connect()
            try:
                async with run_background(spec.background, broker, settings):
                    yield
            finally:
                await broker.disconnect()
        finally:
            await close_databases()

    app = Starlette(
        routes=[
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            Route("/health", _health),
            Route("/ready", _ready_endpoint(broker)),
        ],
        lifespan=lifespan,
    )
    app.state.spec = spec
    app.state.settings = settings
    app.state.broker = broker
    return app
