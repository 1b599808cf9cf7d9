"""A broadcaster backend for Redis that reconnects and resubscribes after a drop.

broadcaster's own RedisBackend lets its listener task die on the first connection
error, after which no subscriber hears anything again. This one owns the read loop:
on a ConnectionError it opens a new pub/sub connection (exponential backoff up to
`max_retry_delay`), subscribes every channel that still has listeners, counts the
reconnect, and carries on. A link that goes silent (no reply to a PING within
`idle_timeout`) counts as dropped too. Events published while the connection is
down are lost (Redis pub/sub is at-most-once): once every channel is subscribed
again, an event on the RESUBSCRIBED channel says so, and the Broker tells each
subscription it has a gap to fill from its store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from subgraphs.kit.errors import BrokerUnavailable
from subgraphs.kit.redis_pool import redis_client

if TYPE_CHECKING:
    from redis.asyncio.client import PubSub

logger = logging.getLogger("agora.subgraphs")

# Always subscribed, so the read loop never sits on an unsubscribed connection.
CONTROL_CHANNEL = "__agora_broker_control__"
# The channel of the event next_published() returns after a reconnect (never sent
# to Redis: no prefix a Broker uses can produce it).
RESUBSCRIBED = "\x00resubscribed"

_DROPPED = (RedisConnectionError, RedisTimeoutError, OSError)


class ResilientRedisBackend(BroadcastBackend):
    """Redis pub/sub that survives connection drops (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        retry_delay: float = 0.05,
        max_retry_delay: float = 2.0,
        client_name: str = "agora-subscriber",
        idle_timeout: float = 15.0,
    ) -> None:
        self._client = redis_client(url)
        # No silent retries on the subscriber link: a drop must reach _read_forever,
        # which resubscribes and counts it.
        self._subscriber_client = aioredis.Redis.from_url(
            url,
            socket_keepalive=True,
            retry=Retry(NoBackoff(), 0),
            client_name=client_name,
        )
        self.client_name = client_name
        self._idle_timeout = idle_timeout
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._channels: set[str] = set()
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._pubsub: PubSub | None = None
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._state = asyncio.Condition()
        self.connected = False
        self.reconnects = 0

    @property
    def client(self) -> aioredis.Redis:
        """The command (publishing) client; closed by disconnect()."""
        return self._client

    async def connect(self) -> None:
        # Redis being down at start-up is not fatal: /ready says 503 until it is back.
        try:
            await self._open()
        except _DROPPED as error:
            logger.warning("redis pub/sub unavailable at start-up: %s", error)
        self._reader = asyncio.create_task(self._read_forever())

    async def disconnect(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        await self._close_pubsub()
        await self._client.aclose()
        await self._subscriber_client.aclose()

    async def subscribe(self, channel: str) -> None:
        async with self._lock:
            self._channels.add(channel)
            if self._pubsub is not None:
                # A failure here is repaired by the read loop, which resubscribes all.
                with contextlib.suppress(*_DROPPED):
                    await self._pubsub.subscribe(channel)

    async def unsubscribe(self, channel: str) -> None:
        async with self._lock:
            self._channels.discard(channel)
            if self._pubsub is not None:
                with contextlib.suppress(*_DROPPED):
                    await self._pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: Any) -> None:
        try:
            await self._client.publish(channel, message)
        except RedisError as error:
            raise BrokerUnavailable() from error
        except OSError as error:
            raise BrokerUnavailable() from error

    async def next_published(self) -> Event:
        return await self._events.get()

    async def ping(self) -> bool:
        """True when Redis answers and the subscriber connection is up."""
        try:
            return bool(await self._client.ping()) and self.connected
        except (RedisError, OSError):
            return False

    async def wait_reconnected(self, count: int) -> None:
        """Wait until at least `count` reconnects happened and the link is up again."""
        async with self._state:
            await self._state.wait_for(
                lambda: self.reconnects >= count and self.connected
            )

    async def _open(self) -> None:
        async with self._lock:
            # Subscribe confirmations and pongs are read too: they prove the link lives.
            pubsub = self._subscriber_client.pubsub(ignore_subscribe_messages=False)
            try:
                await pubsub.subscribe(CONTROL_CHANNEL, *sorted(self._channels))
            except BaseException:
                await pubsub.aclose()
                raise
            self._pubsub = pubsub
        await self._set_connected(True)

    async def _close_pubsub(self) -> None:
        async with self._lock:
            pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(*_DROPPED, RedisError):
                await pubsub.aclose()

    async def _set_connected(self, connected: bool) -> None:
        async with self._state:
            self.connected = connected
            self._state.notify_all()

    async def _read_forever(self) -> None:
        if self._pubsub is None:
            await self._reopen()
        while True:
            try:
                await self._read()
            except _DROPPED as error:
                logger.warning("redis pub/sub connection lost: %s", error)
            await self._set_connected(False)
            await self._close_pubsub()
            await self._reopen()

    async def _read(self) -> None:
        pubsub = self._pubsub
        assert pubsub is not None  # set by _open before the loop starts
        # A peer that vanished without a FIN/RST never fails a read: after
        # `idle_timeout` of silence, PING; a second silence means the link is dead.
        awaiting_pong = False
        while True:
            message = await pubsub.get_message(timeout=self._idle_timeout)
            if message is None:
                if awaiting_pong:
                    raise RedisTimeoutError("Redis did not answer a PING")
                await pubsub.ping()
                awaiting_pong = True
                continue
            awaiting_pong = False
            if message.get("type") != "message":
                continue
            channel = _text(message["channel"])
            if channel == CONTROL_CHANNEL:
                continue
            self._events.put_nowait(Event(channel, _text(message["data"])))

    async def _reopen(self) -> None:
        delay = self._retry_delay
        while True:
            try:
                await self._open()
            except _DROPPED as error:
                logger.warning("redis pub/sub reconnect failed: %s", error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_retry_delay)
                continue
            self._events.put_nowait(Event(RESUBSCRIBED, ""))
            async with self._state:
                self.reconnects += 1
                self._state.notify_all()
            logger.info("redis pub/sub reconnected (%d)", self.reconnects)
            return


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
