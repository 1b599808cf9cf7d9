"""Pub/sub for subgraph events: a Broker on broadcaster backends, and typed channels.

Backends: broadcaster's memory:// (one process) or our ResilientRedisBackend for
redis:// (reconnects and resubscribes). Each subscriber has a bounded queue: when a
slow subscriber's queue is full, the OLDEST event is dropped and counted
(`Subscription.dropped`, `Broker.dropped`), so a stuck client never grows memory and
never blocks delivery to the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import orjson
from broadcaster._backends.memory import MemoryBackend

from subgraphs.kit._redis_backend import ResilientRedisBackend

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from broadcaster import Event
    from broadcaster._backends.base import BroadcastBackend
    from redis import asyncio as aioredis

    from subgraphs.kit.settings import Settings

logger = logging.getLogger("agora.subgraphs")

P = TypeVar("P")

_CLOSED: Any = object()


class Subscription:
    """The events of one channel for one subscriber, as decoded dicts."""

    def __init__(self, channel: str, maxsize: int) -> None:
        self.channel = channel
        self.dropped = 0
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize)

    def _offer(self, payload: dict[str, Any]) -> bool:
        """Queue `payload`; drop the oldest when full. True when one was dropped."""
        dropped = False
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
            dropped = True
        self._queue.put_nowait(payload)
        return dropped

    def _close(self) -> None:
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(_CLOSED)

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self

    async def __anext__(self) -> dict[str, Any]:
        payload = await self._queue.get()
        if payload is _CLOSED:
            raise StopAsyncIteration
        return payload


class Broker:
    """Publish dicts to channels and subscribe to them.

    `prefix` is put before every channel name in the backend, so tests and
    deployments sharing a Redis do not hear each other.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        prefix: str = "agora:",
        queue_size: int = 1000,
        backend: BroadcastBackend | None = None,
    ) -> None:
        self.url = url or "memory://"
        self.prefix = prefix
        self.queue_size = queue_size
        self.dropped = 0
        self.backend = backend or _create_backend(self.url, prefix)
        self._subscribers: dict[str, set[Subscription]] = {}
        self._listener: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Broker:
        return cls(
            settings.redis_url,
            prefix=settings.redis_prefix,
            queue_size=settings.subscriber_queue_size,
        )

    @property
    def redis(self) -> aioredis.Redis | None:
        """The Redis client the broker publishes with; None on memory://.

        For other state a subgraph shares across processes (counters, locks) under
        `prefix`; it is closed when the broker disconnects.
        """
        if isinstance(self.backend, ResilientRedisBackend):
            return self.backend.client
        return None

    @property
    def connected(self) -> bool:
        return self._listener is not None and not self._listener.done()

    async def connect(self) -> None:
        if self._listener is not None:
            return
        await self.backend.connect()
        self._listener = asyncio.create_task(self._listen())

    async def disconnect(self) -> None:
        if self._listener is None:
            return
        self._listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._listener
        self._listener = None
        for subscriptions in self._subscribers.values():
            for subscription in subscriptions:
                subscription._close()
        await self.backend.disconnect()

    async def __aenter__(self) -> Broker:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.disconnect()

    async def ping(self) -> bool:
        """True when the broker can deliver events (used by /ready)."""
        if not self.connected:
            return False
        ping = getattr(self.backend, "ping", None)
        if ping is None:
            return True
        return bool(await ping())

    async def publish(self, channel: str, payload: dict[str, Any]) -> None:
        """Send `payload` (JSON-encodable) to every subscriber of `channel`.

        Raises BrokerUnavailable when Redis cannot be reached.
        """
        message = orjson.dumps(payload).decode()
        await self.backend.publish(self.prefix + channel, message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        """Listen to `channel` for the duration of the block."""
        subscription = Subscription(channel, self.queue_size)
        subscribers = self._subscribers.setdefault(channel, set())
        first = not subscribers
        subscribers.add(subscription)
        try:
            if first:
                await self.backend.subscribe(self.prefix + channel)
            yield subscription
        finally:
            subscribers.discard(subscription)
            if not subscribers and self._subscribers.get(channel) is subscribers:
                del self._subscribers[channel]
                with contextlib.suppress(Exception):
                    await self.backend.unsubscribe(self.prefix + channel)

    async def _listen(self) -> None:
        while True:
            event: Event = await self.backend.next_published()
            if not event.channel.startswith(self.prefix):
                continue
            channel = event.channel[len(self.prefix) :]
            subscriptions = self._subscribers.get(channel)
            if not subscriptions:
                continue
            try:
                payload = orjson.loads(event.message)
            except orjson.JSONDecodeError:
                logger.warning("dropping a non-JSON event on %s", channel)
                continue
            for subscription in list(subscriptions):
                if subscription._offer(payload):
                    self.dropped += 1


def _create_backend(url: str, prefix: str) -> BroadcastBackend:
    if url.startswith("memory://"):
        return MemoryBackend(url)
    if url.startswith(("redis://", "rediss://", "unix://")):
        # Named, so operators (and tests) can tell our subscriber links apart.
        name = "agora-subscriber-" + "".join(c if c.isalnum() else "-" for c in prefix)
        return ResilientRedisBackend(url, client_name=name.strip("-"))
    raise ValueError(f"expected a memory:// or redis:// broker URL, got {url!r}")


class Channel(Generic[P]):
    """A typed channel family: `Channel("chat.messages", MessagePosted)`.

    `name(*ids)` joins the base name and ids with dots; payloads are dataclasses (or
    any type built from keyword arguments) encoded as dicts.
    """

    def __init__(self, base: str, payload_type: type[P]) -> None:
        self.base = base
        self.payload_type = payload_type

    def __repr__(self) -> str:
        return f"Channel({self.base!r}, {self.payload_type.__name__})"

    def name(self, *ids: object) -> str:
        return ".".join([self.base, *(str(i) for i in ids)])

    async def publish(self, broker: Broker, *args: Any) -> None:
        """`await channel.publish(broker, *ids, payload)`."""
        if not args:
            raise TypeError("expected the ids and then a payload, got nothing")
        *ids, payload = args
        await broker.publish(self.name(*ids), self.encode(payload))

    async def subscribe(self, broker: Broker, *ids: object) -> AsyncIterator[P]:
        """Yield decoded payloads published on `name(*ids)` until the caller stops."""
        async with broker.subscribe(self.name(*ids)) as events:
            async for data in events:
                yield self.decode(data)

    def encode(self, payload: P) -> dict[str, Any]:
        if dataclasses.is_dataclass(payload) and not isinstance(payload, type):
            return dataclasses.asdict(payload)
        if isinstance(payload, dict):
            return payload
        raise TypeError(f"expected a dataclass payload, got {type(payload).__name__}")

    def decode(self, data: dict[str, Any]) -> P:
        if dataclasses.is_dataclass(self.payload_type):
            names = {f.name for f in dataclasses.fields(self.payload_type)}
            return self.payload_type(**{k: v for k, v in data.items() if k in names})
        return self.payload_type(**data)
