"""Live delivery under faults, with every part a real process (issue 14).

PostgreSQL, a Redis each test starts and kills itself (never the machine's), the
chat and accounts subgraphs, and `python -m gateway serve`. Each test counts what
the writers were told was stored against what every subscriber received: no loss,
no duplicate, seq order; or, for a hung subgraph, the documented error.

Set AGORA_FAULT_REPORT to a file to have each test append its counts there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from .realgraph import (
    AGENT_TOKEN,
    DEMO_CONVERSATION,
    MESSAGE_EVENTS,
    USER_TOKEN,
    RealGraph,
    Subscriber,
    real_graph,
    send_message,
    wait_redis,
)

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


def record(test: str, **counts: Any) -> None:
    path = os.environ.get("AGORA_FAULT_REPORT")
    if path:
        with open(path, "a") as report:
            report.write(json.dumps({"test": test, **counts}) + "\n")


async def subscribers(graph: RealGraph) -> list[Subscriber]:
    """The conversation's two participants (two upstreams: one per caller), each
    listening (proven by a first message both received)."""
    opened = [
        await Subscriber.open(graph.websocket_url, USER_TOKEN),
        await Subscriber.open(graph.websocket_url, AGENT_TOKEN),
    ]
    for subscriber in opened:
        await subscriber.subscribe(MESSAGE_EVENTS, {"id": DEMO_CONVERSATION})
    async with httpx.AsyncClient(timeout=10) as client:
        for attempt in range(50):
            await send_message(
                client, graph.gateway_url, AGENT_TOKEN, DEMO_CONVERSATION, f"w{attempt}"
            )
            with contextlib.suppress(TimeoutError):
                for subscriber in opened:
                    await subscriber.wait_for(lambda s=subscriber: s.seqs, 0.5)
                break
    for subscriber in opened:
        assert subscriber.seqs, "the subscription never started"
    return opened


async def write(
    graph: RealGraph, name: str, token: str, stop: asyncio.Event, pause: float = 0.01
) -> tuple[list[int], int]:
    """Send until `stop`: the seqs acknowledged, and the sends refused."""
    stored: list[int] = []
    refused = 0
    n = 0
    async with httpx.AsyncClient(timeout=10) as client:
        while not stop.is_set():
            n += 1
            try:
                body = await send_message(
                    client, graph.gateway_url, token, DEMO_CONVERSATION, f"{name}-{n}"
                )
            except httpx.HTTPError:
                refused += 1
            else:
                if body.get("data") and body["data"].get("sendMessage"):
                    stored.append(body["data"]["sendMessage"]["seq"])
                else:
                    refused += 1
            await asyncio.sleep(pause)
    return stored, refused


async def stored_seqs(graph: RealGraph, after: int) -> list[int]:
    connection = await asyncpg.connect(graph.chat_database)
    try:
        rows = await connection.fetch(
            "SELECT seq FROM chat.chat_message WHERE conversation_id = $1 AND seq > $2 "
            "ORDER BY seq",
            DEMO_CONVERSATION,
            after,
        )
    finally:
        await connection.close()
    return [row["seq"] for row in rows]


async def assert_every_message_once_in_order(
    test: str, graph: RealGraph, listening: list[Subscriber], acknowledged: list[int]
) -> None:
    start = min(s.seqs[0] for s in listening)
    stored = await stored_seqs(graph, start)
    assert set(acknowledged) <= set(stored)  # acknowledged means stored
    for subscriber in listening:
        with contextlib.suppress(TimeoutError):
            await subscriber.wait_for(
                lambda s=subscriber: bool(s.seqs) and s.seqs[-1] >= stored[-1], 15
            )
    counts = {
        "acknowledged": len(acknowledged),
        "stored": len(stored),
        "received": [len([q for q in s.seqs if q > start]) for s in listening],
        "duplicates": [len(s.seqs) - len(set(s.seqs)) for s in listening],
        "errors": [s.errors for s in listening],
    }
    record(test, **counts)
    for subscriber in listening:
        received = [seq for seq in subscriber.seqs if seq > start]
        assert received == stored, counts
        assert not subscriber.errors, counts


async def test_redis_killed_under_three_writers_loses_no_message(
    tmp_path: Path,
) -> None:
    async with real_graph(tmp_path) as graph:
        listening = await subscribers(graph)
        stop = asyncio.Event()
        writers = [
            asyncio.create_task(write(graph, name, token, stop))
            for name, token in (
                ("agent", AGENT_TOKEN),
                ("user", USER_TOKEN),
                ("agent2", AGENT_TOKEN),
            )
        ]
        await asyncio.sleep(1.5)
        await graph.redis.kill()
        await asyncio.sleep(3.0)  # Redis down
        await graph.redis.start()
        await wait_redis(graph)
        await asyncio.sleep(3.0)  # writers go on while chat reconnects
        stop.set()
        results = await asyncio.gather(*writers)
        acknowledged = sorted(seq for stored, _ in results for seq in stored)
        refused = sum(r for _, r in results)
        record("redis_killed", refused_while_down=refused)
        assert refused > 0  # Redis really was down for the writers too
        await assert_every_message_once_in_order(
            "redis_killed", graph, listening, acknowledged
        )
        for subscriber in listening:
            await subscriber.close()


async def test_a_publish_refused_after_commit_still_reaches_every_subscriber(
    tmp_path: Path,
) -> None:
    async with real_graph(tmp_path) as graph:
        listening = await subscribers(graph)
        stop = asyncio.Event()
        writers = [
            asyncio.create_task(write(graph, name, token, stop))
            for name, token in (("agent", AGENT_TOKEN), ("user", USER_TOKEN))
        ]
        await asyncio.sleep(1.0)
        # Commits go on; their PUBLISH is refused (NOPERM) for 1.5 s.
        assert (
            await graph.redis_command("ACL", "SETUSER", "default", "-publish") == "OK"
        )
        await asyncio.sleep(1.5)
        assert (
            await graph.redis_command("ACL", "SETUSER", "default", "+publish") == "OK"
        )
        await asyncio.sleep(1.0)
        stop.set()
        results = await asyncio.gather(*writers)
        acknowledged = sorted(seq for stored, _ in results for seq in stored)
        refused = sum(r for _, r in results)
        assert refused == 0  # a stored message is answered as stored
        await assert_every_message_once_in_order(
            "publish_refused", graph, listening, acknowledged
        )
        for subscriber in listening:
            await subscriber.close()


async def test_a_hung_subgraph_ends_its_streams_with_subgraph_unavailable(
    tmp_path: Path,
) -> None:
    gateway_env = {
        "AGORA_GATEWAY_SUBSCRIPTION_UPSTREAM_PING_INTERVAL": "0.5",
        "AGORA_GATEWAY_SUBSCRIPTION_UPSTREAM_PING_TIMEOUT": "1.0",
    }
    async with real_graph(tmp_path, gateway_env=gateway_env) as graph:
        listening = await subscribers(graph)
        graph.chat.signal(signal.SIGSTOP)
        try:
            for subscriber in listening:
                await subscriber.wait_for(lambda s=subscriber: s.completed, 6)
        finally:
            graph.chat.signal(signal.SIGCONT)
        codes = [[e["extensions"]["code"] for e in s.errors] for s in listening]
        record("chat_sigstop", codes=codes, completed=[s.completed for s in listening])
        assert codes == [["SUBGRAPH_UNAVAILABLE"], ["SUBGRAPH_UNAVAILABLE"]]
        # The subgraph back, a new subscription works again.
        again = await subscribers(graph)
        for subscriber in [*listening, *again]:
            await subscriber.close()


async def metric(graph: RealGraph, name: str) -> float:
    async with httpx.AsyncClient(timeout=10) as client:
        text = (await client.get(graph.gateway_url + "/metrics")).text
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {name} in /metrics")


async def slow_socket(graph: RealGraph, copies: int = 50) -> Any:
    """A graphql-transport-ws client that reads nothing once subscribed: a tiny
    receive buffer, and websockets stops reading once one message waits. It
    subscribes `copies` times, so each message weighs that much more on it (the
    kernel's buffers on loopback take megabytes before the gateway sees any)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", int(graph.gateway_url.rsplit(":", 1)[1])))
    client = await connect(
        graph.websocket_url,
        sock=sock,
        subprotocols=[Subprotocol("graphql-transport-ws")],
        max_queue=1,
    )
    init = {
        "type": "connection_init",
        "payload": {"Authorization": f"Bearer {USER_TOKEN}"},
    }
    await client.send(orjson.dumps(init).decode())
    assert orjson.loads(await client.recv())["type"] == "connection_ack"
    for n in range(copies):
        subscribe = {
            "id": str(n),
            "type": "subscribe",
            "payload": {
                "query": MESSAGE_EVENTS,
                "variables": {"id": DEMO_CONVERSATION},
            },
        }
        await client.send(orjson.dumps(subscribe).decode())
    return client


async def flood(graph: RealGraph, until: Any, limit: int = 600) -> int:
    """Send 4 KB messages (three at a time) until `until()`; how many."""
    sent = 0
    text = "x" * 4000
    async with httpx.AsyncClient(timeout=10) as client:
        while not until() and sent < limit:
            await asyncio.gather(
                *(
                    send_message(
                        client,
                        graph.gateway_url,
                        AGENT_TOKEN,
                        DEMO_CONVERSATION,
                        f"{text}{sent + i}",
                    )
                    for i in range(3)
                )
            )
            sent += 3
    return sent


async def test_a_client_that_stops_reading_gets_1013_and_its_socket_is_released(
    tmp_path: Path,
) -> None:
    gateway_env = {
        "AGORA_GATEWAY_SUBSCRIPTION_OUTBOX_LIMIT": "20",
        "AGORA_GATEWAY_SUBSCRIPTION_OUTBOX_BYTES": "65536",
        "AGORA_GATEWAY_SUBSCRIPTION_CLOSE_TIMEOUT": "3",
    }
    async with real_graph(tmp_path, gateway_env=gateway_env) as graph:
        healthy = (await subscribers(graph))[1]
        slow = await slow_socket(graph)  # reads again below, within the grace
        stuck = await slow_socket(graph)  # never reads again
        before = await metric(graph, "agora_gateway_websocket_connections")
        # Until the gateway has let both slow clients go.
        cut = asyncio.Event()

        async def watch() -> None:
            while True:
                if (
                    await metric(graph, "agora_gateway_websocket_connections")
                    <= before - 1
                ):
                    cut.set()
                    return
                await asyncio.sleep(0.1)

        watcher = asyncio.create_task(watch())
        sent = await flood(graph, cut.is_set)
        # The slow reader reads now: what was in flight, then the close frame.
        code = None
        received = 0
        try:
            async with asyncio.timeout(10):
                while True:
                    await slow.recv()
                    received += 1
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
        # The stuck one is aborted after the close timeout: both released.
        async with asyncio.timeout(10):
            while (
                await metric(graph, "agora_gateway_websocket_connections") > before - 2
            ):
                await asyncio.sleep(0.2)
        watcher.cancel()
        with contextlib.suppress(BaseException):
            await watcher
        after = await metric(graph, "agora_gateway_websocket_connections")
        record(
            "slow_client",
            sent=sent,
            slow_received=received,
            close_code=code,
            connections_before=before,
            connections_after=after,
            healthy_received=len(healthy.seqs),
        )
        assert code == 1013
        assert after == before - 2
        # The others were not held back.
        await healthy.wait_for(lambda: len(healthy.seqs) >= sent, 15)
        # The stuck client, past the close timeout: its socket was aborted, so it
        # reads what its own kernel held and then a reset, never a close frame.
        await asyncio.sleep(3.5)
        stuck_received = 0
        close_frame: object = "none yet"
        try:
            async with asyncio.timeout(10):
                while True:
                    await stuck.recv()
                    stuck_received += 1
        except ConnectionClosed as closed:
            close_frame = closed.rcvd
        record("slow_client_stuck", received=stuck_received, rcvd=str(close_frame))
        assert close_frame is None
        await healthy.close()


async def test_shutdown_sends_complete_before_closing_every_subscription(
    tmp_path: Path,
) -> None:
    async with real_graph(tmp_path) as graph:
        listening = await subscribers(graph)
        graph.gateway.signal(signal.SIGTERM)
        for subscriber in listening:
            await subscriber.wait_for(lambda s=subscriber: s.reader.done(), 10)
        kinds = [
            [
                m["type"]
                for m in s.messages
                if m["type"] != "next" or "errors" in m["payload"]
            ]
            for s in listening
        ]
        codes = [s.socket.close_code for s in listening]
        errors = [[e["extensions"]["code"] for e in s.errors] for s in listening]
        record("shutdown", messages=kinds, close_codes=codes, errors=errors)
        assert kinds == [["next", "complete"], ["next", "complete"]]
        assert errors == [["SHUTTING_DOWN"], ["SHUTTING_DOWN"]]
        assert codes == [1001, 1001]
        assert await graph.gateway.wait() in (0, -signal.SIGTERM)  # uvicorn re-raises
