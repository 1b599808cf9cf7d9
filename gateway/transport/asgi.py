"""In-process transport: calls a subgraph's ASGI app directly, with no network hop."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import SubgraphUnavailable
from .boundary import decode_response, translate_errors

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, MutableMapping

    from .models import SubgraphRequest, SubgraphResponse

    Message = MutableMapping[str, Any]
    ASGIApp = Callable[
        [MutableMapping[str, Any], Callable[[], Awaitable[Message]], Any],
        Awaitable[None],
    ]

__all__ = ["AsgiTransport"]


class AsgiTransport:
    """Sends each request to `app` as an ASGI HTTP POST to `path`.

    With `lifespan=True`, `start()` runs the app's lifespan startup (and `aclose()`
    its shutdown), for apps that open databases there; the gateway app calls both
    from its own lifespan. Otherwise the caller owns the app's lifespan (as the
    embedded runner does, one lifespan for every subgraph) and both are no-ops.
    """

    def __init__(
        self,
        name: str,
        app: ASGIApp,
        *,
        path: str = "/graphql",
        timeout: float = 30.0,
        lifespan: bool = False,
    ) -> None:
        self.name = name
        self.lifespan = lifespan
        self.app = app
        self.path = path
        self.timeout = timeout
        self._lifespan: asyncio.Task[None] | None = None
        self._lifespan_inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._lifespan_outbox: asyncio.Queue[Message] = asyncio.Queue()

    async def fetch(self, request: SubgraphRequest) -> SubgraphResponse:
        body = orjson.dumps(request.body())
        headers = [(b"content-type", b"application/json")]
        headers += [
            (key.lower().encode("latin-1"), value.encode("latin-1"))
            for key, value in request.headers.items()
        ]
        scope: MutableMapping[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 0),
            "server": ("agora-gateway", 80),
            "state": {},
        }
        sent_body = False
        status = 500
        cache_control: bytes | None = None
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            # The app only asks again to watch for a disconnect: never comes.
            await asyncio.Event().wait()
            return {"type": "http.disconnect"}  # pragma: no cover

        async def send(message: Message) -> None:
            nonlocal status, cache_control
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", ()):
                    if name.lower() == b"cache-control":
                        cache_control = value
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        with translate_errors(self.name, self.timeout):
            async with asyncio.timeout(self.timeout):
                try:
                    await self.app(scope, receive, send)
                except Exception as exc:  # an app crash is what an HTTP 500 would be
                    raise SubgraphUnavailable(
                        self.name, f"the app raised {type(exc).__name__}"
                    ) from exc
            return decode_response(self.name, status, b"".join(chunks), cache_control)

    async def start(self) -> None:
        """Run the app's lifespan startup; raises SubgraphUnavailable if it fails."""
        if not self.lifespan or self._lifespan is not None:
            return
        self._lifespan = asyncio.create_task(self._run_lifespan())
        await self._lifespan_inbox.put({"type": "lifespan.startup"})
        message = await self._lifespan_outbox.get()
        if message["type"] == "lifespan.startup.failed":
            raise SubgraphUnavailable(self.name, message.get("message", "startup"))

    async def aclose(self) -> None:
        """Run the app's lifespan shutdown if `start()` ran."""
        if self._lifespan is None:
            return
        task, self._lifespan = self._lifespan, None
        if not task.done():
            await self._lifespan_inbox.put({"type": "lifespan.shutdown"})
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.timeout):
                    await self._lifespan_outbox.get()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run_lifespan(self) -> None:
        scope: MutableMapping[str, Any] = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "state": {},
        }

        async def send(message: Message) -> None:
            await self._lifespan_outbox.put(message)

        try:
            await self.app(scope, self._lifespan_inbox.get, send)
        except Exception:  # noqa: BLE001 - apps without lifespan support raise here
            await self._lifespan_outbox.put({"type": "lifespan.startup.complete"})
