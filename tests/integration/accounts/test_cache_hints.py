"""Accounts' answers say over HTTP whether they may be reused (`Cache-Control`,
from its cache hints: subgraphs.kit.cache_control), as the gateway's entity cache
reads them."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

import pytest

from subgraphs.accounts.app import SPEC as ACCOUNTS
from subgraphs.accounts.seed import DEMO_PASSWORD
from subgraphs.kit.app import create_subgraph_app
from subgraphs.kit.context import DEADLINE_HEADER, gateway_identity_headers

if TYPE_CHECKING:
    import httpx

    from subgraphs.kit.settings import Settings

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

DEMO_USER = "7d3c0a2e-0000-4000-8000-000000000101"
UNKNOWN_USER = "7d3c0a2e-0000-4000-8000-0000000000ff"
# What the gateway asks for chat events' sender names.
SENDER_NAMES = (
    "query($representations:[_Any!]!){_entities(representations:$representations)"
    "{... on User{displayName}}}"
)


def entities(selection: str) -> str:
    return (
        "query($representations: [_Any!]!) "
        "{ _entities(representations: $representations) { ... on User { "
        + selection
        + " } } }"
    )


def users(*ids: str) -> dict[str, Any]:
    return {"representations": [{"__typename": "User", "id": i} for i in ids]}


async def post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[str | None, dict[str, Any]]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers or {},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return response.headers.get("cache-control"), body


@pytest.fixture
def gateway_settings(settings: Settings) -> Settings:
    # `_entities` answers the gateway's signed requests only, as in production.
    return dataclasses.replace(settings, gateway_only=True)


def signed(settings: Settings, user_id: str | None = DEMO_USER) -> dict[str, str]:
    return gateway_identity_headers(
        settings.gateway_secret, user_id=user_id, roles=["member"]
    )


async def test_sender_names_may_be_reused_by_anyone_for_30_seconds(
    gateway_settings: Settings, asgi_client: Any
) -> None:
    headers = signed(gateway_settings)
    async with asgi_client(create_subgraph_app(ACCOUNTS, gateway_settings)) as c:
        first = await post(c, SENDER_NAMES, users(DEMO_USER), headers)
        # The same answer as a GET, and a second time (the policy remembered).
        response = await c.get(
            "/graphql",
            params={
                "query": SENDER_NAMES,
                "variables": json.dumps(users(DEMO_USER)),
            },
            headers=headers,
        )
        again = await post(c, SENDER_NAMES, users(DEMO_USER), headers)
        plain = await post(c, entities("id displayName createdAt"), users(DEMO_USER))
    assert first == (
        "public, max-age=30",
        {"data": {"_entities": [{"displayName": "Demo Member"}]}},
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "public, max-age=30"
    assert again == first
    # Unsigned: FORBIDDEN, an error, so nothing to keep.
    assert plain[0] == "no-store"
    assert plain[1]["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    "selection",
    [
        pytest.param("displayName email", id="email-depends-on-the-caller"),
        pytest.param("displayName roles", id="roles-depend-on-the-caller"),
        pytest.param("displayName tenant { name }", id="tenant-has-no-hint"),
    ],
)
async def test_what_depends_on_the_caller_or_has_no_hint_is_not_stored(
    gateway_settings: Settings, asgi_client: Any, selection: str
) -> None:
    async with asgi_client(create_subgraph_app(ACCOUNTS, gateway_settings)) as c:
        header, body = await post(
            c, entities(selection), users(DEMO_USER), signed(gateway_settings)
        )
    assert "errors" not in body, body
    assert header == "no-store"


async def test_an_unknown_id_is_an_error_and_not_stored(
    gateway_settings: Settings, asgi_client: Any
) -> None:
    async with asgi_client(create_subgraph_app(ACCOUNTS, gateway_settings)) as c:
        header, body = await post(
            c, SENDER_NAMES, users(DEMO_USER, UNKNOWN_USER), signed(gateway_settings)
        )
    assert body["data"]["_entities"] == [{"displayName": "Demo Member"}, None]
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]
    assert header == "no-store"


async def test_an_answer_past_the_deadline_is_not_stored(
    gateway_settings: Settings, asgi_client: Any
) -> None:
    headers = {**signed(gateway_settings), DEADLINE_HEADER: "0"}
    async with asgi_client(create_subgraph_app(ACCOUNTS, gateway_settings)) as c:
        header, body = await post(c, SENDER_NAMES, users(DEMO_USER), headers)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["DEADLINE_EXCEEDED"]
    assert header == "no-store"


async def test_mutations_and_the_callers_own_queries_are_not_stored(
    settings: Settings, asgi_client: Any
) -> None:
    login = (
        "mutation($e: String!, $p: String!) "
        "{ login(email: $e, password: $p) { user { id displayName } } }"
    )
    async with asgi_client(create_subgraph_app(ACCOUNTS, settings)) as c:
        logged_in = await post(c, login, {"e": "demo@agora.dev", "p": DEMO_PASSWORD})
        me = await post(c, "{ me { displayName } }", headers=signed(settings))
        user = await post(
            c,
            f'{{ user(id: "{DEMO_USER}") {{ displayName }} }}',
            headers=signed(settings),
        )
        rules = await post(c, "{ passwordRules { minLength } }")
    assert logged_in[1]["data"]["login"]["user"]["id"] == DEMO_USER
    assert logged_in[0] == "no-store"
    assert me == ("no-store", {"data": {"me": {"displayName": "Demo Member"}}})
    assert user == ("no-store", {"data": {"user": {"displayName": "Demo Member"}}})
    assert rules[0] == "no-store"
