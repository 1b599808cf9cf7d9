"""One rule for accounts' tokens: the gateway's verifier and the kit's agree.

The gateway checks a bearer token once (gateway/policy/tokens.py) and the kit checks
it again where a subgraph accepts bearer tokens (subgraphs/kit/tokens.py). The
gateway never imports the kit, so this test holds the two copies to one rule: each
token below is accepted by both or refused by both, and an accepted one names the
same caller. The development secrets, defined once on each side, are equal.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import jwt
import pytest

from gateway.config import DEV_GATEWAY_SECRET as GATEWAY_DEV_GATEWAY_SECRET
from gateway.policy.errors import TokenExpired, TokenInvalid
from gateway.policy.tokens import ACCOUNTS_ISSUER, JwtConfig, TokenVerifier
from gateway.policy.tokens import DEV_JWT_SECRET as GATEWAY_DEV_JWT_SECRET
from subgraphs.kit.errors import Unauthenticated
from subgraphs.kit.settings import DEV_GATEWAY_SECRET, DEV_JWT_SECRET, Settings
from subgraphs.kit.tokens import decode_token, issue_token

if TYPE_CHECKING:
    from collections.abc import Callable

SETTINGS = Settings()
OTHER_SECRET = "another-secret-that-is-long-enough-for-hs256-0123"


def _claims(**changes: object) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "u1",
        "tenant": "t1",
        "roles": ["member"],
        "scopes": ["chat:read"],
        "type": "access",
        "iat": now,
        "exp": now + 600,
        "iss": SETTINGS.jwt_issuer,
        "jti": "contract",
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def _sign(
    secret: str = DEV_JWT_SECRET, algorithm: str = "HS256", **changes: object
) -> str:
    return jwt.encode(_claims(**changes), secret, algorithm=algorithm)


def _unsigned(**changes: object) -> str:
    return jwt.encode(_claims(**changes), None, algorithm="none")


async def _gateway(token: str) -> tuple[str, str | None, frozenset[str]] | None:
    verifier = TokenVerifier(JwtConfig(secret=GATEWAY_DEV_JWT_SECRET))
    try:
        identity = await verifier.verify(token)
    except (TokenInvalid, TokenExpired):
        return None
    return identity.user_id, identity.tenant_id, identity.roles


def _kit(token: str) -> tuple[str, str | None, frozenset[str]] | None:
    try:
        claims = decode_token(SETTINGS, token)
    except Unauthenticated:
        return None
    return claims.user_id, claims.tenant_id, claims.roles


def test_both_sides_share_the_development_secrets_and_issuer() -> None:
    assert GATEWAY_DEV_JWT_SECRET == DEV_JWT_SECRET
    assert GATEWAY_DEV_GATEWAY_SECRET == DEV_GATEWAY_SECRET
    assert ACCOUNTS_ISSUER == SETTINGS.jwt_issuer


@pytest.mark.parametrize(
    ("make", "accepted"),
    [
        pytest.param(
            lambda: issue_token(
                SETTINGS,
                user_id="u1",
                tenant_id="t1",
                roles=["member"],
                scopes=[],
                type="access",
            ),
            True,
            id="issued-access",
        ),
        pytest.param(lambda: _sign(), True, id="hand-made-access"),
        pytest.param(lambda: _sign(tenant=None), True, id="no-tenant"),
        pytest.param(
            lambda: issue_token(
                SETTINGS,
                user_id="u1",
                tenant_id="t1",
                roles=[],
                scopes=[],
                type="refresh",
            ),
            False,
            id="refresh-as-access",
        ),
        pytest.param(lambda: _sign(type=None), False, id="no-type"),
        pytest.param(lambda: _sign(type="invitation"), False, id="other-type"),
        pytest.param(lambda: _sign(iss=None), False, id="no-iss"),
        pytest.param(lambda: _sign(iss="evil"), False, id="wrong-iss"),
        pytest.param(lambda: _sign(iat=None), False, id="no-iat"),
        pytest.param(lambda: _sign(sub=None), False, id="no-sub"),
        pytest.param(lambda: _sign(exp=None), False, id="no-exp"),
        pytest.param(lambda: _sign(exp=int(time.time()) - 10), False, id="expired"),
        pytest.param(lambda: _sign(secret=OTHER_SECRET), False, id="other-secret"),
        pytest.param(lambda: _sign(algorithm="HS384"), False, id="other-algorithm"),
        pytest.param(lambda: _unsigned(), False, id="alg-none"),
        pytest.param(lambda: "not.a.token", False, id="malformed"),
        pytest.param(lambda: _sign(roles=[1]), False, id="roles-not-strings"),
        pytest.param(lambda: _sign(roles="admin"), False, id="roles-not-a-list"),
        pytest.param(lambda: _sign(tenant=7), False, id="tenant-not-a-string"),
        pytest.param(lambda: _sign(sub=42), False, id="sub-not-a-string"),
    ],
)
async def test_the_gateway_and_the_kit_agree_on_a_token(
    make: Callable[[], str], accepted: bool
) -> None:
    # Tokens are made when the test runs: made at collection, a long suite would
    # see the valid ones expire.
    token = make()
    gateway, kit = await _gateway(token), _kit(token)
    assert (gateway is not None, kit is not None) == (accepted, accepted)
    assert gateway == kit
