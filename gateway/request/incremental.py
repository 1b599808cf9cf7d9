"""Run a prepared request with deferred fragments (@defer) payload by payload:
`run_request` for GraphQL incremental delivery.

The first payload carries what `run_request` adds to a response (the errors of
removed unauthorized fields, the explain extensions); the request's deadline ends
the stream with GATEWAY_TIMEOUT, in the payload it interrupts. The transports send
the payloads: multipart/mixed over HTTP (gateway.server.incremental), one `next`
message each over graphql-transport-ws and SSE (the subscription server).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from graphql import OperationType

from ..execution import execute_incrementally, has_deferred
from ..policy import add_authorization_errors
from .run import GATEWAY_TIMEOUT

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Mapping

    from ..transport import SubgraphTransport
    from ..types import JSONObject
    from .pipeline import PreparedRequest

__all__ = ["IncrementalAnswer", "answer_incrementally", "run_incrementally"]


class IncrementalAnswer:
    """The payloads of one request with deferred fragments, as they come."""

    __slots__ = ("payloads",)

    def __init__(self, payloads: AsyncGenerator[JSONObject, None]) -> None:
        self.payloads = payloads


def answer_incrementally(
    prepared: PreparedRequest,
    transports: Mapping[str, SubgraphTransport],
    *,
    secret: str,
    deadline: float,
) -> IncrementalAnswer | None:
    """The incremental answer of `prepared`, or None when its plan defers nothing
    (it is answered as any other request)."""
    if not has_deferred(prepared.plan):
        return None
    return IncrementalAnswer(
        run_incrementally(prepared, transports, secret=secret, deadline=deadline)
    )


async def run_incrementally(
    prepared: PreparedRequest,
    transports: Mapping[str, SubgraphTransport],
    *,
    secret: str,
    deadline: float,
) -> AsyncGenerator[JSONObject, None]:
    """`run_request`, payload by payload (module docstring)."""
    caller = prepared.caller
    payloads = execute_incrementally(
        prepared.plan,
        prepared.projection,
        prepared.variables,
        transports,
        headers=caller.forwarded,
        sign=caller.signer(secret),
    )
    first = True
    try:
        while True:
            try:
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    payload = await anext(payloads)
            except StopAsyncIteration:
                return
            except TimeoutError:
                yield _timed_out(prepared, first)
                return
            if first:
                payload = _first(prepared, payload)
                first = False
            yield payload
    finally:
        with contextlib.suppress(Exception):
            await payloads.aclose()


def _first(prepared: PreparedRequest, payload: JSONObject) -> JSONObject:
    """What run_request adds to a response, added to the first payload."""
    if prepared.authorization is not None:
        payload = add_authorization_errors(payload, prepared.authorization)
    if prepared.explain or prepared.extensions:
        extensions: JSONObject = dict(prepared.extensions)
        if prepared.explain:
            extensions["queryPlan"] = str(prepared.plan)
        payload["extensions"] = extensions
    return payload


def _timed_out(prepared: PreparedRequest, first: bool) -> JSONObject:
    message = "The request did not complete before its deadline."
    if prepared.kind is OperationType.MUTATION:
        # The subgraph may have applied it: never tell a client a write failed.
        message += " The mutation may or may not have been applied."
    error: JSONObject = {"message": message, "extensions": {"code": GATEWAY_TIMEOUT}}
    if first:
        return {"errors": [error], "data": None, "hasNext": False}
    return {"hasNext": False, "incremental": [{"errors": [error], "path": []}]}
