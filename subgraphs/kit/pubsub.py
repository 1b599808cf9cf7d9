"""Pub/sub for subgraph events: a Broker on broadcaster backends, and typed channels.

Backends: broadcaster's memory:// (one process) or our ResilientRedisBackend for
redis:// (reconnects and resubscribes). Each subscriber has a bounded queue: when a
slow subscriber's queue is full, the OLDEST event is dropped and counted
(`Subscription.dropped`, `Broker.dropped`), so a stuck client never grows memory and
never blocks delivery to the others.

Pub/sub is at most once, so a stream that must not lose events reads them with
`Subscription.get()`, which returns None (a *gap*) wherever events may have been
lost: after the broker's link was down (returned once it is subscribed again) and
after the subscriber's own queue dropped events. The stream then re-reads from its
store what it missed (chat: the messages after the last seq it delivered).

Publishing: `publish` raises BrokerUnavailable; `publish_reliably` never does: what
Redis refused is kept (bounded) and sent again, in order, until Redis takes it. The
store stays the truth; the events are the prompt to read it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import orjson
from broadcaster._backends.memory import MemoryBackend

from subgraphs.kit._redis_backend import RESUBSCRIBED, ResilientRedisBackend
from subgraphs.kit.after_commit import after_commit
from subgraphs.kit.errors import BrokerUnavailable

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from broadcaster import Event
    from broadcaster._backends.base import BroadcastBackend
    from redis import asyncio as aioredis

    from subgraphs.kit.settings import Settings

logger = logging.getLogger("agora.subgraphs")

P = TypeVar("P")

_CLOSED: Any = object()
# Queued where events may have been lost (see the module docstring).
_GAP: Any = object()
# How many refused publishes a Broker keeps for `publish_reliably`.
_PENDING_LIMIT = 10_000


class Subscription:
    """The events of one channel for one subscriber, as decoded dicts."""

    def __init__(self, channel: str, maxsize: int) -> None:
        self.channel = channel
        self.dropped = 0
        # Gaps reported by `get` (broker reconnects, dropped events).
        self.gaps = 0
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize)
        self._lost = False

    def _offer(self, payload: dict[str, Any]) -> bool:
        """Queue `payload`; drop the oldest when full. True when one was dropped."""
        dropped = False
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
            self._lost = True
            dropped = True
        self._queue.put_nowait(payload)
        return dropped

    def _gap(self) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
            self._lost = True
        self._queue.put_nowait(_GAP)

    def _close(self) -> None:
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(_CLOSED)

    async def get(self) -> dict[str, Any] | None:
        """The next event, or None where events may have been lost since the last.

        Raises StopAsyncIteration once the broker disconnected.
        """
        if self._lost:
            self._lost = False
            self.gaps += 1
            return None
        payload = await self._queue.get()
        if payload is _CLOSED:
            self._queue.put_nowait(_CLOSED)
            raise StopAsyncIteration
        if payload is _GAP:
            self._lost = False
            self.gaps += 1
            return None
        return payload

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self

    async def __anext__(self) -> dict[str, Any]:
        """The next event, skipping gaps (for streams that can lose events)."""
        while True:
            payload = await self.get()
            if payload is not None:
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
        # Publishes Redis refused, sent again by `_republish` (publish_reliably).
        self.republished = 0
        self.backend = backend or _create_backend(self.url, prefix)
        self._subscribers: dict[str, set[Subscription]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._pending: collections.deque[tuple[str, str]] = collections.deque()
        self._republisher: asyncio.Task[None] | None = None

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
        if self._republisher is not None:
            self._republisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._republisher
            self._republisher = None
        if self._pending:
            logger.warning(
                "%d unpublished events dropped at shutdown", len(self._pending)
            )
            self._pending.clear()
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

        Raises BrokerUnavailable when Redis cannot be reached. Inside a mutation
        the event waits for its commit (subgraphs.kit.after_commit), then goes
        out as `publish_reliably` sends it.
        """
        if after_commit(lambda: self.publish_reliably(channel, payload)):
            return
        message = orjson.dumps(payload).decode()
        await self.backend.publish(self.prefix + channel, message)

    async def publish_reliably(self, channel: str, payload: dict[str, Any]) -> bool:
        """Publish `payload`; when Redis refuses it, keep it and send it again (in
        order with later ones) until Redis takes it. Never raises BrokerUnavailable;
        False when it was kept for later.

        For events whose data is already committed: the caller's write succeeded
        whatever the broker does, and subscribers fill gaps from the store.
        """
        if after_commit(lambda: self.publish_reliably(channel, payload)):
            return True
        message = orjson.dumps(payload).decode()
        if not self._pending:
            try:
                await self.backend.publish(self.prefix + channel, message)
                return True
            except BrokerUnavailable:
                logger.warning("publish on %s refused; kept to send again", channel)
        if len(self._pending) >= _PENDING_LIMIT:
            self._pending.popleft()  # the oldest: subscribers read it from the store
            self.dropped += 1
        self._pending.append((self.prefix + channel, message))
        if self._republisher is None or self._republisher.done():
            self._republisher = asyncio.create_task(self._republish())
        return False

    async def _republish(self) -> None:
        delay = 0.05
        while self._pending:
            channel, message = self._pending[0]
            try:
                await self.backend.publish(channel, message)
            except BrokerUnavailable:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            delay = 0.05
            self._pending.popleft()
            self.republished += 1

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
            if event.channel == RESUBSCRIBED:
                for listening in self._subscribers.values():
                    for subscription in listening:
                        subscription._gap()
                continue
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

    async def publish_reliably(self, broker: Broker, *args: Any) -> bool:
        """`await channel.publish_reliably(broker, *ids, payload)`: see
        Broker.publish_reliably (never raises BrokerUnavailable)."""
        if not args:
            raise TypeError("expected the ids and then a payload, got nothing")
        *ids, payload = args
        return await broker.publish_reliably(self.name(*ids), self.encode(payload))

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
