"""GraphQL over Server-Sent Events, distinct connections mode (graphql-sse).

One HTTP request per operation: POST /graphql (or GET with query parameters) with
`Accept: text/event-stream`. The response streams `event: next` messages with a
GraphQL response as data, then one `event: complete`. The Authorization header is
checked once, before the stream opens (401 with a GraphQL error when refused).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import orjson
from starlette.responses import Response, StreamingResponse

from .._body import read_body
from ..errors import PolicyRefused
from .errors import ClientFellBehind
from .outbox import Outbox
from .server import OperationHandle, error_payload

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request

    from ..errors import AgoraError
    from ..types import JSONObject
    from .server import SubscriptionServer

__all__ = ["accepts_event_stream", "serve_event_stream"]

_COMPLETE = "event: complete\ndata:\n\n"


def accepts_event_stream(request: Request) -> bool:
    """Whether the client asks for GraphQL over SSE."""
    return "text/event-stream" in request.headers.get("accept", "")


class _StreamSink:
    __slots__ = ("error", "outbox")

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.error: AgoraError | None = None

    def next(self, payload: str) -> None:
        self.outbox.put(f"event: next\ndata: {payload}\n\n")

    def complete(self, error: AgoraError | None) -> None:
        if error is not None:
            self.next(error_payload(error))
        self.outbox.put(_COMPLETE)
        self.outbox.close()

    def shut_down(self, error: AgoraError) -> None:
        self.complete(error)


async def serve_event_stream(server: SubscriptionServer, request: Request) -> Response:
    """Answer one GraphQL-over-SSE request."""
    try:
        identity = server.authenticate(request.headers.get("authorization"))
    except PolicyRefused as refused:
        return _json_errors(
            [{"message": refused.message, "extensions": {"code": refused.code}}], 401
        )
    params = await _params(request, server.settings.max_body_bytes)
    if isinstance(params, Response):
        return params
    outbox: Outbox

    def fell_behind() -> None:
        sink.error = ClientFellBehind(outbox.limit)
        outbox.close()

    outbox = Outbox(server.settings.outbox_limit, fell_behind)
    sink = _StreamSink(outbox)
    started = server.start(params, identity, sink)
    if not isinstance(started, OperationHandle):
        return _json_errors(started, 400)
    server.connections.add(sink.shut_down)
    return StreamingResponse(
        _stream(server, outbox, sink, started),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


async def _stream(
    server: SubscriptionServer,
    outbox: Outbox,
    sink: _StreamSink,
    handle: OperationHandle,
) -> AsyncIterator[str]:
    interval = server.settings.keepalive_interval
    try:
        yield ":\n\n"  # opens the stream at once, before the first event
        while True:
            try:
                async with asyncio.timeout(interval if interval > 0 else None):
                    message = await outbox.get()
            except TimeoutError:
                yield ":\n\n"
                continue
            if message is None:
                break
            yield message
        if sink.error is not None:  # a client that fell behind is told, then cut
            yield f"event: next\ndata: {error_payload(sink.error)}\n\n"
            yield _COMPLETE
    finally:
        server.connections.discard(sink.shut_down)
        with contextlib.suppress(Exception):
            handle.cancel()


async def _params(request: Request, limit: int) -> JSONObject | Response:
    if request.method == "GET":
        query = request.query_params
        params: JSONObject = {
            "query": query.get("query"),
            "operationName": query.get("operationName") or None,
        }
        raw = query.get("variables")
        if raw:
            try:
                params["variables"] = orjson.loads(raw)
            except orjson.JSONDecodeError:
                return _json_errors(_bad("'variables' is not valid JSON"), 400)
        return params
    if request.method != "POST":
        return _json_errors(_bad("Use GET or POST."), 405)
    raw_body = await read_body(request, limit)
    if raw_body is None:
        message = f"The request body exceeds {limit} bytes."
        return _json_errors(
            [{"message": message, "extensions": {"code": "PAYLOAD_TOO_LARGE"}}], 413
        )
    try:
        body = orjson.loads(raw_body)
    except orjson.JSONDecodeError:
        return _json_errors(_bad("The request body is not valid JSON."), 400)
    if not isinstance(body, dict):
        return _json_errors(_bad("The request body must be a JSON object."), 400)
    return body


def _bad(message: str) -> list[JSONObject]:
    return [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]


def _json_errors(errors: list[JSONObject], status: int) -> Response:
    return Response(
        orjson.dumps({"errors": errors}),
        status_code=status,
        media_type="application/json; charset=utf-8",
    )
