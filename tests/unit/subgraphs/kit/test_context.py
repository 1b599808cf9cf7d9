"""The request context: identity from the gateway's signed headers or (in
development) a bearer token, loaders per request."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
from starlette.requests import Request
from starlette.websockets import WebSocket

from gateway.policy import Identity, sign_identity
from subgraphs.kit.context import (
    IDENTITY_HEADERS,
    RequestContext,
    apply_connection_params,
    build_context,
    gateway_identity_headers,
    verify_gateway_identity,
)
from subgraphs.kit.errors import Forbidden, NotFound, Unauthenticated
from subgraphs.kit.settings import DEV_GATEWAY_SECRET, DEV_JWT_SECRET, Settings
from subgraphs.kit.tokens import issue_token

SETTINGS = Settings()
PRODUCTION = Settings(
    environment="production",
    jwt_secret="production-jwt-secret-of-at-least-32-chars",
    gateway_secret="production-gateway-secret-of-32-chars-plus",
)
PEER = ("10.0.0.1", 40000)


def signed(
    settings: Settings = SETTINGS, *, now: float | None = None, **identity: object
) -> dict[str, str]:
    fields: dict[str, object] = {
        "user_id": "u1",
        "tenant_id": "t1",
        "roles": ["member", "chamber_admin"],
        "scopes": ["chat:write"],
        "client_address": "203.0.113.9",
    }
    fields.update(identity)
    return gateway_identity_headers(settings.gateway_secret, now=now, **fields)  # type: ignore[arg-type]


def request_with(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request(
        {"type": "http", "method": "POST", "path": "/", "headers": raw, "client": PEER}
    )


def context_for(
    headers: dict[str, str], settings: Settings = SETTINGS
) -> RequestContext:
    return build_context(request_with(headers), settings)


def test_signed_identity_headers_name_the_caller() -> None:
    context = context_for(signed())
    assert context.require_user() == "u1"
    assert context.tenant_id == "t1"
    assert context.roles == frozenset({"member", "chamber_admin"})
    assert context.scopes == frozenset({"chat:write"})
    assert context.client_address == "203.0.113.9"
    assert context.via_gateway


def test_the_gateways_test_vector_verifies() -> None:
    # The headers of tests/unit/gateway/policy/test_identity.py, signed at NOW.
    headers = {
        "x-agora-user-id": "00000000-0000-0000-0000-000000000102",
        "x-agora-tenant-id": "00000000-0000-0000-0000-000000000001",
        "x-agora-roles": "member,support_agent",
        "x-agora-scopes": "chat:read,chat:write",
        "x-agora-client-address": "203.0.113.9",
        "x-agora-timestamp": "1800000000",
        "x-agora-signature": (
            "v1=79d82a6d7790c73fbf50bf13c144f0cd350e5f4b0d7cf8b79d288f6d21236049"
        ),
    }
    settings = Settings(gateway_secret="gateway-secret-shared-with-the-subgraphs-0123")
    verified = verify_gateway_identity(headers, settings, now=1_800_000_010)
    assert verified is not None
    assert verified.user_id == "00000000-0000-0000-0000-000000000102"
    assert verified.roles == frozenset({"member", "support_agent"})
    assert verified.scopes == frozenset({"chat:read", "chat:write"})


def test_what_the_gateway_signs_the_kit_reads_back_unchanged() -> None:
    caller = Identity(
        user_id="user\nwith, odd % characters",
        tenant_id="t,1",
        roles=frozenset({"member,platform_admin", "support_agent"}),
        scopes=frozenset({"chat:read chat:write"}),
        expires_at=0,
        authorization="",
    )
    now = time.time()
    headers = sign_identity(caller, "2001:db8::1", SETTINGS.gateway_secret, now=now)
    assert headers == gateway_identity_headers(
        SETTINGS.gateway_secret,
        user_id=caller.user_id,
        tenant_id=caller.tenant_id,
        roles=caller.roles,
        scopes=caller.scopes,
        client_address="2001:db8::1",
        now=now,
    )
    context = context_for(headers)
    assert (context.user_id, context.tenant_id) == (caller.user_id, caller.tenant_id)
    assert (context.roles, context.scopes) == (caller.roles, caller.scopes)
    assert context.client_address == "2001:db8::1"


def test_an_anonymous_caller_signed_by_the_gateway_has_no_user() -> None:
    token = issue_token(
        SETTINGS, user_id="u2", tenant_id=None, roles=[], scopes=[], type="access"
    )
    headers = signed(user_id=None, tenant_id=None, roles=[], scopes=[])
    # The gateway decided the caller is anonymous; a token beside it changes nothing.
    context = context_for({**headers, "Authorization": f"Bearer {token}"})
    assert context.via_gateway
    assert context.user_id is None
    assert context.client_address == "203.0.113.9"
    with pytest.raises(Unauthenticated):
        context.require_user()


def _forgeries() -> list[object]:
    good = signed()
    swapped = [
        pytest.param({**good, name: value}, id=f"swapped-{name}")
        for name, value in [
            ("x-agora-user-id", "u2"),
            ("x-agora-tenant-id", "t2"),
            ("x-agora-roles", "member,platform_admin"),
            ("x-agora-scopes", "chat:write,chat:admin"),
            ("x-agora-client-address", "198.51.100.7"),
            ("x-agora-timestamp", str(int(time.time()) - 1)),
        ]
    ]
    moved = {**good, "x-agora-roles": "", "x-agora-scopes": good["x-agora-roles"]}
    unsigned = {name: good[name] for name in IDENTITY_HEADERS[:6]}
    signature = good["x-agora-signature"]
    return [
        pytest.param(unsigned, id="no-signature"),
        pytest.param(
            {**unsigned, "x-agora-gateway-secret": DEV_GATEWAY_SECRET},
            id="static-dev-secret",
        ),
        pytest.param({**good, "x-agora-signature": "v1=" + "0" * 64}, id="bad-sig"),
        pytest.param({**good, "x-agora-signature": signature[3:]}, id="no-version"),
        pytest.param(
            {**good, "x-agora-signature": "v2=" + signature[3:]}, id="other-version"
        ),
        pytest.param({**good, "x-agora-signature": signature.upper()}, id="upper-case"),
        pytest.param(
            signed(Settings(gateway_secret="another-secret-of-32-characters-x")),
            id="other-secret",
        ),
        pytest.param(moved, id="roles-moved-into-scopes"),
        *swapped,
        pytest.param(signed(now=time.time() - 61), id="replayed-after-window"),
        pytest.param(signed(now=time.time() + 30), id="from-the-future"),
        pytest.param({**good, "x-agora-timestamp": "-1"}, id="negative-time"),
        pytest.param({**good, "x-agora-timestamp": "1e9"}, id="exponent-time"),
        pytest.param({**good, "x-agora-timestamp": "9" * 5000}, id="huge-time"),
    ]


@pytest.mark.parametrize("headers", _forgeries())
def test_identity_headers_without_a_valid_fresh_signature_carry_no_identity(
    headers: dict[str, str],
) -> None:
    context = context_for(headers)
    assert context.user_id is None
    assert context.tenant_id is None
    assert context.roles == frozenset()
    assert context.scopes == frozenset()
    assert not context.via_gateway
    # The forged address is ignored too: the peer is the caller.
    assert context.client_address == PEER[0]


def test_the_replay_window_and_clock_skew_are_settings() -> None:
    now = time.time()
    lenient = dataclasses.replace(SETTINGS, identity_max_age=120)
    assert context_for(signed(now=now - 59)).user_id == "u1"
    assert context_for(signed(now=now + 4)).user_id == "u1"
    assert context_for(signed(now=now - 90)).user_id is None
    assert context_for(signed(now=now - 90), lenient).user_id == "u1"


def test_bearer_token_gives_identity_when_called_directly() -> None:
    token = issue_token(
        SETTINGS,
        user_id="u2",
        tenant_id=None,
        roles=["platform_admin"],
        scopes=[],
        type="access",
    )
    context = context_for({"Authorization": f"Bearer {token}"})
    assert context.require_user() == "u2"
    assert context.has_role("platform_admin")
    assert not context.via_gateway
    context.require_role("platform_admin", "support_agent")


def test_bad_token_fails_only_when_identity_is_required() -> None:
    context = context_for({"Authorization": "Bearer x.y.z"})
    assert context.user_id is None
    with pytest.raises(Unauthenticated, match="Token is invalid"):
        context.require_user()


def test_production_believes_the_gateway_signature_only() -> None:
    token = issue_token(
        PRODUCTION, user_id="u2", tenant_id=None, roles=[], scopes=[], type="access"
    )
    assert context_for({"Authorization": f"Bearer {token}"}, PRODUCTION).user_id is None
    assert context_for(signed(PRODUCTION), PRODUCTION).user_id == "u1"


def test_the_dev_secret_platform_admin_story_fails_in_production() -> None:
    # Issue 10: a platform_admin token signed with the repository's JWT secret, and
    # identity headers vouched for with the repository's gateway secret.
    dev = Settings()
    admin_token = issue_token(
        dev,
        user_id="attacker",
        tenant_id=None,
        roles=["platform_admin"],
        scopes=[],
        type="access",
    )
    assert dev.jwt_secret == DEV_JWT_SECRET
    attempts = [
        {"Authorization": f"Bearer {admin_token}"},
        signed(dev, user_id="attacker", roles=["platform_admin"]),
        {
            "x-agora-gateway-secret": DEV_GATEWAY_SECRET,
            "x-agora-user-id": "attacker",
            "x-agora-roles": "platform_admin",
        },
    ]
    contexts = [context_for(headers, PRODUCTION) for headers in attempts]
    assert [context.user_id for context in contexts] == [None, None, None]
    assert all(not context.has_role("platform_admin") for context in contexts)


def _websocket(headers: dict[str, str]) -> WebSocket:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    scope = {"type": "websocket", "path": "/", "headers": raw, "client": PEER}
    return WebSocket(scope, _never, _never)


def test_connection_init_payload_carries_the_signed_identity() -> None:
    context = build_context(_websocket({}), SETTINGS)
    apply_connection_params(context, signed(user_id="u5"))
    assert context.user_id == "u5"
    assert context.via_gateway
    assert context.client_address == "203.0.113.9"


def test_a_forged_connection_init_payload_does_not_replace_the_signed_handshake() -> (
    None
):
    context = build_context(_websocket(signed(user_id="u5")), SETTINGS)
    token = issue_token(
        SETTINGS, user_id="u6", tenant_id=None, roles=[], scopes=[], type="access"
    )
    forged = {**signed(user_id="u6"), "x-agora-user-id": "u7"}
    apply_connection_params(context, {**forged, "Authorization": f"Bearer {token}"})
    assert context.user_id == "u5"


def test_connection_init_bearer_tokens_count_in_development_only() -> None:
    token = issue_token(
        PRODUCTION, user_id="u6", tenant_id=None, roles=[], scopes=[], type="access"
    )
    development = dataclasses.replace(PRODUCTION, environment="development")
    for settings, expected in [(development, "u6"), (PRODUCTION, None)]:
        context = build_context(_websocket({}), settings)
        apply_connection_params(context, {"Authorization": f"Bearer {token}"})
        assert context.user_id == expected


def test_require_role_raises_forbidden_for_a_known_caller_without_it() -> None:
    context = RequestContext(
        settings=SETTINGS, user_id="u1", roles=frozenset({"member"})
    )
    with pytest.raises(Forbidden):
        context.require_role("platform_admin")
    with pytest.raises(Unauthenticated):
        RequestContext(settings=SETTINGS).require_role("member")


calls: list[list[str]] = []


async def load_names(ctx: RequestContext, keys: list[str]) -> list[str | Exception]:
    calls.append(list(keys))
    return [
        f"{ctx.tenant_id}:{k}" if k != "missing" else NotFound("Name", k) for k in keys
    ]


async def test_loads_in_one_tick_share_one_batch_and_missing_keys_fail_alone() -> None:
    calls.clear()
    context = RequestContext(settings=SETTINGS, tenant_id="t1")
    loader = context.loader(load_names)
    results = await asyncio.gather(
        loader.load("a"),
        loader.load("b"),
        loader.load("missing"),
        loader.load("a"),
        return_exceptions=True,
    )
    assert results[:2] == ["t1:a", "t1:b"]
    assert isinstance(results[2], NotFound)
    assert results[3] == "t1:a"
    assert calls == [["a", "b", "missing"]]
    assert context.loader(load_names) is loader


async def test_each_request_gets_its_own_loader_and_cache() -> None:
    calls.clear()
    first = RequestContext(settings=SETTINGS, tenant_id="t1")
    second = RequestContext(settings=SETTINGS, tenant_id="t2")
    assert first.loader(load_names) is not second.loader(load_names)
    assert await first.loader(load_names).load("a") == "t1:a"
    assert await second.loader(load_names).load("a") == "t2:a"
    assert calls == [["a"], ["a"]]


async def test_websocket_loaders_batch_but_do_not_cache_across_events() -> None:
    calls.clear()
    websocket = WebSocket(
        {"type": "websocket", "path": "/", "headers": []}, _never, _never
    )
    context = RequestContext(settings=SETTINGS, tenant_id="t1", request=websocket)
    loader = context.loader(load_names)
    assert await asyncio.gather(loader.load("a"), loader.load("b")) == ["t1:a", "t1:b"]
    assert await loader.load("a") == "t1:a"
    assert calls == [["a", "b"], ["a"]]


async def _never(*args: object) -> dict[str, object]:
    raise AssertionError("expected no websocket I/O")
