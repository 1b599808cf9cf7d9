"""Invitation tokens: signed for one email, tenant and role; never an access token."""

from __future__ import annotations

import dataclasses
import time

import jwt
import pytest

from gateway.policy.errors import TokenInvalid
from gateway.policy.tokens import verify_token
from subgraphs.kit.errors import Unauthenticated
from subgraphs.kit.invitations import (
    InvalidInvitation,
    issue_invitation_token,
    verify_invitation_token,
)
from subgraphs.kit.settings import Settings
from subgraphs.kit.tokens import decode_token

SETTINGS = Settings()
TENANT = "7d3c0a2e-0000-4000-8000-000000000002"


def invite(settings: Settings = SETTINGS, **overrides: object) -> str:
    arguments: dict[str, object] = {
        "tenant_id": TENANT,
        "email": "  New.Person@Example.COM ",
        "role": "member",
        "ttl": 3600,
        "invitation_id": "inv-1",
    }
    arguments.update(overrides)
    return issue_invitation_token(settings, **arguments)  # type: ignore[arg-type]


def test_a_verified_invitation_carries_its_tenant_role_and_normalised_email() -> None:
    before = int(time.time())
    claims = verify_invitation_token(SETTINGS, invite(role="support_agent"))
    assert (claims.invitation_id, claims.tenant_id, claims.email, claims.role) == (
        "inv-1",
        TENANT,
        "new.person@example.com",
        "support_agent",
    )
    assert before + 3600 <= claims.expires_at <= int(time.time()) + 3600


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(invite(now=time.time() - 7200), id="expired"),
        pytest.param(
            invite(dataclasses.replace(SETTINGS, jwt_secret="x" * 40)), id="forged"
        ),
        pytest.param(
            invite(dataclasses.replace(SETTINGS, jwt_issuer="evil")), id="issuer"
        ),
        pytest.param("not.a.token", id="malformed"),
        pytest.param(
            jwt.encode(
                {
                    "type": "invitation",
                    "jti": "i",
                    "tenant": TENANT,
                    "email": "a@b.cd",
                    "role": "platform_admin",
                    "exp": int(time.time()) + 60,
                    "iss": "agora",
                },
                SETTINGS.jwt_secret,
                algorithm="HS256",
            ),
            id="platform-admin-role",
        ),
        pytest.param(
            jwt.encode(
                {
                    "type": "access",
                    "jti": "i",
                    "tenant": TENANT,
                    "email": "a@b.cd",
                    "role": "member",
                    "exp": int(time.time()) + 60,
                    "iss": "agora",
                },
                SETTINGS.jwt_secret,
                algorithm="HS256",
            ),
            id="other-type",
        ),
    ],
)
def test_a_bad_invitation_is_refused_with_one_message(token: str) -> None:
    with pytest.raises(InvalidInvitation) as refused:
        verify_invitation_token(SETTINGS, token)
    assert refused.value.code == "BAD_USER_INPUT"
    assert refused.value.message == "The invitation is not valid."


def test_an_invitation_is_never_accepted_as_an_access_token() -> None:
    token = invite()
    with pytest.raises(Unauthenticated):
        decode_token(SETTINGS, token, expected_type="access")
    with pytest.raises(Unauthenticated):
        decode_token(SETTINGS, token, expected_type="refresh")
    with pytest.raises(TokenInvalid):
        verify_token(token, SETTINGS.jwt_secret)


def test_an_invitation_cannot_grant_platform_admin_or_live_forever() -> None:
    with pytest.raises(ValueError, match="expected one of"):
        invite(role="platform_admin")
    with pytest.raises(ValueError, match="positive ttl"):
        invite(ttl=0)
