"""The accounts subgraph over HTTP, on SQLite and on PostgreSQL (`settings` fixture)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any

import jwt

from subgraphs.accounts.app import create_app
from subgraphs.accounts.events import (
    INVITATION_ACCEPTED,
    USER_REGISTERED,
    InvitationAccepted,
    UserRegistered,
)
from subgraphs.accounts.models import User
from subgraphs.accounts.seed import DEMO_CHAMBER_ID, DEMO_PASSWORD
from subgraphs.kit.database import count_statements
from subgraphs.kit.invitations import issue_invitation_token
from subgraphs.kit.tokens import issue_token

if TYPE_CHECKING:
    import httpx

    from subgraphs.kit.settings import Settings

LOGIN = """
mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    accessToken refreshToken tokenType expiresIn user { id email }
  }
}
"""
ME = "{ me { id email displayName roles tenant { id name } } }"
REGISTER = """
mutation ($input: RegisterInput!) { register(input: $input) { email } }
"""
DEMO_USER_ID = "7d3c0a2e-0000-4000-8000-000000000101"


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
    return response.json()


def error_codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]


async def login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    result = await gql(client, LOGIN, {"email": email, "password": password})
    assert "errors" not in result, result
    return result["data"]["login"]


async def test_demo_user_logs_in_and_sees_itself_through_me(
    settings: Settings, asgi_client: Any
) -> None:
    async with asgi_client(create_app(settings)) as client:
        tokens = await login(client, "demo@agora.dev", DEMO_PASSWORD)
        result = await gql(client, ME, token=tokens["accessToken"])
    assert tokens["tokenType"] == "Bearer"
    assert tokens["expiresIn"] == 900
    assert result == {
        "data": {
            "me": {
                "id": DEMO_USER_ID,
                "email": "demo@agora.dev",
                "displayName": "Demo Member",
                "roles": ["member"],
                "tenant": {"id": str(DEMO_CHAMBER_ID), "name": "Demo Chamber"},
            }
        }
    }


async def test_access_token_carries_the_documented_claims(
    settings: Settings, asgi_client: Any
) -> None:
    async with asgi_client(create_app(settings)) as client:
        tokens = await login(client, "farmer@agora.dev", DEMO_PASSWORD)
    claims = jwt.decode(
        tokens["accessToken"], settings.jwt_secret, algorithms=["HS256"], issuer="agora"
    )
    assert claims["sub"] == "7d3c0a2e-0000-4000-8000-000000000104"
    assert claims["tenant"] == "7d3c0a2e-0000-4000-8000-000000000002"
    assert claims["roles"] == ["tenant_admin"]
    assert claims["type"] == "access"
    assert claims["exp"] - claims["iat"] == 900


async def test_registered_user_can_log_in_and_password_is_stored_as_argon2(
    settings: Settings, asgi_client: Any
) -> None:
    async with asgi_client(create_app(settings)) as client:
        result = await gql(
            client,
            REGISTER,
            {
                "input": {
                    "email": "  New.Person@Example.com ",
                    "password": "correct-horse-battery",
                    "displayName": "New Person",
                }
            },
        )
        assert "errors" not in result, result
        tokens = await login(client, "new.person@example.com", "correct-horse-battery")
        me = await gql(
            client,
            "{ me { id email roles tenant { id } } }",
            token=tokens["accessToken"],
        )
        row = await User.get(email="new.person@example.com")
    assert result["data"]["register"] == {"email": "new.person@example.com"}
    assert me["data"]["me"] == {
        "id": str(row.id),
        "email": "new.person@example.com",
        "roles": ["member"],
        "tenant": None,
    }
    assert row.password_hash.startswith("$argon2id$")


async def test_registration_rejects_bad_input_and_writes_nothing(
    settings: Settings, asgi_client: Any
) -> None:
    base = {
        "email": "someone@example.com",
        "password": "correct-horse-battery",
        "displayName": "Someone",
    }

    def invitation(email: str, tenant: str = str(DEMO_CHAMBER_ID)) -> str:
        return issue_invitation_token(
            settings,
            tenant_id=tenant,
            email=email,
            role="member",
            ttl=600,
            invitation_id="inv",
        )

    cases = {
        "weak password": {**base, "password": "password"},
        "one-kind password": {**base, "password": "abcdefghijklmnop"},
        "invalid email": {**base, "email": "not-an-email"},
        "blank display name": {**base, "displayName": "   "},
        "garbage invitation": {**base, "invitationToken": "not-a-token"},
        "someone else's invitation": {
            **base,
            "invitationToken": invitation("other@example.com"),
        },
        "invitation to an unknown tenant": {
            **base,
            "invitationToken": invitation(
                "someone@example.com", "7d3c0a2e-0000-4000-8000-0000000000ff"
            ),
        },
    }
    async with asgi_client(create_app(settings)) as client:
        before = await User.all().count()
        outcomes = {
            name: error_codes(await gql(client, REGISTER, {"input": value}))
            for name, value in cases.items()
        }
        after = await User.all().count()
    assert outcomes == {name: ["BAD_USER_INPUT"] for name in cases}
    assert after == before == 4


async def test_wrong_password_and_unknown_email_are_unauthenticated(
    settings: Settings, asgi_client: Any
) -> None:
    async with asgi_client(create_app(settings)) as client:
        wrong = await gql(
            client, LOGIN, {"email": "demo@agora.dev", "password": "not-the-password"}
        )
        unknown = await gql(
            client, LOGIN, {"email": "nobody@agora.dev", "password": DEMO_PASSWORD}
        )
    assert wrong["data"] is None
    assert error_codes(wrong) == ["UNAUTHENTICATED"]
    assert error_codes(unknown) == ["UNAUTHENTICATED"]
    assert wrong["errors"][0]["message"] == unknown["errors"][0]["message"]


async def test_expired_tampered_and_wrongly_signed_tokens_are_unauthenticated(
    settings: Settings, asgi_client: Any
) -> None:
    claims = {
        "user_id": DEMO_USER_ID,
        "tenant_id": str(DEMO_CHAMBER_ID),
        "roles": ["member"],
        "scopes": [],
        "type": "access",
    }
    expired = issue_token(settings, now=1_000_000, **claims)
    valid = issue_token(settings, **claims)
    header, payload, signature = valid.split(".")
    tampered = ".".join([header, payload[:-4] + "AAAA", signature])
    other = dataclasses.replace(
        settings, jwt_secret="another-secret-of-enough-length!!"
    )
    wrongly_signed = issue_token(other, **claims)
    refresh_as_access = issue_token(settings, **{**claims, "type": "refresh"})
    async with asgi_client(create_app(settings)) as client:
        codes = {
            name: error_codes(await gql(client, ME, token=token))
            for name, token in {
                "expired": expired,
                "tampered": tampered,
                "wrongly signed": wrongly_signed,
                "refresh as access": refresh_as_access,
                "garbage": "garbage",
            }.items()
        }
        anonymous = await gql(client, ME)
        ok = await gql(client, "{ me { id } }", token=valid)
    assert codes == {name: ["UNAUTHENTICATED"] for name in codes}
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    assert ok == {"data": {"me": {"id": DEMO_USER_ID}}}


async def test_refresh_token_trades_for_a_new_pair_and_access_token_does_not(
    settings: Settings, asgi_client: Any
) -> None:
    refresh = """
    mutation ($t: String!) { refreshToken(refreshToken: $t) {
      accessToken refreshToken user { id } } }
    """
    async with asgi_client(create_app(settings)) as client:
        tokens = await login(client, "agent@agora.dev", DEMO_PASSWORD)
        renewed = await gql(client, refresh, {"t": tokens["refreshToken"]})
        misused = await gql(client, refresh, {"t": tokens["accessToken"]})
        me = await gql(
            client,
            "{ me { roles } }",
            token=renewed["data"]["refreshToken"]["accessToken"],
        )
    assert renewed["data"]["refreshToken"]["user"]["id"].endswith("0103")
    assert error_codes(misused) == ["UNAUTHENTICATED"]
    assert me == {"data": {"me": {"roles": ["support_agent"]}}}


async def test_hundred_user_representations_cost_one_select(
    settings: Settings, asgi_client: Any
) -> None:
    query = """
    query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on User { id displayName }
      }
    }
    """
    async with asgi_client(create_app(settings)) as client:
        await User.bulk_create(
            [
                User(
                    email=f"bulk{i}@example.com",
                    display_name=f"Bulk {i}",
                    password_hash="x",
                    roles=["member"],
                    scopes=[],
                )
                for i in range(100)
            ]
        )
        ids = [
            str(u)
            for u in await User.filter(email__startswith="bulk").values_list(
                "id", flat=True
            )
        ]
        representations = [{"__typename": "User", "id": i} for i in ids]
        with count_statements() as counter:
            result = await gql(client, query, {"representations": representations})
    assert "errors" not in result
    assert [e["id"] for e in result["data"]["_entities"]] == ids
    assert counter.selects == 1
    assert counter.total == 1


async def test_unknown_entities_and_ids_resolve_to_null_not_a_crash(
    settings: Settings, asgi_client: Any
) -> None:
    query = """
    query ($r: [_Any!]!, $ids: [ID!]!) {
      _entities(representations: $r) { ... on Tenant { id name } }
      users(ids: $ids) { id }
      tenant(id: "nope") { id }
    }
    """
    representations = [
        {"__typename": "Tenant", "id": str(DEMO_CHAMBER_ID)},
        {"__typename": "Tenant", "id": "7d3c0a2e-0000-4000-8000-0000000000ff"},
    ]
    async with asgi_client(create_app(settings)) as client:
        tokens = await login(client, "demo@agora.dev", DEMO_PASSWORD)
        result = await gql(
            client,
            query,
            {"r": representations, "ids": [DEMO_USER_ID, "missing"]},
            token=tokens["accessToken"],
        )
    assert result["data"] == {
        "_entities": [{"id": str(DEMO_CHAMBER_ID), "name": "Demo Chamber"}, None],
        "users": [{"id": DEMO_USER_ID}, None],
        "tenant": None,
    }
    assert error_codes(result) == ["NOT_FOUND"]
    assert result["errors"][0]["path"] == ["_entities", 1]


async def test_email_is_hidden_from_other_members_but_shown_to_support(
    settings: Settings, asgi_client: Any
) -> None:
    query = '{ user(id: "7d3c0a2e-0000-4000-8000-000000000104") { email } }'
    async with asgi_client(create_app(settings)) as client:
        member = await login(client, "demo@agora.dev", DEMO_PASSWORD)
        agent = await login(client, "agent@agora.dev", DEMO_PASSWORD)
        as_member = await gql(client, query, token=member["accessToken"])
        as_agent = await gql(client, query, token=agent["accessToken"])
    assert as_member == {"data": {"user": {"email": None}}}
    assert as_agent == {"data": {"user": {"email": "farmer@agora.dev"}}}


async def test_restart_keeps_data_and_seeds_only_once(
    settings: Settings, asgi_client: Any
) -> None:
    variables = {
        "input": {
            "email": "stays@example.com",
            "password": "correct-horse-battery",
            "displayName": "Stays",
        }
    }
    async with asgi_client(create_app(settings)) as client:
        assert "errors" not in await gql(client, REGISTER, variables)
    async with asgi_client(create_app(settings)) as client:
        tokens = await login(client, "stays@example.com", "correct-horse-battery")
        count = await User.all().count()
    assert tokens["user"]["email"] == "stays@example.com"
    assert count == 5


async def test_concurrent_registrations_of_one_email_store_exactly_one_user(
    settings: Settings, asgi_client: Any
) -> None:
    variables = {
        "input": {
            "email": "race@example.com",
            "password": "correct-horse-battery",
            "displayName": "Racer",
        }
    }
    async with asgi_client(create_app(settings)) as client:
        results = await asyncio.gather(
            *(gql(client, REGISTER, variables) for _ in range(5))
        )
        stored = await User.filter(email="race@example.com").count()
    # Every one answers alike (issue 12: the answer tells nobody the address is
    # taken); the unique index keeps one account.
    assert results == [{"data": {"register": {"email": "race@example.com"}}}] * 5
    assert stored == 1


async def test_users_and_their_tenants_load_in_two_selects_whatever_the_count(
    settings: Settings, asgi_client: Any
) -> None:
    query = "query ($ids: [ID!]!) { users(ids: $ids) { id tenant { name } } }"
    async with asgi_client(create_app(settings)) as client:
        tokens = await login(client, "demo@agora.dev", DEMO_PASSWORD)
        ids = [str(i) for i in await User.all().values_list("id", flat=True)]
        with count_statements() as counter:
            result = await gql(client, query, {"ids": ids}, token=tokens["accessToken"])
    assert len(result["data"]["users"]) == 4
    assert counter.selects == 2


async def test_registration_publishes_user_registered_after_it_is_stored(
    settings: Settings, asgi_client: Any
) -> None:
    app = create_app(settings)
    variables = {
        "input": {
            "email": "announced@example.com",
            "password": "correct-horse-battery",
            "displayName": "Announced",
            "invitationToken": issue_invitation_token(
                settings,
                tenant_id=str(DEMO_CHAMBER_ID),
                email="Announced@Example.com",
                role="member",
                ttl=600,
                invitation_id="inv-7",
            ),
        }
    }
    broker = app.state.broker
    async with (
        asgi_client(app) as client,
        broker.subscribe(USER_REGISTERED.name(DEMO_CHAMBER_ID)) as events,
        broker.subscribe(INVITATION_ACCEPTED.name(DEMO_CHAMBER_ID)) as accepted,
    ):
        result = await gql(client, REGISTER, variables)
        async with asyncio.timeout(5):
            event = USER_REGISTERED.decode(await anext(events))
            acceptance = INVITATION_ACCEPTED.decode(await anext(accepted))
        stored = await User.get(email="announced@example.com")
    assert "errors" not in result, result
    assert event == UserRegistered(
        user_id=str(stored.id),
        tenant_id=str(DEMO_CHAMBER_ID),
        email="announced@example.com",
        display_name="Announced",
    )
    assert acceptance == InvitationAccepted(
        invitation_id="inv-7", user_id=str(stored.id), tenant_id=str(DEMO_CHAMBER_ID)
    )


async def test_repeated_wrong_passwords_are_rate_limited_for_that_email_only(
    settings: Settings, asgi_client: Any
) -> None:
    wrong = {"email": "agent@agora.dev", "password": "not-the-password"}
    async with asgi_client(create_app(settings)) as client:
        failures = [await gql(client, LOGIN, wrong) for _ in range(10)]
        locked = await gql(client, LOGIN, {**wrong, "password": DEMO_PASSWORD})
        other = await login(client, "demo@agora.dev", DEMO_PASSWORD)
    assert {error_codes(r)[0] for r in failures} == {"UNAUTHENTICATED"}
    assert error_codes(locked) == ["RATE_LIMITED"]
    assert 0 < locked["errors"][0]["extensions"]["retryAfter"] <= 900
    assert other["user"]["email"] == "demo@agora.dev"
