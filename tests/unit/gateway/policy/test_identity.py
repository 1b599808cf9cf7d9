"""The gateway signs the identity it forwards: every header under one HMAC with a
timestamp, an anonymous caller included."""

from __future__ import annotations

import hashlib
import hmac

from gateway.policy import IDENTITY_HEADERS, Identity, sign_identity

SECRET = "gateway-secret-shared-with-the-subgraphs-0123"
NOW = 1_800_000_000.75
CALLER = Identity(
    user_id="00000000-0000-0000-0000-000000000102",
    tenant_id="00000000-0000-0000-0000-000000000001",
    roles=frozenset({"support_agent", "member"}),
    scopes=frozenset({"chat:write", "chat:read"}),
    expires_at=1_800_000_900,
    authorization="Bearer x",
)


def test_a_caller_is_sent_as_signed_headers() -> None:
    headers = sign_identity(CALLER, "203.0.113.9", SECRET, now=NOW)
    assert headers == {
        "x-agora-user-id": "00000000-0000-0000-0000-000000000102",
        "x-agora-tenant-id": "00000000-0000-0000-0000-000000000001",
        "x-agora-roles": "member,support_agent",
        "x-agora-scopes": "chat:read,chat:write",
        "x-agora-client-address": "203.0.113.9",
        "x-agora-timestamp": "1800000000",
        # The v1 test vector (checked with openssl dgst -sha256 -hmac); the kit's
        # tests (tests/unit/subgraphs/kit/test_context.py) verify the same one.
        "x-agora-signature": (
            "v1=79d82a6d7790c73fbf50bf13c144f0cd350e5f4b0d7cf8b79d288f6d21236049"
        ),
    }
    assert tuple(headers) == IDENTITY_HEADERS


def test_the_signature_covers_every_value_in_order() -> None:
    headers = sign_identity(CALLER, "203.0.113.9", SECRET, now=NOW)
    canonical = "\n".join(["v1", *(headers[name] for name in IDENTITY_HEADERS[:-1])])
    expected = hmac.new(SECRET.encode(), canonical.encode(), hashlib.sha256)
    assert headers["x-agora-signature"] == f"v1={expected.hexdigest()}"


def test_an_anonymous_caller_is_signed_too() -> None:
    headers = sign_identity(None, None, SECRET.encode(), now=NOW)
    assert {name: headers[name] for name in IDENTITY_HEADERS[:5]} == dict.fromkeys(
        IDENTITY_HEADERS[:5], ""
    )
    assert headers["x-agora-timestamp"] == "1800000000"
    assert headers["x-agora-signature"].startswith("v1=")


def test_values_that_could_split_or_break_a_header_are_percent_encoded() -> None:
    odd = Identity(
        user_id="a\nx-agora-roles: platform_admin",
        tenant_id="t,1",
        roles=frozenset({"member,platform_admin"}),
        scopes=frozenset({"chat:read chat:write"}),
        expires_at=0,
        authorization="",
    )
    headers = sign_identity(odd, "2001:db8::1", SECRET, now=NOW)
    assert headers["x-agora-user-id"] == "a%0Ax-agora-roles:%20platform_admin"
    assert headers["x-agora-tenant-id"] == "t%2C1"
    assert headers["x-agora-roles"] == "member%2Cplatform_admin"
    assert headers["x-agora-scopes"] == "chat:read%20chat:write"
    assert headers["x-agora-client-address"] == "2001:db8::1"


def test_a_different_secret_or_time_gives_a_different_signature() -> None:
    first = sign_identity(CALLER, None, SECRET, now=NOW)
    assert sign_identity(CALLER, None, SECRET + "x", now=NOW) != first
    assert sign_identity(CALLER, None, SECRET, now=NOW + 1) != first
    assert sign_identity(CALLER, None, SECRET.encode(), now=NOW) == first
