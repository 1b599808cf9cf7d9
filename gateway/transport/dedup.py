"""Identical subgraph requests in flight share one fetch.

Two requests are identical when they go to the same subgraph with the same document,
variables and headers (the caller's identity included, the per-send signature and
timestamp, request id and trace context left out). Only idempotent requests are
shared: a mutation is always sent as asked.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from collections.abc import Callable

    from .models import SubgraphRequest, SubgraphResponse, SubgraphTransport

__all__ = ["DedupTransport"]

# Headers that differ between two sends of the same request.
_PER_SEND = frozenset(
    {
        "x-agora-timestamp",
        "x-agora-signature",
        "x-request-id",
        "x-agora-deadline-ms",
        "traceparent",
        "tracestate",
    }
)


class DedupTransport:
    """Wraps a transport; `on_shared()` is called for each request that joined one
    already in flight.

    Every waiter gets a response of its own: the executor merges a response's
    objects into its request's data in place, so two requests holding the same
    objects would write into each other's answers. The last waiter to take the
    response gets the one that was fetched, the others a copy made before it is
    handed out.
    """

    def __init__(
        self,
        inner: SubgraphTransport,
        on_shared: Callable[[], None] | None = None,
    ) -> None:
        self.inner = inner
        self.on_shared = on_shared
        self._inflight: dict[tuple[Any, ...], _Shared] = {}

    async def fetch(self, request: SubgraphRequest) -> SubgraphResponse:
        if not request.idempotent:
            return await self.inner.fetch(request)
        key = _key(request)
        shared = self._inflight.get(key)
        if shared is not None:
            if self.on_shared is not None:
                self.on_shared()
        else:
            task = asyncio.ensure_future(self.inner.fetch(request))
            shared = self._inflight[key] = _Shared(task)
            task.add_done_callback(lambda _: self._forget(key, shared))
        shared.waiters += 1
        try:
            # One waiter giving up must not cancel the fetch the others wait for.
            response = await asyncio.shield(shared.task)
        finally:
            shared.waiters -= 1
        return response if shared.waiters == 0 else _copy(response)

    def _forget(self, key: tuple[Any, ...], shared: _Shared) -> None:
        if self._inflight.get(key) is shared:
            del self._inflight[key]
        if not shared.task.cancelled():
            shared.task.exception()  # retrieved: nobody may be left waiting to see it

    def __getattr__(self, name: str) -> Any:
        # start(), aclose(), name, url: the wrapped transport's.
        return getattr(self.inner, name)


class _Shared:
    """One fetch in flight and how many requests still wait for its response."""

    __slots__ = ("task", "waiters")

    def __init__(self, task: asyncio.Task[SubgraphResponse]) -> None:
        self.task = task
        self.waiters = 0


def _copy(response: SubgraphResponse) -> SubgraphResponse:
    """`response` with objects of its own (JSON all the way down)."""
    data, errors, extensions = orjson.loads(
        orjson.dumps((response.data, response.errors, response.extensions))
    )
    return dataclasses.replace(
        response, data=data, errors=tuple(errors), extensions=extensions
    )


def _key(request: SubgraphRequest) -> tuple[Any, ...]:
    headers = tuple(
        sorted(
            (name, value)
            for name, value in request.headers.items()
            if name not in _PER_SEND
        )
    )
    return (
        request.subgraph,
        request.query,
        request.operation_name,
        orjson.dumps(request.variables, option=orjson.OPT_SORT_KEYS),
        headers,
    )
