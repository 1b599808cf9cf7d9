"""The login throttle over HTTP: per client address, and shared by replicas on Redis."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from redis import asyncio as aioredis

from subgraphs.accounts.app import create_app
from subgraphs.accounts.seed import DEMO_PASSWORD
from subgraphs.accounts.throttle import LoginThrottle, RedisAttemptLog
from subgraphs.kit.context import gateway_identity_headers

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.applications import Starlette

    from subgraphs.kit.settings import Settings

LOGIN = """
mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password) { user { email } }
}
"""
EMAIL = "agent@agora.dev"
ATTACKER = "198.51.100.7"
VICTIM = "203.0.113.9"

ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@contextlib.asynccontextmanager
async def client_from(app: Starlette, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://subgraph"
    ) as client:
        yield client


async def attempt(
    client: httpx.AsyncClient, password: str, headers: dict[str, str] | None = None
) -> str:
    """ "OK", or the error code of one login as the demo support agent."""
    response = await client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"email": EMAIL, "password": password}},
        headers=headers or {},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    if "errors" in body:
        return str(body["errors"][0]["extensions"]["code"])
    assert body["data"]["login"]["user"]["email"] == EMAIL
    return "OK"


@ON_SQLITE
@pytest.mark.integration
async def test_two_accounts_apps_on_one_redis_share_the_failed_login_count(
    settings: Settings, redis_url: str, redis_prefix: str
) -> None:
    shared = dataclasses.replace(
        settings, redis_url=redis_url, redis_prefix=redis_prefix
    )
    first, second = create_app(shared), create_app(shared)
    # Tortoise is process-wide: the first app opens the database, the second only
    # connects its own broker (and so its own Redis client), like a replica.
    async with first.router.lifespan_context(first), second.state.broker:
        async with client_from(first, ATTACKER) as attacker:
            failures = [await attempt(attacker, "wrong-password") for _ in range(10)]
        async with client_from(second, ATTACKER) as attacker:
            after = await attempt(attacker, DEMO_PASSWORD)
        async with client_from(second, VICTIM) as victim:
            victim_login = await attempt(victim, DEMO_PASSWORD)
        throttles = [first.state.login_throttle, second.state.login_throttle]
    assert set(failures) == {"UNAUTHENTICATED"}
    assert after == "RATE_LIMITED"
    assert victim_login == "OK"
    assert throttles[0] is not throttles[1]
    assert all(isinstance(t.attempts, RedisAttemptLog) for t in throttles)


@ON_SQLITE
async def test_the_client_address_counts_only_when_the_gateway_signed_it(
    settings: Settings,
) -> None:
    app = create_app(settings)

    def via_gateway(address: str) -> dict[str, str]:
        return gateway_identity_headers(
            settings.gateway_secret, user_id=None, client_address=address
        )

    async with app.router.lifespan_context(app), client_from(app, "10.0.0.1") as gw:
        for _ in range(10):
            await attempt(gw, "wrong", via_gateway(ATTACKER))
        attacker = await attempt(gw, DEMO_PASSWORD, via_gateway(ATTACKER))
        victim = await attempt(gw, DEMO_PASSWORD, via_gateway(VICTIM))
        # Unsigned, the address headers are the client's word: the peer is counted.
        for _ in range(10):
            await attempt(
                gw,
                "wrong",
                {"x-agora-client-address": ATTACKER, "x-forwarded-for": ATTACKER},
            )
        forged = await attempt(
            gw,
            DEMO_PASSWORD,
            {
                **via_gateway(ATTACKER),
                "x-agora-client-address": VICTIM,
                "x-forwarded-for": VICTIM,
                "x-agora-gateway-secret": settings.gateway_secret,
            },
        )
    assert (attacker, victim, forged) == ("RATE_LIMITED", "OK", "RATE_LIMITED")


async def test_with_redis_unreachable_logins_are_not_throttled_but_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redis = aioredis.Redis.from_url("redis://127.0.0.1:1/0")
    throttle = LoginThrottle(RedisAttemptLog(redis), max_failures_per_client=1)
    caplog.set_level(logging.WARNING, logger="agora.subgraphs")
    try:
        await throttle.begin(EMAIL, ATTACKER)
        await throttle.begin(EMAIL, ATTACKER)
    finally:
        await redis.aclose()
    messages = [r.getMessage() for r in caplog.records]
    assert sum("Redis unavailable, not enforced" in m for m in messages) == 2
