"""GraphQL over Server-Sent Events, distinct connections mode (graphql-sse).

One HTTP request per operation: POST /graphql (or GET with query parameters) with
`Accept: text/event-stream`. The response streams `event: next` messages with a
GraphQL response as data, then one `event: complete`. The request is read, identified
and checked by the same pipeline as any other (no mutation over GET, CSRF, limits,
authorization), and refused as JSON before the stream opens; the stream ends with
UNAUTHENTICATED when the caller's token expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

import orjson
from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse

from ..policy import TokenExpired
from ..request import Refusal, Via, read_http_request
from .errors import ClientFellBehind
from .operations import error_payload
from .outbox import Outbox

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request

    from ..errors import AgoraError
    from ..policy import Identity
    from ..types import JSONObject
    from .operations import OperationHandle, SubscriptionServer

__all__ = ["accepts_event_stream", "serve_event_stream"]

_COMPLETE = "event: complete\ndata:\n\n"


def accepts_event_stream(request: Request) -> bool:
    """Whether the client asks for GraphQL over SSE."""
    return "text/event-stream" in request.headers.get("accept", "")


class _StreamSink:
    __slots__ = ("error", "outbox")

    def __init__(self, outbox: Outbox[str]) -> None:
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
    """Answer one GraphQL-over-SSE request (refusals as JSON, before the stream)."""
    config = server.config
    try:
        read = await read_http_request(
            request,
            max_body_bytes=config.max_body_bytes,
            csrf=config.csrf,
            max_upload_bytes=config.max_upload_bytes,
        )
    except ClientDisconnect:
        return Response(status_code=499)  # gone mid-body: nobody reads this
    except Refusal as refusal:
        return _refused(refusal)
    caller = await server.identify(
        request.headers, request.client.host if request.client else None
    )
    if isinstance(caller, Refusal):
        return _refused(caller)
    if read.data is None:
        return _refused(Refusal.of("Batches are not served over SSE."))
    prepared = await server.pipeline.accept(
        read.data, caller, via=Via.SSE, method=read.method
    )
    if isinstance(prepared, Refusal):
        return _refused(prepared)
    outbox: Outbox[str]

    def fell_behind() -> None:
        sink.error = ClientFellBehind(outbox.limit)
        outbox.close()

    settings = server.settings
    outbox = Outbox(settings.outbox_limit, fell_behind, settings.outbox_bytes)
    sink = _StreamSink(outbox)
    handle = server.start(prepared, sink, request.headers.get("idempotency-key"))
    expiry = _end_at_expiry(prepared.caller.identity, sink)
    server.connections.add(sink.shut_down)
    return StreamingResponse(
        _stream(server, outbox, sink, handle, expiry),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


def _end_at_expiry(
    identity: Identity | None, sink: _StreamSink
) -> asyncio.TimerHandle | None:
    """End the stream with UNAUTHENTICATED when the caller's token expires (an SSE
    client cannot refresh it: it reconnects with a new one)."""
    if identity is None:
        return None
    loop = asyncio.get_running_loop()
    delay = max(0.0, identity.expires_at - time.time())
    return loop.call_later(delay, sink.complete, TokenExpired())


async def _stream(
    server: SubscriptionServer,
    outbox: Outbox[str],
    sink: _StreamSink,
    handle: OperationHandle,
    expiry: asyncio.TimerHandle | None,
) -> AsyncIterator[str]:
    interval = server.settings.keepalive
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
        if expiry is not None:
            expiry.cancel()
        server.connections.discard(sink.shut_down)
        with contextlib.suppress(Exception):
            handle.cancel()


def _refused(refusal: Refusal) -> Response:
    """Not a stream: a plain GraphQL response whose status says why."""
    status = refusal.status_for(graphql_response_json=True)
    return _json(refusal.body(), 400 if status == 200 else status, refusal.headers)


def _json(body: JSONObject, status: int, headers: dict[str, str]) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json; charset=utf-8",
        headers=headers,
    )
