"""The subscription side of /graphql: authenticate once, start operations, shut down.

The protocol modules (graphql_transport_ws, subscriptions_transport_ws, sse) speak
to clients; this module turns one client operation into a stream of encoded
responses handed to a Subscriber: a subscription joins the SubscriptionHub, a query
or mutation sent over a subscription protocol runs once and completes.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import orjson
from graphql import GraphQLError
from graphql.execution.values import get_variable_values

from ..execution import execute_plan
from ..policy import bearer_token, verify_token
from ..policy.errors import TokenInvalid
from .errors import GatewayShuttingDown
from .hub import SubscriptionHub
from .settings import SubscriptionSettings

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ..errors import AgoraError
    from ..policy import Identity
    from ..server.operations import OperationCache
    from ..supergraph import Supergraph
    from ..transport import SubgraphTransport
    from ..transport.websocket import SubscriptionTransport
    from ..types import JSONObject
    from .hub import Subscriber

__all__ = ["OperationHandle", "SubscriptionServer", "error_payload"]

BAD_REQUEST = "BAD_REQUEST"
BAD_USER_INPUT = "BAD_USER_INPUT"


class OperationHandle:
    """A started operation; `cancel()` stops it (client `complete` / disconnect)."""

    __slots__ = ("_cancel",)

    def __init__(self, cancel: Callable[[], None]) -> None:
        self._cancel = cancel

    def cancel(self) -> None:
        self._cancel()


class SubscriptionServer:
    """Shared by every subscription connection of one gateway app."""

    def __init__(
        self,
        supergraph: Supergraph,
        operations: OperationCache,
        fetch_transports: Mapping[str, SubgraphTransport],
        subscription_transports: Mapping[str, SubscriptionTransport],
        settings: SubscriptionSettings | None = None,
    ) -> None:
        self.supergraph = supergraph
        self.operations = operations
        self.fetch_transports = fetch_transports
        self.settings = settings or SubscriptionSettings.from_env()
        self.hub = SubscriptionHub(
            subscription_transports,
            fetch_transports,
            burst_limit=self.settings.burst_limit,
        )
        # Callbacks that tell each open connection the gateway is going away.
        self.connections: set[Callable[[AgoraError], None]] = set()
        self.closing = False

    def authenticate(self, authorization: str | None) -> Identity | None:
        """The caller behind an Authorization value; None when there is none.

        Raises TokenInvalid / TokenExpired (PolicyRefused, UNAUTHENTICATED).
        """
        if not authorization:
            return None
        token = bearer_token(authorization)
        if token is None:
            raise TokenInvalid("expected a Bearer token")
        return verify_token(token, self.settings.jwt_secret)

    def start(
        self,
        params: object,
        identity: Identity | None,
        subscriber: Subscriber,
    ) -> OperationHandle | list[JSONObject]:
        """Start one operation (`{query, variables, operationName}`) for a client.

        Returns a handle, or the request's errors (parse, validation, variables)
        when it cannot start; then nothing is sent to `subscriber`.
        """
        from ..server.operations import RequestRejected

        if not isinstance(params, dict):
            return [_error("The payload must be an object.", BAD_REQUEST)]
        query = params.get("query")
        operation_name = params.get("operationName")
        variables = params.get("variables") or {}
        if not isinstance(query, str) or not query:
            return [_error("The payload has no 'query' string.", BAD_REQUEST)]
        if operation_name is not None and not isinstance(operation_name, str):
            return [_error("'operationName' must be a string.", BAD_REQUEST)]
        if not isinstance(variables, dict):
            return [_error("'variables' must be an object.", BAD_REQUEST)]
        prepared = self.operations.prepare(query, operation_name)
        if isinstance(prepared, RequestRejected):
            return [dict(error.formatted) for error in prepared.errors]
        coerced = get_variable_values(
            self.supergraph.api_schema,
            prepared.operation.variable_definitions or (),
            variables,
            max_errors=50,
        )
        if isinstance(coerced, list):
            return [
                dict(
                    GraphQLError(
                        e.message,
                        nodes=e.nodes,
                        extensions={**(e.extensions or {}), "code": BAD_USER_INPUT},
                    ).formatted
                )
                for e in coerced
            ]
        # graphql-core 3.3 returns VariableValues(sources, coerced); 3.2 a plain dict.
        values: dict[str, Any] = dict(getattr(coerced, "coerced", coerced))  # type: ignore[arg-type]
        if prepared.plan is None:
            error = prepared.planning_error
            assert error is not None
            return [_error(error.message, error.code)]
        headers = {"authorization": identity.authorization} if identity else {}
        if prepared.kind != "subscription":
            plan, projection = prepared.plan, prepared.projection

            async def run_once() -> None:
                response = await execute_plan(
                    plan, projection, values, self.fetch_transports, headers=headers
                )
                subscriber.next(orjson.dumps(response).decode())
                subscriber.complete(None)

            task = asyncio.create_task(run_once())

            def cancel() -> None:
                task.cancel()

            return OperationHandle(cancel)
        key = self.hub.subscribe(
            prepared.plan,
            prepared.projection,
            query,
            operation_name,
            values,
            headers,
            identity.scope_key if identity else None,
            subscriber,
        )
        return OperationHandle(lambda: self.hub.unsubscribe(key, subscriber))

    async def aclose(self) -> None:
        """Tell every connection the gateway is going away, then close upstreams."""
        self.closing = True
        for tell in list(self.connections):
            with contextlib.suppress(Exception):
                tell(GatewayShuttingDown())
        await self.hub.aclose()


def _error(message: str, code: str) -> JSONObject:
    return {"message": message, "extensions": {"code": code}}


def error_payload(error: AgoraError) -> str:
    """The encoded response a client gets when its stream ends with `error`."""
    extensions: dict[str, Any] = {"code": error.code}
    subgraph = getattr(error, "subgraph", None)
    if subgraph is not None:
        extensions["serviceName"] = subgraph
    return orjson.dumps(
        {"errors": [{"message": error.message, "extensions": extensions}]}
    ).decode()
