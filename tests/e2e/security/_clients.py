"""Clients for every transport of /graphql, written from the protocol documents, and
one Answer shape that the attack tests assert on."""

from __future__ import annotations

import asyncio
import contextlib
import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import httpx
import orjson
import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from .conftest import Gateway

GRAPHQL_RESPONSE = "application/graphql-response+json"
EVENT_STREAM = "text/event-stream"
# A GET (or a simple content type) must force a CORS preflight to pass CSRF checks.
PREFLIGHT = {"apollo-require-preflight": "1"}
# How long any one message may take before a test fails instead of hanging.
WAIT = 10.0
# The longest URL component httpx will send (its MAX_URL_LENGTH).
MAX_HTTPX_URL = 65_536


class Via(enum.Enum):
    """The transports of /graphql."""

    POST = "POST"
    GET = "GET"
    SSE = "SSE"
    WS = "graphql-transport-ws"
    LEGACY = "graphql-ws"


EVERY = tuple(Via)
HTTP = (Via.POST, Via.GET)
HTTP_PATHS = (Via.POST, Via.GET, Via.SSE)
SOCKETS = (Via.WS, Via.LEGACY)
NOT_GET = (Via.POST, Via.SSE, Via.WS, Via.LEGACY)


@dataclass
class Answer:
    """What a client got for one operation.

    kind: "json" (a plain HTTP response, SSE refusals included), "stream" (SSE
    events, or websocket next/data messages ending in complete), "error" (a
    graphql-transport-ws `error` message), "closed" (the socket was closed:
    `close_code`, and for the legacy protocol a `connection_error` in `body`),
    "rejected" (the websocket handshake was refused with HTTP `status`).
    body: the GraphQL response (the first one of a stream).
    """

    via: Via
    kind: str
    status: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = self.body.get("errors") or []
        return errors

    @property
    def codes(self) -> list[str]:
        return [error.get("extensions", {}).get("code") for error in self.errors]

    def error(self, code: str) -> dict[str, Any]:
        """The first error with `code`; fails the test when there is none."""
        for error in self.errors:
            if error.get("extensions", {}).get("code") == code:
                return error
        raise AssertionError(f"expected an error with code {code}, got {self}")


def refused(answer: Answer, code: str, *, status: int = 400) -> dict[str, Any]:
    """Assert `answer` is the transport's refusal carrying `code`; its error.

    HTTP and SSE: a JSON body (never a stream) with `status`. graphql-transport-ws:
    an `error` message. The legacy protocol, which has no such message for GraphQL
    errors: one `data` message with the errors and no data, then `complete`.
    """
    if answer.via in HTTP_PATHS:
        assert answer.kind == "json", answer
        assert answer.status == status, answer
    elif answer.via is Via.WS:
        assert answer.kind == "error", answer
    else:
        assert answer.kind == "stream", answer
        assert answer.body.get("data") is None, answer
        assert len(answer.events) == 1, answer
    return answer.error(code)


def unauthenticated(answer: Answer) -> None:
    """Assert `answer` refuses the caller's credentials: 401 UNAUTHENTICATED over
    HTTP and SSE; over websockets the socket is closed with 4403 at connection_init
    (the legacy protocol says why in a `connection_error` first)."""
    if answer.via in HTTP_PATHS:
        assert answer.kind == "json", answer
        assert answer.status == 401, answer
        assert answer.codes == ["UNAUTHENTICATED"], answer
        return
    assert answer.kind == "closed", answer
    assert answer.close_code == 4403, answer
    if answer.via is Via.LEGACY:
        assert answer.codes == ["UNAUTHENTICATED"], answer


