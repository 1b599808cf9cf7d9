"""The ASGI, HTTP and mock transports carry a GraphQL request and its answer."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from gateway.errors import SubgraphBadResponse, SubgraphTimeout, SubgraphUnavailable
from gateway.transport import (
    AsgiTransport,
    HttpTransport,
    MockTransport,
    SubgraphRequest,
    SubgraphResponse,
)

if TYPE_CHECKING:
    from starlette.requests import Request


async def echo(request: Request) -> JSONResponse:
    body = json.loads(await request.body())
    return JSONResponse(
        {
            "data": {
                "body": body,
                "authorization": request.headers.get("authorization"),
            }
        }
    )


async def garbage(request: Request) -> PlainTextResponse:
    return PlainTextResponse("<html>oops</html>")


async def crash(request: Request) -> JSONResponse:
    raise RuntimeError("bug in subgraph")


async def slow(request: Request) -> JSONResponse:
    await asyncio.Event().wait()
    return JSONResponse({})  # pragma: no cover


APP = Starlette(
    routes=[
        Route("/graphql", echo, methods=["POST"]),
        Route("/garbage", garbage, methods=["POST"]),
        Route("/crash", crash, methods=["POST"]),
        Route("/slow", slow, methods=["POST"]),
    ]
)

REQUEST = SubgraphRequest(
    "accounts",
    "query Q($id: ID) { user(id: $id) { id } }",
    {"id": "1"},
    "Q",
    {"authorization": "Bearer t"},
)


async def test_asgi_transport_posts_the_graphql_body_with_headers() -> None:
    response = await AsgiTransport("accounts", APP).fetch(REQUEST)
    assert response == SubgraphResponse(
        {
            "body": {
                "query": REQUEST.query,
                "variables": {"id": "1"},
                "operationName": "Q",
            },
            "authorization": "Bearer t",
        }
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/garbage", SubgraphBadResponse), ("/crash", SubgraphUnavailable)],
)
async def test_asgi_transport_turns_broken_apps_into_subgraph_errors(
    path: str, expected: type[Exception]
) -> None:
    with pytest.raises(expected):
        await AsgiTransport("accounts", APP, path=path).fetch(REQUEST)


async def test_asgi_transport_times_out() -> None:
    transport = AsgiTransport("accounts", APP, path="/slow", timeout=0.05)
    with pytest.raises(SubgraphTimeout):
        await transport.fetch(REQUEST)


async def test_asgi_transport_runs_the_apps_lifespan_only_when_asked() -> None:
    events: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "lifespan"
        while True:
            message = await receive()
            kind = message["type"].split(".")[1]
            events.append(kind)
            await send({"type": f"lifespan.{kind}.complete"})
            if kind == "shutdown":
                return

    untouched = AsgiTransport("accounts", app)
    await untouched.start()
    await untouched.aclose()
    assert events == []
    transport = AsgiTransport("accounts", app, lifespan=True)
    await transport.start()
    await transport.aclose()
    assert events == ["startup", "shutdown"]


async def test_http_transport_to_a_closed_port_is_unavailable() -> None:
    transport = HttpTransport("accounts", "http://127.0.0.1:9/graphql", timeout=2.0)
    try:
        with pytest.raises(SubgraphUnavailable):
            await transport.fetch(REQUEST)
    finally:
        await transport.aclose()


async def test_mock_transport_records_requests_and_accepts_dicts() -> None:
    transport = MockTransport(lambda request: {"data": {"ok": True}})
    response = await transport.fetch(REQUEST)
    assert response == SubgraphResponse({"ok": True})
    assert transport.requests == [REQUEST]
