"""Registration, login, token refresh and logout: the accounts logic behind the
mutations."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import jwt
from redis.exceptions import RedisError
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from subgraphs.accounts.events import (
    INVITATION_ACCEPTED,
    USER_REGISTERED,
    InvitationAccepted,
    UserRegistered,
)
from subgraphs.accounts.models import RefreshToken, Tenant, User
from subgraphs.accounts.passwords import (
    check_password_strength,
    hash_password,
    needs_rehash,
    verify_password,
)
from subgraphs.kit.emails import normalise_email
from subgraphs.kit.errors import BadUserInput, BrokerUnavailable, Unauthenticated
from subgraphs.kit.invitations import InvalidInvitation, verify_invitation_token
from subgraphs.kit.tokens import TokenType, decode_token, issue_token
from subgraphs.kit.users import UserRecord, directory_for

if TYPE_CHECKING:
    from subgraphs.accounts.throttle import LoginThrottle, RegistrationThrottle
    from subgraphs.kit.invitations import InvitationClaims
    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

CONNECTION = "accounts"

logger = logging.getLogger("agora.subgraphs")


@dataclass(frozen=True, slots=True)
class TokenPair:
    """An access and a refresh token for one user."""

    access_token: str
    refresh_token: str
    expires_in: int
    user: User


def _now() -> datetime:
    return datetime.now(UTC)


async def issue_tokens(
    settings: Settings, user: User, *, family: str | None = None
) -> TokenPair:
    """A fresh access and refresh token carrying the user's current roles; the
    refresh token is stored, in `family` (a new one at login)."""
    user_id = str(user.id)
    tenant_id = None if user.tenant_id is None else str(user.tenant_id)

    def token(type: TokenType) -> str:
        return issue_token(
            settings,
            user_id=user_id,
            tenant_id=tenant_id,
            roles=user.roles,
            scopes=user.scopes,
            type=type,
        )

    refresh_token = token("refresh")
    await RefreshToken.create(
        id=_token_id(refresh_token),
        user_id=user.id,
        family=family or uuid.uuid4().hex,
        expires_at=_now() + timedelta(seconds=settings.refresh_token_ttl),
    )
    return TokenPair(
        access_token=token("access"),
        refresh_token=refresh_token,
        expires_in=int(settings.access_token_ttl),
        user=user,
    )


def _token_id(token: str) -> str:
    """The `jti` of a token this process signed or decode_token verified."""
    claims = jwt.decode(token, options={"verify_signature": False})
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= 32:
        raise Unauthenticated("Token is invalid.")
    return jti


@dataclass(frozen=True, slots=True)
class Registration:
    """What register answers, the same whether or not the address was free."""

    email: str


@dataclass(frozen=True, slots=True)
class CheckedRegistration:
    """A registration checked and its password hashed: what is left to store."""

    email: str
    display_name: str
    password_hash: str
    invitation: InvitationClaims | None


async def register(
    settings: Settings,
    *,
    email: str,
    password: str,
    display_name: str,
    invitation_token: str | None = None,
    broker: Broker | None = None,
    throttle: RegistrationThrottle | None = None,
    client: str = "unknown",
) -> Registration:
    """Create a member account; log in with it next.

    With `invitation_token` (see subgraphs.kit.invitations) the user joins its
    tenant with its role; the invitation's email must be this one. Without, the user
    belongs to no tenant. An address already registered gets the same answer, and
    nothing changes (issue 12: the answer must not tell who has an account).

    Raises BadUserInput for an invalid email, a weak password, an empty display
    name, InvalidInvitation for an invitation that is not valid for this email;
    RateLimited past the registration limits. Nothing is stored then.
    """
    checked = await check_registration(
        settings,
        email=email,
        password=password,
        display_name=display_name,
        invitation_token=invitation_token,
        throttle=throttle,
        client=client,
    )
    return await store_registration(checked, broker)


async def check_registration(
    settings: Settings,
    *,
    email: str,
    password: str,
    display_name: str,
    invitation_token: str | None = None,
    throttle: RegistrationThrottle | None = None,
    client: str = "unknown",
) -> CheckedRegistration:
    """register's checks, throttle and password hash: no database work, so it
    runs before the mutation's transaction (subgraphs.kit.idempotency)."""
    email = normalise_email(email)
    display_name = display_name.strip()
    if not display_name or len(display_name) > 200:
        raise BadUserInput(
            "Display name must be 1 to 200 characters.", field="displayName"
        )
    check_password_strength(password)
    invitation = None
    if invitation_token is not None:
        invitation = verify_invitation_token(settings, invitation_token)
        if invitation.email != email:
            raise InvalidInvitation()
    if throttle is not None:
        await throttle.begin(client)
    # Hashed whether or not the address is free: both answers take as long.
    password_hash = await hash_password(password)
    return CheckedRegistration(email, display_name, password_hash, invitation)


