"""Registration, login and token refresh: the accounts logic behind the mutations."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from subgraphs.accounts.events import USER_REGISTERED, UserRegistered
from subgraphs.accounts.models import Tenant, User
from subgraphs.accounts.passwords import (
    check_password_strength,
    hash_password,
    needs_rehash,
    verify_password,
)
from subgraphs.kit.errors import BadUserInput, BrokerUnavailable, Unauthenticated
from subgraphs.kit.tokens import TokenType, decode_token, issue_token

if TYPE_CHECKING:
    from subgraphs.accounts.throttle import LoginThrottle
    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

CONNECTION = "accounts"

logger = logging.getLogger("agora.subgraphs")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class TokenPair:
    """An access and a refresh token for one user."""

    access_token: str
    refresh_token: str
    expires_in: int
    user: User


def normalize_email(email: str) -> str:
    """Lowercase, trimmed `email`; BadUserInput when it is not an address."""
    normalized = email.strip().lower()
    if len(normalized) > 320 or not _EMAIL.match(normalized):
        raise BadUserInput("Email address is not valid.", field="email")
    return normalized


def issue_tokens(settings: Settings, user: User) -> TokenPair:
    """A fresh access and refresh token carrying the user's current roles."""
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

    return TokenPair(
        access_token=token("access"),
        refresh_token=token("refresh"),
        expires_in=int(settings.access_token_ttl),
        user=user,
    )


async def register(
    settings: Settings,
    *,
    email: str,
    password: str,
    display_name: str,
    tenant_id: str | None,
    broker: Broker | None = None,
) -> TokenPair:
    """Create a member account and log it in, in one transaction.

    Raises BadUserInput for an invalid or taken email, a weak password, an empty
    display name or an unknown tenant; nothing is stored then.
    """
    email = normalize_email(email)
    display_name = display_name.strip()
    if not display_name or len(display_name) > 200:
        raise BadUserInput(
            "Display name must be 1 to 200 characters.", field="displayName"
        )
    check_password_strength(password)
    tenant_uuid = None
    if tenant_id is not None:
        try:
            tenant_uuid = uuid.UUID(str(tenant_id))
        except ValueError:
            raise BadUserInput("Unknown tenant.", field="tenantId") from None
    password_hash = await hash_password(password)
    try:
        async with in_transaction(CONNECTION):
            if tenant_uuid is not None and not await Tenant.exists(id=tenant_uuid):
                raise BadUserInput("Unknown tenant.", field="tenantId")
            if await User.exists(email=email):
                raise BadUserInput("Email is already registered.", field="email")
            user = await User.create(
                email=email,
                display_name=display_name,
                password_hash=password_hash,
                tenant_id=tenant_uuid,
                roles=["member"],
                scopes=[],
            )
    except IntegrityError:
        # Two registrations raced past the exists() check: the unique index decides.
        raise BadUserInput("Email is already registered.", field="email") from None
    if broker is not None:
        await _announce(broker, user, tenant_uuid)
    return issue_tokens(settings, user)


async def _announce(broker: Broker, user: User, tenant_uuid: uuid.UUID | None) -> None:
    # The account is stored: a broker outage loses the event, not the registration.
    try:
        await USER_REGISTERED.publish(
            broker,
            str(tenant_uuid) if tenant_uuid else "platform",
            UserRegistered(
                user_id=str(user.id),
                tenant_id=str(tenant_uuid) if tenant_uuid else None,
                email=user.email,
                display_name=user.display_name,
            ),
        )
    except BrokerUnavailable:
        logger.warning("user %s registered, event not published", user.id)


async def login(
    settings: Settings,
    *,
    email: str,
    password: str,
    throttle: LoginThrottle | None = None,
    client: str = "unknown",
) -> TokenPair:
    """Tokens for the user with `email` and `password`; Unauthenticated otherwise,
    RateLimited after too many failures for that email from `client` (the caller's
    address), or for that email at all (when given a throttle)."""
    try:
        normalized = normalize_email(email)
    except BadUserInput:
        normalized = None
    key = normalized or email
    if throttle is not None:
        await throttle.check(key, client)
    user = await User.get_or_none(email=normalized) if normalized else None
    ok = await verify_password(user.password_hash if user else None, password)
    if user is None or not ok:
        if throttle is not None:
            await throttle.record_failure(key, client)
        raise Unauthenticated("Invalid email or password.")
    if throttle is not None:
        await throttle.reset(key, client)
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
        await user.save(update_fields=["password_hash"])
    return issue_tokens(settings, user)


async def refresh_tokens(settings: Settings, refresh_token: str) -> TokenPair:
    """A new token pair for a valid refresh token whose user still exists."""
    claims = decode_token(settings, refresh_token, expected_type="refresh")
    try:
        user_id = uuid.UUID(claims.user_id)
    except ValueError:
        raise Unauthenticated("Token is invalid.") from None
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise Unauthenticated("The account no longer exists.")
    return issue_tokens(settings, user)
