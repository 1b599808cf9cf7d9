"""Identical operations in flight share one execution (inbound de-duplication).

Identical means: the same normalised document, operation, variables and plan (hence
override labels and what authorization removed), and the same caller as the
subgraphs would see it (identity, address, forwarded headers). Queries only: a
mutation always runs as often as it is sent.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Generic, TypeVar

import orjson
from graphql import OperationType

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Hashable

    from ..types import JSONObject
    from .pipeline import PreparedRequest

__all__ = ["Inflight", "SharedAnswer", "sharing_key"]

_T = TypeVar("_T")


class SharedAnswer:
    """One run's answer, given to every request that shared the run, serialised
    once for all of them (the bytes of a large answer cost more than the rest of
    a shared request's handling)."""

    __slots__ = ("_body", "answer")

    def __init__(self, answer: JSONObject) -> None:
        self.answer = answer
        self._body: bytes | None = None

    def body(self) -> bytes:
        """The answer as JSON (computed by the first request that asks)."""
        if self._body is None:
            self._body = orjson.dumps(self.answer)
        return self._body


class Inflight(Generic[_T]):
    """Runs `work()` once per key among concurrent callers; `on_shared()` is
    called for each caller that joined a run already going."""

    def __init__(self, on_shared: Callable[[], None] | None = None) -> None:
        self.on_shared = on_shared
        self._running: dict[Hashable, asyncio.Task[_T]] = {}

    async def run(self, key: Hashable, work: Callable[[], Awaitable[_T]]) -> _T:
        task = self._running.get(key)
        if task is not None:
            if self.on_shared is not None:
                self.on_shared()
        else:
            task = asyncio.ensure_future(work())
            self._running[key] = task
            task.add_done_callback(lambda _: self._forget(key, task))
        # One caller giving up (its client left) must not cancel the others' run.
        return await asyncio.shield(task)

    def _forget(self, key: Hashable, task: asyncio.Task[_T]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if not task.cancelled():
            task.exception()  # retrieved: no waiter may be left to see it


def sharing_key(prepared: PreparedRequest) -> Hashable | None:
    """The key under which `prepared` may share a run, None when it may not."""
    if prepared.kind is not OperationType.QUERY:
        return None
    caller = prepared.caller
    identity = caller.identity
    try:
        variables = orjson.dumps(prepared.variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a custom scalar's value orjson cannot encode
        return None
    return (
        prepared.document_key,
        prepared.operation_name,
        id(prepared.plan),
        variables,
        identity.scope_key if identity is not None else None,
        caller.address,
        tuple(sorted(caller.forwarded.items())),
        prepared.explain,
    )
