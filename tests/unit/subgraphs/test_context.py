"""The request context: identity from headers or a token, loaders per request."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import Request
from starlette.websockets import WebSocket

from subgraphs.kit.context import RequestContext, build_context
from subgraphs.kit.errors import Forbidden, NotFound, Unauthenticated
from subgraphs.kit.settings import Settings
from subgraphs.kit.tokens import issue_token

SETTINGS = Settings()

GATEWAY_HEADERS = {
    "x-agora-user-id": "u1",
    "x-agora-tenant-id": "t1",
    "x-agora-roles": "member, chamber_admin",
    "x-agora-scopes": "chat:write",
}


def request_with(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": raw})


def test_gateway_identity_headers_are_trusted_with_the_gateway_secret() -> None:
    context = build_context(
        request_with(
            {**GATEWAY_HEADERS, "x-agora-gateway-secret": SETTINGS.gateway_secret}
        ),
        SETTINGS,
    )
    assert context.require_user() == "u1"
    assert context.tenant_id == "t1"
    assert context.roles == frozenset({"member", "chamber_admin"})
    assert context.scopes == frozenset({"chat:write"})


def test_gateway_identity_headers_are_ignored_without_the_right_secret() -> None:
    forged = build_context(
        request_with({**GATEWAY_HEADERS, "x-agora-gateway-secret": "guess"}), SETTINGS
    )
    bare = build_context(request_with(GATEWAY_HEADERS), SETTINGS)
    assert forged.user_id is None
    assert bare.user_id is None
    assert forged.roles == frozenset()


def test_bearer_token_gives_identity_when_called_directly() -> None:
    token = issue_token(
        SETTINGS,
        user_id="u2",
        tenant_id=None,
        roles=["platform_admin"],
        scopes=[],
        type="access",
    )
    context = build_context(
        request_with({"Authorization": f"Bearer {token}"}), SETTINGS
    )
    assert context.require_user() == "u2"
    assert context.has_role("platform_admin")
    context.require_role("platform_admin", "support_agent")


def test_bad_token_fails_only_when_identity_is_required() -> None:
    context = build_context(request_with({"Authorization": "Bearer x.y.z"}), SETTINGS)
    assert context.user_id is None
    with pytest.raises(Unauthenticated, match="Token is invalid"):
        context.require_user()


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
