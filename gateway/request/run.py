"""Run a prepared query or mutation to its GraphQL response, within its deadline."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from ..execution import execute_plan
from ..policy import add_authorization_errors
from .refusal import Refusal

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..transport import SubgraphTransport
    from ..types import JSONObject
    from .pipeline import PreparedRequest

__all__ = ["GATEWAY_TIMEOUT", "run_request"]

GATEWAY_TIMEOUT = "GATEWAY_TIMEOUT"


async def run_request(
    prepared: PreparedRequest,
    transports: Mapping[str, SubgraphTransport],
    *,
    secret: str,
    deadline: float,
) -> JSONObject | Refusal:
    """The response of `prepared` (with an error for each unauthorized field it
    left out), or a GATEWAY_TIMEOUT Refusal (504) when the deadline
    (`time.monotonic()` seconds) passes first."""
    caller = prepared.caller
    try:
        async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
            body = await execute_plan(
                prepared.plan,
                prepared.projection,
                prepared.variables,
                transports,
                headers=caller.forwarded,
                sign=caller.signer(secret),
            )
    except TimeoutError:
        return _timed_out(prepared, deadline)
    if prepared.authorization is not None:
        body = add_authorization_errors(body, prepared.authorization)
    if prepared.explain or prepared.extensions:
        extensions: JSONObject = dict(prepared.extensions)
        if prepared.explain:
            extensions["queryPlan"] = str(prepared.plan)
        body["extensions"] = extensions
    return body


def _timed_out(prepared: PreparedRequest, deadline: float) -> Refusal:
    message = "The request did not complete before its deadline."
    if prepared.kind == "mutation":
        # The subgraph may have applied it: never tell a client a write failed.
        message += " The mutation may or may not have been applied."
    return Refusal.of(message, GATEWAY_TIMEOUT, 504, data_null=True)
