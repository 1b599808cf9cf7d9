"""A client's bounded queue of messages waiting to be written to it.

Events are fanned out without waiting on any client; a client that leaves `limit`
messages, or `byte_limit` bytes of them, unread is cut off (`on_overflow`) instead of
growing gateway memory (a few large events weigh as much as many small ones).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Outbox"]

M = TypeVar("M", str, bytes)


class Outbox(Generic[M]):
    """Messages (encoded text, or websocket frames) for one client connection,
    oldest first.

    `put` never blocks; the first put past `limit` messages or `byte_limit` bytes
    (text counted as characters: it is mostly ASCII JSON) calls `on_overflow` once
    and drops the message. `get` waits for the next message; None means closed.
    """

    __slots__ = (
        "_closed",
        "_drained",
        "_messages",
        "_size",
        "_waiter",
        "byte_limit",
        "limit",
        "on_overflow",
        "overflowed",
    )

    def __init__(
        self,
        limit: int,
        on_overflow: Callable[[], None],
        byte_limit: int | None = None,
    ) -> None:
        self.limit = limit
        self.byte_limit = byte_limit
        self.on_overflow = on_overflow
        self.overflowed = False
        self._messages: deque[M] = deque()
        self._size = 0
        self._waiter: asyncio.Future[None] | None = None
        # Set by `get` when the queue is short again (see `wait_until_below`).
        self._drained: tuple[int, asyncio.Future[None]] | None = None
        self._closed = False

    @property
    def size(self) -> int:
        """Characters waiting to be written."""
        return self._size

    def put(self, message: M) -> None:
        if self._closed or self.overflowed:
            return
        size = self._size + len(message)
        byte_limit = self.byte_limit
        # An empty outbox takes any one message: a single event larger than the
        # byte limit is written, not a reason to cut the client off.
        if len(self._messages) >= self.limit or (
            byte_limit is not None and size > byte_limit and self._messages
        ):
            self.overflowed = True
            self.on_overflow()
            return
        self._messages.append(message)
        self._size = size
        self._wake()

    def close(self) -> None:
        """Let `get` return None once the queued messages are read."""
        self._closed = True
        self._wake()
        drained = self._drained
        if drained is not None and not drained[1].done():
            drained[1].set_result(None)

    def clear(self) -> None:
        """Drop every waiting message (the client is being cut off)."""
        self._messages.clear()
        self._size = 0

    def pop(self) -> M | None:
        """The oldest waiting message without waiting, or None."""
        if not self._messages:
            return None
        message = self._messages.popleft()
        self._size -= len(message)
        return message

    async def get(self) -> M | None:
        while not self._messages:
            if self._closed:
                return None
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        message = self._messages.popleft()
        self._size -= len(message)
        drained = self._drained
        if drained is not None and len(self._messages) < drained[0]:
            self._drained = None
            if not drained[1].done():
                drained[1].set_result(None)
        return message

    async def wait_until_below(self, count: int) -> None:
        """Wait until fewer than `count` messages wait (or the outbox closes): the
        reader of a connection pauses so, rather than let a client that sends faster
        than it reads fill its own outbox with answers."""
        while len(self._messages) >= count and not self._closed:
            future = asyncio.get_running_loop().create_future()
            self._drained = (count, future)
            await future

    def __len__(self) -> int:
        return len(self._messages)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
