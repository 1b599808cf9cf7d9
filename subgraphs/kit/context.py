"""The request context (`info.context`): who calls, and the per-request DataLoaders.

Who calls is what the gateway vouches for: its identity headers, signed with
HMAC-SHA256 under AGORA_GATEWAY_SECRET with a timestamp (the format is the
gateway's, gateway/policy/identity.py; the kit never imports the gateway, so the
few lines that read it are repeated here and a shared test vector keeps the two
equal). Headers without a valid, fresh signature are ignored entirely, client
address included. In development a bearer token sent straight to the subgraph
names the caller too (settings.accepts_bearer); production believes the gateway only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, unquote

from strawberry.dataloader import DataLoader

from subgraphs.kit.errors import Forbidden, Unauthenticated
from subgraphs.kit.services import Services
from subgraphs.kit.tokens import decode_token

if TYPE_CHECKING:
    import asyncio

    from starlette.requests import Request
    from starlette.websockets import WebSocket

    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
S = TypeVar("S")

BatchFunction = Callable[["RequestContext", list[K]], Awaitable[list[V | Exception]]]

USER_ID_HEADER = "x-agora-user-id"
TENANT_ID_HEADER = "x-agora-tenant-id"
ROLES_HEADER = "x-agora-roles"
SCOPES_HEADER = "x-agora-scopes"
CLIENT_ADDRESS_HEADER = "x-agora-client-address"
TIMESTAMP_HEADER = "x-agora-timestamp"
SIGNATURE_HEADER = "x-agora-signature"
# In signing order; the signature covers the six before it.
IDENTITY_HEADERS = (
    USER_ID_HEADER,
    TENANT_ID_HEADER,
    ROLES_HEADER,
    SCOPES_HEADER,
    CLIENT_ADDRESS_HEADER,
    TIMESTAMP_HEADER,
    SIGNATURE_HEADER,
)
# The gateway's per-request deadline (milliseconds left when it sent the request,
# relative, so the clocks need not agree) and a client's idempotency key.
DEADLINE_HEADER = "x-agora-deadline-ms"
IDEMPOTENCY_KEY_HEADER = "idempotency-key"
# A deadline further away than this is taken as this (a header cannot pin a
# request for ever).
MAX_DEADLINE_SECONDS = 600.0
_VERSION = "v1"
_SIGNATURE = re.compile(r"v1=([0-9a-f]{64})").fullmatch
_TIMESTAMP = re.compile(r"[0-9]{1,12}").fullmatch
_PLAIN = re.compile(r"[A-Za-z0-9_.~:@-]*").fullmatch


@dataclass(frozen=True, slots=True)
class GatewayIdentity:
    """The caller as the gateway signed it; `user_id` None is an anonymous caller."""

    user_id: str | None
    tenant_id: str | None
    roles: frozenset[str]
    scopes: frozenset[str]
    client_address: str | None
    signed_at: int


def _sign(secret: str, values: Iterable[str]) -> str:
    canonical = "\n".join((_VERSION, *values)).encode()
    return hmac.new(secret.encode(), canonical, hashlib.sha256).hexdigest()


def _encode(value: str | None) -> str:
    if not value:
        return ""
    return value if _PLAIN(value) else quote(value, safe=":@")


def _decode_set(value: str) -> frozenset[str]:
    return frozenset(unquote(part) for part in value.split(",") if part)


def gateway_identity_headers(
    secret: str,
    *,
    user_id: str | None,
    tenant_id: str | None = None,
    roles: Iterable[str] = (),
    scopes: Iterable[str] = (),
    client_address: str | None = None,
    now: float | None = None,
) -> dict[str, str]:
    """Signed identity headers as the gateway sends them (for tests and tools that
    call a subgraph in the gateway's place)."""
    values = (
        _encode(user_id),
        _encode(tenant_id),
        ",".join(_encode(role) for role in sorted(roles)),
        ",".join(_encode(scope) for scope in sorted(scopes)),
        _encode(client_address),
        str(int(time.time() if now is None else now)),
    )
    headers = dict(zip(IDENTITY_HEADERS, values, strict=False))
    headers[SIGNATURE_HEADER] = f"{_VERSION}={_sign(secret, values)}"
    return headers


def verify_gateway_identity(
    headers: Mapping[str, str], settings: Settings, *, now: float | None = None
) -> GatewayIdentity | None:
    """The identity the gateway signed into `headers`, or None.

    None unless the signature matches every identity header (compared in constant
    time) and the timestamp is at most `settings.identity_max_age` seconds old and
    at most `settings.identity_clock_skew` seconds ahead. A missing identity header
    reads as empty, as the gateway signs an absent value.
    """
    signature = _SIGNATURE(headers.get(SIGNATURE_HEADER, ""))
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    if signature is None or _TIMESTAMP(timestamp) is None:
        return None
    signed_at = int(timestamp)
    now = time.time() if now is None else now
    if not (
        now - settings.identity_max_age
        <= signed_at
        <= now + settings.identity_clock_skew
    ):
        return None
    values = [headers.get(name, "") for name in IDENTITY_HEADERS[:5]]
    expected = _sign(settings.gateway_secret, (*values, timestamp))
    if not hmac.compare_digest(signature.group(1), expected):
        return None
    user, tenant, roles, scopes, address = values
    return GatewayIdentity(
        user_id=unquote(user) or None,
        tenant_id=unquote(tenant) or None,
        roles=_decode_set(roles),
        scopes=_decode_set(scopes),
        client_address=unquote(address) or None,
        signed_at=signed_at,
    )


@dataclass(eq=False)
class RequestContext:
    """What a resolver knows about its request.

    Identity comes from the gateway's signed identity headers or, in development,
    from a bearer access token. A bad token does not fail the request at once:
    `require_user()` raises its Unauthenticated, so `login` still works.
    `client_address` is the caller's address as the gateway signed it, else the
    peer's; `via_gateway` is True when the gateway's signature was valid.
    `deadline` (`time.monotonic()`) is when the caller stops waiting, from the
    gateway's `x-agora-deadline-ms`; `idempotency_key` is the request's
    `Idempotency-Key` header; `database` names the subgraph's connection (its
    mutations run in one transaction there: subgraphs.kit.idempotency).
    """

    settings: Settings
    broker: Broker | None = None
    request: Request | WebSocket | None = None
    user_id: str | None = None
    tenant_id: str | None = None
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    auth_error: Unauthenticated | None = None
    client_address: str | None = None
    via_gateway: bool = False
    # Set by Strawberry from the graphql-transport-ws `connection_init` payload.
    connection_params: dict[str, Any] | None = None
    # The app's running services (subgraphs.kit.services), set by the app.
    services: Services = field(default_factory=Services, repr=False)
    deadline: float | None = None
    # The asyncio timeout that cancels the operation at `deadline` (set by the app);
    # a mutation holds it off while it commits (subgraphs.kit.idempotency).
    deadline_timer: asyncio.Timeout | None = field(default=None, repr=False)
    idempotency_key: str | None = None
    database: str | None = None
    # What root mutation fields' `prepared_by` functions gave, by response key,
    # before their transactions opened (subgraphs.kit.idempotency).
    prepared: dict[str, object] = field(default_factory=dict, repr=False)
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

    def service(self, kind: type[S]) -> S:
        """The app's running service of `kind` (ServiceUnavailable before start-up)."""
        return self.services.get(kind)

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


def build_context(
    request: Request | WebSocket | None,
    settings: Settings,
    broker: Broker | None = None,
) -> RequestContext:
    """Build the context from the gateway's signed identity or a bearer token.

    A websocket's identity may come again in its `connection_init` payload (see
    apply_connection_params).
    """
    context = RequestContext(settings=settings, broker=broker, request=request)
    if request is None:
        return context
    context.deadline = deadline_of(request.headers)
    context.idempotency_key = request.headers.get(IDEMPOTENCY_KEY_HEADER) or None
    apply_identity(context, request.headers)
    if context.client_address is None and request.client is not None:
        context.client_address = request.client.host
    return context


def deadline_of(
    headers: Mapping[str, str], *, now: float | None = None
) -> float | None:
    """The `time.monotonic()` deadline `x-agora-deadline-ms` sets from `now`, or None
    (no header, or not a number)."""
    raw = headers.get(DEADLINE_HEADER)
    if not raw or not raw.isdigit():
        return None
    seconds = min(int(raw) / 1000, MAX_DEADLINE_SECONDS)
    return (time.monotonic() if now is None else now) + seconds


def apply_identity(context: RequestContext, headers: Mapping[str, str]) -> None:
    """Fill the caller into `context` from the signed identity headers, else (when
    the settings accept it) from an `Authorization: Bearer` access token."""
    verified = verify_gateway_identity(headers, context.settings)
    if verified is not None:
        _adopt(context, verified)
        return
    authorization = headers.get("authorization")
    if authorization is not None and context.settings.accepts_bearer:
        _apply_bearer(context, authorization)


def apply_connection_params(
    context: RequestContext, connection_params: Mapping[str, Any]
) -> None:
    """Fill the caller from a graphql-transport-ws `connection_init` payload.

    The gateway puts the same signed headers there (verified now, at
    connection_init); a browser's `Authorization` counts as a bearer token. A
    signed identity from the upgrade request stands unless the payload carries a
    valid one of its own.
    """
    headers = {
        str(name).lower(): value
        for name, value in connection_params.items()
        if isinstance(value, str)
    }
    verified = verify_gateway_identity(headers, context.settings)
    if verified is not None:
        _adopt(context, verified)
        if context.request is not None and verified.client_address is None:
            client = context.request.client
            context.client_address = None if client is None else client.host
        return
    if context.via_gateway or context.user_id is not None:
        return
    authorization = headers.get("authorization")
    if authorization is not None and context.settings.accepts_bearer:
        _apply_bearer(context, authorization)


def _adopt(context: RequestContext, verified: GatewayIdentity) -> None:
    context.via_gateway = True
    context.auth_error = None
    context.user_id = verified.user_id
    context.tenant_id = verified.tenant_id
    context.roles = verified.roles
    context.scopes = verified.scopes
    context.client_address = verified.client_address


def _apply_bearer(context: RequestContext, authorization: str) -> None:
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return
    try:
        claims = decode_token(context.settings, token.strip(), expected_type="access")
    except Unauthenticated as error:
        context.auth_error = error
        return
    context.auth_error = None
    context.user_id = claims.user_id
    context.tenant_id = claims.tenant_id
    context.roles = claims.roles
    context.scopes = claims.scopes
