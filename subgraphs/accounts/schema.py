"""The accounts subgraph schema: Tenant and User entities, login and tokens."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime  # noqa: TC003 - Strawberry reads annotations at runtime
from typing import TYPE_CHECKING, TypeVar

import strawberry
from strawberry.types import Info

from subgraphs.accounts import auth
from subgraphs.accounts.loaders import load_tenants, load_users
from subgraphs.accounts.throttle import LoginThrottle
from subgraphs.kit.context import RequestContext
from subgraphs.kit.errors import BadUserInput, NotFound, Unauthenticated

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from subgraphs.accounts.auth import TokenPair
    from subgraphs.accounts.models import Tenant as TenantRow
    from subgraphs.accounts.models import User as UserRow

AccountsInfo = Info[RequestContext, None]
R = TypeVar("R")
MAX_IDS = 1000
T = TypeVar("T")

# Who may read another user's email besides the user: support and administrators.
_EMAIL_READERS = ("platform_admin", "support_agent")
_TENANT_EMAIL_READERS = ("tenant_admin", "chamber_admin")


@strawberry.federation.type(keys=["id"])
class Tenant:
    """A customer organisation; users belong to one."""

    id: strawberry.ID
    name: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: TenantRow) -> Tenant:
        return cls(
            id=strawberry.ID(str(row.id)), name=row.name, created_at=row.created_at
        )

    @classmethod
    def resolve_reference(
        cls, id: strawberry.ID, info: AccountsInfo
    ) -> Awaitable[Tenant]:
        # Return the loader's awaitable, not a coroutine that loads: every
        # representation of one `_entities` call then joins the same batch.
        return _convert(info.context.loader(load_tenants).load(str(id)), cls.from_row)


@strawberry.federation.type(keys=["id"])
class User:
    """A person who logs in."""

    id: strawberry.ID
    display_name: str
    roles: list[str]
    scopes: list[str]
    created_at: datetime
    tenant_id: strawberry.Private[str | None]
    _email: strawberry.Private[str]
    # True in a login/register payload, whose caller is this user by definition.
    _email_visible: strawberry.Private[bool] = False

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(
            id=strawberry.ID(str(row.id)),
            display_name=row.display_name,
            roles=list(row.roles),
            scopes=list(row.scopes),
            created_at=row.created_at,
            tenant_id=None if row.tenant_id is None else str(row.tenant_id),
            _email=row.email,
        )

    @classmethod
    def resolve_reference(
        cls, id: strawberry.ID, info: AccountsInfo
    ) -> Awaitable[User]:
        return _convert(info.context.loader(load_users).load(str(id)), cls.from_row)

    @strawberry.field(
        description="Visible to the user, support agents, platform admins and "
        "the admins of the user's tenant; null for anyone else."
    )
    def email(self, info: AccountsInfo) -> str | None:
        ctx = info.context
        if self._email_visible or ctx.user_id == str(self.id):
            return self._email
        if ctx.has_role(*_EMAIL_READERS):
            return self._email
        if self.tenant_id is not None and ctx.tenant_id == self.tenant_id:
            if ctx.has_role(*_TENANT_EMAIL_READERS):
                return self._email
        return None

    @strawberry.field
    async def tenant(self, info: AccountsInfo) -> Tenant | None:
        if self.tenant_id is None:
            return None
        row = await info.context.loader(load_tenants).load(self.tenant_id)
        return Tenant.from_row(row)


@strawberry.type
class AuthPayload:
    """Tokens for the logged-in user: send the access token as `Bearer`."""

    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int = strawberry.field(description="Access token lifetime, seconds.")
    user: User

    @classmethod
    def from_pair(cls, pair: TokenPair) -> AuthPayload:
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            token_type="Bearer",
            expires_in=pair.expires_in,
            user=dataclasses.replace(User.from_row(pair.user), _email_visible=True),
        )


@strawberry.input
class RegisterInput:
    email: str
    password: str
    display_name: str
    tenant_id: strawberry.ID | None = None


@strawberry.type
class Query:
    @strawberry.federation.field(
        description="The caller; UNAUTHENTICATED without a valid token.",
        authenticated=True,
    )
    async def me(self, info: AccountsInfo) -> User:
        user_id = info.context.require_user()
        try:
            row = await info.context.loader(load_users).load(user_id)
        except NotFound:
            raise Unauthenticated("The account no longer exists.") from None
        return User.from_row(row)

    @strawberry.field
    async def user(self, info: AccountsInfo, id: strawberry.ID) -> User | None:
        try:
            row = await info.context.loader(load_users).load(str(id))
        except NotFound:
            return None
        return User.from_row(row)

    @strawberry.field(description="Users by id, in order; null for an unknown id.")
    async def users(
        self, info: AccountsInfo, ids: list[strawberry.ID]
    ) -> list[User | None]:
        if len(ids) > MAX_IDS:
            raise BadUserInput(f"At most {MAX_IDS} ids per call.", field="ids")
        loader = info.context.loader(load_users)
        rows = await asyncio.gather(
            *(loader.load(str(i)) for i in ids), return_exceptions=True
        )
        result: list[User | None] = []
        for row in rows:
            if isinstance(row, NotFound):
                result.append(None)
            elif isinstance(row, BaseException):
                raise row
            else:
                result.append(User.from_row(row))
        return result

    @strawberry.field
    async def tenant(self, info: AccountsInfo, id: strawberry.ID) -> Tenant | None:
        try:
            row = await info.context.loader(load_tenants).load(str(id))
        except NotFound:
            return None
        return Tenant.from_row(row)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a member account and log it in.")
    async def register(self, info: AccountsInfo, input: RegisterInput) -> AuthPayload:
        ctx = info.context
        pair = await auth.register(
            ctx.settings,
            email=input.email,
            password=input.password,
            display_name=input.display_name,
            tenant_id=None if input.tenant_id is None else str(input.tenant_id),
            broker=ctx.broker,
        )
        return AuthPayload.from_pair(pair)

    @strawberry.mutation(description="UNAUTHENTICATED on a wrong email or password.")
    async def login(self, info: AccountsInfo, email: str, password: str) -> AuthPayload:
        pair = await auth.login(
            info.context.settings,
            email=email,
            password=password,
            throttle=login_throttle(info.context),
            client=client_address(info.context),
        )
        return AuthPayload.from_pair(pair)

    @strawberry.mutation(description="Trade a refresh token for a new token pair.")
    async def refresh_token(
        self, info: AccountsInfo, refresh_token: str
    ) -> AuthPayload:
        pair = await auth.refresh_tokens(info.context.settings, refresh_token)
        return AuthPayload.from_pair(pair)


def login_throttle(context: RequestContext) -> LoginThrottle | None:
    """The throttle of this subgraph app (one per app, kept on its state): counts
    shared through the broker's Redis when REDIS_URL is set, in memory otherwise."""
    request = context.request
    app = request.scope.get("app") if request is not None else None
    if app is None:
        return None
    throttle = getattr(app.state, "login_throttle", None)
    if throttle is None:
        throttle = app.state.login_throttle = LoginThrottle.for_broker(context.broker)
    return throttle


def client_address(context: RequestContext) -> str:
    """The caller's address: the one the gateway signed into the request (see
    subgraphs.kit.context), else the peer address the ASGI server reports (uvicorn
    applies X-Forwarded-For from FORWARDED_ALLOW_IPS).

    Behind a proxy that sends neither, every caller shares the proxy's address and
    the throttle counts per email again.
    """
    return context.client_address or "unknown"


async def _convert(pending: Awaitable[R], convert: Callable[[R], T]) -> T:
    return convert(await pending)


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, types=[User, Tenant]
)
