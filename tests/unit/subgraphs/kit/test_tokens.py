"""Tokens verify signature, issuer, expiry and type, or raise Unauthenticated."""

from __future__ import annotations

import dataclasses

import pytest

from subgraphs.kit.errors import Unauthenticated
from subgraphs.kit.settings import Settings
from subgraphs.kit.tokens import decode_token, issue_token

SETTINGS = Settings()


def make(settings: Settings = SETTINGS, **overrides: object) -> str:
    claims: dict[str, object] = {
        "user_id": "u1",
        "tenant_id": "t1",
        "roles": ["member"],
        "scopes": ["chat:write"],
        "type": "access",
    }
    claims.update(overrides)
    return issue_token(settings, **claims)  # type: ignore[arg-type]  # test shorthand


def test_issued_access_token_decodes_to_its_claims() -> None:
    claims = decode_token(SETTINGS, make())
    assert claims.user_id == "u1"
    assert claims.tenant_id == "t1"
    assert claims.roles == frozenset({"member"})
    assert claims.scopes == frozenset({"chat:write"})
    assert claims.expires_at - claims.issued_at == 900


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (make(now=1_000_000), "Token has expired."),
        (make(type="refresh"), "Expected an access token."),
        (make(dataclasses.replace(SETTINGS, jwt_secret="x" * 40)), "Token is invalid."),
        (make(dataclasses.replace(SETTINGS, jwt_issuer="evil")), "Token is invalid."),
        ("not.a.token", "Token is invalid."),
    ],
    ids=["expired", "wrong type", "wrong key", "wrong issuer", "garbage"],
)
def test_bad_tokens_raise_unauthenticated(token: str, message: str) -> None:
    with pytest.raises(Unauthenticated, match=message) as caught:
        decode_token(SETTINGS, token)
    assert caught.value.extensions == {"code": "UNAUTHENTICATED"}


def test_token_signed_with_none_algorithm_is_rejected() -> None:
    header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"  # {"alg":"none","typ":"JWT"}
    body = make().split(".")[1]
    with pytest.raises(Unauthenticated):
        decode_token(SETTINGS, f"{header}.{body}.")
