"""The gateway's HTTP surface: GraphQL over HTTP, errors as GraphQL errors, extras."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import jwt
import pytest
from graphql import parse

from gateway.config import DEV_JWT_SECRET, load_config
from gateway.planner import plan_operation
from gateway.policy import IDENTITY_HEADERS
from gateway.server import build_app, create_app
from gateway.supergraph import load_supergraph
from gateway.transport import MockTransport

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from gateway.planner import QueryPlan
    from gateway.transport import SubgraphRequest
    from gateway.types import JSONObject

FIXTURES = Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "composition"
SINGLE = (FIXTURES / "single_subgraph" / "supergraph.graphql").read_text()
ROOT_OPERATIONS = (FIXTURES / "root_operations" / "supergraph.graphql").read_text()
INACCESSIBLE = (FIXTURES / "inaccessible" / "supergraph.graphql").read_text()

GRAPHQL_RESPONSE = "application/graphql-response+json"
# A GET must force a CORS preflight to pass CSRF prevention.
PREFLIGHT = {"apollo-require-preflight": "1"}


def token(sub: str = "u1", **claims: object) -> str:
    now = int(time.time())
    payload = {
        "sub": sub,
        "type": "access",
        "iss": "agora",
        "iat": now,
        "exp": now + 600,
        **claims,
    }
    return jwt.encode(payload, DEV_JWT_SECRET, algorithm="HS256")


def answer(request: SubgraphRequest) -> JSONObject:
    if "login" in request.query:
        return {"data": {"login": "token"}}
    return {"data": {"me": {"id": "1", "name": "Ada"}}}


@pytest.fixture
def accounts() -> MockTransport:
    return MockTransport(answer)


@pytest.fixture
async def client(accounts: MockTransport) -> AsyncIterator[httpx.AsyncClient]:
    config = load_config(
        environ={},
        values={"max_body_bytes": 2048, "forward_headers": ["x-tenant"]},
    )
    app = create_app(SINGLE, transports={"accounts": accounts}, config=config)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gw"
    ) as client:
        yield client


async def test_post_json_answers_application_json(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ me { name } }"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"me": {"name": "Ada"}}}


async def test_graphql_response_json_is_used_when_accepted(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"me": {"id": "1"}}}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ me { name }", "GRAPHQL_PARSE_FAILED"),
        ("{ me { nope } }", "GRAPHQL_VALIDATION_FAILED"),
        ("query A { me { id } } query B { me { id } }", "OPERATION_RESOLUTION_FAILURE"),
    ],
)
@pytest.mark.parametrize(
    ("accept", "status"), [("application/json", 200), (GRAPHQL_RESPONSE, 400)]
)
async def test_request_errors_are_graphql_errors_with_codes(
    client: httpx.AsyncClient, query: str, code: str, accept: str, status: int
) -> None:
    response = await client.post(
        "/graphql", json={"query": query}, headers={"accept": accept}
    )
    assert response.status_code == status
    body = response.json()
    assert "data" not in body
    assert [error["extensions"]["code"] for error in body["errors"]] == [code]


async def test_parse_error_reports_its_location(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ me { name }"})
    assert response.json() == {
        "errors": [
            {
                "message": "Syntax Error: Expected Name, found <EOF>.",
                "locations": [{"line": 1, "column": 14}],
                "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
            }
        ]
    }


async def test_variable_coercion_failure_is_bad_user_input(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": "query($id: ID!) { user(id: $id) { name } }",
            "variables": {"id": {"not": "an id"}},
        },
    )
    body = response.json()
    assert response.status_code == 200
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


async def test_missing_variable_is_bad_user_input(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "query($id: ID!) { user(id: $id) { name } }"},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b"{not json", {"content-type": "application/json"}, 400),
        (b'"a string"', {"content-type": "application/json"}, 400),
        (b"[]", {"content-type": "application/json"}, 400),
        (b'{"query": 3}', {"content-type": "application/json"}, 400),
        (b"{ me { id } }", {"content-type": "text/plain"}, 415),
        (b"{}", {"content-type": "application/json", "accept": "image/png"}, 406),
    ],
)
async def test_malformed_requests_get_http_errors_with_graphql_bodies(
    client: httpx.AsyncClient, content: bytes, headers: dict[str, str], status: int
) -> None:
    response = await client.post("/graphql", content=content, headers=headers)
    assert response.status_code == status
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_body_over_the_limit_is_413_with_a_graphql_error(
    client: httpx.AsyncClient,
) -> None:
    query = "{ me { id } }" + " " * 4096
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 413
    assert response.json() == {
        "errors": [
            {
                "message": "The request body exceeds 2048 bytes.",
                "extensions": {"code": "PAYLOAD_TOO_LARGE"},
            }
        ]
    }


async def test_get_runs_queries(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql",
        params={
            "query": "query($id: ID!) { user(id: $id) { id } }",
            "variables": '{"id": "1"}',
        },
        headers=PREFLIGHT,
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"user": None}


async def test_other_methods_are_405(client: httpx.AsyncClient) -> None:
    response = await client.put("/graphql", json={"query": "{ me { id } }"})
    assert response.status_code == 405


async def test_mutation_over_get_is_405() -> None:
    accounts = MockTransport(answer)
    app = create_app(
        ROOT_OPERATIONS, transports={"accounts": accounts, "chat": accounts}
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gw"
    ) as client:
        query = 'mutation { login(email: "a@b.c") }'
        get = await client.get("/graphql", params={"query": query}, headers=PREFLIGHT)
        post = await client.post("/graphql", json={"query": query})
    assert get.status_code == 405
    assert get.headers["allow"] == "POST"
    assert len(accounts.requests) == 1
    assert post.json() == {"data": {"login": "token"}}


async def test_graphiql_is_served_to_browsers(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_health_is_200_once_ready(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("extensions", "headers"),
    [({"agoraExplain": True}, {}), (None, {"x-agora-explain": "1"})],
)
async def test_plan_extension_shows_the_query_plan_when_asked(
    client: httpx.AsyncClient,
    extensions: JSONObject | None,
    headers: dict[str, str],
) -> None:
    query = "{ me { name } }"
    body: JSONObject = {"query": query}
    if extensions is not None:
        body["extensions"] = extensions
    response = await client.post("/graphql", json=body, headers=headers)
    expected = str(plan_operation(load_supergraph(SINGLE), parse(query), None))
    extensions = response.json()["extensions"]
    assert extensions["queryPlan"] == expected
    # What the limits measured comes with the plan, so operators can tune them.
    assert extensions["limits"]["depth"] == 2
    assert extensions["limits"]["cost"] == 1


async def test_no_plan_extension_unless_asked(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ me { id } }"})
    assert "extensions" not in response.json()


async def test_configured_headers_and_the_signed_identity_are_forwarded(
    client: httpx.AsyncClient, accounts: MockTransport
) -> None:
    await client.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={
            "authorization": f"Bearer {token('u1', tenant='t1', roles=['member'])}",
            "x-tenant": "7",
            "cookie": "s=1",
        },
    )
    headers = dict(accounts.requests[0].headers)
    assert set(headers) == {
        "x-tenant",
        "x-request-id",
        "x-agora-deadline-ms",
        *IDENTITY_HEADERS,
    }
    assert headers["x-tenant"] == "7"
    assert headers["x-agora-user-id"] == "u1"
    assert headers["x-agora-tenant-id"] == "t1"
    assert headers["x-agora-roles"] == "member"
    assert headers["x-agora-client-address"] == "127.0.0.1"
    assert headers["x-agora-signature"].startswith("v1=")


async def test_a_token_that_does_not_verify_is_refused_before_any_subgraph(
    client: httpx.AsyncClient, accounts: MockTransport
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"authorization": "Bearer not-a-token"},
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert accounts.requests == []


async def test_a_client_cannot_send_identity_headers_or_its_own_address(
    accounts: MockTransport,
) -> None:
    # Even when configured to be forwarded, x-agora-* never passes from a client:
    # the gateway signs its own.
    config = load_config(
        environ={},
        values={"forward_headers": ["x-agora-user-id"], "secret": "s3" * 16},
    )
    app = create_app(SINGLE, transports={"accounts": accounts}, config=config)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("10.1.2.3", 5000)),
        base_url="http://gw",
    ) as client:
        await client.post(
            "/graphql",
            json={"query": "{ me { id } }"},
            headers={
                "x-agora-user-id": "admin",
                "x-agora-signature": "v1=guess",
                "x-forwarded-for": "1.1.1.1",
            },
        )

    headers = accounts.requests[0].headers
    assert set(headers) == {"x-request-id", "x-agora-deadline-ms", *IDENTITY_HEADERS}
    assert headers["x-agora-user-id"] == ""
    assert headers["x-agora-client-address"] == "10.1.2.3"
    assert headers["x-agora-signature"] != "v1=guess"


async def test_behind_a_trusted_proxy_the_address_it_appended_is_the_caller(
    accounts: MockTransport,
) -> None:
    config = load_config(environ={}, values={"trust_forwarded_for": True})
    app = create_app(SINGLE, transports={"accounts": accounts}, config=config)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gw"
    ) as client:
        await client.post(
            "/graphql",
            json={"query": "{ me { id } }"},
            # The client wrote the first entry; the proxy appended what it saw.
            headers={"x-forwarded-for": "203.0.113.9, 198.51.100.20"},
        )

    assert accounts.requests[0].headers["x-agora-client-address"] == "198.51.100.20"


async def test_behind_two_proxies_the_second_entry_from_the_right_is_the_caller(
    accounts: MockTransport,
) -> None:
    config = load_config(
        environ={}, values={"trust_forwarded_for": True, "proxy_hops": 2}
    )
    app = create_app(SINGLE, transports={"accounts": accounts}, config=config)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gw"
    ) as client:
        for forwarded in ("6.6.6.6, 203.0.113.9, 10.0.0.1", "10.0.0.1"):
            await client.post(
                "/graphql",
                json={"query": "{ me { id } }"},
                headers={"x-forwarded-for": forwarded},
            )

    addresses = [r.headers["x-agora-client-address"] for r in accounts.requests]
    # Too few entries: someone went round the proxies; the peer is the caller.
    assert addresses == ["203.0.113.9", "127.0.0.1"]


async def test_a_repeated_document_is_prepared_once(
    client: httpx.AsyncClient,
) -> None:
    app = client._transport.app  # type: ignore[attr-defined]  # ASGITransport.app
    for _ in range(3):
        await client.post("/graphql", json={"query": "{ me { id } }"})
    pipeline = app.state.pipeline
    assert pipeline.documents.parsed == 1
    assert pipeline.plans_built == 1


async def test_comments_and_spacing_reuse_the_plan(client: httpx.AsyncClient) -> None:
    app = client._transport.app  # type: ignore[attr-defined]  # ASGITransport.app
    for query in ("{ me { id } }", "# hi\n{me{id}}", "{\n  me {\n id }  # x\n}"):
        response = await client.post("/graphql", json={"query": query})
        assert response.json() == {"data": {"me": {"id": "1"}}}
    pipeline = app.state.pipeline
    assert pipeline.documents.parsed == 3
    assert pipeline.plans_built == 1


async def test_inaccessible_fields_fail_validation() -> None:
    transport = MockTransport(answer)
    app = create_app(
        INACCESSIBLE, transports={"accounts": transport, "reviews": transport}
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gw"
    ) as client:
        response = await client.post(
            "/graphql", json={"query": "{ me { passwordHash } }"}
        )
    assert response.json()["errors"][0]["extensions"]["code"] == (
        "GRAPHQL_VALIDATION_FAILED"
    )
    assert transport.requests == []


async def test_a_gateway_bug_is_a_graphql_error_without_a_stack_trace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken_planner(*args: object, **kwargs: object) -> QueryPlan:
        raise RuntimeError("planner bug")

    app = build_app(
        load_supergraph(SINGLE),
        plan_operation=broken_planner,
        transports={"accounts": MockTransport(answer)},
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gw"
    ) as client:
        response = await client.post("/graphql", json={"query": "{ me { id } }"})
    assert response.status_code == 500
    assert response.json() == {
        "errors": [
            {
                "message": "Internal server error.",
                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
            }
        ]
    }
    assert "planner bug" in caplog.text