async def store_registration(
    checked: CheckedRegistration, broker: Broker | None
) -> Registration:
    """Store a checked registration (the same answer when the address is taken)."""
    email, invitation = checked.email, checked.invitation
    tenant_uuid = None if invitation is None else await _invited_tenant(invitation)
    try:
        async with in_transaction(CONNECTION):
            if await User.exists(email=email):
                return Registration(email=email)
            user = await User.create(
                email=email,
                display_name=checked.display_name,
                password_hash=checked.password_hash,
                tenant_id=tenant_uuid,
                roles=[invitation.role if invitation else "member"],
                scopes=[],
            )
    except IntegrityError:
        # Two registrations raced past the exists() check: the unique index decided.
        return Registration(email=email)
    await _announce(broker, user, invitation)
    return Registration(email=email)


async def _invited_tenant(invitation: InvitationClaims) -> uuid.UUID:
    try:
        tenant_uuid = uuid.UUID(invitation.tenant_id)
    except ValueError:
        raise InvalidInvitation() from None
    if not await Tenant.exists(id=tenant_uuid):
        raise InvalidInvitation()
    return tenant_uuid


async def _announce(
    broker: Broker | None, user: User, invitation: InvitationClaims | None
) -> None:
    # The account is stored: a broker outage loses the events, not the registration.
    tenant_id = None if user.tenant_id is None else str(user.tenant_id)
    directory = directory_for(broker)
    if directory is not None:
        try:
            await directory.put(UserRecord(user_id=str(user.id), tenant_id=tenant_id))
        except (RedisError, OSError):  # the next sync adds the user
            logger.warning("user %s registered, directory not updated", user.id)
    if broker is None:
        return
    try:
        await USER_REGISTERED.publish(
            broker,
            tenant_id or "platform",
            UserRegistered(
                user_id=str(user.id),
                tenant_id=tenant_id,
                email=user.email,
                display_name=user.display_name,
            ),
        )
        if invitation is not None:
            await INVITATION_ACCEPTED.publish(
                broker,
                invitation.tenant_id,
                InvitationAccepted(
                    invitation_id=invitation.invitation_id,
                    user_id=str(user.id),
                    tenant_id=invitation.tenant_id,
                ),
            )
    except BrokerUnavailable:
        logger.warning("user %s registered, event not published", user.id)


@dataclass(frozen=True, slots=True)
class CheckedLogin:
    """A user whose password matched, and its new hash when the stored one was
    made with weaker parameters than today's."""

    user: User
    rehashed: str | None


async def login(
    settings: Settings,
    *,
    email: str,
    password: str,
    throttle: LoginThrottle | None = None,
    client: str = "unknown",
) -> TokenPair:
    """Tokens for the active user with `email` and `password`; Unauthenticated
    otherwise, RateLimited after too many attempts for that email from `client`
    (the caller's address), or for that email at all (when given a throttle)."""
    checked = await check_login(
        email=email, password=password, throttle=throttle, client=client
    )
    return await finish_login(settings, checked)


async def check_login(
    *,
    email: str,
    password: str,
    throttle: LoginThrottle | None = None,
    client: str = "unknown",
) -> CheckedLogin:
    """login's throttle and password check (one read, no write), before the
    mutation's transaction (subgraphs.kit.idempotency)."""
    try:
        normalized: str | None = normalise_email(email)
    except BadUserInput:
        normalized = None
    key = normalized or email[:320]
    attempt = None if throttle is None else await throttle.begin(key, client)
    user = await User.get_or_none(email=normalized) if normalized else None
    ok = await verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        raise Unauthenticated("Invalid email or password.")
    if throttle is not None and attempt is not None:
        await throttle.succeeded(attempt)
    rehashed = None
    if needs_rehash(user.password_hash):
        rehashed = await hash_password(password)
    return CheckedLogin(user, rehashed)


