"""Accounts hold against abuse (issue 12): tenants, lookups, throttles, tokens,
input; on SQLite + memory and on PostgreSQL + Redis."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import httpx
import jwt
import pytest

from subgraphs.accounts.app import create_app
from subgraphs.accounts.auth import publish_directory
from subgraphs.accounts.models import RefreshToken, Tenant, User
from subgraphs.accounts.seed import DEMO_CHAMBER_ID, DEMO_PASSWORD, GREEN_FARMS_ID
from subgraphs.accounts.throttle import MemoryAttemptLog, RedisAttemptLog
from subgraphs.directory.events import CHAMBER_REGISTERED, ChamberRegistered
from subgraphs.kit.invitations import issue_invitation_token
from subgraphs.kit.users import directory_for

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.applications import Starlette

    from subgraphs.kit.settings import Settings
    from tests.conftest import PrivateRedis

LOGIN = """
mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken refreshToken }
}
"""
REGISTER = """
mutation ($input: RegisterInput!) { register(input: $input) { email } }
"""
REFRESH = """
mutation ($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }
"""
ME = "{ me { id roles tenant { id } } }"
DEMO_USER = "7d3c0a2e-0000-4000-8000-000000000101"
ADMIN_USER = "7d3c0a2e-0000-4000-8000-000000000102"
FARMER_USER = "7d3c0a2e-0000-4000-8000-000000000104"
PASSWORD = "correct-horse-battery"


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[None]:
    async with app.router.lifespan_context(app):
        yield


@contextlib.asynccontextmanager
async def client_from(
    app: Starlette, address: str = "198.51.100.7"
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://subgraph"
    ) as client:
        yield client


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]


async def log_in(client: httpx.AsyncClient, email: str, password: str) -> Any:
    result = await gql(client, LOGIN, {"email": email, "password": password})
    assert "errors" not in result, result
    return result["data"]["login"]


def registration(email: str, **extra: str) -> dict[str, Any]:
    return {"input": {"email": email, "password": PASSWORD, "displayName": "N"} | extra}


# Finding 1: anyone joins any tenant.


async def test_register_takes_no_tenant_id_and_gives_no_tenant_without_invitation(
    distributed_settings: Settings,
) -> None:
    app = create_app(distributed_settings)
    variables = registration("stranger@example.com")
    async with serving(app), client_from(app) as client:
        with_tenant = await gql(
            client,
            REGISTER,
            {"input": variables["input"] | {"tenantId": str(GREEN_FARMS_ID)}},
        )
        plain = await gql(client, REGISTER, variables)
        tokens = await log_in(client, "stranger@example.com", PASSWORD)
        me = await gql(client, ME, token=tokens["accessToken"])
    assert codes(with_tenant) == ["BAD_USER_INPUT"]  # tenantId is no input field
    assert "errors" not in plain
    assert me["data"]["me"]["tenant"] is None
    claims = jwt.decode(tokens["accessToken"], options={"verify_signature": False})
    assert claims["tenant"] is None


async def test_an_invitation_joins_its_tenant_with_its_role_for_its_email_only(
    distributed_settings: Settings,
) -> None:
    app = create_app(distributed_settings)
    token = issue_invitation_token(
        distributed_settings,
        tenant_id=str(GREEN_FARMS_ID),
        email="Picker@Example.com",
        role="support_agent",
        ttl=600,
        invitation_id="inv-1",
    )
    async with serving(app), client_from(app) as client:
        thief = await gql(
            client, REGISTER, registration("thief@example.com", invitationToken=token)
        )
        invited = await gql(
            client, REGISTER, registration("picker@example.com", invitationToken=token)
        )
        tokens = await log_in(client, "picker@example.com", PASSWORD)
        me = await gql(client, ME, token=tokens["accessToken"])
        thief_stored = await User.exists(email="thief@example.com")
    assert codes(thief) == ["BAD_USER_INPUT"]
    assert thief["errors"][0]["message"] == "The invitation is not valid."
    assert not thief_stored
    assert "errors" not in invited
    assert me["data"]["me"]["roles"] == ["support_agent"]
    assert me["data"]["me"]["tenant"] == {"id": str(GREEN_FARMS_ID)}


# Finding 2: anonymous lookups.


async def test_users_and_tenants_need_a_caller_and_roles_show_to_self_and_admins(
    distributed_settings: Settings,
) -> None:
    lookups = {
        "user": f'{{ user(id: "{ADMIN_USER}") {{ displayName }} }}',
        "users": f'{{ users(ids: ["{ADMIN_USER}"]) {{ displayName }} }}',
        "tenant": f'{{ tenant(id: "{DEMO_CHAMBER_ID}") {{ name }} }}',
    }
    roles = f'{{ users(ids: ["{ADMIN_USER}", "{DEMO_USER}"]) {{ roles scopes }} }}'
    app = create_app(distributed_settings)
    async with serving(app), client_from(app) as client:
        anonymous = {name: await gql(client, q) for name, q in lookups.items()}
        member = await log_in(client, "demo@agora.dev", DEMO_PASSWORD)
        admin = await log_in(client, "admin@agora.dev", DEMO_PASSWORD)
        farmer = await log_in(client, "farmer@agora.dev", DEMO_PASSWORD)
        as_member = await gql(client, roles, token=member["accessToken"])
        as_admin = await gql(client, roles, token=admin["accessToken"])
        as_other_tenant_admin = await gql(client, roles, token=farmer["accessToken"])
    assert {name: codes(r) for name, r in anonymous.items()} == {
        name: ["UNAUTHENTICATED"] for name in lookups
    }
    assert all(not any((r["data"] or {}).values()) for r in anonymous.values())
    assert as_member["data"]["users"] == [
        {"roles": None, "scopes": None},
        {"roles": ["member"], "scopes": []},
    ]
    assert as_admin["data"]["users"] == [
        {"roles": ["platform_admin"], "scopes": []},
        {"roles": ["member"], "scopes": []},
    ]
    assert as_other_tenant_admin["data"]["users"] == [
        {"roles": None, "scopes": None},
        {"roles": None, "scopes": None},
    ]


# Finding 3: the login throttle race.


# 300 at once: more than the Redis pool's 100 connections. redis-py's default pool
# refused the 101st command in flight, and the throttle, which fails open when
# Redis is unavailable, let those attempts have their password checked.
@pytest.mark.parametrize("attempts", [30, 300])
async def test_parallel_wrong_passwords_get_ten_answers_and_the_rest_refused(
    distributed_settings: Settings, attempts: int
) -> None:
    app = create_app(distributed_settings)
    wrong = {"email": "agent@agora.dev", "password": "not-the-password"}
    async with serving(app), client_from(app) as client:
        results = await asyncio.gather(
            *(gql(client, LOGIN, wrong) for _ in range(attempts))
        )
        log = app.state.login_throttle.attempts
    outcomes = [codes(r)[0] for r in results]
    assert outcomes.count("UNAUTHENTICATED") == 10
    assert outcomes.count("RATE_LIMITED") == attempts - 10
    expected = RedisAttemptLog if distributed_settings.redis_url else MemoryAttemptLog
    assert isinstance(log, expected)


# Finding 5: registration floods, email lookalikes, what the answer reveals.


async def test_registrations_from_one_address_are_throttled(
    distributed_settings: Settings,
) -> None:
    app = create_app(distributed_settings)
    async with serving(app):
        async with client_from(app, "198.51.100.7") as flooder:
            flood = [
                await gql(flooder, REGISTER, registration(f"bot{n}@example.com"))
                for n in range(7)
            ]
        async with client_from(app, "203.0.113.9") as neighbour:
            other = await gql(neighbour, REGISTER, registration("real@example.com"))
        stored = await User.filter(email__startswith="bot").count()
    assert [codes(r) for r in flood] == [[]] * 5 + [["RATE_LIMITED"]] * 2
    assert flood[-1]["errors"][0]["extensions"]["retryAfter"] > 0
    assert stored == 5
    assert "errors" not in other


async def test_a_taken_address_in_any_spelling_gets_the_free_address_answer(
    distributed_settings: Settings,
) -> None:
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "DEMO") + "@agora.dev"
    app = create_app(distributed_settings)
    async with serving(app), client_from(app) as client:
        free = await gql(client, REGISTER, registration("free@agora.dev"))
        taken = await gql(client, REGISTER, registration(fullwidth))
        lookalike = await gql(client, REGISTER, registration("d\u0435mo@agora.dev"))
        demo_still_logs_in = await log_in(client, "demo@agora.dev", DEMO_PASSWORD)
        count = await User.filter(email="demo@agora.dev").count()
    assert free == {"data": {"register": {"email": "free@agora.dev"}}}
    assert taken == {"data": {"register": {"email": "demo@agora.dev"}}}
    assert codes(lookalike) == ["BAD_USER_INPUT"]
    assert demo_still_logs_in["accessToken"]
    assert count == 1


async def test_login_accepts_any_spelling_of_the_address(
    distributed_settings: Settings,
) -> None:
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "Demo") + "@AGORA.dev"
    app = create_app(distributed_settings)
    async with serving(app), client_from(app) as client:
        tokens = await log_in(client, fullwidth, DEMO_PASSWORD)
    assert tokens["accessToken"]


# Finding 6: refresh tokens replay; logout.


async def test_a_reused_refresh_token_revokes_its_whole_session(
    distributed_settings: Settings,
) -> None:
    app = create_app(distributed_settings)
    async with serving(app), client_from(app) as client:
        first = await log_in(client, "demo@agora.dev", DEMO_PASSWORD)
        other_session = await log_in(client, "demo@agora.dev", DEMO_PASSWORD)
        second = await gql(client, REFRESH, {"t": first["refreshToken"]})
        replayed = await gql(client, REFRESH, {"t": first["refreshToken"]})
        after_replay = await gql(
            client, REFRESH, {"t": second["data"]["refreshToken"]["refreshToken"]}
        )
        untouched = await gql(client, REFRESH, {"t": other_session["refreshToken"]})
    assert "errors" not in second
    assert codes(replayed) == ["UNAUTHENTICATED"]
    assert codes(after_replay) == ["UNAUTHENTICATED"]
    assert "errors" not in untouched


async def test_concurrent_refreshes_with_one_token_give_at_most_one_pair(
    distributed_settings: Settings,
) -> None:
    app = create_app(distributed_settings)
    async with serving(app), client_from(app) as client:
        tokens = await log_in(client, "demo@agora.dev", DEMO_PASSWORD)
        results = await asyncio.gather(
            *(gql(client, REFRESH, {"t": tokens["refreshToken"]}) for _ in range(8))
        )
        live = await RefreshToken.filter(revoked_at__isnull=True).count()
    granted = [r for r in results if "errors" not in r]
    assert len(granted) <= 1
    assert {codes(r)[0] for r in results if "errors" in r} == {"UNAUTHENTICATED"}
    # The replay revoked the family, the pair that won included.
    assert live == 0


async def test_logout_ends_one_session_and_logout_everywhere_all(
    distributed_settings: Settings,
) -> None:
    logout = "mutation ($t: String!) { logout(refreshToken: $t) }"
    app = create_app(distributed_settings)
    async with serving(app), client_from(app) as client:
        phone = await log_in(client, "demo@agora.dev", DEMO_PASSWORD)
        laptop = await log_in(client, "demo@agora.dev", DEMO_PASSWORD)
        tablet = await log_in(client, "demo@agora.dev", DEMO_PASSWORD)
        out = await gql(client, logout, {"t": phone["refreshToken"]})
        phone_after = await gql(client, REFRESH, {"t": phone["refreshToken"]})
        laptop_after = await gql(client, REFRESH, {"t": laptop["refreshToken"]})
        everywhere = await gql(
            client, "mutation { logoutEverywhere }", token=tablet["accessToken"]
        )
        laptop_next = laptop_after["data"]["refreshToken"]["refreshToken"]
        laptop_end = await gql(client, REFRESH, {"t": laptop_next})
        tablet_end = await gql(client, REFRESH, {"t": tablet["refreshToken"]})
    assert out == {"data": {"logout": True}}
    assert codes(phone_after) == ["UNAUTHENTICATED"]
    assert "errors" not in laptop_after
    assert everywhere == {"data": {"logoutEverywhere": 2}}
    assert codes(laptop_end) == codes(tablet_end) == ["UNAUTHENTICATED"]


# Finding 9: bad input handled badly.


async def test_nul_characters_are_bad_user_input_never_an_internal_error(
    distributed_settings: Settings,
) -> None:
    app = create_app(distributed_settings)
    async with serving(app), client_from(app) as client:
        in_variable = await gql(
            client, LOGIN, {"email": "demo\x00@agora.dev", "password": "x\x00"}
        )
        in_literal = await gql(
            client,
            'mutation { login(email: "a\\u0000@b.cd", password: "p") { accessToken } }',
        )
        registered = await gql(
            client,
            REGISTER,
            {"input": registration("n@x.dev")["input"] | {"displayName": "N\x00"}},
        )
    for result in (in_variable, in_literal, registered):
        assert codes(result) == ["BAD_USER_INPUT"], result
        assert result["data"] is None


async def test_hundreds_of_aliased_mutations_are_refused_in_our_words(
    distributed_settings: Settings,
) -> None:
    fields = " ".join(f'a{n}: logout(refreshToken: "x{n}")' for n in range(950))
    app = create_app(distributed_settings)
    async with serving(app), client_from(app) as client:
        result = await gql(client, f"mutation {{ {fields} }}")
    assert codes(result) == ["MAX_ROOT_FIELDS_LIMIT"]
    assert result["errors"][0]["extensions"]["measured"] == 950
    assert "recursion" not in str(result)


# Finding 10 (accounts' side): a deactivated user logs in and refreshes nowhere.


async def test_a_deactivated_user_can_neither_log_in_nor_refresh(
    distributed_settings: Settings,
) -> None:
    deactivate = f'mutation {{ deactivateUser(id: "{DEMO_USER}") }}'
    app = create_app(distributed_settings)
    async with serving(app), client_from(app) as client:
        demo = await log_in(client, "demo@agora.dev", DEMO_PASSWORD)
        admin = await log_in(client, "admin@agora.dev", DEMO_PASSWORD)
        by_member = await gql(client, deactivate, token=demo["accessToken"])
        by_admin = await gql(client, deactivate, token=admin["accessToken"])
        login_after = await gql(
            client, LOGIN, {"email": "demo@agora.dev", "password": DEMO_PASSWORD}
        )
        refresh_after = await gql(client, REFRESH, {"t": demo["refreshToken"]})
        me_after = await gql(client, ME, token=demo["accessToken"])
    assert codes(by_member) == ["FORBIDDEN"]
    assert by_admin == {"data": {"deactivateUser": True}}
    assert codes(login_after) == ["UNAUTHENTICATED"]
    assert codes(refresh_after) == ["UNAUTHENTICATED"]
    assert codes(me_after) == ["UNAUTHENTICATED"]


# A chamber registered in the directory: its tenant appears here, and its
# invitations can then be redeemed.


async def test_a_registered_chamber_gets_its_tenant_and_its_invitations_work(
    distributed_settings: Settings,
) -> None:
    app = create_app(distributed_settings)
    tenant_id = str(uuid4())
    event = ChamberRegistered(
        chamber_id=str(uuid4()),
        tenant_id=tenant_id,
        # A name another tenant holds: the chamber's slug tells them apart.
        name="Demo Chamber",
        slug="harbour",
        admin_user_id=DEMO_USER,
    )
    async with serving(app), client_from(app) as client:
        broker = app.state.broker
        for _ in range(200):  # until the background task listens
            await CHAMBER_REGISTERED.publish(broker, event)
            if await Tenant.exists(id=tenant_id):
                break
            await asyncio.sleep(0.02)
        # Announced again (directory does so on an interval): nothing changes.
        await CHAMBER_REGISTERED.publish(broker, event)
        token = issue_invitation_token(
            distributed_settings,
            tenant_id=tenant_id,
            email="joiner@example.com",
            role="member",
            ttl=600,
            invitation_id="inv-harbour",
        )
        joined = await gql(
            client, REGISTER, registration("joiner@example.com", invitationToken=token)
        )
        tokens = await log_in(client, "joiner@example.com", PASSWORD)
        me = await gql(client, ME, token=tokens["accessToken"])
        tenants = await Tenant.filter(id=tenant_id).values_list("name", flat=True)
    assert tenants == ["Demo Chamber (harbour)"]
    assert "errors" not in joined
    assert me["data"]["me"]["tenant"] == {"id": tenant_id}


async def test_a_deactivation_stored_while_redis_hangs_is_answered_as_done(
    settings: Settings, private_redis: PrivateRedis
) -> None:
    # Once the row is committed, taking the user out of the directory in Redis can
    # fail (here Redis stops answering): the client must not hear that the write
    # failed. The next directory sync takes the user out.
    settings = dataclasses.replace(
        settings, redis_url=private_redis.url, redis_prefix="hung:"
    )
    deactivate = f'mutation {{ deactivateUser(id: "{DEMO_USER}") }}'
    app = create_app(settings)
    async with serving(app), client_from(app) as client:
        admin = await log_in(client, "admin@agora.dev", DEMO_PASSWORD)
        private_redis.hang()
        try:
            async with asyncio.timeout(10):
                by_admin = await gql(client, deactivate, token=admin["accessToken"])
        finally:
            private_redis.resume()
        directory = directory_for(app.state.broker)
        assert directory is not None
        await publish_directory(app.state.broker)
        directory.cache_ttl = 0
        after_sync = await directory.lookup(DEMO_USER)
        stored = await User.get(id=DEMO_USER)
    assert by_admin == {"data": {"deactivateUser": True}}
    assert stored.active is False
    assert after_sync is None
