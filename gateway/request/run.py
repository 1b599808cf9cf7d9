"""Run a prepared query or mutation to its GraphQL response, within its deadline.

The deadline and the client's idempotency key reach every subgraph fetch of the
run through `gateway.transport.scope` (the fetches send them as
`x-agora-deadline-ms` and, for root mutation fields, `Idempotency-Key`).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from graphql import OperationType

from ..execution import execute_plan
from ..planner import (
    ConditionNode,
    DeferNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    SequenceNode,
)
from ..policy import add_authorization_errors
from ..transport.scope import (
    RequestScope,
    current_scope,
    idempotency_key_problem,
    root_response_keys,
)
from .refusal import BAD_REQUEST, Refusal

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..planner import PlanNode
    from ..transport import SubgraphTransport
    from ..types import JSONObject
    from .pipeline import PreparedRequest

__all__ = [
    "GATEWAY_TIMEOUT",
    "OUTCOME_UNKNOWN",
    "idempotency_key_refusal",
    "run_request",
]

GATEWAY_TIMEOUT = "GATEWAY_TIMEOUT"
OUTCOME_UNKNOWN = "OUTCOME_UNKNOWN"


async def run_request(
    prepared: PreparedRequest,
    transports: Mapping[str, SubgraphTransport],
    *,
    secret: str,
    deadline: float,
    idempotency_key: object = None,
    batch_position: int | None = None,
) -> JSONObject | Refusal:
    """The response of `prepared` (with an error for each unauthorized field it
    left out), or a GATEWAY_TIMEOUT Refusal (504) when the deadline
    (`time.monotonic()` seconds) passes first (OUTCOME_UNKNOWN for a mutation).

    `idempotency_key` (the client's `Idempotency-Key` header, or a websocket
    operation's `extensions.idempotencyKey`) goes to the subgraphs of the root
    mutation fields, derived per fetch when there are several or the
    operation is item `batch_position` of a batch (gateway.transport.scope); a key
    that cannot be one is refused (BAD_REQUEST) before any subgraph is called."""
    key: str | None = None
    if idempotency_key is not None and idempotency_key != "":
        if not isinstance(idempotency_key, str):
            return Refusal.of("The idempotency key must be a string.", BAD_REQUEST)
        refusal = idempotency_key_refusal(idempotency_key)
        if refusal is not None:
            return refusal
        if prepared.kind is OperationType.MUTATION:
            key = idempotency_key  # never sent with a query
    scope = RequestScope(
        deadline=deadline,
        idempotency_key=key,
        derive_keys=key is not None
        and (batch_position is not None or _root_mutation_fields(prepared) > 1),
        batch_position="" if batch_position is None else str(batch_position),
    )
    caller = prepared.caller
    token = current_scope.set(scope)
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
        return _timed_out(prepared, keyed=key is not None)
    finally:
        current_scope.reset(token)
    if prepared.authorization is not None:
        body = add_authorization_errors(body, prepared.authorization)
    if prepared.explain or prepared.extensions:
        extensions: JSONObject = dict(prepared.extensions)
        if prepared.explain:
            extensions["queryPlan"] = str(prepared.plan)
        body["extensions"] = extensions
    return body


def idempotency_key_refusal(key: str) -> Refusal | None:
    """The BAD_REQUEST refusal of an `Idempotency-Key` that cannot be one."""
    problem = idempotency_key_problem(key)
    if problem is None:
        return None
    return Refusal.of(f"Invalid idempotency key: {problem}.", BAD_REQUEST)


def _root_mutation_fields(prepared: PreparedRequest) -> int:
    """How many root mutation fields the plan's mutation fetches carry."""
    if prepared.plan.node is None:
        return 0
    return sum(
        len(root_response_keys(node.operation))
        for node in _fetches(prepared.plan.node)
        if node.operation_kind is OperationType.MUTATION
    )


def _fetches(node: PlanNode) -> list[FetchNode]:
    if isinstance(node, FetchNode):
        return [node]
    if isinstance(node, FlattenNode):
        return _fetches(node.node)
    if isinstance(node, SequenceNode | ParallelNode):
        return [fetch for child in node.nodes for fetch in _fetches(child)]
    if isinstance(node, ConditionNode):
        branches = (node.if_clause, node.else_clause)
        return [
            f for branch in branches if branch is not None for f in _fetches(branch)
        ]
    if isinstance(node, DeferNode):
        nodes = [node.primary, *(deferred.node for deferred in node.deferred)]
        return [f for child in nodes if child is not None for f in _fetches(child)]
    return []


def _timed_out(prepared: PreparedRequest, *, keyed: bool) -> Refusal:
    message = "The request did not complete before its deadline."
    if prepared.kind is OperationType.MUTATION:
        # The subgraph may have applied it: never tell a client a write failed.
        message += " The mutation may or may not have been applied."
        return Refusal.of(
            message, OUTCOME_UNKNOWN, 504, data_null=True, retryable=keyed
        )
    return Refusal.of(message, GATEWAY_TIMEOUT, 504, data_null=True)