async def finish_login(settings: Settings, checked: CheckedLogin) -> TokenPair:
    """The token pair of a checked login (and its password's new hash stored)."""
    user = checked.user
    if checked.rehashed is not None:
        user.password_hash = checked.rehashed
        await user.save(update_fields=["password_hash"])
    return await issue_tokens(settings, user)


async def _stored_refresh_token(settings: Settings, token: str) -> RefreshToken:
    claims = decode_token(settings, token, expected_type="refresh")
    stored = await RefreshToken.get_or_none(id=_token_id(token))
    if stored is None or str(stored.user_id) != claims.user_id:
        raise Unauthenticated("Token is invalid.")
    return stored


async def refresh_tokens(settings: Settings, refresh_token: str) -> TokenPair:
    """The next token pair for an unused refresh token of an active user.

    The token is used up. A token used before is a replay: its whole family (every
    token since the login) is revoked and Unauthenticated raised.
    """
    stored = await _stored_refresh_token(settings, refresh_token)
    now = _now()
    if stored.revoked_at is not None:
        raise Unauthenticated("Token has been revoked.")
    user = await User.get_or_none(id=stored.user_id, active=True)
    async with in_transaction(CONNECTION):
        # Conditional: of concurrent refreshes with one token, one wins; the row
        # stays locked until its new pair is stored, so a loser's revocation
        # (after) takes that pair too.
        won = await RefreshToken.filter(
            id=stored.id, used_at__isnull=True, revoked_at__isnull=True
        ).update(used_at=now)
        if won and user is not None:
            return await issue_tokens(settings, user, family=stored.family)
    if not won:
        await revoke_family(stored.family)
        logger.warning(
            "refresh token reused: family of user %s revoked", stored.user_id
        )
        raise Unauthenticated("Token was already used; its sessions are revoked.")
    raise Unauthenticated("The account no longer exists.")


async def revoke_family(family: str) -> int:
    """Revoke every token of one login's family; how many were live."""
    return await RefreshToken.filter(family=family, revoked_at__isnull=True).update(
        revoked_at=_now()
    )


async def logout(settings: Settings, refresh_token: str) -> bool:
    """Revoke the session (refresh-token family) of `refresh_token`; True when it
    was live. Access tokens already issued run out on their own (ACCESS_TOKEN_TTL)."""
    stored = await _stored_refresh_token(settings, refresh_token)
    return bool(await revoke_family(stored.family))


async def logout_everywhere(user_id: str) -> int:
    """Revoke every session of a user; how many were live."""
    live = RefreshToken.filter(user_id=uuid.UUID(user_id), revoked_at__isnull=True)
    async with in_transaction(CONNECTION):
        families = set(await live.values_list("family", flat=True))
        await live.update(revoked_at=_now())
    return len(families)


async def deactivate_user(broker: Broker | None, user_id: str) -> bool:
    """Deactivate a user: no login, no refresh, and every subgraph refuses their
    tokens (through the user directory). True when the user was active."""
    try:
        key = uuid.UUID(user_id)
    except ValueError:
        return False
    async with in_transaction(CONNECTION):
        changed = await User.filter(id=key, active=True).update(active=False)
        await RefreshToken.filter(user_id=key, revoked_at__isnull=True).update(
            revoked_at=_now()
        )
    directory = directory_for(broker)
    if directory is not None:
        # The deactivation is stored: Redis failing now must not answer it as
        # failed. The next sync (ACCOUNTS_DIRECTORY_SYNC_INTERVAL) takes the user
        # out of the directory; until then other subgraphs may take their tokens.
        try:
            await directory.remove(str(key))
        except (RedisError, OSError):
            logger.warning("user %s deactivated, directory not updated", key)
    return bool(changed)


async def publish_directory(broker: Broker | None) -> int:
    """Replace the user directory with the active users; how many there are."""
    directory = directory_for(broker)
    if directory is None:
        return 0
    rows = await User.filter(active=True).values_list("id", "tenant_id")
    await directory.replace(
        UserRecord(user_id=str(user_id), tenant_id=None if t is None else str(t))
        for user_id, t in rows
    )
    return len(rows)
