"""Identical subgraph requests in flight share one fetch.

Two requests are identical when they go to the same subgraph with the same document,
variables and headers (the caller's identity included, the per-send signature and
timestamp, request id and trace context left out). Only idempotent requests are
shared: a mutation is always sent as asked.
"""

from __future__ import annotations

import asyncio
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
    already in flight."""

    def __init__(
        self,
        inner: SubgraphTransport,
        on_shared: Callable[[], None] | None = None,
    ) -> None:
        self.inner = inner
        self.on_shared = on_shared
        self._inflight: dict[tuple[Any, ...], asyncio.Task[SubgraphResponse]] = {}

    async def fetch(self, request: SubgraphRequest) -> SubgraphResponse:
        if not request.idempotent:
            return await self.inner.fetch(request)
        key = _key(request)
        task = self._inflight.get(key)
        if task is not None:
            if self.on_shared is not None:
                self.on_shared()
        else:
            task = asyncio.ensure_future(self.inner.fetch(request))
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._forget(key, task))
        # One waiter giving up must not cancel the fetch the others wait for.
        return await asyncio.shield(task)

    def _forget(
        self, key: tuple[Any, ...], task: asyncio.Task[SubgraphResponse]
    ) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved: nobody may be left waiting to see it

    def __getattr__(self, name: str) -> Any:
        # start(), aclose(), name, url: the wrapped transport's.
        return getattr(self.inner, name)


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
