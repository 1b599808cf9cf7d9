"""Reconnaissance against a gateway in production posture: introspection (however it
is dressed up), field suggestions, plan explain and GraphiQL are off, production
limits hold, and the repository's secrets cannot start it. Each forbidden answer is
checked against a development gateway or a trusted client that does get it, so the
test is about the posture and not about a broken feature."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from gateway.config import DEV_GATEWAY_SECRET, DEV_JWT_SECRET, ConfigError, hash_api_key
from subgraphs.kit.settings import Settings, SettingsError

from ._clients import EVERY, SOCKETS, Via, ask, refused
from .conftest import (
    DEMO_USER,
    GATEWAY_SECRET,
    JWT_SECRET,
    gateway_config,
    mint,
    open_gateway,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from .conftest import Gateway, Graph, RequestLog

pytestmark = pytest.mark.asyncio(loop_scope="module")

TOOLS_KEY = "security-suite-tools-client-key"

INTROSPECTION = [
    pytest.param("{ __schema { types { name } } }", id="schema"),
    pytest.param('{ __type(name: "User") { fields { name } } }', id="type"),
    pytest.param("{ s: __schema { queryType { name } } }", id="aliased"),
    pytest.param(
        "{ ...I } fragment I on Query { __schema { mutationType { name } } }",
        id="in-a-fragment",
    ),
    pytest.param(
        '{ ... on Query { __type(name: "Mutation") { name } } }',
        id="in-an-inline-fragment",
    ),
    pytest.param(
        "{ __typename __schema { directives { name } } }", id="beside-typename"
    ),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def tools_gateway(graph: Graph) -> AsyncIterator[Gateway]:
    """Production, with one trusted client (by API key) allowed introspection."""
    values = {
        "production": True,
        "clients": [
            {
                "name": "schema-tools",
                "api_key_sha256": [hash_api_key(TOOLS_KEY)],
                "introspection": True,
            }
        ],
    }
    async with open_gateway(graph, values) as opened:
        yield opened


def via_key(via: Via, key: str) -> dict[str, Any]:
    """How `via` carries an API key (websockets: the connection_init payload)."""
    if via in SOCKETS:
        return {"init": {"x-api-key": key}}
    return {"headers": {"x-api-key": key}}


@pytest.mark.parametrize("via", EVERY)
@pytest.mark.parametrize("query", INTROSPECTION)
async def test_introspection_is_disabled_in_production(
    production_gateway: Gateway, log: RequestLog, via: Via, query: str
) -> None:
    answer = await ask(production_gateway, via, query, token=mint())

    refused(answer, "INTROSPECTION_DISABLED")
    assert "data" not in answer.body or answer.body["data"] is None
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_typename_is_not_introspection(
    production_gateway: Gateway, via: Via
) -> None:
    answer = await ask(production_gateway, via, "{ __typename }")
    assert answer.body == {"data": {"__typename": "Query"}}, answer


@pytest.mark.parametrize("via", EVERY)
async def test_a_client_allowed_introspection_gets_it_and_an_unknown_key_does_not(
    tools_gateway: Gateway, log: RequestLog, via: Via
) -> None:
    query = "{ __schema { queryType { name } } }"

    trusted = await ask(tools_gateway, via, query, **via_key(via, TOOLS_KEY))
    anonymous = await ask(tools_gateway, via, query)

    assert trusted.body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    refused(anonymous, "INTROSPECTION_DISABLED")
    assert not log


TYPOS = [
    pytest.param("{ me { emial } }", None, "email", id="field"),
    pytest.param("{ me { id tenant { nme } } }", None, "name", id="nested-field"),
    pytest.param('{ searchMessages(qurey: "x") { id } }', None, "query", id="argument"),
    pytest.param("{ me { ...F } } fragment F on Usr { id }", None, "User", id="type"),
    pytest.param(
        "query Q($s: ComplaintStatus) { complaints(filter: {status: $s}) { id } }",
        {"s": "OPNE"},
        "OPEN",
        id="enum-value-in-variables",
    ),
    pytest.param(
        "{ complaints(filter: {staus: OPEN}) { id } }", None, "status", id="input-field"
    ),
]


@pytest.mark.parametrize("via", EVERY)
@pytest.mark.parametrize(("query", "variables", "hint"), TYPOS)
async def test_errors_suggest_no_names_in_production(
    gateway: Gateway,
    production_gateway: Gateway,
    log: RequestLog,
    via: Via,
    query: str,
    variables: dict[str, Any] | None,
    hint: str,
) -> None:
    token = mint()

    development = await ask(gateway, via, query, variables=variables, token=token)
    production = await ask(
        production_gateway, via, query, variables=variables, token=token
    )

    assert "Did you mean" in development.errors[0]["message"], development
    assert production.errors, production
    for error in production.errors:
        assert "Did you mean" not in error["message"], error
        assert f"'{hint}'" not in error["message"]
        assert f'"{hint}"' not in error["message"]
    assert not log


@pytest.mark.parametrize(
    "asks",
    [
        pytest.param({"headers": {"x-agora-explain": "1"}}, id="header"),
        pytest.param({"extensions": {"agoraExplain": True}}, id="extension"),
    ],
)
@pytest.mark.parametrize("via", EVERY)
async def test_no_plan_is_explained_in_production(
    gateway: Gateway,
    production_gateway: Gateway,
    via: Via,
    asks: dict[str, Any],
) -> None:
    if via in SOCKETS and "headers" in asks:
        asks = {"extensions": {"agoraExplain": True}}  # no header per operation there
    token = mint()

    development = await ask(gateway, via, "{ me { id } }", token=token, **asks)
    production = await ask(
        production_gateway, via, "{ me { id } }", token=token, **asks
    )

    if via in (Via.POST, Via.GET):
        assert "queryPlan" in development.body.get("extensions", {}), development
    assert production.body == {"data": {"me": {"id": DEMO_USER}}}, production
    assert "extensions" not in production.body, production


async def test_no_graphiql_page_is_served_in_production(
    gateway: Gateway, production_gateway: Gateway, log: RequestLog
) -> None:
    headers = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}

    development = await gateway.http.get(gateway.graphql, headers=headers)
    production = await production_gateway.http.get(
        production_gateway.graphql, headers=headers
    )

    assert development.headers["content-type"].startswith("text/html")
    assert not production.headers["content-type"].startswith("text/html")
    assert "graphiql" not in production.text.lower()
    assert production.status_code >= 400
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_production_limits_refuse_what_development_allows(
    gateway: Gateway, production_gateway: Gateway, log: RequestLog, via: Via
) -> None:
    aliases = " ".join(f'u{i}: user(id: "{i}") {{ id }}' for i in range(40))
    query = f"{{ {aliases} }}"

    # A caller: accounts' lookups are @authenticated since issue 12.
    development = await ask(gateway, via, query, token=mint())
    log.clear()
    production = await ask(production_gateway, via, query, token=mint())

    assert "errors" not in development.body, development
    error = refused(production, "MAX_ALIASES_LIMIT")
    assert (error["extensions"]["limit"], error["extensions"]["measured"]) == (30, 40)
    assert not log


@pytest.mark.parametrize(
    ("values", "key"),
    [
        pytest.param({"secret": DEV_GATEWAY_SECRET}, "secret", id="gateway-secret"),
        pytest.param(
            {"auth": {"jwt_secret": DEV_JWT_SECRET}}, "auth.jwt_secret", id="jwt-secret"
        ),
        pytest.param({"secret": "too-short-a-secret"}, "secret", id="short-secret"),
    ],
)
async def test_a_production_gateway_refuses_to_start_with_the_repository_secrets(
    values: dict[str, Any], key: str
) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        gateway_config({"production": True, **values})


@pytest.mark.parametrize(
    "secrets",
    [
        pytest.param(
            {"gateway_secret": DEV_GATEWAY_SECRET, "jwt_secret": JWT_SECRET},
            id="gateway",
        ),
        pytest.param(
            {"gateway_secret": GATEWAY_SECRET, "jwt_secret": DEV_JWT_SECRET}, id="jwt"
        ),
    ],
)
async def test_a_production_subgraph_refuses_to_start_with_the_repository_secrets(
    tmp_path: Path, secrets: dict[str, str]
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        environment="production",
        gateway_secret=secrets["gateway_secret"],
        jwt_secret=secrets["jwt_secret"],
    )
    with pytest.raises(SettingsError, match="development default"):
        settings.check_production()
