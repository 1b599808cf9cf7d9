"""HTTP requests a browser, a proxy or a script could be tricked into sending:
mutations over GET and in simple (form-like) bodies, cross-site requests without a
preflight, other methods and media types, oversized and malformed bodies, batches,
subscriptions over plain POST, foreign CORS origins. The JSON path and the SSE path
answer alike, before any subgraph sees the request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
import pytest
import pytest_asyncio

from ._clients import (
    EVERY,
    PREFLIGHT,
    SOCKETS,
    Via,
    ask,
    get,
    post,
    query_params,
    refused,
    send_payload,
    sse,
    unauthenticated,
)
from .conftest import mint, open_gateway

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from ._clients import Answer
    from .conftest import Gateway, Graph, RequestLog

pytestmark = pytest.mark.asyncio(loop_scope="module")

SEND_MESSAGE = (
    "mutation Send($c: ID!) { sendMessage(input: {conversationId: $c, "
    'text: "forged"}) { id } }'
)
MUTATION = {
    "query": SEND_MESSAGE,
    "variables": {"c": "7d3c0a2e-0000-4000-8000-000000000601"},
}
ALLOWED_ORIGIN = "https://app.agora.example"
FOREIGN_ORIGIN = "https://evil.example"

# The two HTTP paths of /graphql: plain JSON answers and GraphQL over SSE.
PATHS: dict[str, Callable[..., Awaitable[Answer]]] = {"json": post, "sse": sse}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def small_body_gateway(graph: Graph) -> AsyncIterator[Gateway]:
    async with open_gateway(graph, {"max_body_bytes": 4096}) as opened:
        yield opened


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cors_gateway(graph: Graph) -> AsyncIterator[Gateway]:
    values = {"cors": {"allow_origins": [ALLOWED_ORIGIN], "allow_credentials": True}}
    async with open_gateway(graph, values) as opened:
        yield opened


async def get_on(
    path: str, gateway: Gateway, payload: dict[str, Any], **kw: Any
) -> Answer:
    params = query_params(payload)
    if path == "json":
        return await get(
            gateway,
            params,
            headers=kw.get("headers"),
            preflight=kw.get("preflight", True),
        )
    headers = {
        **(PREFLIGHT if kw.get("preflight", True) else {}),
        **(kw.get("headers") or {}),
    }
    return await sse(gateway, method="GET", params=params, headers=headers)


@pytest.mark.parametrize("path", ["json", "sse"])
async def test_a_mutation_over_get_is_refused(
    gateway: Gateway, log: RequestLog, path: str
) -> None:
    answer = await get_on(
        path, gateway, MUTATION, headers={"authorization": f"Bearer {mint()}"}
    )

    refused(answer, "METHOD_NOT_ALLOWED", status=405)
    assert answer.headers["allow"] == "POST"
    assert not log


@pytest.mark.parametrize("path", ["json", "sse"])
async def test_a_mutation_picked_by_operation_name_over_get_is_refused(
    gateway: Gateway, log: RequestLog, path: str
) -> None:
    payload = {
        "query": "query Harmless { __typename } " + SEND_MESSAGE,
        "operationName": "Send",
        "variables": MUTATION["variables"],
    }

    answer = await get_on(
        path, gateway, payload, headers={"authorization": f"Bearer {mint()}"}
    )

    refused(answer, "METHOD_NOT_ALLOWED", status=405)
    assert not log


@pytest.mark.parametrize("path", ["json", "sse"])
@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
    ],
)
@pytest.mark.parametrize("preflight", [False, True], ids=["bare", "with-preflight"])
async def test_a_mutation_in_a_simple_content_type_is_refused(
    gateway: Gateway,
    log: RequestLog,
    path: str,
    content_type: str,
    preflight: bool,
) -> None:
    # What a cross-site <form> or no-cors fetch can send: never executed, whether or
    # not it also carries a preflight header.
    headers = {"authorization": f"Bearer {mint()}", **(PREFLIGHT if preflight else {})}

    answer = await PATHS[path](
        gateway,
        content=orjson.dumps(MUTATION),
        content_type=content_type,
        headers=headers,
    )

    refused(answer, "BAD_REQUEST", status=415)
    assert not log


@pytest.mark.parametrize("path", ["json", "sse"])
@pytest.mark.parametrize(
    ("preflight", "code"),
    [(False, "CSRF_ERROR"), (True, "BAD_REQUEST")],
    ids=["bare", "with-preflight"],
)
async def test_a_multipart_post_needs_a_preflight_header_and_the_upload_spec(
    gateway: Gateway, log: RequestLog, path: str, preflight: bool, code: str
) -> None:
    # multipart/form-data carries file uploads (the GraphQL multipart request
    # spec), so it is read; a cross-site form cannot add the preflight header, and
    # a body that is not a multipart request of the spec's shape is refused.
    headers = {"authorization": f"Bearer {mint()}", **(PREFLIGHT if preflight else {})}

    answer = await PATHS[path](
        gateway,
        content=orjson.dumps(MUTATION),
        content_type="multipart/form-data; boundary=x",
        headers=headers,
    )

    refused(answer, code, status=400)
    assert not log


@pytest.mark.parametrize("path", ["json", "sse"])
async def test_a_post_without_a_content_type_is_refused(
    gateway: Gateway, log: RequestLog, path: str
) -> None:
    answer = await PATHS[path](
        gateway,
        content=orjson.dumps(MUTATION),
        content_type=None,
        headers={"authorization": f"Bearer {mint()}"},
    )

    refused(answer, "BAD_REQUEST", status=415)
    assert not log


@pytest.mark.parametrize("path", ["json", "sse"])
async def test_a_get_without_a_preflight_header_is_a_csrf_error(
    gateway: Gateway, log: RequestLog, path: str
) -> None:
    query = {"query": "{ me { email } }"}

    answer = await get_on(
        path,
        gateway,
        query,
        preflight=False,
        headers={"authorization": f"Bearer {mint()}"},
    )

    error = refused(answer, "CSRF_ERROR")
    assert "Cross-Site Request Forgery" in error["message"]
    assert not log


@pytest.mark.parametrize("path", ["json", "sse"])
async def test_a_get_with_an_empty_preflight_header_is_a_csrf_error(
    gateway: Gateway, log: RequestLog, path: str
) -> None:
    answer = await get_on(
        path,
        gateway,
        {"query": "{ __typename }"},
        preflight=False,
        headers={"apollo-require-preflight": "", "x-apollo-operation-name": ""},
    )

    refused(answer, "CSRF_ERROR")
    assert not log


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
@pytest.mark.parametrize("path", ["json", "sse"])
async def test_other_methods_are_refused(
    gateway: Gateway, log: RequestLog, path: str, method: str
) -> None:
    answer = await PATHS[path](
        gateway,
        content=orjson.dumps(MUTATION),
        method=method,
        headers={"authorization": f"Bearer {mint()}"},
    )

    refused(answer, "BAD_REQUEST", status=405)
    assert answer.headers["allow"] == "GET, POST"
    assert not log


@pytest.mark.parametrize("path", ["json", "sse"])
@pytest.mark.parametrize("length", ["declared", "chunked"])
async def test_an_oversized_body_is_refused_with_413(
    small_body_gateway: Gateway, log: RequestLog, path: str, length: str
) -> None:
    body = orjson.dumps({"query": "{ __typename }", "extensions": {"pad": "x" * 8192}})

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1024):
            yield body[start : start + 1024]

    content: Any = body if length == "declared" else chunks()
    answer = await PATHS[path](small_body_gateway, content=content)

    error = refused(answer, "PAYLOAD_TOO_LARGE", status=413)
    assert "4096 bytes" in error["message"]
    assert not log


@pytest.mark.parametrize("path", ["json", "sse"])
@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"\xff\xfe{}",
        b'{"query": "{ __typename }"',
    ],
    ids=["broken", "empty", "not-utf8", "truncated"],
)
async def test_a_body_that_is_not_json_is_refused(
    gateway: Gateway, log: RequestLog, path: str, body: bytes
) -> None:
    answer = await PATHS[path](gateway, content=body)

    error = refused(answer, "BAD_REQUEST")
    assert error["message"] == "The request body is not valid JSON."
    assert not log


REQUEST_SHAPES = [
    pytest.param("{ __typename }", "JSON object", id="string"),
    pytest.param(42, "JSON object", id="number"),
    pytest.param(None, "JSON object", id="null"),
    pytest.param({"query": 42}, "'query' must be a string", id="query-number"),
    pytest.param(
        {"query": {"kind": "Document"}}, "'query' must be a string", id="query-ast"
    ),
    pytest.param(
        {"query": ["{ __typename }"]}, "'query' must be a string", id="query-list"
    ),
    pytest.param(
        {"query": "{ __typename }", "variables": "[]"},
        "'variables'",
        id="variables-string",
    ),
    pytest.param(
        {"query": "{ __typename }", "variables": [1]},
        "'variables'",
        id="variables-list",
    ),
    pytest.param(
        {"query": "{ __typename }", "operationName": 1},
        "'operationName'",
        id="name-number",
    ),
    pytest.param(
        {"query": "{ __typename }", "extensions": []},
        "'extensions'",
        id="extensions-list",
    ),
    pytest.param({}, "no 'query'", id="no-query"),
    pytest.param({"query": ""}, "no 'query'", id="empty-query"),
]


@pytest.mark.parametrize("via", [Via.POST, Via.SSE, *SOCKETS])
@pytest.mark.parametrize(("payload", "says"), REQUEST_SHAPES)
async def test_a_request_of_the_wrong_shape_is_refused(
    gateway: Gateway, log: RequestLog, via: Via, payload: Any, says: str
) -> None:
    answer = await send_payload(gateway, via, payload)

    error = refused(answer, "BAD_REQUEST")
    assert says in error["message"]
    assert not log


@pytest.mark.parametrize("via", [Via.POST, Via.SSE, *SOCKETS])
async def test_a_batch_beyond_what_a_transport_takes_is_refused_whole(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    # A JSON array is a batch on the JSON path (10 at most by default); a stream
    # or a websocket message carries one operation.
    answer = await send_payload(gateway, via, [{"query": "{ __typename }"}] * 100)

    if via is Via.POST:
        error = refused(answer, "BATCH_LIMIT_EXCEEDED")
        assert error["extensions"]["limit"] == 10
        assert error["extensions"]["measured"] == 100
    else:
        error = refused(answer, "BAD_REQUEST")
        assert "JSON object" in error["message"] or "SSE" in error["message"]
    assert not log


@pytest.mark.parametrize("path", ["json", "sse"])
@pytest.mark.parametrize("parameter", ["variables", "extensions"])
async def test_get_parameters_that_are_not_json_are_refused(
    gateway: Gateway, log: RequestLog, path: str, parameter: str
) -> None:
    payload = {"query": "{ __typename }", parameter: "{not json"}

    answer = await get_on(path, gateway, payload)

    refused(answer, "BAD_REQUEST")
    assert not log


@pytest.mark.parametrize("via", [Via.POST, Via.GET])
async def test_a_subscription_over_plain_http_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    query = (
        "subscription { messageEvents("
        'conversationId: "7d3c0a2e-0000-4000-8000-000000000601") { kind } }'
    )

    answer = await ask(gateway, via, query, token=mint())

    error = refused(answer, "BAD_REQUEST")
    assert "text/event-stream" in error["message"]
    assert not log


async def test_an_unacceptable_accept_header_is_refused_with_406(
    gateway: Gateway, log: RequestLog
) -> None:
    answer = await post(
        gateway,
        content=orjson.dumps({"query": "{ __typename }"}),
        headers={"accept": "application/xml"},
    )

    assert answer.status == 406
    assert answer.codes == ["BAD_REQUEST"]
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_an_unknown_api_key_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    if via in SOCKETS:
        answer = await ask(
            gateway, via, "{ __typename }", init={"x-api-key": "guessed"}
        )
    else:
        answer = await ask(
            gateway, via, "{ __typename }", headers={"x-api-key": "guessed"}
        )

    unauthenticated(answer)
    if via not in SOCKETS:
        assert answer.errors[0]["message"] == "Unknown API key."
    assert not log


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_cors_preflight_from_a_foreign_origin_is_not_allowed(
    cors_gateway: Gateway, log: RequestLog, method: str
) -> None:
    def preflight(origin: str) -> Awaitable[Any]:
        return cors_gateway.http.options(
            cors_gateway.graphql,
            headers={
                "origin": origin,
                "access-control-request-method": method,
                "access-control-request-headers": "content-type, authorization",
            },
        )

    foreign = await preflight(FOREIGN_ORIGIN)
    allowed = await preflight(ALLOWED_ORIGIN)

    assert "access-control-allow-origin" not in foreign.headers
    assert foreign.status_code == 400
    # The configured origin is allowed: the refusal is about the origin.
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert not log


async def test_a_response_to_a_foreign_origin_carries_no_cors_grant(
    cors_gateway: Gateway, log: RequestLog
) -> None:
    # A simple cross-site request still reaches the server; without an
    # Access-Control-Allow-Origin the browser does not let the foreign page read it.
    response = await cors_gateway.http.post(
        cors_gateway.graphql,
        json={"query": "{ __typename }"},
        headers={"origin": FOREIGN_ORIGIN},
    )

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    assert not log


async def test_a_gateway_without_cors_origins_grants_none(
    gateway: Gateway, log: RequestLog
) -> None:
    response = await gateway.http.options(
        gateway.graphql,
        headers={"origin": FOREIGN_ORIGIN, "access-control-request-method": "POST"},
    )

    assert "access-control-allow-origin" not in response.headers
    assert not log
