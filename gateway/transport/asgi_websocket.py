"""In-process upstream subscriptions: graphql-transport-ws into a subgraph's ASGI app.

The embedded mode's twin of subgraph_websocket.py: the subgraph app's websocket
scope is driven through two queues (no network), and the same protocol client runs
on it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from ..errors import SubgraphBadResponse, SubgraphUnavailable
from .subgraph_websocket import (
    DEFAULT_BURST_LIMIT,
    GRAPHQL_TRANSPORT_WS,
    ChannelClosed,
    run_graphql_transport_ws,
)

if TYPE_CHECKING:
    from collections.abc import (
        AsyncGenerator,
        Awaitable,
        Callable,
        MutableMapping,
    )

    from .models import SubgraphRequest, SubgraphResponse

    Message = MutableMapping[str, Any]
    ASGIApp = Callable[
        [MutableMapping[str, Any], Callable[[], Awaitable[Message]], Any],
        Awaitable[None],
    ]

__all__ = ["AsgiWebSocketTransport"]


class _AsgiChannel:
    """One websocket connection into `app`, seen from the client side."""

    def __init__(self, app: ASGIApp, scope: MutableMapping[str, Any]) -> None:
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message | None] = asyncio.Queue()
        self._closed: ChannelClosed | None = None
        self._task = asyncio.create_task(self._run(app, scope))

    async def _run(self, app: ASGIApp, scope: MutableMapping[str, Any]) -> None:
        try:
            await app(scope, self._inbox.get, self._outbox.put)
        finally:
            await self._outbox.put(None)

    async def open(self) -> str | None:
        """Send websocket.connect; return the accepted subprotocol."""
        await self._inbox.put({"type": "websocket.connect"})
        message = await self._outbox.get()
        if message is None or message["type"] != "websocket.accept":
            code = None if message is None else message.get("code")
            raise ChannelClosed(code, "the app refused the websocket")
        subprotocol: str | None = message.get("subprotocol")
        return subprotocol

    async def send(self, text: str) -> None:
        if self._closed is not None or self._task.done():
            raise ChannelClosed(self._closed.code if self._closed else 1006)
        await self._inbox.put({"type": "websocket.receive", "text": text})

    async def receive(self) -> str:
        while True:
            if self._closed is not None:
                raise self._closed
            text = self._take(await self._outbox.get())
            if text is not None:
                return text

    def receive_ready(self) -> str | None:
        while self._closed is None:
            try:
                message = self._outbox.get_nowait()
            except asyncio.QueueEmpty:
                return None
            text = self._take(message)
            if text is not None:
                return text
        return None

    def _take(self, message: Message | None) -> str | None:
        """The text `message` carries; None (noting a close) otherwise."""
        if message is None:
            self._closed = ChannelClosed(1006, "the app ended")
            return None
        kind = message["type"]
        if kind == "websocket.send":
            text = message.get("text")
            if text is None:
                text = (message.get("bytes") or b"").decode()
            return str(text)
        if kind == "websocket.close":
            self._closed = ChannelClosed(
                message.get("code", 1000), message.get("reason") or ""
            )
        return None

    async def close(self) -> None:
        if not self._task.done():
            await self._inbox.put({"type": "websocket.disconnect", "code": 1000})
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await asyncio.shield(self._task)
        if not self._task.done():
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task


class AsgiWebSocketTransport:
    """Opens each upstream subscription as a websocket scope on `app` at `path`."""

    def __init__(
        self, name: str, app: ASGIApp, *, path: str = "/graphql", timeout: float = 10.0
    ) -> None:
        self.name = name
        self.app = app
        self.path = path
        self.timeout = timeout

    async def bursts(
        self, request: SubgraphRequest, limit: int = DEFAULT_BURST_LIMIT
    ) -> AsyncGenerator[list[SubgraphResponse], None]:
        headers = [
            (key.lower().encode("latin-1"), value.encode("latin-1"))
            for key, value in request.headers.items()
        ]
        headers.append((b"sec-websocket-protocol", GRAPHQL_TRANSPORT_WS.encode()))
        scope: MutableMapping[str, Any] = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "scheme": "ws",
            "path": self.path,
            "raw_path": self.path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 0),
            "server": ("agora-gateway", 80),
            "subprotocols": [GRAPHQL_TRANSPORT_WS],
            "state": {},
        }
        channel = _AsgiChannel(self.app, scope)
        try:
            async with asyncio.timeout(self.timeout):
                subprotocol = await channel.open()
        except (ChannelClosed, TimeoutError) as exc:
            await channel.close()
            raise SubgraphUnavailable(
                self.name, "the app did not accept the websocket"
            ) from exc
        if subprotocol != GRAPHQL_TRANSPORT_WS:
            await channel.close()
            raise SubgraphBadResponse(self.name, "graphql-transport-ws was refused")
        stream = run_graphql_transport_ws(
            channel, self.name, request, self.timeout, limit
        )
        try:
            async for burst in stream:
                yield burst
        finally:
            await stream.aclose()