def payload_of(
    query: str,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    extensions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    if operation_name is not None:
        payload["operationName"] = operation_name
    if extensions is not None:
        payload["extensions"] = extensions
    return payload


def query_params(payload: dict[str, Any]) -> dict[str, str]:
    """A request's parameters as GET sends them (JSON-encoded objects)."""
    return {
        name: value if isinstance(value, str) else orjson.dumps(value).decode()
        for name, value in payload.items()
    }


def bearer(token: str | None) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"} if token else {}


async def ask(
    gateway: Gateway,
    via: Via,
    query: str,
    *,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    extensions: dict[str, Any] | None = None,
    token: str | None = None,
    headers: dict[str, Any] | None = None,
    init: dict[str, Any] | None = None,
) -> Answer:
    """Send one operation over `via` and read the whole answer.

    HTTP asks for `application/graphql-response+json` (GraphQL over HTTP's statuses)
    and GET adds a preflight header; `headers` go on the HTTP request (websockets:
    the upgrade request), `token` in the Authorization header (websockets: the
    `connection_init` payload, with `init`).
    """
    payload = payload_of(query, variables, operation_name, extensions)
    return await send_payload(
        gateway, via, payload, token=token, headers=headers, init=init
    )


async def send_payload(
    gateway: Gateway,
    via: Via,
    payload: Any,
    *,
    token: str | None = None,
    headers: dict[str, Any] | None = None,
    init: dict[str, Any] | None = None,
) -> Answer:
    """`ask` with any JSON as the request (POST body, GET parameters when a dict,
    SSE body, websocket subscribe payload)."""
    if via in SOCKETS:
        if token:
            init = {**(init or {}), "Authorization": f"Bearer {token}"}
        return await over_websocket(gateway, via, payload, headers=headers, init=init)
    sent = {**bearer(token), **(headers or {})}
    if via is Via.POST:
        return await post(gateway, content=orjson.dumps(payload), headers=sent)
    if via is Via.GET:
        return await get(gateway, query_params(payload), headers=sent)
    return await sse(gateway, content=orjson.dumps(payload), headers=sent)


async def post(
    gateway: Gateway,
    *,
    content: bytes | str,
    headers: dict[str, Any] | None = None,
    content_type: str | None = "application/json",
    method: str = "POST",
) -> Answer:
    sent = {"accept": GRAPHQL_RESPONSE}
    if content_type is not None:
        sent["content-type"] = content_type
    sent.update(headers or {})
    response = await gateway.http.request(
        method, gateway.graphql, content=content, headers=sent
    )
    return _json_answer(Via.POST, response)


async def get(
    gateway: Gateway,
    params: dict[str, str],
    *,
    headers: dict[str, Any] | None = None,
    preflight: bool = True,
) -> Answer:
    sent = {"accept": GRAPHQL_RESPONSE, **(PREFLIGHT if preflight else {})}
    sent.update(headers or {})
    target = "/graphql?" + urlencode(params)
    if len(target) > MAX_HTTPX_URL:
        return await _raw_get(gateway, target, sent)
    response = await gateway.http.get(gateway.graphql, params=params, headers=sent)
    return _json_answer(Via.GET, response)


async def _raw_get(gateway: Gateway, target: str, headers: dict[str, str]) -> Answer:
    """A GET whose URL is longer than httpx sends, over a plain socket."""
    host, port = urlsplit(gateway.url).netloc.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    lines = [f"GET {target} HTTP/1.1", f"host: {host}:{port}", "connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    await writer.drain()
    async with asyncio.timeout(WAIT):
        raw = await reader.read(-1)
    writer.close()
    head, _, content = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    received = dict(line.lower().split(": ", 1) for line in header_lines if line)
    response = httpx.Response(
        int(status_line.split()[1]), headers=received, content=content
    )
    return _json_answer(Via.GET, response)


async def sse(
    gateway: Gateway,
    *,
    content: bytes | str | None = None,
    params: dict[str, str] | None = None,
    headers: dict[str, Any] | None = None,
    method: str = "POST",
    content_type: str | None = "application/json",
) -> Answer:
    """One GraphQL-over-SSE request, read to its end (a refusal is plain JSON)."""
    sent = {"accept": EVENT_STREAM}
    if method == "POST" and content_type is not None:
        sent["content-type"] = content_type
    sent.update(headers or {})
    async with gateway.http.stream(
        method, gateway.graphql, content=content, params=params, headers=sent
    ) as response:
        if not response.headers.get("content-type", "").startswith(EVENT_STREAM):
            await response.aread()
            return _json_answer(Via.SSE, response)
        events = [data async for _, data in sse_events(response)]
    body = events[0] if events and events[0] is not None else {}
    return Answer(
        Via.SSE,
        "stream",
        status=response.status_code,
        body=body,
        events=events,
        headers=dict(response.headers),
    )


def _json_answer(via: Via, response: httpx.Response) -> Answer:
    try:
        body = response.json()
    except ValueError:
        body = {"text": response.text}
    return Answer(
        via,
        "json",
        status=response.status_code,
        body=body if isinstance(body, dict) else {"json": body},
        headers=dict(response.headers),
    )


async def sse_events(
    response: httpx.Response,
) -> AsyncIterator[tuple[str, Any]]:
    """(event, data) pairs of a text/event-stream response; comments skipped."""
    event = ""
    data: list[str] = []
    async for line in response.aiter_lines():
        if line.startswith(":"):
            continue
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and event:
            text = "\n".join(data)
            yield event, orjson.loads(text) if text else None
            event, data = "", []


# -- websockets --------------------------------------------------------------


async def receive(socket: ClientConnection) -> dict[str, Any]:
    """The next message that is not a keep-alive (fails after WAIT seconds)."""
    while True:
        async with asyncio.timeout(WAIT):
            message = orjson.loads(await socket.recv())
        if message.get("type") not in ("ka", "ping", "pong"):
            return dict(message)


async def send(socket: ClientConnection, message: dict[str, Any]) -> None:
    await socket.send(orjson.dumps(message).decode())


async def closed(socket: ClientConnection) -> tuple[int | None, str]:
    """Wait for the server to close `socket` (skipping messages); its code, reason."""
    with contextlib.suppress(ConnectionClosed):
        async with asyncio.timeout(WAIT):
            while True:
                await socket.recv()
    return socket.close_code, socket.close_reason or ""


@contextlib.asynccontextmanager
async def websocket(
    gateway: Gateway,
    via: Via,
    *,
    headers: dict[str, Any] | None = None,
    init: dict[str, Any] | None = None,
    token: str | None = None,
) -> AsyncIterator[ClientConnection]:
    """A websocket of protocol `via`, initialised and acknowledged."""
    if token:
        init = {**(init or {}), "Authorization": f"Bearer {token}"}
    async with connect(
        gateway.ws,
        subprotocols=[websockets.Subprotocol(via.value)],
        additional_headers=headers,
        max_size=None,
        open_timeout=WAIT,
    ) as socket:
        assert socket.subprotocol == via.value
        await send(socket, {"type": "connection_init", "payload": init or {}})
        assert await receive(socket) == {"type": "connection_ack"}
        yield socket


def subscribe_message(via: Via, id: str, payload: Any) -> dict[str, Any]:
    kind = "start" if via is Via.LEGACY else "subscribe"
    return {"id": id, "type": kind, "payload": payload}


async def over_websocket(
    gateway: Gateway,
    via: Via,
    payload: Any,
    *,
    headers: dict[str, Any] | None = None,
    init: dict[str, Any] | None = None,
) -> Answer:
    """connection_init (with `init`), one subscribe / start of `payload`, and
    every message until the operation ends or the socket is closed."""
    try:
        socket_context = connect(
            gateway.ws,
            subprotocols=[websockets.Subprotocol(via.value)],
            additional_headers=headers,
            max_size=None,
            open_timeout=WAIT,
        )
        socket = await socket_context.__aenter__()
    except InvalidStatus as rejected:
        return Answer(via, "rejected", status=rejected.response.status_code)
    try:
        return await _operation(socket, via, payload, init or {})
    finally:
        await socket_context.__aexit__(None, None, None)


async def _operation(
    socket: ClientConnection, via: Via, payload: Any, init: dict[str, Any]
) -> Answer:
    data_kind = "data" if via is Via.LEGACY else "next"
    try:
        await send(socket, {"type": "connection_init", "payload": init})
        first = await receive(socket)
        if first.get("type") == "connection_error":
            code, reason = await closed(socket)
            body = {"errors": [first.get("payload")]}
            return Answer(
                via, "closed", body=body, close_code=code, close_reason=reason
            )
        assert first == {"type": "connection_ack"}, first
        await send(socket, subscribe_message(via, "1", payload))
        events: list[dict[str, Any]] = []
        while True:
            message = await receive(socket)
            kind = message.get("type")
            if kind == "error" and via is Via.WS:
                return Answer(via, "error", body={"errors": message.get("payload")})
            if kind == data_kind:
                events.append(message.get("payload") or {})
            elif kind == "complete":
                body = events[0] if events else {}
                return Answer(via, "stream", body=body, events=events)
            else:
                raise AssertionError(f"unexpected message {message}")
    except ConnectionClosed:
        return Answer(
            via,
            "closed",
            close_code=socket.close_code,
            close_reason=socket.close_reason or "",
        )
