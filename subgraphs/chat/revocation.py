"""Ending a live stream when its viewer loses access to what it shows.

Access is decided when a subscription starts; afterwards a participant can be
removed or a complaint reassigned away from an agent. Those changes publish an
AccessRevoked event on the ACCESS channel after they commit. `until_revoked` runs a
stream beside that channel and, on each event that concerns the stream, checks
access again in SQL; when the check raises (a Forbidden), the stream ends with that
error, which the client receives with `extensions.code` FORBIDDEN. Where the broker
may have lost events (a gap), access is checked again as if one was heard.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, TypeVar

from subgraphs.chat.events import ACCESS

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable

    from subgraphs.chat.events import AccessRevoked
    from subgraphs.kit.pubsub import Broker

__all__ = ["until_revoked"]

T = TypeVar("T")


async def until_revoked(
    stream: AsyncGenerator[T, None],
    *,
    broker: Broker,
    concerns: Callable[[AccessRevoked], bool],
    recheck: Callable[[], Awaitable[object]],
) -> AsyncGenerator[T, None]:
    """Yield what `stream` yields until `recheck()` raises after a revocation.

    `concerns(event)` says whether an AccessRevoked event may affect this stream;
    `recheck()` raises when access is gone (and returns otherwise). The ACCESS
    channel is joined before `stream` takes its first step, so a revocation that
    commits while the stream checks access at its start is still heard.
    """
    async with broker.subscribe(ACCESS.name()) as events:
        # Each side waits in its own task so that whichever comes first is handled.
        step: asyncio.Future[Any] = asyncio.ensure_future(anext(stream))
        heard: asyncio.Future[Any] = asyncio.ensure_future(events.get())
        try:
            while True:
                done, _ = await asyncio.wait(
                    {step, heard}, return_when=asyncio.FIRST_COMPLETED
                )
                if heard in done:
                    try:
                        payload = heard.result()
                    except StopAsyncIteration:
                        # The broker closed: the stream ends too; stop listening.
                        heard = asyncio.get_running_loop().create_future()
                    else:
                        if payload is None or concerns(ACCESS.decode(payload)):
                            await recheck()
                        heard = asyncio.ensure_future(events.get())
                if step in done:
                    try:
                        item = step.result()
                    except StopAsyncIteration:
                        return
                    yield item
                    step = asyncio.ensure_future(anext(stream))
        finally:
            for waiting in (step, heard):
                waiting.cancel()
            await asyncio.gather(step, heard, return_exceptions=True)
            await stream.aclose()
