"""The request context (`info.context`): who calls, and the per-request DataLoaders."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from strawberry.dataloader import DataLoader

from subgraphs.kit.errors import Forbidden, Unauthenticated
from subgraphs.kit.tokens import decode_token

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.websockets import WebSocket

    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BatchFunction = Callable[["RequestContext", list[K]], Awaitable[list[V | Exception]]]

ROLES = frozenset(
    {"member", "chamber_admin", "support_agent", "tenant_admin", "platform_admin"}
)

USER_ID_HEADER = "x-agora-user-id"
TENANT_ID_HEADER = "x-agora-tenant-id"
ROLES_HEADER = "x-agora-roles"
SCOPES_HEADER = "x-agora-scopes"
GATEWAY_SECRET_HEADER = "x-agora-gateway-secret"


@dataclass(eq=False)
class RequestContext:
    """What a resolver knows about its request.

    Identity comes from the gateway's identity headers (trusted only with the gateway
    secret) or from a bearer access token. A bad token does not fail the request at
    once: `require_user()` raises its Unauthenticated, so `login` still works.
    """

    settings: Settings
    broker: Broker | None = None
    request: Request | WebSocket | None = None
    user_id: str | None = None
    tenant_id: str | None = None
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    auth_error: Unauthenticated | None = None
    # Set by Strawberry from the graphql-transport-ws `connection_init` payload.
    connection_params: dict[str, Any] | None = None
    _loaders: dict[Callable[..., Any], DataLoader[Any, Any]] = field(
        default_factory=dict, repr=False
    )

    def require_user(self) -> str:
        """The caller's user id; raise Unauthenticated when there is none."""
        if self.auth_error is not None:
            raise self.auth_error
        if self.user_id is None:
            raise Unauthenticated()
        return self.user_id

    def has_role(self, *roles: str) -> bool:
        """True when the caller holds any of `roles`."""
        return not self.roles.isdisjoint(roles)

    def require_role(self, *roles: str) -> None:
        """Raise Unauthenticated without a caller, Forbidden without any of `roles`."""
        self.require_user()
        if not self.has_role(*roles):
            raise Forbidden(f"Requires one of the roles: {', '.join(sorted(roles))}.")

    def loader(self, batch_fn: BatchFunction[K, V]) -> DataLoader[K, V]:
        """The DataLoader of this request for `batch_fn`, created on first use.

        Loaders live on the context, never in a module, so nothing is cached across
        requests; the cache key carries the tenant as well.
        """
        existing = self._loaders.get(batch_fn)
        if existing is not None:
            return existing

        async def load_fn(keys: list[K]) -> list[V | Exception]:
            return await batch_fn(self, keys)

        tenant_id = self.tenant_id

        def cache_key_fn(key: K) -> Hashable:
            return (tenant_id, key)

        # A websocket's context lives as long as the connection: batch each event's
        # loads but do not serve later events from an old cache.
        created: DataLoader[K, V] = DataLoader(
            load_fn=load_fn,
            cache_key_fn=cache_key_fn,
            cache=not _is_websocket(self.request),
        )
        self._loaders[batch_fn] = created
        return created


def _is_websocket(request: Request | WebSocket | None) -> bool:
    return request is not None and request.scope.get("type") == "websocket"


def _split(value: str | None) -> frozenset[str]:
    if not value:
        return frozenset()
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def build_context(
    request: Request | WebSocket | None,
    settings: Settings,
    broker: Broker | None = None,
    *,
    connection_params: dict[str, Any] | None = None,
) -> RequestContext:
    """Build the context from the gateway's identity headers or a bearer token.

    `connection_params` (graphql-transport-ws `connection_init` payload) may carry an
    `Authorization` value for websocket clients that cannot set headers.
    """
    context = RequestContext(settings=settings, broker=broker, request=request)
    headers: dict[str, str] = dict(request.headers) if request is not None else {}
    apply_identity(context, headers, connection_params)
    return context


def apply_identity(
    context: RequestContext,
    headers: dict[str, str],
    connection_params: dict[str, Any] | None = None,
) -> None:
    """Fill the caller's identity into `context` from headers or connection params."""
    settings = context.settings
    if connection_params:
        for name in ("Authorization", "authorization"):
            value = connection_params.get(name)
            if isinstance(value, str):
                headers["authorization"] = value
    secret = headers.get(GATEWAY_SECRET_HEADER)
    if secret is not None and hmac.compare_digest(
        secret.encode(), settings.gateway_secret.encode()
    ):
        context.user_id = headers.get(USER_ID_HEADER) or None
        context.tenant_id = headers.get(TENANT_ID_HEADER) or None
        context.roles = _split(headers.get(ROLES_HEADER))
        context.scopes = _split(headers.get(SCOPES_HEADER))
        if context.user_id is not None:
            return
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return
    try:
        claims = decode_token(settings, token.strip(), expected_type="access")
    except Unauthenticated as error:
        context.auth_error = error
        return
    context.auth_error = None
    context.user_id = claims.user_id
    context.tenant_id = claims.tenant_id
    context.roles = claims.roles
    context.scopes = claims.scopes
