"""@defer delivered incrementally: the first payload without the deferred fragment,
sent before its fetches start, then one payload per deferred fragment, over HTTP
(multipart/mixed), SSE and graphql-transport-ws; the deferred fragment here crosses
subgraphs (User.name in accounts, User.reviews in reviews)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from websockets.asyncio.client import connect

from .service import Gate, gateway_app, served

MULTIPART = "multipart/mixed;deferSpec=20220824, application/json"
QUERY = '{ me { name ... @defer(label: "reviews") { reviews { body } } } }'
FIRST = {"data": {"me": {"name": "Ada"}}, "hasNext": True}
LATER = {
    "hasNext": False,
    "incremental": [
        {"data": {"reviews": [{"body": "Lovely"}]}, "path": ["me"], "label": "reviews"}
    ],
}


def parts(body: bytes) -> list[Any]:
    """The JSON parts of a multipart/mixed body with boundary `graphql`."""
    found = []
    for chunk in body.split(b"\r\n--graphql")[1:]:
        if chunk.startswith(b"--"):
            break
        _, _, json_part = chunk.partition(b"\r\n\r\n")
        if json_part:  # not a part (yet): the delimiter ends what came so far
            found.append(json.loads(json_part))
    return found


async def test_the_first_part_is_sent_before_the_deferred_fetch_is_let_go() -> None:
    gate = Gate()
    async with (
        served(gateway_app(gate)) as url,
        httpx.AsyncClient(base_url=url) as client,
        client.stream(
            "POST", "/graphql", json={"query": QUERY}, headers={"accept": MULTIPART}
        ) as response,
    ):
        assert response.headers["content-type"] == (
            'multipart/mixed;boundary="graphql";deferSpec=20220824'
        )
        received = b""
        chunks = response.aiter_bytes()
        while b"\r\n--graphql" not in received.partition(b"hasNext")[2]:
            received += await anext(chunks)
        # The first payload is out while the deferred fetch is still held.
        assert gate.asked.is_set()
        assert parts(received) == [FIRST]
        gate.open()
        async for chunk in chunks:
            received += chunk
    assert parts(received) == [FIRST, LATER]
    assert received.endswith(b"\r\n--graphql--\r\n")


async def test_a_client_without_multipart_gets_the_whole_response() -> None:
    async with (
        served(gateway_app()) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        response = await client.post("/graphql", json={"query": QUERY})
    assert response.json() == {
        "data": {"me": {"name": "Ada", "reviews": [{"body": "Lovely"}]}}
    }


async def test_each_list_item_gets_its_own_entry_at_its_path() -> None:
    query = "{ users { name ... @defer { reviews { stars } } } }"
    async with (
        served(gateway_app()) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        response = await client.post(
            "/graphql", json={"query": query}, headers={"accept": MULTIPART}
        )
    assert parts(response.content) == [
        {"data": {"users": [{"name": "Ada"}, {"name": "Grace"}]}, "hasNext": True},
        {
            "hasNext": False,
            "incremental": [
                {"data": {"reviews": [{"stars": 5}]}, "path": ["users", 0]},
                {
                    "data": {"reviews": [{"stars": 2}, {"stars": 4}]},
                    "path": ["users", 1],
                },
            ],
        },
    ]


async def test_defer_if_false_answers_in_one_payload() -> None:
    query = (
        "query ($d: Boolean!) { me { name ... @defer(if: $d) { reviews { body } } } }"
    )
    async with (
        served(gateway_app()) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": {"d": False}},
            headers={"accept": MULTIPART},
        )
    assert parts(response.content) == [
        {
            "data": {"me": {"name": "Ada", "reviews": [{"body": "Lovely"}]}},
            "hasNext": False,
        }
    ]


async def test_a_nested_deferred_fragment_comes_after_the_one_around_it() -> None:
    query = (
        '{ users { id ... @defer(label: "outer") { name'
        ' ... @defer(label: "inner") { reviews { stars } } } } }'
    )
    async with (
        served(gateway_app()) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        response = await client.post(
            "/graphql", json={"query": query}, headers={"accept": MULTIPART}
        )
    payloads = parts(response.content)
    assert payloads[0] == {
        "data": {"users": [{"id": "1"}, {"id": "2"}]},
        "hasNext": True,
    }
    entries = [e for p in payloads[1:] for e in p["incremental"]]
    labels = [e["label"] for e in entries]
    assert labels == ["outer", "outer", "inner", "inner"]
    assert entries[0]["data"] == {"name": "Ada"}
    assert entries[3] == {
        "data": {"reviews": [{"stars": 2}, {"stars": 4}]},
        "path": ["users", 1],
        "label": "inner",
    }
    assert payloads[-1]["hasNext"] is False


async def test_over_sse_each_payload_is_a_next_event() -> None:
    async with (
        served(gateway_app()) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        response = await client.post(
            "/graphql",
            json={"query": QUERY},
            headers={"accept": "text/event-stream"},
        )
    events = [
        json.loads(line[len("data: ") :])
        for line in response.text.splitlines()
        if line.startswith("data: ")
    ]
    assert events == [FIRST, LATER]
    assert response.text.rstrip().endswith("event: complete\ndata:")


async def test_over_graphql_transport_ws_each_payload_is_a_next_message() -> None:
    async with served(gateway_app()) as url:
        address = url.replace("http://", "ws://") + "/graphql"
        async with connect(address, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            await socket.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            await socket.send(
                json.dumps(
                    {"id": "1", "type": "subscribe", "payload": {"query": QUERY}}
                )
            )
            messages = []
            while True:
                message = json.loads(await asyncio.wait_for(socket.recv(), 10))
                messages.append(message)
                if message["type"] != "next":
                    break
    assert messages == [
        {"id": "1", "type": "next", "payload": FIRST},
        {"id": "1", "type": "next", "payload": LATER},
        {"id": "1", "type": "complete"},
    ]
