"""Attacks on the subscription transports: oversized frames, a thousand subscriptions
on one socket, tokens that expire mid-subscription (and the refresh message that
keeps them alive, and one that names someone else), foreign origins, protocol abuse
(no subprotocol, subscribe before init, a second init, duplicate ids, silence,
garbage), anonymous subscriptions to @authenticated fields."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import time
from typing import TYPE_CHECKING, Any

import orjson
import pytest
import websockets
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from ._clients import (
    EVENT_STREAM,
    SOCKETS,
    WAIT,
    Via,
    ask,
    closed,
    receive,
    send,
    sse_events,
    subscribe_message,
    websocket,
)
from .conftest import ADMIN_USER, AGENT_USER, DEMO_CONVERSATION, mint

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from websockets.asyncio.client import ClientConnection

    from .conftest import Gateway, RequestLog

pytestmark = pytest.mark.asyncio(loop_scope="module")

MESSAGES = (
    "subscription Events($c: ID!, $after: String) "
    "{ messageEvents(conversationId: $c, after: $after) { kind message { text } } }"
)
SUBSCRIBE = {"query": MESSAGES, "variables": {"c": DEMO_CONVERSATION}}
LATEST = (
    "query Latest($c: ID!) "
    "{ messages(conversationId: $c, first: 1) { edges { cursor } } }"
)
SEND = (
    "mutation Send($c: ID!, $text: String!) "
    "{ sendMessage(input: {conversationId: $c, text: $text}) { id } }"
)
STREAMS = (Via.SSE, *SOCKETS)
FLOOD = 1000


def short_lived() -> str:
    """A token that expires in 0.6 to 1.6 seconds (`exp` is whole seconds)."""
    return mint(exp=math.ceil(time.time() + 0.6))


def data_kind(via: Via) -> str:
    return "data" if via is Via.LEGACY else "next"


# The conversation's two participants take turns: chat lets one user send at most
# 10 messages a minute.
_speakers = itertools.cycle(
    [
        mint,
        lambda: mint(AGENT_USER, roles=("support_agent",)),
    ]
)


async def say(gateway: Gateway, text: str) -> None:
    """Post a message to the demo conversation as one of its participants."""
    token = next(_speakers)()
    response = await gateway.http.post(
        gateway.graphql,
        json={"query": SEND, "variables": {"c": DEMO_CONVERSATION, "text": text}},
        headers={"authorization": f"Bearer {token}"},
    )
    assert "errors" not in response.json(), response.text


async def events_from_now(gateway: Gateway) -> dict[str, Any]:
    """SUBSCRIBE from the newest stored message on: a message said later arrives
    whether or not the upstream subscription was live yet (replayed if not)."""
    response = await gateway.http.post(
        gateway.graphql,
        json={"query": LATEST, "variables": {"c": DEMO_CONVERSATION}},
        headers={"authorization": f"Bearer {mint()}"},
    )
    cursor = response.json()["data"]["messages"]["edges"][0]["cursor"]
    return {"query": MESSAGES, "variables": {"c": DEMO_CONVERSATION, "after": cursor}}


async def processed(socket: ClientConnection, via: Via) -> None:
    """Wait until the gateway has handled every message sent on `socket` so far: it
    answers them in order, so the refusal of one more bad one marks the point."""
    await send(socket, subscribe_message(via, "sync", {"query": "{"}))
    message = await receive(socket)
    assert (message["id"], message["type"]) == (
        "sync",
        "data" if via is Via.LEGACY else "error",
    )
    if via is Via.LEGACY:
        assert await receive(socket) == {"id": "sync", "type": "complete"}


async def next_event(socket: ClientConnection, via: Via) -> dict[str, Any]:
    message = await receive(socket)
    assert message["type"] == data_kind(via), message
    return message


async def refused_on_socket(
    socket: ClientConnection, via: Via, code: str
) -> dict[str, Any]:
    """The refusal of the last subscribe on `socket`: its first error."""
    message = await receive(socket)
    if via is Via.WS:
        assert message["type"] == "error", message
        error: dict[str, Any] = message["payload"][0]
    else:
        assert message["type"] == "data", message
        assert message["payload"].get("data") is None, message
        error = message["payload"]["errors"][0]
        assert await receive(socket) == {"id": message["id"], "type": "complete"}
    assert error["extensions"]["code"] == code, message
    return error


async def raw_receive(socket: ClientConnection) -> dict[str, Any]:
    """The next message, pongs included (the legacy keep-alive `ka` skipped)."""
    while True:
        async with asyncio.timeout(WAIT):
            message: dict[str, Any] = orjson.loads(await socket.recv())
        if message.get("type") != "ka":
            return message


# -- frames ------------------------------------------------------------------


@pytest.mark.parametrize("via", SOCKETS)
@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(lambda: "x" * 10_000_000, id="10MB-text"),
        pytest.param(lambda: b"x" * 2_000_000, id="2MB-binary"),
        pytest.param(
            lambda: orjson.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {
                        "query": "{ __typename }",
                        "extensions": {"pad": "x" * 1_100_000},
                    },
                }
            ).decode(),
            id="1.1MB-subscribe",
        ),
    ],
)
async def test_an_oversized_frame_closes_the_socket_with_1009(
    gateway: Gateway, log: RequestLog, via: Via, frame: Any
) -> None:
    async with websocket(gateway, via, token=mint()) as socket:
        await socket.send(frame())
        code, _ = await closed(socket)

    assert code == 1009
    assert not log


# -- a thousand subscriptions on one socket -----------------------------------


@pytest.mark.parametrize("via", SOCKETS)
async def test_a_thousand_subscriptions_on_one_socket_are_capped_and_it_stays_usable(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    # Three sockets, one after the other: how the frames arrive varies, and every
    # socket must survive its flood.
    for _ in range(3):
        await flood_one_socket(gateway, log, via)


async def flood_one_socket(gateway: Gateway, log: RequestLog, via: Via) -> None:
    cap = gateway.config.subscription.max_per_connection
    subscription = await events_from_now(gateway)
    log.clear()
    async with websocket(gateway, via, token=mint()) as socket:
        for n in range(FLOOD):
            await send(socket, subscribe_message(via, str(n), subscription))
        for _ in range(cap, FLOOD):
            error = await refused_on_socket(socket, via, "MAX_SUBSCRIPTIONS_LIMIT")
            assert error["extensions"]["limit"] == cap
        # The refused 900 opened nothing upstream: one shared chat subscription.
        assert [(r.subgraph, r.kind) for r in log.requests] == [("chat", "websocket")]

        # Still usable: one subscription ends, a new one takes its place and gets
        # the next event beside the other 99.
        stop = {"id": "0", "type": "stop" if via is Via.LEGACY else "complete"}
        await send(socket, stop)
        await send(socket, subscribe_message(via, "fresh", subscription))
        await processed(socket, via)
        await say(gateway, "after the flood")
        ids = set()
        for _ in range(cap):
            message = await next_event(socket, via)
            assert message["payload"]["data"]["messageEvents"]["message"] == {
                "text": "after the flood"
            }
            ids.add(message["id"])
        assert ids == {str(n) for n in range(1, cap)} | {"fresh"}


# -- tokens that expire --------------------------------------------------------


@pytest.mark.parametrize("via", SOCKETS)
async def test_a_token_expiring_mid_subscription_ends_it_and_refuses_new_ones(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    async with websocket(gateway, via, token=short_lived()) as socket:
        await send(socket, subscribe_message(via, "1", SUBSCRIBE))

        ended = await next_event(socket, via)
        assert ended["id"] == "1"
        assert [e["extensions"]["code"] for e in ended["payload"]["errors"]] == [
            "UNAUTHENTICATED"
        ]
        assert await receive(socket) == {"id": "1", "type": "complete"}

        seen = len(log)
        await send(socket, subscribe_message(via, "2", SUBSCRIBE))
        await refused_on_socket(socket, via, "UNAUTHENTICATED")
        assert len(log) == seen


async def test_a_token_expiring_mid_sse_stream_ends_it(
    gateway: Gateway, log: RequestLog
) -> None:
    async with gateway.http.stream(
        "POST",
        gateway.graphql,
        json=SUBSCRIBE,
        headers={
            "accept": EVENT_STREAM,
            "authorization": f"Bearer {short_lived()}",
        },
    ) as response:
        assert response.status_code == 200
        events = [event async for event in sse_events(response)]

    assert [name for name, _ in events] == ["next", "complete"]
    assert [e["extensions"]["code"] for e in events[0][1]["errors"]] == [
        "UNAUTHENTICATED"
    ]


@contextlib.asynccontextmanager
async def subscribed(
    gateway: Gateway, via: Via, token: str, payload: dict[str, Any] = SUBSCRIBE
) -> AsyncIterator[ClientConnection]:
    async with websocket(gateway, via, token=token) as socket:
        await send(socket, subscribe_message(via, "1", payload))
        yield socket


async def refresh(socket: ClientConnection, via: Via, token: str) -> None:
    """The refresh message (gateway/subscriptions/client_websocket.py), acknowledged."""
    payload = {"Authorization": f"Bearer {token}"}
    if via is Via.WS:
        await send(socket, {"type": "ping", "payload": payload})
        assert await raw_receive(socket) == {"type": "pong"}
    else:
        await send(socket, {"type": "connection_init", "payload": payload})
        assert await raw_receive(socket) == {"type": "connection_ack"}


@pytest.mark.parametrize("via", SOCKETS)
async def test_the_refresh_message_keeps_a_subscription_alive_past_the_first_token(
    gateway: Gateway, via: Via
) -> None:
    subscription = await events_from_now(gateway)
    short = short_lived()
    async with (
        subscribed(gateway, via, short, subscription) as refreshed,
        subscribed(gateway, via, short, subscription) as control,
    ):
        await refresh(refreshed, via, mint())

        # The control's subscription ends when the short token expires...
        ended = await next_event(control, via)
        assert ended["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        # ...and the refreshed socket's next message is the next event, not an end.
        await say(gateway, "still here")
        event = await next_event(refreshed, via)
        assert event["payload"] == {
            "data": {
                "messageEvents": {"kind": "ADDED", "message": {"text": "still here"}}
            }
        }


@pytest.mark.parametrize("via", SOCKETS)
@pytest.mark.parametrize(
    "token",
    [
        pytest.param(
            lambda: mint(ADMIN_USER, tenant=None, roles=("platform_admin",)),
            id="another-user",
        ),
        pytest.param(lambda: "not-a-token", id="garbage"),
        pytest.param(lambda: mint(expires_in=-5), id="expired"),
    ],
)
async def test_a_refresh_that_names_another_user_or_fails_closes_the_socket_with_4403(
    gateway: Gateway, log: RequestLog, via: Via, token: Any
) -> None:
    async with websocket(gateway, via, token=mint()) as socket:
        await send(
            socket,
            {
                "type": "ping" if via is Via.WS else "connection_init",
                "payload": {"Authorization": f"Bearer {token()}"},
            },
        )
        code, _ = await closed(socket)

    assert code == 4403
    assert not log


# -- origins and protocol abuse ------------------------------------------------


@pytest.mark.parametrize("via", SOCKETS)
async def test_a_websocket_from_a_foreign_origin_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    async def open_from(origin: str) -> int | None:
        try:
            async with connect(
                gateway.ws,
                subprotocols=[websockets.Subprotocol(via.value)],
                additional_headers={"origin": origin},
            ) as socket:
                return 101 if socket.subprotocol == via.value else None
        except InvalidStatus as rejected:
            return rejected.response.status_code

    assert await open_from("https://evil.example") == 403
    assert await open_from("null") == 403
    assert await open_from(gateway.url) == 101  # the gateway's own origin
    assert not log


@pytest.mark.parametrize("offered", [None, "graphql-evil"])
async def test_a_websocket_without_a_known_subprotocol_is_refused(
    gateway: Gateway, log: RequestLog, offered: str | None
) -> None:
    subprotocols = [websockets.Subprotocol(offered)] if offered else None
    with pytest.raises(InvalidStatus) as rejected:
        async with connect(gateway.ws, subprotocols=subprotocols):
            pass
    assert rejected.value.response.status_code == 403
    assert not log


@pytest.mark.parametrize("via", SOCKETS)
async def test_a_subscribe_before_connection_init_closes_with_4401(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    async with connect(
        gateway.ws, subprotocols=[websockets.Subprotocol(via.value)]
    ) as socket:
        await send(socket, subscribe_message(via, "1", SUBSCRIBE))
        code, _ = await closed(socket)
    assert code == 4401
    assert not log


async def test_a_second_connection_init_closes_with_4429(
    gateway: Gateway, log: RequestLog
) -> None:
    async with websocket(gateway, Via.WS) as socket:
        await send(socket, {"type": "connection_init", "payload": {}})
        code, _ = await closed(socket)
    assert code == 4429
    assert not log


async def test_a_duplicate_subscription_id_closes_with_4409(
    gateway: Gateway, log: RequestLog
) -> None:
    async with websocket(gateway, Via.WS, token=mint()) as socket:
        await send(socket, subscribe_message(Via.WS, "1", SUBSCRIBE))
        await send(socket, subscribe_message(Via.WS, "1", SUBSCRIBE))
        code, _ = await closed(socket)
    assert code == 4409


@pytest.mark.parametrize("via", SOCKETS)
async def test_a_socket_that_never_initialises_is_closed_with_4408(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    async with connect(
        gateway.ws, subprotocols=[websockets.Subprotocol(via.value)]
    ) as socket:
        code, _ = await closed(socket)
    assert code == 4408
    assert not log


@pytest.mark.parametrize("via", SOCKETS)
@pytest.mark.parametrize(
    "message",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param("[]", id="array"),
        pytest.param('{"id": "1"}', id="no-type"),
        pytest.param('{"type": 42}', id="type-number"),
    ],
)
async def test_a_message_that_is_not_a_protocol_message_closes_with_4400(
    gateway: Gateway, log: RequestLog, via: Via, message: str
) -> None:
    async with websocket(gateway, via) as socket:
        await socket.send(message)
        code, _ = await closed(socket)
    assert code == 4400
    assert not log


UNUSABLE_IDS = [
    pytest.param(Via.WS, None, id="transport-ws-missing"),
    pytest.param(Via.WS, "", id="transport-ws-empty"),
    pytest.param(Via.WS, 42, id="transport-ws-number"),
    pytest.param(Via.WS, ["1"], id="transport-ws-list"),
    # The legacy protocol takes any string or number as an id.
    pytest.param(Via.LEGACY, None, id="legacy-missing"),
    pytest.param(Via.LEGACY, ["1"], id="legacy-list"),
    pytest.param(Via.LEGACY, {"id": "1"}, id="legacy-object"),
]


@pytest.mark.parametrize(("via", "id"), UNUSABLE_IDS)
async def test_a_subscribe_with_an_unusable_id_closes_with_4400(
    gateway: Gateway, log: RequestLog, via: Via, id: Any
) -> None:
    message = subscribe_message(via, "", SUBSCRIBE)
    del message["id"]
    if id is not None:
        message["id"] = id
    async with websocket(gateway, via, token=mint()) as socket:
        await send(socket, message)
        code, _ = await closed(socket)
    assert code == 4400
    assert not log


# -- subscriptions to what the caller may not see -------------------------------


@pytest.mark.parametrize("via", STREAMS)
async def test_an_anonymous_subscription_to_an_authenticated_field_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    answer = await ask(gateway, via, MESSAGES, variables={"c": DEMO_CONVERSATION})

    error = answer.error("UNAUTHORIZED_FIELD_OR_TYPE")
    assert error["path"] == ["messageEvents"]
    assert answer.body.get("data") is None
    if via is Via.SSE:
        assert (answer.kind, answer.status) == ("json", 400)
    elif via is Via.WS:
        assert answer.kind == "error"
    else:
        assert answer.kind == "stream"
    assert not log


async def test_refusals_on_one_socket_leave_its_other_subscriptions_running(
    gateway: Gateway, log: RequestLog
) -> None:
    subscription = await events_from_now(gateway)
    async with subscribed(gateway, Via.WS, mint(), subscription) as socket:
        for n, query in enumerate(["{ me { emial } }", "{" * 1000, "{ me { ...F } }"]):
            await send(socket, subscribe_message(Via.WS, f"bad{n}", {"query": query}))
            message = await receive(socket)
            assert message["type"] == "error", message
        await say(gateway, "unaffected")
        event = await next_event(socket, Via.WS)
        assert event["id"] == "1"
