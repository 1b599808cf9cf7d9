"""Subscription operations: identify callers, start operations, shut down.

The client protocol modules (client_websocket.py for graphql-transport-ws and the
legacy graphql-ws, sse.py) speak to clients and hand every request to the one
RequestPipeline; this module turns a PreparedRequest into a stream of encoded
responses handed to a Subscriber: a subscription joins the SubscriptionHub, a query
or mutation sent over a subscription protocol runs once (within the request
deadline) and completes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

import orjson
from graphql import OperationType

from ..request import Refusal, identify, run_request
from ..request.incremental import answer_incrementally
from ..telemetry import Telemetry
from .errors import GatewayShuttingDown
from .hub import SubscriptionHub

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from prometheus_client import Gauge

    from ..config import GatewayConfig
    from ..errors import AgoraError
    from ..policy import TokenVerifier
    from ..request import Caller, Clients, PreparedRequest, RequestPipeline
    from ..transport import SubgraphTransport
    from ..transport.subgraph_websocket import SubscriptionTransport
    from ..types import JSONObject
    from .hub import Subscriber

__all__ = ["OperationHandle", "SubscriptionServer", "error_payload"]


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
        pipeline: RequestPipeline,
        fetch_transports: Mapping[str, SubgraphTransport],
        subscription_transports: Mapping[str, SubscriptionTransport],
        config: GatewayConfig,
        verifier: TokenVerifier,
        clients: Clients,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.telemetry = telemetry or Telemetry()
        self.fetch_transports = fetch_transports
        self.config = config
        self.settings = config.subscription
        self.verifier = verifier
        self.clients = clients
        self.hub = SubscriptionHub(
            subscription_transports,
            fetch_transports,
            burst_limit=self.settings.burst_limit,
        )
        # Callbacks that tell each open connection the gateway is going away.
        self.connections: set[Callable[[AgoraError], None]] = set()
        self.closing = False

    async def identify(
        self,
        headers: Mapping[str, str],
        peer: str | None,
        *,
        authorization: str | None = None,
        api_key: str | None = None,
    ) -> Caller | Refusal:
        """The caller of a connection (see gateway.request.identify)."""
        return await identify(
            self.config,
            self.verifier,
            self.clients,
            headers,
            peer,
            authorization=authorization,
            api_key=api_key,
        )

    def start(
        self,
        prepared: PreparedRequest,
        subscriber: Subscriber,
        idempotency_key: object = None,
    ) -> OperationHandle:
        """Start a prepared operation for a client; its responses go to `subscriber`
        (a mutation's `idempotency_key`: see gateway.request.run_request)."""
        if prepared.kind is not OperationType.SUBSCRIPTION:
            task = asyncio.create_task(
                self._run_once(prepared, subscriber, idempotency_key)
            )

            def cancel() -> None:
                task.cancel()

            return OperationHandle(cancel)
        caller = prepared.caller
        sign = caller.signer(self.config.secret)
        identity = caller.identity
        scope: tuple[Any, ...] = (
            identity.scope_key if identity else None,
            tuple(sorted(caller.forwarded.items())),
        )
        metrics = self.telemetry.metrics
        if metrics is not None:
            subscriber = _Counted(subscriber, metrics.subscriptions)
        key = self.hub.subscribe(
            prepared.plan,
            prepared.projection,
            prepared.document_key,
            prepared.operation_name,
            prepared.variables,
            caller.forwarded,
            sign,
            scope,
            subscriber,
        )
        counted = subscriber

        def unsubscribe() -> None:
            self.hub.unsubscribe(key, counted)
            if isinstance(counted, _Counted):
                counted.ended()

        return OperationHandle(unsubscribe)

    async def _run_once(
        self,
        prepared: PreparedRequest,
        subscriber: Subscriber,
        idempotency_key: object = None,
    ) -> None:
        deadline = time.monotonic() + self.config.server.request_timeout
        streamed = answer_incrementally(
            prepared,
            self.fetch_transports,
            secret=self.config.secret,
            deadline=deadline,
        )
        if streamed is not None:  # @defer: one `next` per payload
            async for payload in streamed.payloads:
                subscriber.next(orjson.dumps(payload).decode())
            subscriber.complete(None)
            return
        response = await run_request(
            prepared,
            self.fetch_transports,
            secret=self.config.secret,
            deadline=deadline,
            idempotency_key=idempotency_key,
        )
        body = response.body() if isinstance(response, Refusal) else response
        subscriber.next(orjson.dumps(body).decode())
        subscriber.complete(None)

    async def aclose(self) -> None:
        """Tell every connection the gateway is going away, then close upstreams."""
        self.closing = True
        for tell in list(self.connections):
            with contextlib.suppress(Exception):
                tell(GatewayShuttingDown())
        await self.hub.aclose()


class _Counted:
    """A subscriber counted in the `subscriptions` gauge until its stream ends."""

    __slots__ = ("gauge", "next", "running", "subscriber")

    def __init__(self, subscriber: Subscriber, gauge: Gauge) -> None:
        self.subscriber = subscriber
        # The subscriber's own: no call of ours on every delivered frame.
        self.next = subscriber.next
        self.gauge = gauge
        self.running = True
        gauge.inc()

    def complete(self, error: AgoraError | None) -> None:
        self.ended()
        self.subscriber.complete(error)

    def ended(self) -> None:
        if self.running:
            self.running = False
            self.gauge.dec()


def error_payload(error: AgoraError) -> str:
    """The encoded response a client gets when its stream ends with `error`."""
    extensions: JSONObject = {"code": error.code}
    subgraph = getattr(error, "subgraph", None)
    if subgraph is not None:
        extensions["serviceName"] = subgraph
    extensions.update(getattr(error, "extensions", None) or {})
    return orjson.dumps(
        {"errors": [{"message": error.message, "extensions": extensions}]}
    ).decode()
