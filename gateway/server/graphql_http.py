"""The /graphql endpoint: GraphQL over HTTP in front of the request pipeline.

GraphQL-over-HTTP (2024 draft): POST with `application/json` bodies and GET with
query parameters (queries only). The response is `application/graphql-response+json`
when the client accepts it, with 4xx statuses for request errors, and
`application/json` (200 for a well-formed request) otherwise. Every failure is a
GraphQL error with `extensions.code`; a request is refused before any subgraph sees
it, and a whole request (planning and every fetch) ends at its deadline.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import orjson
from starlette.requests import ClientDisconnect
from starlette.responses import HTMLResponse, Response

from ..request import (
    Inflight,
    Refusal,
    Via,
    identify,
    read_http_request,
    run_request,
    sharing_key,
)
from ..request.incremental import IncrementalAnswer, answer_incrementally
from ..request.inflight import SharedAnswer
from ..telemetry import (
    REQUEST_ID_HEADER,
    Telemetry,
    current_request_id,
    log_request,
    request_id_of,
)
from ..transport.scope import IDEMPOTENCY_KEY_HEADER
from .graphiql import GRAPHIQL_HEADERS, GRAPHIQL_HTML
from .incremental import accepts_multipart, multipart_response

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.requests import Request
    from starlette.types import Receive, Scope, Send

    from ..config import GatewayConfig
    from ..policy import TokenVerifier
    from ..request import Caller, Clients, GraphQLRequestData, RequestPipeline
    from ..transport import SubgraphTransport
    from ..types import JSONObject

__all__ = ["GraphQLEndpoint", "JsonAnswer", "respond"]

logger = logging.getLogger("agora.gateway")

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"
BATCHING = "BATCHING_NOT_ENABLED"
BATCH_LIMIT_EXCEEDED = "BATCH_LIMIT_EXCEEDED"


class GraphQLEndpoint:
    """Serves GET and POST /graphql (JSON answers) for one pipeline."""

    def __init__(
        self,
        pipeline: RequestPipeline,
        transports: Mapping[str, SubgraphTransport],
        config: GatewayConfig,
        verifier: TokenVerifier,
        clients: Clients,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.transports = transports
        self.config = config
        self.verifier = verifier
        self.clients = clients
        self.telemetry = telemetry or Telemetry()
        self.graphiql = config.switch("graphiql")
        metrics = self.telemetry.metrics
        self.inflight: Inflight[SharedAnswer | Refusal] = Inflight(
            metrics.dedup_hits.labels("inbound").inc if metrics else None
        )

    async def handle(self, request: Request) -> Response:
        """Answer one request to /graphql, with its request id (the client's
        `x-request-id`, or a new one) in the response and every subgraph request."""
        headers = header_map(request)
        request_id = request_id_of(headers.get(REQUEST_ID_HEADER))
        token = current_request_id.set(request_id)
        try:
            with self.telemetry.tracing.request_span(
                headers, **{"http.request.method": request.method}
            ):
                response = await self._respond(request, headers)
        finally:
            current_request_id.reset(token)
        if isinstance(response, JsonAnswer):
            response.raw_headers.append((_REQUEST_ID, request_id.encode("latin-1")))
        else:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response

    async def _respond(self, request: Request, headers: dict[str, str]) -> Response:
        accept = headers.get("accept", "")
        media_type = negotiate(accept)
        if (
            request.method == "GET"
            and self.graphiql
            and "text/html" in accept
            and "query" not in request.query_params
        ):
            return HTMLResponse(GRAPHIQL_HTML, headers=GRAPHIQL_HEADERS)
        try:
            if media_type is None:
                raise Refusal.of(f"Cannot answer with any of: {accept}", status=406)
            return await self._handle(request, headers, media_type)
        except Refusal as refusal:
            return refused(refusal, media_type or APPLICATION_JSON)
        except ClientDisconnect:
            # Gone mid-body (or cut off by the body timeout): nobody reads this.
            return Response(status_code=499)
        except Exception:
            # A gateway bug: logged with its traceback, answered without one.
            logger.exception("request to /graphql failed")
            body = {
                "errors": [
                    {
                        "message": "Internal server error.",
                        "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                    }
                ]
            }
            return respond(body, 500, media_type or APPLICATION_JSON)

    async def _handle(
        self, request: Request, headers: dict[str, str], media_type: str
    ) -> Response:
        config = self.config
        deadline = time.monotonic() + config.server.request_timeout
        read = await read_http_request(
            request,
            max_body_bytes=config.max_body_bytes,
            csrf=config.csrf,
            max_upload_bytes=config.max_upload_bytes,
        )
        caller = await identify(
            config,
            self.verifier,
            self.clients,
            headers,
            request.client.host if request.client else None,
        )
        # Refusals the pipeline returns may be cached and shared: answered, never
        # raised (raising one object again and again would grow its traceback).
        if isinstance(caller, Refusal):
            return refused(caller, media_type)
        explain = headers.get("x-agora-explain", "").lower() in ("1", "true")
        key = headers.get(IDEMPOTENCY_KEY_HEADER)
        if read.batch is not None:
            return await self._batch(read.batch, caller, explain, deadline, key)
        assert read.data is not None, "a request is one operation or a batch"
        incremental = accepts_multipart(headers.get("accept", ""))
        answer = await self._one(
            read.data, caller, read.method, explain, deadline, incremental, key
        )
        if isinstance(answer, IncrementalAnswer):
            return multipart_response(answer)
        if isinstance(answer, Refusal):
            return refused(answer, media_type)
        if isinstance(answer, SharedAnswer):
            return JsonAnswer(answer.body(), 200, media_type)
        return respond(answer, 200, media_type)

    async def _one(
        self,
        data: GraphQLRequestData,
        caller: Caller,
        method: str,
        explain: bool,
        deadline: float,
        incremental: bool = False,
        idempotency_key: str | None = None,
        batch_position: int | None = None,
    ) -> JSONObject | SharedAnswer | Refusal | IncrementalAnswer:
        """One operation through the pipeline and run, timed, counted and logged;
        identical queries in flight share one run (`dedup.inbound`) and its
        serialised answer (a SharedAnswer). With `incremental`, deferred fragments
        are answered as they come (@defer)."""
        started = time.perf_counter()
        prepared = await self.pipeline.accept(
            data,
            caller,
            via=Via.HTTP,
            method=method,
            explain_header=explain,
            deadline=deadline,
        )
        name = data.operation_name
        answer: JSONObject | SharedAnswer | Refusal
        if isinstance(prepared, Refusal):
            answer = prepared
        else:
            name = prepared.name or name
            key = sharing_key(prepared) if self.config.dedup.inbound else None
            secret = self.config.secret
            if incremental and (
                streamed := answer_incrementally(
                    prepared, self.transports, secret=secret, deadline=deadline
                )
            ):
                self._observe(name, caller, {}, time.perf_counter() - started)
                return streamed

            async def run() -> JSONObject | Refusal:
                return await run_request(
                    prepared,
                    self.transports,
                    secret=secret,
                    deadline=deadline,
                    idempotency_key=idempotency_key,
                    batch_position=batch_position,
                )

            async def shared() -> SharedAnswer | Refusal:
                answer = await run()
                return answer if isinstance(answer, Refusal) else SharedAnswer(answer)

            if key is None:
                answer = await run()
            else:
                answer = await self.inflight.run(key, shared)
        self._observe(
            name,
            caller,
            answer.answer if isinstance(answer, SharedAnswer) else answer,
            time.perf_counter() - started,
        )
        return answer

    def _observe(
        self,
        operation: str | None,
        caller: Caller,
        answer: JSONObject | Refusal,
        seconds: float,
    ) -> None:
        if isinstance(answer, Refusal):
            outcome = answer.code
        else:
            outcome = "errors" if answer.get("errors") else "ok"
        client = caller.client.name or "default"
        metrics = self.telemetry.metrics
        if metrics is not None:
            metrics.observe_request(operation, client, outcome, seconds)
        log_request(
            request_id=current_request_id.get(),
            operation=operation or "(anonymous)",
            client=client,
            user=caller.identity.user_id if caller.identity else "",
            outcome=outcome,
            duration_ms=round(seconds * 1000, 2),
        )

    async def _batch(
        self,
        batch: tuple[GraphQLRequestData | Refusal, ...],
        caller: Caller,
        explain: bool,
        deadline: float,
        idempotency_key: str | None = None,
    ) -> Response:
        """A JSON array of operations (Apollo's batching): each goes through the
        whole pipeline and runs concurrently; the answer is the array of their
        responses, in order (a refused item answers its own errors)."""
        batching = self.config.batching
        limit = caller.client.max_batch
        if not batching.enabled:
            refusal = Refusal.of("Batched requests are not accepted.", BATCHING)
            return refused(refusal, APPLICATION_JSON)
        if len(batch) > limit:
            refusal = Refusal.of(
                f"A batch may hold at most {limit} operations.",
                BATCH_LIMIT_EXCEEDED,
                limit=limit,
                measured=len(batch),
            )
            return refused(refusal, APPLICATION_JSON)

        async def answer(index: int, item: GraphQLRequestData | Refusal) -> JSONObject:
            if isinstance(item, Refusal):
                return item.body()
            result = await self._one(
                item, caller, "POST", explain, deadline, False, idempotency_key, index
            )
            assert not isinstance(result, IncrementalAnswer), "not asked for"
            if isinstance(result, SharedAnswer):
                return result.answer
            return result.body() if isinstance(result, Refusal) else result

        bodies = await asyncio.gather(
            *(answer(index, item) for index, item in enumerate(batch))
        )
        return Response(
            orjson.dumps(bodies),
            media_type=f"{APPLICATION_JSON}; charset=utf-8",
        )


def header_map(request: Request) -> dict[str, str]:
    """The request's headers by lower-case name, the first of a repeated one (as
    Starlette's `Headers.get` reads them): one dict for the many lookups of a
    request instead of a scan of the header list per lookup."""
    return {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in reversed(request.scope["headers"])
    }


def negotiate(accept: str) -> str | None:
    """The response media type for an Accept header, None if none is acceptable."""
    if not accept.strip():
        return APPLICATION_JSON
    types = [part.split(";", 1)[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE_JSON in types:
        return GRAPHQL_RESPONSE_JSON
    if APPLICATION_JSON in types or "*/*" in types or "application/*" in types:
        return APPLICATION_JSON
    if "text/html" in types:
        return APPLICATION_JSON
    return None


def refused(refusal: Refusal, media_type: str) -> Response:
    """The HTTP response of a refused request."""
    status = refusal.status_for(media_type == GRAPHQL_RESPONSE_JSON)
    return respond(refusal.body(), status, media_type, refusal.headers)


def respond(
    body: JSONObject,
    status: int,
    media_type: str,
    headers: Mapping[str, str] | None = None,
) -> JsonAnswer:
    return JsonAnswer(orjson.dumps(body), status, media_type, headers)


_REQUEST_ID = REQUEST_ID_HEADER.encode("latin-1")
# The content-type header of each answer media type.
_CONTENT_TYPES = {
    media: (b"content-type", f"{media}; charset=utf-8".encode("latin-1"))
    for media in (GRAPHQL_RESPONSE_JSON, APPLICATION_JSON)
}


class JsonAnswer(Response):
    """A serialised JSON answer, sent as one `http.response.start` (its headers
    made here, without Starlette's header handling) and one body."""

    def __init__(
        self,
        body: bytes,
        status: int,
        media_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.body = body
        self.status_code = status
        self.media_type = media_type
        self.background = None
        content_type = _CONTENT_TYPES.get(media_type) or (
            b"content-type",
            f"{media_type}; charset=utf-8".encode("latin-1"),
        )
        raw = [(b"content-length", b"%d" % len(body)), content_type]
        if headers:
            raw.extend(
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in headers.items()
            )
        self.raw_headers = raw

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": self.raw_headers,
            }
        )
        await send({"type": "http.response.body", "body": self.body})
