"""Access tokens are verified once per connection: signature, expiry, type."""

from __future__ import annotations

import jwt
import pytest

from gateway.policy import (
    DEV_JWT_SECRET,
    TokenExpired,
    TokenInvalid,
    bearer_token,
    jwt_secret_from_env,
    verify_token,
)

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"
NOW = 1_800_000_000


def sign(secret: str = SECRET, **claims: object) -> str:
    base: dict[str, object] = {
        "sub": "u1",
        "tenant": "t1",
        "roles": ["admin"],
        "scopes": ["chat:read"],
        "type": "access",
        "iss": "agora",
        "iat": NOW - 60,
        "exp": NOW + 60,
    }
    base.update(claims)
    return jwt.encode(base, secret, algorithm="HS256")


def test_a_valid_access_token_names_the_caller() -> None:
    token = sign()
    identity = verify_token(token, SECRET, now=NOW)
    assert identity.user_id == "u1"
    assert identity.tenant_id == "t1"
    assert identity.roles == frozenset({"admin"})
    assert identity.scopes == frozenset({"chat:read"})
    assert identity.expires_at == NOW + 60
    assert identity.authorization == f"Bearer {token}"


def test_an_expired_token_is_refused_as_unauthenticated() -> None:
    with pytest.raises(TokenExpired) as refused:
        verify_token(sign(exp=NOW - 1), SECRET, now=NOW)
    assert refused.value.code == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(sign("another-secret-that-is-long-enough-for-hs256"), id="sig"),
        pytest.param(sign(type="refresh"), id="refresh-token"),
        pytest.param(sign(roles="admin"), id="roles-not-a-list"),
        pytest.param("not.a.jwt", id="garbage"),
    ],
)
def test_a_token_that_cannot_be_trusted_is_refused(token: str) -> None:
    with pytest.raises(TokenInvalid) as refused:
        verify_token(token, SECRET, now=NOW)
    assert refused.value.code == "UNAUTHENTICATED"


def test_two_tokens_of_one_caller_share_a_scope_key() -> None:
    first = verify_token(sign(iat=1), SECRET, now=NOW)
    second = verify_token(sign(iat=2), SECRET, now=NOW)
    assert first.authorization != second.authorization
    assert first.scope_key == second.scope_key


def test_bearer_token_reads_only_the_bearer_scheme() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None


def test_the_secret_defaults_to_the_kits_development_secret() -> None:
    assert jwt_secret_from_env({}) == DEV_JWT_SECRET
    assert jwt_secret_from_env({"JWT_SECRET": "s"}) == "s"
