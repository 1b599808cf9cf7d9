"""De-duplicated upstream subscriptions, each fanned out to every client that asked.

Clients whose subscriptions are identical (same document and operation, same
variables, same caller scope: hence the same subgraph and primary fetch) share one
upstream stream. Its events run the plan's `rest` once (together with the events
other upstreams received in the same loop iteration: see batching.py), are
projected and encoded once, and the same text is handed to every subscriber.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from ..errors import AgoraError, SubgraphError
from ..planner.plan import SubscriptionNode
from ..transport import SubgraphRequest
from .batching import EventBatcher, EventSource

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ..execution import Projection
    from ..planner.plan import QueryPlan
    from ..transport import SubgraphTransport
    from ..transport.subgraph_websocket import SubscriptionTransport

__all__ = ["Subscriber", "SubscriptionHub", "UpstreamKey"]

logger = logging.getLogger("agora.gateway")


class Subscriber(Protocol):
    """Where one client subscription's events go; neither call may block."""

    def next(self, payload: str) -> None:
        """`payload` is an encoded GraphQL response (`data`, `errors`)."""

    def complete(self, error: AgoraError | None) -> None:
        """The stream ended: normally (None) or because of `error`."""


@dataclass(frozen=True, slots=True)
class UpstreamKey:
    """What makes two client subscriptions the same upstream subscription."""

    subgraph: str
    document: str
    operation_name: str | None
    variables: bytes
    scope: tuple[Any, ...] | None


def upstream_key(
    subgraph: str,
    document_key: str,
    operation_name: str | None,
    variables: Mapping[str, Any],
    scope: tuple[Any, ...] | None,
) -> UpstreamKey:
    return UpstreamKey(
        subgraph,
        document_key,
        operation_name,
        orjson.dumps(variables, option=orjson.OPT_SORT_KEYS),
        scope,
    )


class _Upstream:
    """One upstream subscription and the subscribers it feeds."""

    def __init__(
        self,
        hub: SubscriptionHub,
        key: UpstreamKey,
        node: SubscriptionNode,
        projection: Projection,
        variables: dict[str, Any],
        headers: Mapping[str, str],
        sign: Callable[[], Mapping[str, str]] | None,
    ) -> None:
        self.hub = hub
        self.key = key
        self.node = node
        self.projection = projection
        self.variables = variables
        self.headers = dict(headers)
        # The first subscriber's signed identity, made fresh for every request.
        self.sign = sign
        self.subscribers: set[Subscriber] = set()
        self.task: asyncio.Task[None] | None = None
        self.source = EventSource(
            node.rest, projection, variables, self.headers, sign, key.scope
        )

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        error: AgoraError | None = None
        try:
            await self._stream()
        except AgoraError as exc:
            error = exc
        except Exception as exc:  # a bug must end the stream, not hang clients
            logger.exception("upstream subscription %s failed", self.key.subgraph)
            error = SubgraphError(self.key.subgraph, f"unexpected failure: {exc!r}")
        finally:
            self.hub._forget(self)
        for subscriber in list(self.subscribers):
            subscriber.complete(error)
        self.subscribers.clear()

    async def _stream(self) -> None:
        primary = self.node.primary
        service = primary.service_name
        transport = self.hub.subscription_transports.get(service)
        if transport is None:
            raise SubgraphError(service, "no subscription transport is configured")
        request = SubgraphRequest(
            service,
            primary.operation,
            {
                name: self.variables[name]
                for name in primary.variable_usages
                if name in self.variables
            },
            primary.operation_name,
            {**self.headers, **self.sign()} if self.sign else self.headers,
        )
        # The transport hands over the events that arrived together (issue 14: no
        # reader task or queue between the socket and this task).
        bursts = transport.bursts(request, self.hub.burst_limit)
        async with contextlib.aclosing(bursts):
            async for burst in bursts:
                self.hub.upstream_events += len(burst)
                # With the events other upstreams received in the same loop
                # iteration: one entity request per subgraph for all of them.
                responses = await self.hub.batcher.execute(self.source, burst)
                for response in responses:
                    payload = orjson.dumps(response).decode()
                    for subscriber in list(self.subscribers):
                        subscriber.next(payload)


class SubscriptionHub:
    """Opens, shares and closes upstream subscriptions.

    `subscription_transports` open a subgraph's subscription (websocket or in
    process); `fetch_transports` serve the `rest` of each plan.
    """

    def __init__(
        self,
        subscription_transports: Mapping[str, SubscriptionTransport],
        fetch_transports: Mapping[str, SubgraphTransport],
        *,
        burst_limit: int = 64,
    ) -> None:
        self.subscription_transports = subscription_transports
        self.fetch_transports = fetch_transports
        self.burst_limit = burst_limit
        self.batcher = EventBatcher(fetch_transports)
        self.upstreams: dict[UpstreamKey, _Upstream] = {}
        # Counters for tests and metrics: upstream streams opened, events received.
        self.upstreams_opened = 0
        self.upstream_events = 0

    def subscribe(
        self,
        plan: QueryPlan,
        projection: Projection,
        document_key: str,
        operation_name: str | None,
        variables: dict[str, Any],
        headers: Mapping[str, str],
        sign: Callable[[], Mapping[str, str]] | None,
        scope: tuple[Any, ...] | None,
        subscriber: Subscriber,
    ) -> UpstreamKey:
        """Attach `subscriber` to the upstream for this subscription, opening it if
        needed. Returns the key to pass to `unsubscribe`."""
        node = plan.node
        assert isinstance(node, SubscriptionNode), "prepared as a subscription"
        key = upstream_key(
            node.primary.service_name, document_key, operation_name, variables, scope
        )
        upstream = self.upstreams.get(key)
        if upstream is None:
            upstream = _Upstream(self, key, node, projection, variables, headers, sign)
            self.upstreams[key] = upstream
            self.upstreams_opened += 1
            upstream.start()
        upstream.subscribers.add(subscriber)
        return key

    def unsubscribe(self, key: UpstreamKey, subscriber: Subscriber) -> None:
        """Detach `subscriber`; the upstream closes when nobody is left."""
        upstream = self.upstreams.get(key)
        if upstream is None:
            return
        upstream.subscribers.discard(subscriber)
        if not upstream.subscribers and upstream.task is not None:
            self._forget(upstream)
            upstream.task.cancel()

    def _forget(self, upstream: _Upstream) -> None:
        if self.upstreams.get(upstream.key) is upstream:
            del self.upstreams[upstream.key]

    async def aclose(self) -> None:
        """Cancel every upstream subscription (their subscribers are told first)."""
        upstreams = list(self.upstreams.values())
        self.upstreams.clear()
        tasks = [u.task for u in upstreams if u.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.batcher.aclose()
