"""The accounts subgraph schema: Tenant and User entities, login and tokens."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime  # noqa: TC003 - Strawberry reads annotations at runtime
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

import strawberry
from strawberry.types import Info

from subgraphs.accounts import auth
from subgraphs.accounts.loaders import load_tenants, load_users
from subgraphs.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from subgraphs.accounts.throttle import LoginThrottle, RegistrationThrottle
from subgraphs.kit import CacheHint, SubgraphSchema
from subgraphs.kit.context import RequestContext
from subgraphs.kit.errors import BadUserInput, NotFound, Unauthenticated
from subgraphs.kit.idempotency import prepared, prepared_by
from subgraphs.kit.principal import Role

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from subgraphs.accounts.auth import TokenPair
    from subgraphs.accounts.models import Tenant as TenantRow
    from subgraphs.accounts.models import User as UserRow
    from subgraphs.kit.pubsub import Broker

AccountsInfo = Info[RequestContext, None]
R = TypeVar("R")
MAX_IDS = 1000
T = TypeVar("T")

# Who may read another user's email besides the user: support and administrators.
_EMAIL_READERS = (Role.PLATFORM_ADMIN, Role.SUPPORT_AGENT)
_TENANT_EMAIL_READERS = (Role.TENANT_ADMIN, Role.CHAMBER_ADMIN)
PLATFORM_ADMIN = "platform_admin"


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
    created_at: datetime
    tenant_id: strawberry.Private[str | None]
    _email: strawberry.Private[str]
    _roles: strawberry.Private[list[str]]
    _scopes: strawberry.Private[list[str]]
    # True in a login payload, whose caller is this user by definition.
    _email_visible: strawberry.Private[bool] = False

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(
            id=strawberry.ID(str(row.id)),
            display_name=row.display_name,
            created_at=row.created_at,
            tenant_id=None if row.tenant_id is None else str(row.tenant_id),
            _email=row.email,
            _roles=list(row.roles),
            _scopes=list(row.scopes),
        )

    def _shows_grants(self, ctx: RequestContext) -> bool:
        # Roles tell who is an admin: the user and administrators only (issue 12).
        if self._email_visible or ctx.user_id == str(self.id):
            return True
        if ctx.has_role(PLATFORM_ADMIN):
            return True
        return (
            self.tenant_id is not None
            and ctx.tenant_id == self.tenant_id
            and ctx.has_role(*_TENANT_EMAIL_READERS)
        )

    @strawberry.field(
        description="Visible to the user, platform admins and the admins of the "
        "user's tenant; null for anyone else."
    )
    def roles(self, info: AccountsInfo) -> list[str] | None:
        return list(self._roles) if self._shows_grants(info.context) else None

    @strawberry.field(description="Visible like `roles`.")
    def scopes(self, info: AccountsInfo) -> list[str] | None:
        return list(self._scopes) if self._shows_grants(info.context) else None

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
    invitation_token: str | None = strawberry.field(
        default=None,
        description="From an invitation (directory's inviteMembers): join its "
        "tenant with its role. Without one the user belongs to no tenant.",
    )


@strawberry.type
class PasswordRules:
    """What `register` accepts as a password (for registration forms)."""

    min_length: int
    max_length: int


@strawberry.type
class RegisterPayload:
    """The same answer whether or not the address already had an account: log in
    with it next."""

    email: str = strawberry.field(description="The address, as it is stored.")


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

    @strawberry.field(description="Public: the password rules of `register`.")
    def password_rules(self) -> PasswordRules:
        return PasswordRules(
            min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH
        )

    @strawberry.federation.field(
        description="A user by id; null for an unknown id.", authenticated=True
    )
    async def user(self, info: AccountsInfo, id: strawberry.ID) -> User | None:
        info.context.require_user()
        try:
            row = await info.context.loader(load_users).load(str(id))
        except NotFound:
            return None
        return User.from_row(row)

    @strawberry.federation.field(
        description="Users by id, in order; null for an unknown id.",
        authenticated=True,
    )
    async def users(
        self, info: AccountsInfo, ids: list[strawberry.ID]
    ) -> list[User | None]:
        info.context.require_user()
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

    @strawberry.federation.field(
        description="A tenant by id; null for an unknown id.", authenticated=True
    )
    async def tenant(self, info: AccountsInfo, id: strawberry.ID) -> Tenant | None:
        info.context.require_user()
        try:
            row = await info.context.loader(load_tenants).load(str(id))
        except NotFound:
            return None
        return Tenant.from_row(row)


async def _check_registration(
    context: RequestContext, arguments: Mapping[str, Any]
) -> auth.CheckedRegistration:
    # Before register's transaction: the argon2 hash holds no pooled connection.
    given = arguments["input"]
    return await auth.check_registration(
        context.settings,
        email=given["email"],
        password=given["password"],
        display_name=given["displayName"],
        invitation_token=given.get("invitationToken"),
        throttle=_app_state(context, "registration_throttle", RegistrationThrottle),
        client=client_address(context),
    )


async def _check_login(
    context: RequestContext, arguments: Mapping[str, Any]
) -> auth.CheckedLogin:
    # Before login's transaction: the argon2 check holds no pooled connection.
    return await auth.check_login(
        email=arguments["email"],
        password=arguments["password"],
        throttle=login_throttle(context),
        client=client_address(context),
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create an account, then log in with it. The answer is the same "
        "whether or not the address was free; RATE_LIMITED past the registration "
        "limits.",
        metadata=prepared_by(_check_registration),
    )
    async def register(
        self, info: AccountsInfo, input: RegisterInput
    ) -> RegisterPayload:
        arguments = {
            "input": {
                "email": input.email,
                "password": input.password,
                "displayName": input.display_name,
                "invitationToken": input.invitation_token,
            }
        }
        checked = await prepared(
            info.context, info.path.key, _check_registration, arguments
        )
        registration = await auth.store_registration(checked, info.context.broker)
        return RegisterPayload(email=registration.email)

    @strawberry.mutation(
        description="UNAUTHENTICATED on a wrong email or password.",
        metadata=prepared_by(_check_login),
    )
    async def login(self, info: AccountsInfo, email: str, password: str) -> AuthPayload:
        arguments = {"email": email, "password": password}
        checked = await prepared(info.context, info.path.key, _check_login, arguments)
        pair = await auth.finish_login(info.context.settings, checked)
        return AuthPayload.from_pair(pair)

    @strawberry.mutation(
        description="Trade a refresh token for a new pair; each refresh token works "
        "once, and a used one presented again revokes its whole session."
    )
    async def refresh_token(
        self, info: AccountsInfo, refresh_token: str
    ) -> AuthPayload:
        pair = await auth.refresh_tokens(info.context.settings, refresh_token)
        return AuthPayload.from_pair(pair)

    @strawberry.mutation(
        description="End the session of this refresh token (its access tokens run "
        "out within ACCESS_TOKEN_TTL); true when it was live."
    )
    async def logout(self, info: AccountsInfo, refresh_token: str) -> bool:
        return await auth.logout(info.context.settings, refresh_token)

    @strawberry.federation.mutation(
        description="End every session of the caller; how many were live.",
        authenticated=True,
    )
    async def logout_everywhere(self, info: AccountsInfo) -> int:
        return await auth.logout_everywhere(info.context.require_user())

    @strawberry.federation.mutation(
        description="Platform admins: the user logs in nowhere any more and every "
        "subgraph refuses their tokens; true when the user was active.",
        authenticated=True,
    )
    async def deactivate_user(self, info: AccountsInfo, id: strawberry.ID) -> bool:
        info.context.require_role(PLATFORM_ADMIN)
        return await auth.deactivate_user(info.context.broker, str(id))


class _PerBroker(Protocol):
    @classmethod
    def for_broker(cls, broker: Broker | None) -> Self: ...


S = TypeVar("S", bound=_PerBroker)


def _app_state(context: RequestContext, name: str, kind: type[S]) -> S | None:
    """The `name` throttle of this subgraph app (one per app, kept on its state):
    shared through the broker's Redis when REDIS_URL is set, in memory otherwise."""
    request = context.request
    app = request.scope.get("app") if request is not None else None
    if app is None:
        return None
    existing = getattr(app.state, name, None)
    if isinstance(existing, kind):
        return existing
    made = kind.for_broker(context.broker)
    setattr(app.state, name, made)
    return made


