"""The ASGI app factory: a Strawberry federation schema served by Starlette.

Routes: /graphql (HTTP GET/POST and websocket graphql-transport-ws), /health (the
process runs), /ready (the database answers and the broker is connected) and
/metrics (Prometheus; off with AGORA_SUBGRAPH_METRICS=0: subgraphs.kit.telemetry).
With settings.entities_gateway_only, `_entities` and `_service` answer FORBIDDEN to
any request the gateway did not sign.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import BREAK, FieldNode, GraphQLError, Visitor, visit
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.extensions import SchemaExtension
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from subgraphs.kit._document_cache import DocumentCache
from subgraphs.kit._masking import MaskInternalErrors, SubgraphSchema
from subgraphs.kit._request_errors import RequestErrorCodes
from subgraphs.kit.cache_control import NO_STORE, CachePolicy
from subgraphs.kit.context import (
    RequestContext,
    apply_connection_params,
    build_context,
)
from subgraphs.kit.database import check_databases
from subgraphs.kit.idempotency import DEADLINE_EXCEEDED, IdempotentMutations
from subgraphs.kit.input import InputChecks
from subgraphs.kit.lifecycle import run_subgraphs
from subgraphs.kit.pubsub import Broker
from subgraphs.kit.services import ServiceFactory, Services
from subgraphs.kit.settings import Settings
from subgraphs.kit.telemetry import (
    CONTENT_TYPE,
    OperationKind,
    SubgraphMetrics,
    SubgraphTelemetry,
    instrument,
    resolver_spans,
)
from subgraphs.kit.users import check_active_user

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cross_web import AsyncHTTPRequestAdapter
    from graphql import DocumentNode
    from starlette.requests import Request
    from starlette.websockets import WebSocket
    from strawberry.federation import Schema
    from strawberry.http import GraphQLRequestData

    from subgraphs.kit.background import BackgroundTask

logger = logging.getLogger("agora.subgraphs")

Seed = Callable[[Settings], Awaitable[None]]


@dataclass(frozen=True)
class SubgraphSpec:
    """What a subgraph is: its name, schema, Tortoise model modules and demo seed.

    `migrations` defaults to the `migrations` package beside the first models module
    (`subgraphs.accounts.models` -> `subgraphs.accounts.migrations`). `seed(settings)`
    runs at every start and must be idempotent. `services` are the app's shared
    parts, made at start-up and reached by type from the request context (see
    subgraphs.kit.services). `background` tasks (`async (broker, settings) -> None`)
    run while the subgraph serves, standalone or embedded (subgraphs.kit.background).
    """

    name: str
    schema: Schema
    models: list[str]
    seed: Seed | None = None
    migrations: str | None = field(default=None)
    background: Sequence[BackgroundTask] = ()
    services: Sequence[ServiceFactory] = ()
    # Accept the GraphQL multipart request spec (file uploads through the gateway).
    multipart_uploads: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "background", tuple(self.background))
        object.__setattr__(self, "services", tuple(self.services))
        if self.migrations is None and self.models:
            package = self.models[0].rpartition(".")[0]
            if package:
                object.__setattr__(self, "migrations", f"{package}.migrations")


# The federation entry points (Federation spec, "Subgraph schema additions"): only
# the gateway needs them, and `_entities` reaches any entity by its key.
GATEWAY_ONLY_FIELDS = frozenset({"_entities", "_service"})


class _SelectsGatewayOnlyField(Visitor):
    found = False

    def enter_field(self, node: FieldNode, *_: object) -> object:
        if node.name.value in GATEWAY_ONLY_FIELDS:
            self.found = True
            return BREAK
        return None


def selects_gateway_only_field(document: DocumentNode) -> bool:
    """True when any operation or fragment of `document` selects `_entities` or
    `_service` (under any alias)."""
    visitor = _SelectsGatewayOnlyField()
    visit(document, visitor)
    return visitor.found


class GatewayOnlyFields(SchemaExtension):
    """Refuses `_entities` and `_service` (FORBIDDEN, before validation and any
    resolver) to a request without the gateway's signature, when the settings
    close them (settings.entities_gateway_only)."""

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        document = execution.graphql_document
        if (
            isinstance(context, RequestContext)
            and context.settings.entities_gateway_only
            and not context.via_gateway
            and document is not None
            and selects_gateway_only_field(document)
        ):
            # Set before validation runs: Strawberry then skips it and answers
            # with these errors only.
            execution.pre_execution_errors = [
                GraphQLError(
                    "_entities and _service answer the gateway only.",
                    extensions={"code": "FORBIDDEN"},
                )
            ]
        yield


def ensure_error_codes(schema: Schema) -> None:
    """Give every error `schema` returns an `extensions.code`, and close the
    federation fields to all but the gateway when the settings say so.

    Adds MaskInternalErrors (resolver failures), RequestErrorCodes (parse,
    validation, variable coercion), GatewayOnlyFields, InputChecks
    (unstorable text, root mutation fields), IdempotentMutations (a
    transaction, the deadline and the idempotency key of each root mutation
    field) and DocumentCache (a text parsed and validated once) unless they
    are there.
    """
    for extension in (
        DocumentCache,
        MaskInternalErrors,
        RequestErrorCodes,
        GatewayOnlyFields,
        InputChecks,
        IdempotentMutations,
    ):
        if extension not in schema.extensions:
            schema.extensions = (*schema.extensions, extension)


class SubgraphGraphQL(GraphQL[RequestContext, None]):
    """Strawberry's ASGI app with our RequestContext as `info.context`.

    Each operation ends at the gateway's deadline (`x-agora-deadline-ms`:
    DEADLINE_EXCEEDED, the work cancelled); each root mutation field runs in one
    transaction on `database` with its idempotency key
    (subgraphs.kit.idempotency). Each HTTP answer carries `Cache-Control` from
    the schema's cache hints (subgraphs.kit.cache_control): `no-store` unless it
    is a query answered without errors whose policy allows reuse.
    """

    def __init__(
        self,
        schema: Schema,
        settings: Settings,
        broker: Broker,
        services: Services | None = None,
        *,
        multipart_uploads: bool = False,
        database: str | None = None,
        name: str = "subgraph",
        telemetry: SubgraphTelemetry | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            multipart_uploads_enabled=multipart_uploads,
        )
        self.settings = settings
        self.broker = broker
        self.services = services if services is not None else Services()
        self.database = database
        self.name = name
        self.telemetry = telemetry if telemetry is not None else SubgraphTelemetry()
        self._cache_policy: CachePolicy | None = (
            schema.cache_policy if isinstance(schema, SubgraphSchema) else None
        )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        context = build_context(request, self.settings, self.broker)
        context.services = self.services
        context.database = self.database
        # A caller accounts no longer lists is nobody (subgraphs.kit.users).
        await check_active_user(context)
        return context

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        async def run() -> ExecutionResult:
            result: ExecutionResult = await super(SubgraphGraphQL, self).execute_single(
                request,
                request_adapter,
                sub_response,
                context,
                root_value,
                request_data,
            )
            return result

        if self.telemetry.enabled:
            result = await instrument(
                self.telemetry,
                self.name,
                request.headers,
                lambda: self._run_until_deadline(context, run),
            )
        else:
            result = await self._run_until_deadline(context, run)
        # Strawberry merges these headers into the HTTP response. Errors (the
        # deadline's too) are known only now: they are never to be reused.
        sub_response.headers["Cache-Control"] = self._cache_control(
            request_data, result
        )
        return result

    def _cache_control(
        self, request_data: GraphQLRequestData, result: ExecutionResult
    ) -> str:
        policy = self._cache_policy
        if policy is None or result.errors or request_data.query is None:
            return NO_STORE
        # Mutations and subscriptions are no-store there too.
        return policy.header(request_data.query, request_data.operation_name)

    async def _run_until_deadline(
        self,
        context: RequestContext,
        run: Callable[[], Awaitable[ExecutionResult]],
    ) -> ExecutionResult:
        if context.deadline is None:
            return await run()
        try:
            async with asyncio.timeout_at(context.deadline) as timer:
                context.deadline_timer = timer
                return await run()
        except TimeoutError:
            return ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "The caller's deadline passed before the request completed.",
                        extensions={"code": DEADLINE_EXCEEDED},
                    )
                ],
            )

    async def on_ws_connect(self, context: RequestContext) -> Any:
        # The gateway signs the identity into the payload too; browsers cannot
        # set headers on websockets and send their token there.
        if context.connection_params:
            apply_connection_params(context, context.connection_params)
        await check_active_user(context)
        return await super().on_ws_connect(context)


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


def _metrics_endpoint(
    metrics: SubgraphMetrics,
) -> Callable[[Request], Awaitable[Response]]:
    async def scrape(request: Request) -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    return scrape


def create_subgraph_app(
    spec: SubgraphSpec,
    settings: Settings | None = None,
    *,
    broker: Broker | None = None,
    standalone: bool = True,
    services: Services | None = None,
    telemetry: SubgraphTelemetry | None = None,
) -> Starlette:
    """The Starlette app of one subgraph.

    Standalone (the default), its lifespan opens the database (migrations, seed),
    connects the broker and runs the spec's background tasks. Embedded beside other
    subgraphs, `standalone=False` and the caller's lifespan does that once for all
    (see subgraphs.kit.embedded) and gives the app its `services` registry.
    `telemetry` defaults to the settings' (subgraphs.kit.telemetry): /metrics on a
    registry of this app's own, traces when settings.tracing is on.
    Raises SettingsError for a malformed setting or a
    production subgraph with a development secret.
    """
    settings = settings or Settings.from_env()
    settings.check_production()
    broker = broker or Broker.from_settings(settings)
    ensure_error_codes(spec.schema)
    services = services if services is not None else Services()
    database = spec.name if spec.models else None
    if telemetry is None:
        telemetry = SubgraphTelemetry.from_settings(settings, spec.name)
    if telemetry.metrics is not None:
        telemetry.metrics.watch(spec.name, broker=broker, database=database)
    # Each extension costs every request of the schema (~6 µs for OperationKind):
    # these join only when an app of the process measures or traces.
    wanted: list[type[SchemaExtension]] = []
    if telemetry.metrics is not None:
        wanted.append(OperationKind)
    if telemetry.tracer is not None:
        wanted.append(resolver_spans())
    for extension in wanted:
        if extension not in spec.schema.extensions:
            spec.schema.extensions = (*spec.schema.extensions, extension)
    graphql_app = SubgraphGraphQL(
        spec.schema,
        settings,
        broker,
        services,
        multipart_uploads=spec.multipart_uploads,
        database=database,
        name=spec.name,
        telemetry=telemetry,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not standalone:
            yield
            return
        async with run_subgraphs([(spec, services)], settings, broker):
            yield

    routes = [
        Route("/graphql", graphql_app, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql_app),
        Route("/health", _health),
        Route("/ready", _ready_endpoint(broker)),
    ]
    if telemetry.metrics is not None:
        routes.append(Route("/metrics", _metrics_endpoint(telemetry.metrics)))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.spec = spec
    app.state.settings = settings
    app.state.broker = broker
    app.state.services = services
    app.state.telemetry = telemetry
    return app