def login_throttle(context: RequestContext) -> LoginThrottle | None:
    """The login throttle of this subgraph app (see _app_state)."""
    return _app_state(context, "login_throttle", LoginThrottle)


def client_address(context: RequestContext) -> str:
    """The caller's address: the one the gateway signed into the request (see
    subgraphs.kit.context), else the peer address of the connection (subgraphs
    never read X-Forwarded-For: subgraphs.kit.serve turns uvicorn's proxy headers
    off).

    Behind a proxy that sends neither, every caller shares the proxy's address and
    the throttle counts per email again.
    """
    return context.client_address or "unknown"


async def _convert(pending: Awaitable[R], convert: Callable[[R], T]) -> T:
    return convert(await pending)


# How long answers may be reused (subgraphs.kit.cache_control). A User entity
# resolves the same for every caller: resolve_reference loads the row by id alone
# (an inactive user too), and an unknown id is NOT_FOUND for everyone (an error:
# no-store). Its plain fields (id, displayName, createdAt) may be reused for 30 s,
# which is what the gateway asks for chat's sender names; email, roles and scopes
# depend on the caller (resolvers of their own: 0). Tenant has no hint, so
# `User.tenant` and `Query.tenant` are not cached. The root fields returning a
# User answer callers (`me` is the caller), never the gateway's entity cache: 0.
CACHE_HINTS = {
    "User": CacheHint(max_age=30),
    "Query.me": CacheHint(max_age=0),
    "Query.user": CacheHint(max_age=0),
    "Query.users": CacheHint(max_age=0),
}

schema = SubgraphSchema(
    query=Query, mutation=Mutation, types=[User, Tenant], cache_hints=CACHE_HINTS
)
